package io.kshaka.faults;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kshaka.bench.Commands;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.HdrHistogram.Histogram;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * A measurement, not a test (issue 11): how soon a watch answers after a change is acknowledged, and what 10,000
 * open watches cost one node. Three node processes; a watcher long-polls one key on node 2 while a writer puts it
 * through node 3, one change at a time ({@code kshaka.bench.changes}, 2,000); the wake-up latency of a change is the
 * watcher's answer time minus the writer's acknowledgement time (0 when the watcher answered first). Then 10,000
 * watches on distinct keys are opened on node 1 over HTTP and its heap (after a full GC, from {@code /metrics}) is
 * compared with the heap before. Run with {@code mvn -B test -Dtest=WatchBenchmark -Dkshaka.bench=true
 * -Dsurefire.failIfNoSpecifiedTests=false}; the figures are printed on lines starting with {@code BENCH}.
 */
@EnabledIfSystemProperty(named = "kshaka.bench", matches = "true")
class WatchBenchmark {
  private static final int CHANGES = Integer.getInteger("kshaka.bench.changes", 2_000);
  private static final int WATCHES = Integer.getInteger("kshaka.bench.watches", 10_000);
  private final java.net.http.HttpClient http = java.net.http.HttpClient.newBuilder()
      .version(java.net.http.HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5)).build();

  @Test
  void wakeUpLatencyAndTheMemoryOfOpenWatches() throws Exception {
    Path dir = FaultRun.baseDir().resolve("watch-bench");
    FaultRun.deleteRecursively(dir);
    try (NodeNetwork net = NodeNetwork.loopback(3, null);
        NodeCluster cluster = new NodeCluster(dir, 3, net, null,
            List.of("-Xms64m", "-Xmx512m", "-XX:+UseSerialGC"))) {
      cluster.startAll();
      cluster.awaitAllReady(Duration.ofMinutes(3));
      List<String> urls = cluster.urls();
      latency(urls);
      memory(cluster, urls.get(0));
    } finally {
      FaultRun.deleteRecursively(dir);
    }
  }

  private void latency(List<String> urls) throws Exception {
    String key = "/v1/kv/watched";
    assertEquals(200, send("PUT", urls.get(2) + key, "0").statusCode());
    Histogram wake = new Histogram(TimeUnit.SECONDS.toNanos(60), 3);
    for (int i = 1; i <= CHANGES + 200; i++) {
      CompletableFuture<HttpResponse<String>> watch = http.sendAsync(get(urls.get(1) + key + "?watch=" + i
          + "&wait=60s"), HttpResponse.BodyHandlers.ofString());
      CompletableFuture<Long> answered = watch.thenApply(r -> System.nanoTime());
      HttpResponse<String> put = send("PUT", urls.get(2) + key, Integer.toString(i));
      long acked = System.nanoTime();
      assertEquals(200, put.statusCode(), put.body());
      HttpResponse<String> w = watch.get(70, TimeUnit.SECONDS);
      assertEquals(Integer.toString(i + 1), w.headers().firstValue("X-Kshaka-Version").orElse("?"), w.body());
      if (i > 200) wake.recordValue(Math.max(0, answered.get() - acked)); // the first 200: warm-up
    }
    report(String.format(Locale.ROOT, "wake-up latency over %d changes (acknowledged through node 3, watched on "
        + "node 2): p50 %.2f ms, p90 %.2f ms, p99 %.2f ms, max %.2f ms", wake.getTotalCount(),
        wake.getValueAtPercentile(50) / 1e6, wake.getValueAtPercentile(90) / 1e6,
        wake.getValueAtPercentile(99) / 1e6, wake.getMaxValue() / 1e6));
  }

  private void memory(NodeCluster cluster, String url) throws Exception {
    long pid = cluster.node(1).pid();
    long before = heapAfterGc(pid, url);
    Vertx vertx = Vertx.vertx();
    try {
      HttpClient client = vertx.createHttpClient(new HttpClientOptions().setKeepAlive(true),
          new PoolOptions().setHttp1MaxSize(WATCHES));
      URI base = URI.create(url);
      List<Future<Integer>> statuses = new ArrayList<>();
      for (int i = 0; i < WATCHES; i++) {
        String path = "/v1/kv/idle-" + i + "?watch=0&wait=5m";
        statuses.add(client.request(HttpMethod.GET, base.getPort(), base.getHost(), path)
            .compose(r -> r.send().map(resp -> resp.statusCode())));
      }
      long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(3);
      while (openWatches(url) < WATCHES) {
        assertTrue(System.nanoTime() < deadline, "only " + openWatches(url) + " watches opened");
        Thread.sleep(200);
      }
      long during = heapAfterGc(pid, url);
      report(String.format(Locale.ROOT, "%d open watches on one node: heap after a full GC %.1f MiB -> %.1f MiB, "
          + "%.0f bytes per watch (its HTTP connection included)", WATCHES, before / 1048576.0,
          during / 1048576.0, (during - before) / (double) WATCHES));
      client.close();
    } finally {
      vertx.close().await(30, TimeUnit.SECONDS);
    }
  }

  private long heapAfterGc(long pid, String url) throws Exception {
    Commands.check(List.of("jcmd", Long.toString(pid), "GC.run"));
    double heap = 0;
    for (String line : send("GET", url + "/metrics", null).body().split("\n")) {
      if (line.startsWith("jvm_memory_used_bytes{") && line.contains("area=\"heap\"")) {
        heap += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
      }
    }
    return (long) heap;
  }

  private int openWatches(String url) throws Exception {
    for (String line : send("GET", url + "/metrics", null).body().split("\n")) {
      if (line.startsWith("kshaka_watches_open")) return (int) Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
    }
    return 0;
  }

  private HttpRequest get(String url) {
    return HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(120)).GET().build();
  }

  private HttpResponse<String> send(String method, String url, String body) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(30))
        .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
            : HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8));
    return http.send(b.build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
  }

  private static void report(String line) {
    System.out.println("BENCH " + line);
  }
}
