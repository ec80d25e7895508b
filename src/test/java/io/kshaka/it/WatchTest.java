package io.kshaka.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kshaka.client.KshakaClient;
import io.kshaka.client.KshakaClientOptions;
import io.kshaka.client.Versioned;
import io.kshaka.client.WatchStream;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Watches (blocking GETs and {@link KshakaClient#watch}) on a real 3-node cluster. */
class WatchTest {
  private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
      .connectTimeout(Duration.ofSeconds(10)).build();

  @TempDir
  static Path dir;
  static TestCluster cluster;

  @BeforeAll
  static void start() {
    cluster = TestCluster.start(dir, 3, new JsonObject().put("requestTimeoutMs", 5_000));
  }

  @AfterAll
  static void stop() {
    if (cluster != null) cluster.close();
  }

  @Test
  void aWatchAnswersWhenTheKeyChangesWithTheNewStateAndItsVersion() throws Exception {
    assertEquals(200, Http.put(cluster.url(1) + "/v1/kv/w-change", "one").status());
    long start = System.nanoTime();
    CompletableFuture<HttpResponse<String>> watch = get(2, "/v1/kv/w-change?watch=1&wait=60s");
    waitFor(() -> openWatches(2) >= 1, "the watch to open on node 2");
    assertEquals(200, Http.put(cluster.url(3) + "/v1/kv/w-change", "two").status());
    HttpResponse<String> r = watch.get(70, TimeUnit.SECONDS);
    long tookMs = (System.nanoTime() - start) / 1_000_000;
    assertEquals(200, r.statusCode(), r.body());
    assertEquals("two", r.body());
    assertEquals("2", r.headers().firstValue("X-Kshaka-Version").orElse(null));
    assertEquals("\"2\"", r.headers().firstValue("ETag").orElse(null));
    assertTrue(tookMs < 45_000, "answered after " + tookMs + " ms: by the change, not by the 60 s wait");
  }

  @Test
  void aWatchBehindTheAcknowledgedStateAnswersAtOnceWithIt() throws Exception {
    for (int i = 1; i <= 5; i++) assertEquals(200, Http.put(cluster.url(1) + "/v1/kv/w-behind", "v" + i).status());
    // acknowledged through node 1: a watch from version 2 on node 3 must not see anything older than v5
    HttpResponse<String> r = get(3, "/v1/kv/w-behind?watch=2&wait=60s").get(40, TimeUnit.SECONDS);
    assertEquals(200, r.statusCode());
    assertEquals("v5", r.body());
    assertEquals("5", r.headers().firstValue("X-Kshaka-Version").orElse(null));
  }

  @Test
  void aWatchThatWaitsOutAnswersTheCurrentState() throws Exception {
    assertEquals(200, Http.put(cluster.url(1) + "/v1/kv/w-quiet", "same").status());
    HttpResponse<String> r = get(2, "/v1/kv/w-quiet?watch=1&wait=300ms").get(40, TimeUnit.SECONDS);
    assertEquals(200, r.statusCode());
    assertEquals("same", r.body());
    assertEquals("1", r.headers().firstValue("X-Kshaka-Version").orElse(null));
    HttpResponse<String> absent = get(2, "/v1/kv/w-never?watch=0&wait=200ms").get(40, TimeUnit.SECONDS);
    assertEquals(404, absent.statusCode());
    assertEquals(0L, new JsonObject(absent.body()).getLong("version"));
    assertEquals("0", absent.headers().firstValue("X-Kshaka-Version").orElse(null));
  }

  @Test
  void aDeleteWakesAWatchWithTheAbsentState() throws Exception {
    assertEquals(200, Http.put(cluster.url(1) + "/v1/kv/w-delete", "x").status());
    CompletableFuture<HttpResponse<String>> watch = get(1, "/v1/kv/w-delete?watch=1&wait=60s");
    waitFor(() -> openWatches(1) >= 1, "the watch to open on node 1");
    assertEquals(200, Http.send("DELETE", cluster.url(2) + "/v1/kv/w-delete", null).status());
    HttpResponse<String> r = watch.get(70, TimeUnit.SECONDS);
    assertEquals(404, r.statusCode(), r.body());
    assertEquals(2L, new JsonObject(r.body()).getLong("version"));
  }

  @Test
  void badWatchParametersAreRefusedNamingTheParameter() throws Exception {
    String[][] cases = {
        {"watch=-1", "'watch'"}, {"watch=x", "'watch'"}, {"watch=1&wait=6m", "'wait'"}, {"watch=1&wait=10", "'wait'"},
        {"wait=1s", "'wait'"}};
    for (String[] c : cases) {
      HttpResponse<String> r = get(1, "/v1/kv/w-bad?" + c[0]).get(40, TimeUnit.SECONDS);
      assertEquals(400, r.statusCode(), c[0] + ": " + r.body());
      JsonObject body = new JsonObject(r.body());
      assertEquals("bad_request", body.getString("error"), c[0]);
      assertTrue(body.getString("message").contains(c[1]), c[0] + ": " + body.getString("message"));
    }
  }

  @Test
  void theClientStreamDeliversEachNewStateOnceInVersionOrderAcrossNodeFailures() throws Exception {
    KshakaClient client = KshakaClient.create(cluster.vertx(1),
        new KshakaClientOptions().setWatchWaitMs(2_000).setSendTimeoutMs(3_000));
    KshakaClient writer = KshakaClient.create(cluster.vertx(1));
    TestCluster.await(writer.put("w-stream", "0"));
    List<Versioned> seen = new CopyOnWriteArrayList<>();
    List<Throwable> errors = new CopyOnWriteArrayList<>();
    WatchStream stream = client.watch("w-stream", 0);
    stream.exceptionHandler(errors::add);
    cluster.vertx(1).runOnContext(v -> stream.handler(seen::add));
    try {
      waitFor(() -> !seen.isEmpty(), "the current state");
      for (int i = 1; i <= 5; i++) TestCluster.await(writer.put("w-stream", "a" + i));
      waitFor(() -> lastValue(seen).equals("a5"), "a5 (seen " + seen + ")");
      cluster.stopNode(3); // watches carried by node 3 are lost with it; the stream goes on elsewhere
      for (int i = 1; i <= 3; i++) TestCluster.await(writer.put("w-stream", "b" + i));
      waitFor(() -> lastValue(seen).equals("b3"), "b3 after node 3 stopped (seen " + seen + ")");
      cluster.startNode(3);
      cluster.stopNode(2);
      TestCluster.await(writer.put("w-stream", "c1"));
      waitFor(() -> lastValue(seen).equals("c1"), "c1 after node 2 stopped (seen " + seen + ")");
    } finally {
      stream.close();
      if (!cluster.running(2)) cluster.startNode(2);
      if (!cluster.running(3)) cluster.startNode(3);
    }
    assertTrue(errors.isEmpty(), "errors: " + errors);
    List<Long> versions = new ArrayList<>();
    for (Versioned v : seen) versions.add(v.version());
    for (int i = 1; i < versions.size(); i++) {
      assertTrue(versions.get(i) > versions.get(i - 1), "versions not strictly increasing: " + versions);
    }
    assertEquals(10L, versions.get(versions.size() - 1), "versions " + versions);
  }

  private static String lastValue(List<Versioned> seen) {
    return seen.isEmpty() ? "" : String.valueOf(seen.get(seen.size() - 1).asString());
  }

  private CompletableFuture<HttpResponse<String>> get(int node, String pathAndQuery) {
    HttpRequest request = HttpRequest.newBuilder(URI.create(cluster.url(node) + pathAndQuery))
        .timeout(Duration.ofSeconds(120)).GET().build();
    return HTTP.sendAsync(request, HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
  }

  private double openWatches(int node) {
    String metrics = Http.get(cluster.url(node) + "/metrics").body();
    for (String line : metrics.split("\n")) {
      if (line.startsWith("kshaka_watches_open")) return Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
    }
    return 0;
  }

  private static void waitFor(BooleanSupplier condition, String what) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) throw new AssertionError("timed out waiting for " + what);
      Thread.sleep(20);
    }
  }
}
