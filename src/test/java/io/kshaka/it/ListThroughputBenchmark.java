package io.kshaka.it;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.kshaka.client.KshakaClient;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.io.TempDir;

/**
 * A measurement, not a test (issue 11): list throughput in keys per second for one client. Three nodes in one JVM
 * (as the integration tests) hold {@code kshaka.bench.keys} keys (10,000 by default, 100-byte values) under
 * {@code lt/}; one HTTP client lists them all, page after page of {@code kshaka.bench.limit} (1,000), with
 * {@code values=false} and {@code values=true}, {@code kshaka.bench.runs} times each. Run with
 * {@code mvn -B test -Dtest=ListThroughputBenchmark -Dkshaka.bench=true -Dsurefire.failIfNoSpecifiedTests=false};
 * figures on lines starting with {@code BENCH}.
 */
@EnabledIfSystemProperty(named = "kshaka.bench", matches = "true")
class ListThroughputBenchmark {
  private static final int KEYS = Integer.getInteger("kshaka.bench.keys", 10_000);
  private static final int LIMIT = Integer.getInteger("kshaka.bench.limit", 1_000);
  private static final int RUNS = Integer.getInteger("kshaka.bench.runs", 3);

  @TempDir
  static Path dir;

  @Test
  void listThroughputOfOneClient() throws Exception {
    try (TestCluster cluster = TestCluster.start(dir, 3, new JsonObject().put("requestTimeoutMs", 10_000))) {
      GcTest.cluster = cluster; // GcTest.each runs bounded bulk operations on node 1
      KshakaClient client = KshakaClient.create(cluster.vertx(1));
      String value = "v".repeat(100);
      long t0 = System.nanoTime();
      GcTest.each(KEYS, i -> client.put(String.format("lt/%07d", i), value));
      System.out.printf(Locale.ROOT, "BENCH wrote %,d keys in %.1f s%n", KEYS, (System.nanoTime() - t0) / 1e9);
      HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
      for (boolean values : new boolean[] {false, true, false, true}) {
        for (int run = 0; run < RUNS; run++) {
          long start = System.nanoTime();
          int listed = 0;
          int pages = 0;
          String after = null;
          do {
            String url = cluster.url(1) + "/v1/kv?prefix=lt/&limit=" + LIMIT + "&values=" + values
                + (after == null ? "" : "&after=" + URLEncoder.encode(after, StandardCharsets.UTF_8));
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(url))
                .timeout(Duration.ofSeconds(60)).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(200, r.statusCode(), r.body());
            JsonObject page = new JsonObject(r.body());
            listed += page.getJsonArray("keys").size();
            pages++;
            after = page.getString("next");
          } while (after != null);
          double s = (System.nanoTime() - start) / 1e9;
          assertEquals(KEYS, listed);
          System.out.printf(Locale.ROOT, "BENCH list values=%s limit=%d: %,d keys in %d pages, %.2f s, %,.0f keys/s%n",
              values, LIMIT, listed, pages, s, listed / s);
        }
      }
    }
  }
}
