package io.kshaka.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kshaka.client.KshakaClient;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntFunction;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Garbage collection on three real nodes: deleted keys leave every acceptor (each acceptor's key count returns to
 * what it was before they were written), then read 404 with version 0 and can be written again from version 1.
 * {@code -Dkshaka.gc.keys=100000} runs the figure (default 2,000 in CI) and prints the time from the last
 * delete until the counts are back, and the collection rate.
 */
class GcTest {
  private static final int KEYS = Integer.getInteger("kshaka.gc.keys", 2_000);
  private static final int IN_FLIGHT = 64;
  private static final long INTERVAL_MS = Long.getLong("kshaka.gc.intervalMs", 500);
  private static final long AGE_MS = Long.getLong("kshaka.gc.ageMs", 1_000);

  @TempDir
  static Path dir;

  static TestCluster cluster;
  static KshakaClient client;

  @BeforeAll
  static void start() {
    cluster = TestCluster.start(dir, 3, new JsonObject().put("requestTimeoutMs", 10_000),
        new JsonObject().put("gc", new JsonObject().put("intervalMs", INTERVAL_MS).put("tombstoneAgeMs", AGE_MS)
            .put("batchMax", 5_000).put("concurrency", 64)));
    client = KshakaClient.create(cluster.vertx(1));
  }

  @AfterAll
  static void stop() {
    if (cluster != null) cluster.close();
  }

  /** Each acceptor's {@code {"keys":n,"tombstones":m}} as node 1's {@code /v1/cluster} reports them. */
  static Map<Integer, JsonObject> stores() {
    Http.Response r = Http.get(cluster.url(1) + "/v1/cluster");
    assertEquals(200, r.status(), r.body());
    JsonObject stores = r.json().getJsonObject("stores");
    Map<Integer, JsonObject> out = new TreeMap<>();
    for (int node = 1; node <= 3; node++) out.put(node, stores.getJsonObject(String.valueOf(node)));
    return out;
  }

  static Map<Integer, Integer> keyCounts() {
    Map<Integer, Integer> out = new TreeMap<>();
    stores().forEach((node, s) -> out.put(node, s.getInteger("keys", -1)));
    return out;
  }

