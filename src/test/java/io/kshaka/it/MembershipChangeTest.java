package io.kshaka.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kshaka.cluster.Addresses;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The online membership procedure on a real cluster: grow 3 → 4 with data written before (the new acceptor holds
 * every key after the rescan), then shrink back to 3, while clients write throughout and no request fails.
 */
class MembershipChangeTest {
  @TempDir
  Path dir;

  static void waitFor(String what, long timeoutMs, BooleanSupplier condition) {
    long deadline = System.nanoTime() + timeoutMs * 1_000_000;
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) throw new AssertionError("not within " + timeoutMs + " ms: " + what);
      try {
        Thread.sleep(50);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError(e);
      }
    }
  }

  static JsonObject status(TestCluster cluster, int node) {
    Http.Response r = Http.get(cluster.url(node) + "/v1/admin/membership");
    return r.status() == 200 ? r.json() : null;
  }

  static Set<Integer> nodes(JsonObject phase) {
    Set<Integer> s = new TreeSet<>();
    JsonArray a = phase.getJsonArray("nodes");
    for (int i = 0; i < a.size(); i++) s.add(a.getInteger(i));
    return s;
  }

  /** Waits until the change ends; asserts it is done and the configuration is {@code want} in both phases. */
  static JsonObject awaitDone(TestCluster cluster, int node, Set<Integer> want) {
    JsonObject[] last = new JsonObject[1];
    waitFor("change toward " + want + " done", 120_000, () -> {
      last[0] = status(cluster, node);
      JsonObject change = last[0] == null ? null : last[0].getJsonObject("change");
      return change != null && !"running".equals(change.getString("state"));
    });
    JsonObject s = last[0];
    assertEquals("done", s.getJsonObject("change").getString("state"), s.encodePrettily());
    assertEquals(want, nodes(s.getJsonObject("config").getJsonObject("prepare")));
    assertEquals(want, nodes(s.getJsonObject("config").getJsonObject("accept")));
    return s;
  }

  /** Every key acceptor {@code node} holds, through its admin address. */
  static Set<String> keysOf(TestCluster cluster, int node) {
    Set<String> all = new TreeSet<>();
    String after = null;
    while (true) {
      JsonObject page = TestCluster.await(cluster.vertx(1).eventBus().<JsonObject>request(
          Addresses.DEFAULT.acceptorAdmin(node), new JsonObject().put("op", "keys").put("after", after).put("limit", 1000)))
          .body();
      JsonArray keys = page.getJsonArray("keys");
      for (int i = 0; i < keys.size(); i++) all.add(keys.getString(i));
      after = page.getString("next");
      if (after == null) return all;
    }
  }

  @Test
  void replaceBringsALostDiskBackAsANewIncarnationThroughTheAdminApi() throws Exception {
    try (TestCluster cluster = TestCluster.start(dir, 3, new JsonObject().put("requestTimeoutMs", 5_000))) {
      waitFor("nodes vote", 60_000, () -> {
        for (int n = 1; n <= 3; n++) if (!cluster.verticle(n).membership().voting()) return false;
        return true;
      });
      for (int i = 0; i < 300; i++) assertEquals(200, Http.put(cluster.url(1) + "/v1/kv/r-" + i, "v" + i).status());
      cluster.stopNode(2);
      try (java.util.stream.Stream<Path> paths = java.nio.file.Files.walk(dir.resolve("node-2"))) {
        for (Path p : paths.sorted(java.util.Comparator.reverseOrder()).toList()) java.nio.file.Files.delete(p);
      }
      cluster.startNode(2);
      waitFor("node 2 does not vote", 30_000, () -> Http.get(cluster.url(2) + "/ready").status() == 503);
      // asked of the amnesiac node itself: it forwards to a node that votes
      Http.Response replace = Http.send("POST", cluster.url(2) + "/v1/admin/membership",
          new JsonObject().put("replace", 2).encode());
      assertEquals(202, replace.status(), replace.body());
      JsonObject done = awaitDone(cluster, 1, Set.of(1, 2, 3));
      assertEquals(2L, done.getJsonObject("config").getJsonObject("incarnations").getLong("2"), done.encode());
      waitFor("node 2 votes again", 30_000, () -> cluster.verticle(2).membership().voting());
      cluster.stopNode(3); // node 2 is now needed for every quorum
      for (int i = 0; i < 300; i += 5) {
        Http.Response get = Http.get(cluster.url(2) + "/v1/kv/r-" + i);
        assertEquals(200, get.status(), get.body());
        assertEquals("v" + i, get.body());
      }
    }
  }

  @Test
  void growThreeToFourThenShrinkBackWhileClientsWriteAndNoRequestFails() throws Exception {
    long seed = System.nanoTime();
    System.out.println("MembershipChangeTest seed " + seed);
    try (TestCluster cluster = TestCluster.start(dir, 4, 3, new JsonObject().put("requestTimeoutMs", 5_000))) {
      waitFor("nodes 1-3 vote", 60_000, () -> {
        for (int n = 1; n <= 3; n++) if (!cluster.verticle(n).membership().voting()) return false;
        return true;
      });
      // data written before the change
      int before = 1_500;
      for (int batch = 0; batch < before; batch += 100) {
        List<CompletableFuture<Http.Response>> puts = new ArrayList<>();
        for (int i = batch; i < batch + 100; i++) {
          puts.add(Http.sendAsync("PUT", cluster.url(1 + i % 3) + "/v1/kv/before-" + i, "v" + i));
        }
        for (CompletableFuture<Http.Response> f : puts) assertEquals(200, f.get(30, TimeUnit.SECONDS).status());
      }
      // clients writing throughout
      AtomicBoolean stop = new AtomicBoolean();
      AtomicLong ok = new AtomicLong();
      ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();
      List<Thread> writers = new ArrayList<>();
      for (int w = 0; w < 4; w++) {
        int id = w;
        Thread t = new Thread(() -> {
          SplittableRandom r = new SplittableRandom(seed + id);
          for (int i = 0; i < 200_000 && !stop.get(); i++) {
            int node = 1 + r.nextInt(3);
            Http.Response resp = Http.put(cluster.url(node) + "/v1/kv/live-" + r.nextInt(300), "w" + id + "-" + i);
            if (resp.status() == 200) ok.incrementAndGet();
            else failures.add("PUT via node " + node + " -> " + resp.status() + " " + resp.body());
          }
        }, "writer-" + w);
        t.start();
        writers.add(t);
      }
      try {
        waitFor("writes flow", 30_000, () -> ok.get() > 50);

        Http.Response grow = Http.send("POST", cluster.url(2) + "/v1/admin/membership",
            new JsonObject().put("acceptors", new JsonArray(List.of(1, 2, 3, 4))).encode(),
            "Content-Type", "application/json");
        assertEquals(202, grow.status(), grow.body());
        Http.Response busy = Http.send("POST", cluster.url(3) + "/v1/admin/membership",
            new JsonObject().put("acceptors", new JsonArray(List.of(1, 2, 3, 5))).encode());
        assertTrue(busy.status() == 409 || busy.status() == 400, busy.status() + " " + busy.body());
        JsonObject grown = awaitDone(cluster, 1, Set.of(1, 2, 3, 4));
        System.out.println("grown: " + grown.encode());
        Set<String> onFour = keysOf(cluster, 4);
        for (int i = 0; i < before; i++) assertTrue(onFour.contains("before-" + i), "node 4 holds before-" + i);
        assertTrue(grown.getJsonObject("change").getLong("rescanned") >= before);

        // shrink back, asked of the node that leaves: it hands the change to one that stays
        Http.Response shrink = Http.send("POST", cluster.url(4) + "/v1/admin/membership",
            new JsonObject().put("remove", 4).encode());
        assertEquals(202, shrink.status(), shrink.body());
        JsonObject shrunk = awaitDone(cluster, 1, Set.of(1, 2, 3));
        System.out.println("shrunk: " + shrunk.encode());
        long okBefore = ok.get();
        waitFor("writes flow after the change", 30_000, () -> ok.get() > okBefore + 50);
      } finally {
        stop.set(true);
        for (Thread t : writers) t.join(30_000);
      }
      System.out.println("writes acknowledged during the test: " + ok.get());
      assertEquals(List.of(), List.copyOf(failures), "no request failed");
      for (int i = 0; i < before; i += 7) {
        Http.Response get = Http.get(cluster.url(1 + i % 3) + "/v1/kv/before-" + i);
        assertEquals(200, get.status());
        assertEquals("v" + i, get.body());
      }
    }
  }
}
