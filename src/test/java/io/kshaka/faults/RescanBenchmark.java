package io.kshaka.faults;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kshaka.bench.BenchCommand;
import io.vertx.core.json.JsonObject;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * A measurement, not a test (issue 9): the rescan rate of a membership change and the client throughput during it.
 * Three node processes hold {@code kshaka.bench.keys} keys (1,000,000 by default; written straight into their stores
 * before the start, as {@link MillionKeysBenchmark}); a fourth starts outside the configuration. A 64-client put
 * load ({@code bench}, 10,000 keys) runs for a 60-second warm-up and a 30-second baseline window, then {@code POST /v1/admin/membership} adds node 4
 * and the load runs in 10-second windows until the change is done. Run with
 * {@code mvn -B test -Dtest=RescanBenchmark -Dkshaka.bench=true -Dkshaka.bench.keys=1000000
 * -Dsurefire.failIfNoSpecifiedTests=false}; the figures are printed on lines starting with {@code BENCH}.
 */
@EnabledIfSystemProperty(named = "kshaka.bench", matches = "true")
class RescanBenchmark {
  private static final int KEYS = Integer.getInteger("kshaka.bench.keys", 1_000_000);
  private static final List<String> JVM = List.of("-Xms128m", "-Xmx1g", "-XX:+UseSerialGC");
  private static final Pattern DONE = Pattern.compile("done: ([0-9.,]+) ops/s");
  private static final Pattern ERRORS = Pattern.compile("errors (\\d+)");
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  @Test
  void rescanRateAndClientThroughputDuringARescan() throws Exception {
    Path dir = FaultRun.baseDir().resolve("rescan-bench");
    FaultRun.deleteRecursively(dir);
    try (NodeNetwork net = NodeNetwork.loopback(4, null);
        NodeCluster cluster = new NodeCluster(dir, 4, 3, net, null, JVM)) {
      long t0 = System.nanoTime();
      System.setProperty("kshaka.bench.keys", String.valueOf(KEYS));
      MillionKeysBenchmark.fill(cluster.dataDir(1));
      for (int i = 2; i <= 3; i++) MillionKeysBenchmark.copy(cluster.dataDir(1), cluster.dataDir(i));
      report(String.format(Locale.ROOT, "%d keys written to the stores of nodes 1-3 in %.1f s", KEYS,
          (System.nanoTime() - t0) / 1e9));
      cluster.startAll();
      cluster.awaitAllReady(Duration.ofMinutes(5));
      String endpoints = String.join(",", cluster.urls().subList(0, 3));

      // warm-up: JIT, the first snapshots after the bulk load, routing; the throughput climbs for about a minute
      Load warm = load(endpoints, 60);
      report(String.format(Locale.ROOT, "warm-up: %.0f ops/s", warm.opsPerSec));
      Load before = load(endpoints, 30);
      report(String.format(Locale.ROOT, "before the change: %.0f ops/s (64 clients, put, 10,000 keys), %d errors",
          before.opsPerSec, before.errors));

      String url = cluster.urls().get(0) + "/v1/admin/membership";
      HttpResponse<String> post = http.send(HttpRequest.newBuilder(URI.create(url))
          .header("Content-Type", "application/json")
          .POST(HttpRequest.BodyPublishers.ofString("{\"acceptors\":[1,2,3,4]}")).build(),
          HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
      assertEquals(202, post.statusCode(), post.body());
      long changeStart = System.nanoTime();
      Watcher watcher = new Watcher(url);
      watcher.start();
      List<Load> during = new ArrayList<>();
      while (!watcher.ended()) {
        long windowStart = System.nanoTime();
        Load l = load(endpoints, 10);
        if (watcher.rescanEnd == 0 && watcher.rescanStart != 0 && watcher.rescanStart < windowStart) during.add(l);
        if (System.nanoTime() - changeStart > TimeUnit.HOURS.toNanos(1)) break;
      }
      watcher.join(60_000);
      assertTrue(watcher.ended(), "change ended: " + watcher.last);
      assertEquals("done", watcher.last.getJsonObject("change").getString("state"), watcher.last.encode());
      long rescanned = watcher.last.getJsonObject("change").getLong("rescanned");
      double rescanSeconds = (watcher.rescanEnd - watcher.rescanStart) / 1e9;
      report(String.format(Locale.ROOT, "change 3 -> 4 done in %.1f s; rescan: %d keys in %.1f s = %.0f keys/s",
          (watcher.changeEnd - changeStart) / 1e9, rescanned, rescanSeconds, rescanned / rescanSeconds));
      double sum = 0;
      long errors = 0;
      for (Load l : during) {
        sum += l.opsPerSec;
        errors += l.errors;
      }
      report(String.format(Locale.ROOT, "during the rescan: %.0f ops/s (mean of %d 10-s windows wholly inside it), "
          + "%d errors; before: %.0f ops/s", during.isEmpty() ? 0 : sum / during.size(), during.size(), errors,
          before.opsPerSec));
      Load after = load(endpoints, 30);
      report(String.format(Locale.ROOT, "after the change (4 acceptors): %.0f ops/s, %d errors", after.opsPerSec,
          after.errors));
      for (int i = 1; i <= 4; i++) {
        for (String line : Files.readAllLines(cluster.node(i).log)) {
          if (line.contains("rescan under epoch") && line.contains("done")) report("node " + i + ": " + line);
        }
      }
    } finally {
      FaultRun.deleteRecursively(dir);
    }
  }

  record Load(double opsPerSec, long errors) {}

  private static Load load(String endpoints, int seconds) {
    StringWriter out = new StringWriter();
    int code = BenchCommand.run(new PrintWriter(out, true), new PrintWriter(out, true), "--endpoints", endpoints,
        "--clients", "64", "--keys", "10000", "--mix", "put=100", "--warmup", "1", "--duration",
        String.valueOf(seconds));
    assertEquals(0, code, out.toString());
    Matcher m = DONE.matcher(out.toString());
    double ops = 0;
    while (m.find()) ops = Double.parseDouble(m.group(1).replace(",", ""));
    long errors = 0;
    Matcher e = ERRORS.matcher(out.toString());
    while (e.find()) errors = Long.parseLong(e.group(1));
    return new Load(ops, errors);
  }

  /** Polls the admin status: when the rescan started (first key counted) and ended, and when the change ended. */
  private final class Watcher extends Thread {
    final String url;
    volatile long rescanStart;
    volatile long rescanEnd;
    volatile long changeEnd;
    volatile JsonObject last;

    Watcher(String url) {
      this.url = url;
      setDaemon(true);
    }

    boolean ended() {
      return changeEnd != 0;
    }

    @Override
    public void run() {
      while (changeEnd == 0) {
        try {
          HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(url)).GET()
              .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
          if (r.statusCode() == 200) {
            last = new JsonObject(r.body());
            JsonObject c = last.getJsonObject("change");
            if (c != null) {
              JsonObject rescan = c.getJsonObject("rescan");
              long now = System.nanoTime();
              if (rescanStart == 0 && rescan != null && !rescan.getBoolean("done") && c.getLong("rescanned") > 0) {
                rescanStart = now;
              }
              if (rescanStart != 0 && rescanEnd == 0 && (rescan == null || rescan.getBoolean("done"))) {
                rescanEnd = now;
              }
              if (!"running".equals(c.getString("state"))) {
                if (rescanEnd == 0) rescanEnd = now;
                changeEnd = now;
              }
            }
          }
          Thread.sleep(200);
        } catch (InterruptedException e) {
          return;
        } catch (Exception e) {
          // retry
        }
      }
    }
  }

  private static void report(String line) {
    System.out.println("BENCH " + line);
  }
}
