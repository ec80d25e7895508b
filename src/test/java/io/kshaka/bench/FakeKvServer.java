package io.kshaka.bench;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.JsonObject;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * An in-memory stand-in for the HTTP contract of docs/http.md, enough for the bench: key → (value, version), GET
 * with ETag / 404 with the version, PUT with If-Match (412 on mismatch), POST ?op=add&delta=n (409 on a
 * non-integer). {@link Mode} makes it answer every request with 503, or never answer at all.
 */
final class FakeKvServer {
  enum Mode { NORMAL, ALWAYS_503, SILENT }

  /** The state of one register: a null value with version > 0 would be a tombstone. */
  record Entry(byte[] value, long version) {}

  private final ConcurrentMap<String, Entry> store = new ConcurrentHashMap<>();
  private final Mode mode;
  private final AtomicInteger connections = new AtomicInteger();
  private HttpServer server;

  private FakeKvServer(Mode mode) {
    this.mode = mode;
  }

  static Future<FakeKvServer> start(Vertx vertx, Mode mode) {
    FakeKvServer fake = new FakeKvServer(mode);
    return vertx.createHttpServer()
        .connectionHandler(conn -> fake.connections.incrementAndGet())
        .requestHandler(fake::handle)
        .listen(0, "127.0.0.1")
        .map(s -> {
          fake.server = s;
          return fake;
        });
  }

  int port() {
    return server.actualPort();
  }

  String url() {
    return "http://127.0.0.1:" + port();
  }

  Entry entry(String key) {
    return store.get(key);
  }

  /** TCP connections accepted so far. */
  int connections() {
    return connections.get();
  }

  int size() {
    return store.size();
  }

  Future<Void> close() {
    return server.close();
  }

  private void handle(HttpServerRequest req) {
    if (mode == Mode.SILENT) return;
    if (mode == Mode.ALWAYS_503) {
      json(req, 503, new JsonObject().put("error", "no_quorum").put("outcome", "not_applied"));
      return;
    }
    String path = req.path();
    if (!path.startsWith("/v1/kv/") || path.length() == "/v1/kv/".length()) {
      json(req, 404, new JsonObject().put("error", "no_route"));
      return;
    }
    String key = URLDecoder.decode(path.substring("/v1/kv/".length()), StandardCharsets.UTF_8);
    HttpMethod method = req.method();
    if (HttpMethod.GET.equals(method)) {
      Entry e = store.get(key);
      if (e == null || e.value() == null) {
        json(req, 404, new JsonObject().put("error", "not_found").put("version", e == null ? 0 : e.version()));
      } else {
        req.response().putHeader("ETag", "\"" + e.version() + "\"").setStatusCode(200).end(Buffer.buffer(e.value()));
      }
    } else if (HttpMethod.PUT.equals(method)) {
      req.body().onSuccess(body -> put(req, key, body));
    } else if (HttpMethod.POST.equals(method) && "add".equals(req.getParam("op"))) {
      req.body().onSuccess(body -> add(req, key));
    } else {
      json(req, 405, new JsonObject().put("error", "method_not_allowed"));
    }
  }

  private void put(HttpServerRequest req, String key, Buffer body) {
    String ifMatch = req.getHeader("If-Match");
    Long expected = ifMatch == null ? null : Long.valueOf(ifMatch.replace("\"", ""));
    long[] mismatch = {-1};
    Entry after = store.compute(key, (k, cur) -> {
      long version = cur == null ? 0 : cur.version();
      if (expected != null && expected != version) {
        mismatch[0] = version;
        return cur;
      }
      return new Entry(body.getBytes(), version + 1);
    });
    if (mismatch[0] >= 0) {
      json(req, 412, new JsonObject().put("error", "version_mismatch").put("version", mismatch[0]));
    } else {
      json(req, 200, new JsonObject().put("version", after.version()));
    }
  }

  private void add(HttpServerRequest req, String key) {
    long delta = Long.parseLong(req.getParam("delta", "1"));
    boolean[] notInteger = {false};
    Entry after = store.compute(key, (k, cur) -> {
      long current = 0;
      if (cur != null && cur.value() != null) {
        try {
          current = Long.parseLong(new String(cur.value(), StandardCharsets.UTF_8));
        } catch (NumberFormatException e) {
          notInteger[0] = true;
          return cur;
        }
      }
      long version = cur == null ? 0 : cur.version();
      return new Entry(Long.toString(current + delta).getBytes(StandardCharsets.UTF_8), version + 1);
    });
    if (notInteger[0]) {
      json(req, 409, new JsonObject().put("error", "not_integer"));
    } else {
      json(req, 200, new JsonObject().put("value", new String(after.value(), StandardCharsets.UTF_8))
          .put("version", after.version()));
    }
  }

  private static void json(HttpServerRequest req, int status, JsonObject body) {
    req.response().setStatusCode(status).putHeader("Content-Type", "application/json").end(body.encode());
  }
}
