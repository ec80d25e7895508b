package io.kshaka.cli;

import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * An in-memory stand-in for the list and watch routes of the issue-11 contract (docs/http.md), for the CLI's tests
 * while the real routes are not on main: {@code GET /v1/kv?prefix&after&limit&values}, {@code GET /v1/kv/{key}}
 * with {@code ?watch=V&wait=D} (held until the version passes V), and {@code PUT /v1/kv/{key}}. One event loop:
 * no locking.
 */
final class ContractFake {
  record Entry(byte[] value, long version) {}

  private record Waiter(String key, long after, HttpServerRequest request, long timer) {}

  private final Vertx vertx;
  private final TreeMap<String, Entry> store = new TreeMap<>();
  private final List<Waiter> waiters = new ArrayList<>();
  private HttpServer server;
  /** Watch requests that arrived so far (read from the test thread). */
  private final java.util.concurrent.atomic.AtomicInteger watches = new java.util.concurrent.atomic.AtomicInteger();

  private ContractFake(Vertx vertx) {
    this.vertx = vertx;
  }

  static ContractFake start(Vertx vertx) {
    ContractFake fake = new ContractFake(vertx);
    fake.server = vertx.createHttpServer().requestHandler(fake::handle).listen(0, "127.0.0.1").await();
    return fake;
  }

  String url() {
    return "http://127.0.0.1:" + server.actualPort();
  }

  void close() {
    server.close().await();
  }

  /** Closes unless closed already. */
  void closeQuietly() {
    try {
      close();
    } catch (RuntimeException ignored) {
      // closed by the test
    }
  }

  /** Writes a key as a PUT would (from any thread). */
  void put(String key, String value) {
    vertx.runOnContext(v -> write(key, value.getBytes(StandardCharsets.UTF_8)));
  }

  private void write(String key, byte[] value) {
    Entry old = store.get(key);
    store.put(key, new Entry(value, old == null ? 1 : old.version() + 1));
    for (Waiter w : new ArrayList<>(waiters)) {
      if (w.key().equals(key)) {
        vertx.cancelTimer(w.timer());
        waiters.remove(w);
        answer(w.request(), key, true);
      }
    }
  }

  private void handle(HttpServerRequest req) {
    String path = req.path();
    if (path.equals("/v1/kv") && req.method().name().equals("GET")) {
      list(req);
      return;
    }
    if (!path.startsWith("/v1/kv/")) {
      req.response().setStatusCode(404).end(new JsonObject().put("error", "not_found").put("message", "no").encode());
      return;
    }
    String key = URLDecoder.decode(path.substring("/v1/kv/".length()).replace("+", "%2B"), StandardCharsets.UTF_8);
    switch (req.method().name()) {
      case "PUT" -> req.body().onSuccess(b -> {
        write(key, b.getBytes());
        req.response().putHeader("content-type", "application/json")
            .end(new JsonObject().put("version", store.get(key).version()).encode());
      });
      case "GET" -> {
        String watch = req.getParam("watch");
        if (watch == null) {
          answer(req, key, false);
          return;
        }
        watches.incrementAndGet();
        long after = Long.parseLong(watch);
        Entry e = store.get(key);
        if (e != null && e.version() > after) {
          answer(req, key, true);
          return;
        }
        long waitMs = parseMs(req.getParam("wait", "30s"));
        Waiter[] self = new Waiter[1];
        long timer = vertx.setTimer(waitMs, id -> {
          waiters.remove(self[0]);
          answer(req, key, true);
        });
        self[0] = new Waiter(key, after, req, timer);
        waiters.add(self[0]);
      }
      default -> req.response().setStatusCode(405).end();
    }
  }

  private static long parseMs(String d) {
    if (d.endsWith("ms")) return Long.parseLong(d.substring(0, d.length() - 2));
    long n = Long.parseLong(d.substring(0, d.length() - 1));
    return switch (d.charAt(d.length() - 1)) {
      case 's' -> n * 1000;
      case 'm' -> n * 60_000;
      default -> n * 3_600_000;
    };
  }

  private void answer(HttpServerRequest req, String key, boolean watch) {
    Entry e = store.get(key);
    long version = e == null ? 0 : e.version();
    var response = req.response().putHeader("ETag", "\"" + version + "\"");
    if (watch) response.putHeader(KvCommand.VERSION_HEADER, Long.toString(version));
    if (e == null) {
      response.setStatusCode(404).putHeader("content-type", "application/json").end(new JsonObject()
          .put("error", "not_found").put("message", "key has no value").put("version", version).encode());
    } else {
      response.putHeader("content-type", "application/octet-stream").end(Buffer.buffer(e.value()));
    }
  }

  private void list(HttpServerRequest req) {
    String prefix = req.getParam("prefix", "");
    String after = req.getParam("after");
    int limit = Integer.parseInt(req.getParam("limit", "100"));
    boolean values = "true".equals(req.getParam("values"));
    JsonArray keys = new JsonArray();
    Map<String, Entry> tail = after == null ? store : store.tailMap(after, false);
    String last = null;
    boolean more = false;
    for (Map.Entry<String, Entry> en : tail.entrySet()) {
      if (!en.getKey().startsWith(prefix)) continue;
      if (keys.size() == limit) {
        more = true;
        break;
      }
      JsonObject o = new JsonObject().put("key", en.getKey()).put("version", en.getValue().version());
      if (values) o.put("value", Base64.getEncoder().encodeToString(en.getValue().value()));
      keys.add(o);
      last = en.getKey();
    }
    req.response().putHeader("content-type", "application/json")
        .end(new JsonObject().put("keys", keys).put("next", more ? last : null).encode());
  }

  /** How many watch requests arrived. */
  int watches() {
    return watches.get();
  }
}
