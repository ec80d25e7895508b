package io.kshaka.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kshaka.client.KshakaClient;
import io.kshaka.client.KshakaClientOptions;
import io.kshaka.client.Versioned;
import io.kshaka.cluster.KvRouter;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * No request waits for a dead home (issue 8): node 3 stops answering (an inbound interceptor on its event bus drops
 * every message, as a frozen process would; Hazelcast still lists it, so only Kshaka's own detector can tell), and
 * requests for its keys complete through the other nodes well before requestTimeoutMs.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class DeadHomeTest {
  static final long REQUEST_TIMEOUT_MS = 5_000;

  @TempDir
  static Path dir;

  static TestCluster cluster;
  static final AtomicBoolean frozen = new AtomicBoolean();

  @BeforeAll
  static void start() {
    cluster = TestCluster.start(dir, 3, new JsonObject().put("requestTimeoutMs", REQUEST_TIMEOUT_MS));
    cluster.vertx(3).eventBus().addInboundInterceptor(ctx -> {
      if (!frozen.get()) ctx.next();
    });
  }

  @AfterAll
  static void stop() {
    if (cluster != null) cluster.close();
  }

  @BeforeEach
  void node3Answers() {
    frozen.set(false);
    // answering, and for long enough (failureDetector.rejoinAfterMs) that its keys are routed to it again
    waitFor("nodes 1 and 2 to route node 3's keys to it", 10_000, () -> routes(1, 3) && routes(2, 3));
  }

  static boolean routes(int node, int peer) {
    return cluster.verticle(node).failureDetector().settled(peer);
  }

  @AfterEach
  void thaw() {
    frozen.set(false);
  }

  static boolean suspects(int node, int peer) {
    return cluster.verticle(node).failureDetector().suspect(peer);
  }

  static List<String> keysHomedOn(int node, String prefix, int n) {
    List<String> keys = new ArrayList<>();
    for (int i = 0; keys.size() < n; i++) {
      if (KvRouter.home(prefix + i, List.of(1, 2, 3)) == node) keys.add(prefix + i);
    }
    return keys;
  }

  static long waitFor(String what, long deadlineMs, BooleanSupplier condition) {
    long start = System.nanoTime();
    while (!condition.getAsBoolean()) {
      long elapsed = (System.nanoTime() - start) / 1_000_000;
      if (elapsed > deadlineMs) throw new AssertionError("waited " + elapsed + " ms for " + what);
      Thread.onSpinWait();
      try {
        Thread.sleep(5); // polling a condition, not waiting a fixed time
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError(e);
      }
    }
    return (System.nanoTime() - start) / 1_000_000;
  }

  static String kv(int node, String key) {
    return cluster.url(node) + "/v1/kv/" + key;
  }

  @Test
  @Order(1)
  void homeThatStopsAnsweringIsSuspectedWithinASecondAndItsKeysAreServedElsewhere() {
    List<String> keys = keysHomedOn(3, "failover-", 6);
    for (String key : keys) assertEquals(200, Http.put(kv(1, key), "v1").status());

    frozen.set(true);
    long start = System.nanoTime();
    // in flight to node 3 when it stops: taken over by node 1 once node 3 is suspect
    CompletableFuture<Http.Response> inFlight = Http.sendAsync("PUT", kv(1, keys.get(0)), "v2");
    long suspectedMs = waitFor("node 1 to suspect node 3", 5_000, () -> suspects(1, 3));
    Http.Response r = inFlight.join();
    long answeredMs = (System.nanoTime() - start) / 1_000_000;
    System.out.printf("node 3 suspected after %d ms; the request in flight answered after %d ms%n", suspectedMs,
        answeredMs);
    assertEquals(200, r.status(), r.body());
    assertEquals(2, r.json().getLong("version"));
    assertTrue(suspectedMs < 1_500, "suspected after " + suspectedMs + " ms");
    assertTrue(answeredMs < REQUEST_TIMEOUT_MS / 2, "answered after " + answeredMs + " ms");
    assertTrue(cluster.verticle(1).router().takeovers() >= 1);

    // new requests for node 3's keys go straight to a live proposer
    waitFor("node 2 to suspect node 3", 5_000, () -> suspects(2, 3));
    long slowest = 0;
    for (int i = 1; i < keys.size(); i++) {
      long t0 = System.nanoTime();
      Http.Response put = Http.put(kv(1 + i % 2, keys.get(i)), "v2");
      slowest = Math.max(slowest, (System.nanoTime() - t0) / 1_000_000);
      assertEquals(200, put.status(), put.body());
      assertEquals(2, put.json().getLong("version"));
    }
    System.out.printf("slowest request while node 3 is suspect: %d ms%n", slowest);
    assertTrue(slowest < 1_500, "slowest " + slowest + " ms");

    // when it answers again its keys go back to it (a key it never served: the return of a home with a cache
    // from before its absence is ExactlyOnceTest#returningHomeServesAKeyChangedWhileItWasAwayWithoutDoubt)
    frozen.set(false);
    long backMs = waitFor("node 1 to route to node 3 again", 10_000, () -> routes(1, 3));
    System.out.printf("node 3's keys routed to it again %d ms after it answers again%n", backMs);
    long takeovers = cluster.verticle(1).router().takeovers();
    String fresh = keysHomedOn(3, "after-", 1).get(0);
    Http.Response back = Http.put(kv(1, fresh), "v1");
    assertEquals(200, back.status(), back.body());
    assertEquals(1, back.json().getLong("version"));
    assertEquals(takeovers, cluster.verticle(1).router().takeovers(), "served by its home again");
  }

  @Test
  @Order(2)
  void kshakaClientRetriesAChangeThatLandedOnAFrozenNode() {
    KshakaClient client = KshakaClient.create(cluster.vertx(1),
        new KshakaClientOptions().setSendTimeoutMs(1_000).setDeadlineMs(15_000));
    frozen.set(true);
    long slowest = 0;
    for (int i = 0; i < 12; i++) { // the bus sends a third of them to node 3's kshaka.kv, which drops them
      long t0 = System.nanoTime();
      Versioned v = TestCluster.await(client.put("client-retry-" + i, "x"));
      slowest = Math.max(slowest, (System.nanoTime() - t0) / 1_000_000);
      assertEquals(1, v.version(), "key " + i);
    }
    System.out.printf("KshakaClient with node 3 frozen: slowest change %d ms%n", slowest);
    assertTrue(slowest >= 1_000, "some change went to node 3 and was retried (slowest " + slowest + " ms)");
    assertTrue(slowest < 5_000, "slowest " + slowest + " ms");
  }

  @Test
  @Order(3)
  void aHomeThatLeftTheClusterIsSuspectedAtOnce() {
    // last: stops node 3 for good
    String key = keysHomedOn(3, "left-", 1).get(0);
    assertEquals(200, Http.put(kv(1, key), "v1").status());
    long start = System.nanoTime();
    cluster.stopNode(3);
    long stoppedMs = (System.nanoTime() - start) / 1_000_000;
    long suspectedMs = waitFor("node 1 to suspect node 3", 5_000, () -> suspects(1, 3));
    System.out.printf("node 3 stopped in %d ms, suspected %d ms later%n", stoppedMs, suspectedMs);
    Http.Response r = Http.put(kv(1, key), "v2");
    assertEquals(200, r.status(), r.body());
    assertEquals(2, r.json().getLong("version"));
  }
}
