package io.kshaka.faults;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kshaka.check.Input;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;

/**
 * Regression test for fault-test seed 2007: a node that the cluster removed (SIGSTOP longer than the failure
 * detection) and Hazelcast then merged back kept event-bus handler lists from before the split, and every other
 * request through it timed out for minutes. The node used to restart its whole Vert.x on the merge, which lost the
 * requests in flight in it. Now it repairs its routing in place (RegistrationJanitor). Under a load through every
 * node across the merge:
 * <ul>
 *   <li>node 3 is the same process and never restarted;</li>
 *   <li>no request in flight at the merge, or sent after it began, fails the way a restart fails them: a refused
 *       or broken connection, or no answer before the client's own timeout;</li>
 *   <li>afterwards every request through every node succeeds.</li>
 * </ul>
 * Answered errors (503/504) from the merge on are printed, not judged, unless {@code -Dkshaka.merge.strict=true}:
 * they come from before the merge, not from its handling. While it was split, node 3 forwarded requests to a node
 * incarnation that had died meanwhile; they wait for their deadline (up to 6 s, past the repair), and each makes
 * node 3 suspect that home and serve its keys itself for a while, so two proposers serve those keys and meet
 * conflicts reported as unknown: issue 8, points 1, 2 and 4, whose fixes should make the strict form pass (seen
 * here: 0 to 25 such errors a run, up to 2 s after the repair). The load uses keys whose home is not node 3, so
 * that the stale 1-RTT cache of a returning home (point 2) stays out of this test.
 */
class MergeRestartTest {
  private static final String MERGING = "Hazelcast is merging this node back into the cluster";
  private static final String MERGED = "merged back into the cluster after a split brain";
  private static final String REPAIRED = "event-bus routing repaired after the merge";
  private static final String LEFT = "has left cluster";
  private static final String LEFT_TOO = "has left the cluster";
  private static final Duration LOAD_LIMIT = Duration.ofSeconds(240);
  private static final boolean STRICT = Boolean.getBoolean("kshaka.merge.strict");

  /** One request of the background load. */
  private record Call(int node, String key, long startNanos, long endNanos, KvHttp.Result result) {}

  @Test
  void aNodeMergedBackAfterASplitRepairsInPlaceAndLosesNoRequest() throws Exception {
    java.nio.file.Path dir = FaultRun.baseDir().resolve("merge-restart");
    FaultRun.deleteRecursively(dir);
    long seed = Long.getLong("kshaka.merge.seed", System.nanoTime() % 100_000);
    System.out.println("[merge-restart] seed " + seed + " (rerun with -Dkshaka.merge.seed=" + seed + ")");
    boolean passed = false;
    try (NodeNetwork net = NodeNetwork.loopback(3, null);
        NodeCluster cluster = new NodeCluster(dir, 3, net, null, NodeCluster.defaultJvmOptions());
        BulkHttp http = new BulkHttp(8, Duration.ofSeconds(15))) {
      cluster.startAll();
      cluster.awaitAllReady(Duration.ofSeconds(120));
      everyRequestSucceeds(http, cluster, "before");

      NodeProcess paused = cluster.node(3);
      long pid = paused.pid();
      paused.pause();
      long pausedAt = System.nanoTime();
      // the others remove it about 5.6 s after its last heartbeat (HazelcastSetup, phi-accrual)
      // Hazelcast words it "has left cluster!" or "has left the cluster." depending on which of its code paths
      // (and which node, the master or not) logs the removal
      awaitTrue("node 1 sees node 3 leave", Duration.ofSeconds(60),
          () -> log(cluster.node(1)).contains(LEFT) || log(cluster.node(1)).contains(LEFT_TOO));
      System.out.printf("[merge-restart] node 1 saw node 3 leave %.1f s after its SIGSTOP%n",
          (System.nanoTime() - pausedAt) / 1e9);
      // as in seed 2007, a node dies and comes back while the paused one is away: its handlers of the dead
      // incarnation are what the paused node still has when it returns
      cluster.node(2).kill();
      cluster.node(2).start();
      System.out.printf("[merge-restart] node 2 ready %.1f s after its restart%n",
          cluster.awaitReady(Duration.ofSeconds(120), 2).toNanos() / 1e9);

      // a closed-loop load through every node, from before the return until after the repair
      List<Call> calls = Collections.synchronizedList(new ArrayList<>());
      AtomicBoolean stop = new AtomicBoolean();
      Random random = new Random(seed);
      List<Thread> clients = new ArrayList<>();
      for (int c = 0; c < 6; c++) {
        int node = 1 + c % 3;
        long clientSeed = random.nextLong();
        Thread t = new Thread(() -> load(http, cluster, node, new Random(clientSeed), stop, calls), "load-" + c);
        t.start();
        clients.add(t);
      }
      paused.resume();
      awaitTrue("node 3 logs '" + MERGING + "'", Duration.ofSeconds(120), () -> log(paused).contains(MERGING),
          Duration.ofMillis(20));
      long mergeSeen = System.nanoTime();
      awaitTrue("node 3 logs '" + MERGED + "'", Duration.ofSeconds(120), () -> log(paused).contains(MERGED));
      awaitTrue("node 3 logs '" + REPAIRED + "'", Duration.ofSeconds(120), () -> log(paused).contains(REPAIRED),
          Duration.ofMillis(20));
      long repaired = System.nanoTime();
      // keep the load on for as long again, so that requests after the repair count too
      awaitTrue("load after the repair", Duration.ofSeconds(120),
          () -> System.nanoTime() - repaired > Math.max(Duration.ofSeconds(5).toNanos(), repaired - mergeSeen));
      stop.set(true);
      for (Thread t : clients) t.join(Duration.ofSeconds(60).toMillis());

      assertEquals(pid, paused.pid(), "node 3 is the same process");
      assertFalse(log(paused).contains("restarted after the merge"), "node 3 did not restart its Vert.x");
      List<String> lost = new ArrayList<>();
      List<String> answeredErrors = new ArrayList<>();
      int duringMerge = 0;
      int afterRepair = 0;
      synchronized (calls) {
        for (Call call : calls) {
          if (call.endNanos() < mergeSeen) continue; // over before the merge: the partition's business
          String line = String.format("node %d %s sent %+.1f s after the merge began, took %.1f s: %s", call.node(),
              call.key(), (call.startNanos() - mergeSeen) / 1e9, (call.endNanos() - call.startNanos()) / 1e9,
              call.result());
          if (call.startNanos() >= repaired) afterRepair++;
          else duringMerge++;
          if (call.result().kind() == KvHttp.Kind.OK) continue;
          // status 0: no HTTP answer (refused or broken connection, client timeout): what a restart does
          boolean judged = STRICT || call.result().status() == 0;
          (judged ? lost : answeredErrors).add(line);
        }
      }
      System.out.println("[merge-restart] " + duringMerge + " requests in flight at the merge or sent before the "
          + "repair was done, " + afterRepair + " sent after it; " + lost.size() + " failed, " + answeredErrors.size()
          + " answered errors not judged" + (answeredErrors.isEmpty() ? "" : ": " + answeredErrors));
      assertTrue(duringMerge > 0 && afterRepair > 0, "the load ran across the merge and after the repair");
      assertEquals(List.of(), lost, "requests in flight at the merge or sent after it failed");

      cluster.awaitAllReady(Duration.ofSeconds(120));
      everyRequestSucceeds(http, cluster, "after the merge");
      passed = true;
    } finally {
      if (passed) FaultRun.deleteRecursively(dir);
      else System.out.println("[merge-restart] files kept in " + dir);
    }
  }

