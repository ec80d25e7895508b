package io.kshaka.faults;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * A measurement, not a test: {@code MergeRestartTest}'s start over and over. Node 3 is paused (SIGSTOP) until node 1
 * has removed it, then node 2 is killed with -9 and started again at once; how long until node 2 answers
 * {@code /ready}, and how many joins it had to try again (a stuck Hazelcast join, see {@code NodeRunner}). Run with
 * {@code mvn -B test -Dtest=RejoinBenchmark -Dkshaka.bench=true -Dsurefire.failIfNoSpecifiedTests=false}
 * ({@code -Dkshaka.bench.rounds=N}, default 10); figures on the lines starting with {@code BENCH}. It is most
 * telling on a machine busy with other work.
 */
@EnabledIfSystemProperty(named = "kshaka.bench", matches = "true")
class RejoinBenchmark {
  private static final int ROUNDS = Integer.getInteger("kshaka.bench.rounds", 10);

  @Test
  void aNodeRestartedWhileAnotherIsPausedRejoins() throws Exception {
    Path dir = FaultRun.baseDir().resolve("rejoin");
    FaultRun.deleteRecursively(dir);
    List<String> notReady = new ArrayList<>();
    try (NodeNetwork net = NodeNetwork.loopback(3, null);
        NodeCluster cluster = new NodeCluster(dir, 3, net, null, NodeCluster.defaultJvmOptions())) {
      cluster.startAll();
      cluster.awaitAllReady(Duration.ofSeconds(120));
      for (int round = 1; round <= ROUNDS; round++) {
        NodeProcess paused = cluster.node(3);
        NodeProcess restarted = cluster.node(2);
        int leftBefore = count(cluster.node(1).log, "left");
        paused.pause();
        // Hazelcast words it "has left cluster!" or "has left the cluster."
        await(() -> count(cluster.node(1).log, "left") > leftBefore, 60);
        restarted.kill();
        int retriesBefore = count(restarted.log, "could not join the cluster");
        long start = System.nanoTime();
        restarted.start();
        boolean ready = restarted.awaitReady(start + TimeUnit.SECONDS.toNanos(150));
        System.out.printf(Locale.ROOT, "BENCH round %d: node 2 %s %.1f s after its restart, %d join(s) tried again%n",
            round, ready ? "ready" : "NOT ready", (System.nanoTime() - start) / 1e9,
            count(restarted.log, "could not join the cluster") - retriesBefore);
        if (!ready) notReady.add("round " + round + ": " + restarted.lastReadiness());
        // node 3 comes back through a split-brain merge; the next round pauses it only once that is repaired
        int repairsBefore = count(paused.log, REPAIRED);
        paused.resume();
        await(() -> count(paused.log, REPAIRED) > repairsBefore, 120);
        cluster.awaitAllReady(Duration.ofSeconds(150));
      }
    }
    assertEquals(List.of(), notReady, "rounds where node 2 did not rejoin");
    FaultRun.deleteRecursively(dir);
  }

  private static final String REPAIRED = "event-bus routing repaired after the merge";

  interface Check {
    boolean holds() throws java.io.IOException;
  }

  /** Waits until {@code check} holds, at most {@code seconds}; a round that times out is still measured. */
  private static void await(Check check, int seconds) throws java.io.IOException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
    while (!check.holds() && System.nanoTime() < deadline) {
      LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(100));
    }
  }

  /** Lines of the log containing {@code text}. */
  private static int count(Path log, String text) throws java.io.IOException {
    return (int) Files.readAllLines(log).stream().filter(l -> l.contains(text)).count();
  }
}
