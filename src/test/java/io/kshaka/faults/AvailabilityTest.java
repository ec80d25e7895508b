package io.kshaka.faults;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kshaka.check.Input;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * The paper's promise (issue 8): a minority fault costs the surviving clients nothing. Three node processes, closed
 * loop HTTP clients on nodes 1 and 2 putting random keys (a third of them homed on node 3), while node 3 is killed
 * with -9 and restarted, then paused with SIGSTOP and resumed. Every request of those clients must succeed: none
 * may wait for the dead home until its deadline, be lost to it, or end unknown. Not timed: a slow machine only makes
 * it slower (each request may take up to the client timeout). Each fault lasts until the survivors have completed a
 * number of requests, and at least a few seconds, so that failure detection, takeovers and the return all happen.
 */
class AvailabilityTest {
  private static final int CLIENTS = 8;
  private static final int KEYS = 300;
  private static final Duration CLIENT_TIMEOUT = Duration.ofSeconds(30);

  @Test
  void killAndPauseOfOneNodeOfThreeFailNoRequestOfTheSurvivingClients() throws Exception {
    long seed = Long.getLong("kshaka.faults.seed", System.nanoTime() % 100_000);
    System.out.println("[availability] seed " + seed + " (rerun with -Dkshaka.faults.seed=" + seed + ")");
    java.nio.file.Path dir = FaultRun.baseDir().resolve("availability-" + seed);
    FaultRun.deleteRecursively(dir);
    boolean passed = false;
    try (NodeNetwork net = NodeNetwork.loopback(3, null);
        NodeCluster cluster = new NodeCluster(dir, 3, net, null, NodeCluster.defaultJvmOptions())) {
      cluster.startAll();
      cluster.awaitAllReady(Duration.ofSeconds(120));
      Load load = new Load(cluster, seed);
      load.start();
      try {
        load.awaitMore("warm-up", 300, Duration.ofSeconds(2));
        NodeProcess victim = cluster.node(3);

        victim.kill();
        load.mark("killed node 3");
        load.awaitMore("while node 3 is dead", 400, Duration.ofSeconds(5));
        victim.start();
        cluster.awaitReady(Duration.ofSeconds(120), 3);
        load.mark("node 3 ready again");
        load.awaitMore("after node 3 returned", 300, Duration.ofSeconds(3));

        victim.pause();
        load.mark("paused node 3");
        load.awaitMore("while node 3 is paused", 400, Duration.ofSeconds(5));
        victim.resume();
        load.mark("resumed node 3");
        load.awaitMore("after node 3 resumed", 300, Duration.ofSeconds(3));
      } finally {
        load.stop();
      }
      System.out.println("[availability] " + load.summary());
      assertTrue(load.failures.isEmpty(), () -> "seed " + seed + ": surviving clients' requests failed: "
          + load.failures.size() + ", first: " + load.failures.subList(0, Math.min(5, load.failures.size()))
          + "; " + load.summary() + "; files in " + dir);
      passed = true;
    } finally {
      if (passed) FaultRun.deleteRecursively(dir);
    }
  }

  /** Closed-loop clients on nodes 1 and 2, each bounded in time; failures and completions per second. */
  private static final class Load {
    private final NodeCluster cluster;
    private final long seed;
    private final KvHttp http = new KvHttp(CLIENT_TIMEOUT);
    private final AtomicBoolean stop = new AtomicBoolean();
    private final AtomicLong done = new AtomicLong();
    private final List<String> failures = java.util.Collections.synchronizedList(new ArrayList<>());
    private final Map<Long, AtomicLong> perSecond = new ConcurrentHashMap<>();
    private final Map<Long, String> marks = new ConcurrentHashMap<>();
    private final List<Thread> threads = new ArrayList<>();
    private final long start = System.nanoTime();
    private volatile long slowestNanos;

    Load(NodeCluster cluster, long seed) {
      this.cluster = cluster;
      this.seed = seed;
    }

    void start() {
      for (int c = 0; c < CLIENTS; c++) {
        int node = 1 + c % 2;
        SplittableRandom random = new SplittableRandom(seed * 31 + c);
        Thread t = new Thread(() -> run(node, random), "availability-client-" + c);
        t.setDaemon(true);
        threads.add(t);
        t.start();
      }
    }

    private void run(int node, SplittableRandom random) {
      String url = cluster.urls().get(node - 1);
      long limit = System.nanoTime() + Duration.ofMinutes(10).toNanos();
      for (long i = 0; i < 1_000_000 && !stop.get() && System.nanoTime() < limit; i++) {
        String key = "avail-" + random.nextInt(KEYS);
        long t0 = System.nanoTime();
        KvHttp.Result r = http.call(url, key, Input.put("v" + i));
        long t1 = System.nanoTime();
        slowestNanos = Math.max(slowestNanos, t1 - t0);
        if (r.kind() != KvHttp.Kind.OK) {
          failures.add(String.format("%.1f s node %d %s: %s", (t0 - start) / 1e9, node, key, r));
        }
        done.incrementAndGet();
        perSecond.computeIfAbsent((t1 - start) / 1_000_000_000L, s -> new AtomicLong()).incrementAndGet();
      }
    }

    void mark(String what) {
      marks.put((System.nanoTime() - start) / 1_000_000_000L, what);
    }

    /** Waits until the survivors completed {@code count} more requests and at least {@code atLeast} passed. */
    void awaitMore(String phase, long count, Duration atLeast) throws InterruptedException {
      long target = done.get() + count;
      long notBefore = System.nanoTime() + atLeast.toNanos();
      long deadline = System.nanoTime() + Duration.ofSeconds(180).toNanos();
      while (done.get() < target || System.nanoTime() < notBefore) {
        if (System.nanoTime() > deadline) {
          throw new AssertionError("seed " + seed + ": " + phase + ": only " + (done.get() - target + count)
              + " of " + count + " requests in 180 s; " + summary());
        }
        Thread.sleep(50);
      }
    }

    void stop() throws InterruptedException {
      stop.set(true);
      for (Thread t : threads) t.join(CLIENT_TIMEOUT.toMillis() + 5_000);
    }

    String summary() {
      Map<Long, String> timeline = new TreeMap<>();
      long last = (System.nanoTime() - start) / 1_000_000_000L;
      for (long s = 0; s <= last; s++) {
        AtomicLong n = perSecond.get(s);
        timeline.put(s, (n == null ? 0 : n.get()) + (marks.containsKey(s) ? " [" + marks.get(s) + "]" : ""));
      }
      return String.format("%d requests, %d failed, slowest %.2f s, per second: %s", done.get(), failures.size(),
          slowestNanos / 1e9, timeline);
    }
  }
}
