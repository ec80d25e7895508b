package io.kshaka.openapi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kshaka.it.TestCluster;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A recorded run: requests over every route of a live 3-node cluster, each request and answer recorded
 * (target/openapi-recorded.jsonl) and validated against openapi.json: status, headers, content type and body.
 */
class RecordedRunTest {
  @TempDir
  static Path dir;

  static TestCluster cluster;
  static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
      .connectTimeout(Duration.ofSeconds(10)).build();
  final List<OpenApi.Exchange> recorded = new ArrayList<>();

  @BeforeAll
  static void start() throws Exception {
    cluster = TestCluster.start(dir, 3, new JsonObject().put("requestTimeoutMs", 5_000));
    long deadline = System.nanoTime() + 120_000_000_000L;
    for (int n = 1; n <= 3; n++) {
      while (status(cluster.url(n) + "/ready") != 200) {
        if (System.nanoTime() > deadline) throw new AssertionError("node " + n + " not ready after 120 s");
        Thread.sleep(100);
      }
    }
  }

  @AfterAll
  static void stop() {
    if (cluster != null) cluster.close();
  }

  static int status(String url) {
    try {
      return HTTP.send(HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.discarding())
          .statusCode();
    } catch (Exception e) {
      return -1;
    }
  }

  /** Sends one request to node {@code node} and records it with its answer. */
  OpenApi.Exchange call(int node, String method, String target, byte[] body, String... headers) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(cluster.url(node) + target))
        .timeout(Duration.ofSeconds(30))
        .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofByteArray(body));
    Map<String, String> sent = new LinkedHashMap<>();
    for (int i = 0; i < headers.length; i += 2) {
      b.header(headers[i], headers[i + 1]);
      sent.put(headers[i].toLowerCase(Locale.ROOT), headers[i + 1]);
    }
    HttpResponse<byte[]> r = HTTP.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
    Map<String, String> got = new LinkedHashMap<>();
    r.headers().map().forEach((k, v) -> got.put(k.toLowerCase(Locale.ROOT), String.join(", ", v)));
    OpenApi.Exchange x = new OpenApi.Exchange(method, target, sent, r.statusCode(), got, r.body());
    recorded.add(x);
    return x;
  }

  static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  @Test
  void everyRecordedRequestAndAnswerConformsToTheOpenApiDocument() throws Exception {
    call(1, "GET", "/health", null);
    call(2, "GET", "/ready", null);
    call(3, "GET", "/metrics", null);
    call(1, "GET", "/v1/cluster", null);
    call(2, "GET", "/v1/admin/membership", null);
    expect(400, call(1, "POST", "/v1/admin/membership", bytes("{\"acceptors\":[1,2,3]}")));
    expect(400, call(1, "POST", "/v1/admin/membership", bytes("not json")));
    call(1, "GET", "/openapi.json", null);
    call(1, "GET", "/ui", null);
    call(1, "GET", "/ui/", null);
    call(1, "GET", "/ui/app.js", null);
    call(1, "GET", "/ui/style.css", null);
    // the registers
    expect(404, call(1, "GET", "/v1/kv/rec/absent", null));
    expect(200, call(1, "PUT", "/v1/kv/rec/a", bytes("hello")));
    expect(200, call(2, "GET", "/v1/kv/rec/a", null));
    expect(200, call(3, "PUT", "/v1/kv/rec/a", bytes("again"), "If-Match", "\"1\""));
    expect(412, call(1, "PUT", "/v1/kv/rec/a", bytes("stale"), "If-Match", "\"1\""));
    expect(412, call(2, "PUT", "/v1/kv/rec/a", bytes("x"), "If-None-Match", "*"));
    expect(200, call(2, "PUT", "/v1/kv/rec/lock", bytes("me"), "If-None-Match", "*", "Idempotency-Key", "rec-1"));
    expect(200, call(3, "PUT", "/v1/kv/rec/lock", bytes("me"), "If-None-Match", "*", "Idempotency-Key", "rec-1"));
    expect(200, call(1, "PUT", "/v1/kv/rec/ttl?ttl=30s", bytes("leased")));
    call(1, "GET", "/v1/kv/rec/ttl", null);
    expect(200, call(1, "GET", "/v1/kv/rec/a?watch=0&wait=1s", null));
    expect(412, call(1, "DELETE", "/v1/kv/rec/a", null, "If-Match", "\"9\""));
    expect(200, call(1, "DELETE", "/v1/kv/rec/a", null, "If-Match", "\"2\""));
    expect(404, call(1, "GET", "/v1/kv/rec/a", null));
    expect(200, call(1, "POST", "/v1/kv/rec/n?op=add&delta=5", null));
    expect(200, call(2, "POST", "/v1/kv/rec/n?op=add&delta=-7", null, "Idempotency-Key", "rec-2"));
    expect(409, call(2, "POST", "/v1/kv/rec/lock?op=add&delta=1", null));
    expect(400, call(2, "POST", "/v1/kv/rec/n?op=mul&delta=1", null));
    expect(400, call(2, "POST", "/v1/kv/rec/n?op=add&delta=x", null));
    expect(400, call(3, "PUT", "/v1/kv/rec/a", bytes("x"), "If-Match", "abc"));
    expect(400, call(3, "GET", "/v1/kv/", null));
    expect(400, call(3, "GET", "/v1/kv/%ff", null));
    expect(413, call(3, "PUT", "/v1/kv/rec/big", new byte[(1 << 20) + 1]));
    expect(405, call(1, "PATCH", "/v1/kv/rec/a", null));
    expect(405, call(1, "DELETE", "/health", null));
    expect(404, call(1, "GET", "/nope", null));
    // list, where the node serves it (the list route comes with its own work)
    if (status(cluster.url(1) + "/v1/kv?limit=1") == 200) {
      expect(200, call(1, "GET", "/v1/kv?prefix=rec/&limit=2", null));
      expect(200, call(1, "GET", "/v1/kv?prefix=rec/&after=rec/lock&values=true", null));
      expect(400, call(1, "GET", "/v1/kv?limit=0", null));
    }

    Path out = Path.of("target", "openapi-recorded.jsonl");
    Files.createDirectories(out.getParent());
    StringBuilder lines = new StringBuilder();
    for (OpenApi.Exchange x : recorded) lines.append(x.toJson().encode()).append('\n');
    Files.writeString(out, lines);

    OpenApi api = OpenApi.load();
    List<String> problems = new ArrayList<>();
    for (OpenApi.Exchange x : recorded) problems.addAll(api.validate(x));
    assertEquals(List.of(), problems, "recorded answers that disagree with openapi.json (see " + out + ")");
    assertTrue(recorded.size() >= 35, "recorded " + recorded.size());
  }

  static void expect(int status, OpenApi.Exchange x) {
    assertEquals(status, x.status(), x.method() + " " + x.target() + ": " + new String(x.body(), StandardCharsets.UTF_8));
  }
}