  /** 50 keys whose home (KvRouter: FNV-1a of the key modulo the sorted node ids 1..3) is node 1 or 2. */
  private static final List<String> KEYS = keysNotHomedAt(3, 50);

  private static List<String> keysNotHomedAt(int node, int count) {
    List<String> keys = new ArrayList<>();
    for (int i = 0; keys.size() < count; i++) {
      String key = "load-" + i;
      long h = 0xcbf29ce484222325L;
      for (byte b : key.getBytes(java.nio.charset.StandardCharsets.UTF_8)) {
        h ^= b & 0xff;
        h *= 0x100000001b3L;
      }
      if (1 + Long.remainderUnsigned(h, 3) != node) keys.add(key);
    }
    return keys;
  }

  /** Puts on {@link #KEYS} through {@code node}, one at a time, until {@code stop} (bounded by {@link #LOAD_LIMIT}). */
  private static void load(BulkHttp http, NodeCluster cluster, int node, Random random, AtomicBoolean stop,
      List<Call> calls) {
    long limit = System.nanoTime() + LOAD_LIMIT.toNanos();
    for (int i = 0; !stop.get() && System.nanoTime() < limit; i++) {
      String key = KEYS.get(random.nextInt(KEYS.size()));
      long start = System.nanoTime();
      KvHttp.Result r = http.call(cluster.network().host(node), cluster.network().httpPort(node), key,
          Input.put("n" + node + "-" + i)).join();
      calls.add(new Call(node, key, start, System.nanoTime(), r));
    }
  }

  /**
   * 30 puts and 30 gets through every node; each must succeed within 3 attempts (one slow answer on a busy machine
   * is not the bug; with it, half of the requests through the merged node failed, so all 180 would not pass).
   */
  private static void everyRequestSucceeds(BulkHttp http, NodeCluster cluster, String when) {
    List<String> failed = new ArrayList<>();
    for (int node = 1; node <= cluster.size(); node++) {
      for (int i = 0; i < 30; i++) {
        String key = "m" + i;
        for (Input input : List.of(Input.put(when + "-" + node + "-" + i), Input.get())) {
          KvHttp.Result r = null;
          for (int attempt = 0; attempt < 3 && (r == null || r.kind() != KvHttp.Kind.OK); attempt++) {
            r = http.call(cluster.network().host(node), cluster.network().httpPort(node), key, input).join();
          }
          if (r.kind() != KvHttp.Kind.OK) failed.add("node " + node + " " + key + " " + input + ": " + r);
        }
      }
    }
    assertEquals(List.of(), failed, "requests " + when + " failed");
  }

  private static String log(NodeProcess node) {
    try {
      return Files.readString(node.log);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static void awaitTrue(String what, Duration limit, java.util.function.BooleanSupplier condition) {
    awaitTrue(what, limit, condition, Duration.ofMillis(200));
  }

  private static void awaitTrue(String what, Duration limit, java.util.function.BooleanSupplier condition,
      Duration poll) {
    long deadline = System.nanoTime() + limit.toNanos();
    while (!condition.getAsBoolean()) {
      assertTrue(System.nanoTime() < deadline, "not within " + limit.toSeconds() + " s: " + what);
      LockSupport.parkNanos(poll.toNanos());
    }
  }
}