  /** Runs {@code op(i)} for i in 0..n-1 with at most {@link #IN_FLIGHT} in flight; every one must succeed. */
  static void each(int n, IntFunction<Future<?>> op) {
    Promise<Void> done = Promise.promise();
    AtomicInteger next = new AtomicInteger();
    AtomicInteger finished = new AtomicInteger();
    Runnable[] pump = new Runnable[1];
    pump[0] = () -> {
      int i = next.getAndIncrement();
      if (i >= n) return;
      op.apply(i).onComplete(ar -> {
        if (ar.failed()) {
          done.tryFail(new AssertionError("operation " + i + " failed", ar.cause()));
          return;
        }
        if (finished.incrementAndGet() == n) done.tryComplete();
        else pump[0].run();
      });
    };
    if (n == 0) return;
    cluster.vertx(1).runOnContext(v -> {
      for (int k = 0; k < Math.min(IN_FLIGHT, n); k++) pump[0].run();
    });
    try {
      done.future().toCompletionStage().toCompletableFuture().get(60 + n / 50, java.util.concurrent.TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new AssertionError("bulk operations did not finish", e);
    }
  }

  static String key(int i) {
    return "gc/" + i;
  }

  /** True when no acceptor of nodes 1..3 holds {@code key} (peeked on its admin address: nothing accepted). */
  static boolean heldByNoAcceptor(String key) {
    for (int node = 1; node <= 3; node++) {
      try {
        JsonObject reply = cluster.vertx(1).eventBus().<JsonObject>request(
                io.kshaka.cluster.Addresses.DEFAULT.acceptorAdmin(node), io.kshaka.cluster.Wire.adminPeek(java.util.List.of(key),
                    false)).toCompletionStage().toCompletableFuture().get(10, java.util.concurrent.TimeUnit.SECONDS)
            .body();
        io.kshaka.cluster.Wire.AdminState st = io.kshaka.cluster.Wire.adminStates(reply).get(0);
        if (!st.accepted().equals(io.kshaka.core.Ballot.ZERO)) return false;
      } catch (Exception e) {
        return false;
      }
    }
    return true;
  }

  /** Each acceptor's tombstones, or -1 where it did not answer. */
  static Map<Integer, Integer> tombstones() {
    Map<Integer, Integer> out = new TreeMap<>();
    stores().forEach((node, s) -> out.put(node, s.getInteger("tombstones", -1)));
    return out;
  }

  @Test
  void aDownAcceptorPostponesCollectionUntilItIsBack() throws Exception {
    TestCluster.waitUntil("no tombstone left from earlier tests", 60_000 + 2 * AGE_MS,
        () -> tombstones().values().stream().allMatch(t -> t == 0));
    cluster.stopNode(3);
    try {
      each(20, i -> client.put("down/" + i, "v"));
      each(20, i -> client.delete("down/" + i));
      // several intervals past the age: nothing may be removed while acceptor 3 is down
      Thread.sleep(AGE_MS + 4 * INTERVAL_MS);
      Map<Integer, Integer> held = tombstones();
      assertEquals(20, held.get(1), "acceptor 1 keeps its tombstones while 3 is down: " + held);
      assertEquals(20, held.get(2), "acceptor 2 keeps its tombstones while 3 is down: " + held);
    } finally {
      cluster.startNode(3);
    }
    TestCluster.waitUntil("the tombstones leave every acceptor once 3 is back", 120_000,
        () -> tombstones().values().stream().allMatch(t -> t == 0));
    Http.Response r = Http.get(cluster.url(3) + "/v1/kv/down/7");
    assertEquals(404, r.status(), r.body());
    assertEquals(0, r.json().getLong("version"), r.body());
  }

  @Test
  void aLeaderThatWasDownForTheWritesGetsTheirTombstonesFromAPeer() throws Exception {
    TestCluster.waitUntil("no tombstone left from earlier tests", 60_000 + 2 * AGE_MS,
        () -> tombstones().values().stream().allMatch(t -> t == 0));
    cluster.stopNode(1); // the leader: its acceptor never hears of these keys
    try {
      for (int i = 0; i < 10; i++) {
        assertEquals(200, Http.put(cluster.url(2) + "/v1/kv/missed/" + i, "v").status());
        assertEquals(200, Http.send("DELETE", cluster.url(3) + "/v1/kv/missed/" + i, null).status());
      }
    } finally {
      cluster.startNode(1);
      client = KshakaClient.create(cluster.vertx(1));
    }
    // node 2 touches the tombstones acceptor 1 missed; then node 1 sees them, ages them and collects them
    TestCluster.waitUntil("the tombstones leave every acceptor", 120_000 + 4 * AGE_MS,
        () -> tombstones().values().stream().allMatch(t -> t == 0));
    Http.Response r = Http.get(cluster.url(1) + "/v1/kv/missed/3");
    assertEquals(404, r.status(), r.body());
    assertEquals(0, r.json().getLong("version"), r.body());
  }

  @Test
  void deletedKeysLeaveEveryAcceptorThenReadAbsentAtVersionZeroAndCanBeWrittenAgain() throws Exception {
    // The first batch creates the configuration register (a reserved key, never collected): do one first.
    assertEquals(1, TestCluster.await(client.put("warm-up", "x")).version());
    TestCluster.await(client.delete("warm-up"));
    // Not only forgotten (no tombstone left, it turns into (absent, 0) first) but removed from every acceptor.
    TestCluster.waitUntil("the warm-up key is collected", 60_000 + 2 * AGE_MS, () -> heldByNoAcceptor("warm-up"));
    Map<Integer, Integer> before = keyCounts();

    long t0 = System.nanoTime();
    each(KEYS, i -> client.put(key(i), "value-" + i));
    long written = System.nanoTime();
    Map<Integer, Integer> full = keyCounts();
    for (int node = 1; node <= 3; node++) {
      assertTrue(full.get(node) >= before.get(node) + KEYS * 9 / 10, "keys held after the puts: " + full);
    }
    each(KEYS, i -> client.delete(key(i)));
    long lastDelete = System.nanoTime();
    TestCluster.waitUntil("every acceptor's key count back to " + before, 120_000 + KEYS * 10L,
        () -> keyCounts().equals(before));
    long back = System.nanoTime();
    double gcSeconds = (back - lastDelete) / 1e9;
    System.out.printf("GC of %,d keys on 3 nodes (interval %d ms, age %d ms): puts %.1f s, deletes %.1f s, "
            + "last delete -> counts back %.1f s (%,.0f keys/s per acceptor, including the %d ms age)%n", KEYS,
        INTERVAL_MS, AGE_MS, (written - t0) / 1e9, (lastDelete - written) / 1e9, gcSeconds, KEYS / gcSeconds,
        AGE_MS);
    System.out.println("node 1 /v1/cluster gc: " + Http.get(cluster.url(1) + "/v1/cluster").json().getValue("gc"));

    for (int i = 0; i < Math.min(KEYS, 50); i++) {
      int node = 1 + i % 3;
      Http.Response r = Http.get(cluster.url(node) + "/v1/kv/" + key(i * (KEYS / Math.min(KEYS, 50))));
      assertEquals(404, r.status(), r.body());
      assertEquals(0, r.json().getLong("version"), r.body());
    }
    Http.Response again = Http.put(cluster.url(2) + "/v1/kv/" + key(0), "again");
    assertEquals(200, again.status(), again.body());
    assertEquals(1, again.json().getLong("version"));
    assertEquals("again", Http.get(cluster.url(3) + "/v1/kv/" + key(0)).body());

    String metrics = Http.get(cluster.url(1) + "/metrics").body();
    assertTrue(metrics.contains("kshaka_gc_collected"), "metrics name the collected keys");
    assertTrue(metrics.contains("kshaka_gc_backlog"), "metrics name the backlog");
    assertTrue(metrics.contains("kshaka_store_tombstones"), "metrics name the tombstones");
  }
}
