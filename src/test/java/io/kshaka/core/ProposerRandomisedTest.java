package io.kshaka.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.kshaka.core.ProposerHarness.Acceptors;
import io.kshaka.core.ProposerHarness.Node;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/**
 * Several proposers add to and read one counter while the network loses, duplicates and reorders messages,
 * storing the counter floor is slow (or fails), and proposers crash and restart from their stored floor; on three
 * or five acceptors, or four in the middle of growing 3 -> 4 (proposers on the old or the new accept set). Checks
 * that the answers are linearizable and that outcomes are exact: every APPLIED add took effect once, every effect
 * beyond them is an UNKNOWN (or lost) add.
 *
 * <p>Seeds 1..200 run by default ({@code -Dkshaka.seeds=N} for more); a failure names its seed, rerun it alone
 * with {@code -Dkshaka.seed=<seed>}; {@code -Dkshaka.sim.stats} prints what each seed did.
 */
class ProposerRandomisedTest {
  private static final int SEEDS = Integer.getInteger("kshaka.seeds", 200);
  private static final String K = "counter";

  private static final class Op {
    final int node;
    final boolean add;
    final long at;
    long submitted = -1;
    long completed = -1;
    boolean lostInCrash;
    ProposerResult result;

    Op(int node, boolean add, long at) {
      this.node = node;
      this.add = add;
      this.at = at;
    }

    boolean applied() {
      return result != null && result.outcome() == Outcome.APPLIED;
    }

    long value() {
      byte[] v = result.result().state().value();
      return v == null ? 0 : Long.parseLong(new String(v, StandardCharsets.UTF_8));
    }

    @Override
    public String toString() {
      return (add ? "add" : "read") + "@" + node + "[" + submitted + ".." + completed + "]="
          + (result == null ? (lostInCrash ? "lost" : "-") : result.outcome() + " "
          + (result.result() == null ? "" : result.result().state()));
    }
  }

  @Test
  void addsAndReadsStayLinearizableUnderLossDuplicationReorderingAndCrashes() {
    String one = System.getProperty("kshaka.seed");
    if (one != null) {
      System.out.println("ProposerRandomisedTest: seed " + one);
      run(Long.parseLong(one));
      return;
    }
    System.out.println("ProposerRandomisedTest: seeds 1.." + SEEDS);
    for (long seed = 1; seed <= SEEDS; seed++) run(seed);
  }

  private static void run(long seed) {
    try {
      simulate(seed);
    } catch (AssertionError e) {
      throw new AssertionError("seed " + seed + " (rerun with -Dkshaka.seed=" + seed + "): " + e.getMessage(), e);
    }
  }

  private static void simulate(long seed) {
    Random rnd = new Random(seed);
    // three acceptors; five; or four in the middle of growing 3 -> 4, proposers on the old or the new accept set
    int layout = rnd.nextInt(3);
    Acceptors acc = layout == 0 ? new Acceptors(1, 2, 3) : layout == 1 ? new Acceptors(1, 2, 3, 4, 5)
        : new Acceptors(1, 2, 3, 4);
    QuorumSpec oldSpec = QuorumSpec.majority(List.of(1, 2, 3));
    QuorumSpec growing = new QuorumSpec(Set.of(1, 2, 3), 2, Set.of(1, 2, 3, 4), 3);
    QuorumSpec[] specs = new QuorumSpec[5];
    for (int i = 1; i <= 4; i++) {
      specs[i] = layout == 0 ? oldSpec : layout == 1 ? QuorumSpec.majority(acc.ids())
          : rnd.nextBoolean() ? oldSpec : growing;
    }
    Proposer.Options opts = new Proposer.Options(1, 8, 150 + rnd.nextInt(200), 1 + rnd.nextInt(4),
        1 + rnd.nextInt(6), 100, rnd.nextBoolean(), 2_000, 1 + rnd.nextInt(4), 1 << 20);
    int proposers = 2 + rnd.nextInt(2);
    double loss = rnd.nextInt(5) == 0 ? 0.5 + rnd.nextDouble() * 0.4 : rnd.nextDouble() * 0.3;
    double duplication = rnd.nextDouble() * 0.2;
    boolean crashes = rnd.nextInt(3) == 0;
    boolean slowReservations = rnd.nextBoolean();

    Node[] live = new Node[proposers + 1];
    List<Node> incarnations = new ArrayList<>();
    for (int i = 1; i <= proposers; i++) {
      live[i] = new Node(acc, i, specs[i], opts, 0);
      live[i].autoReserve = !slowReservations;
      incarnations.add(live[i]);
    }
    List<Op> ops = new ArrayList<>();
    for (int i = 1; i <= proposers; i++) {
      int count = 3 + rnd.nextInt(6);
      for (int j = 0; j < count; j++) ops.add(new Op(i, rnd.nextInt(10) < 7, rnd.nextInt(80)));
    }
    ops.sort(Comparator.comparingLong(o -> o.at));

    long now = 0;
    long[] seq = {0};
    int nextOp = 0;
    int stepsTaken = 0;
    for (int step = 0; ; step++) {
      stepsTaken = step;
      if (step > 500_000) fail("did not settle: " + ops);
      while (nextOp < ops.size() && ops.get(nextOp).at <= now) {
        Op o = ops.get(nextOp++);
        Node node = live[o.node];
        node.now = now;
        o.submitted = seq[0]++;
        node.submit(K, o.add ? new Change.Add(1) : Change.Read.INSTANCE, o);
        collect(incarnations, seq);
      }
      List<Node> sending = incarnations.stream().filter(n -> !n.inFlight.isEmpty()).toList();
      boolean reserving = false;
      for (int i = 1; i <= proposers; i++) {
        Node node = live[i];
        if (!reservationPending(node)) continue;
        reserving = true;
        if (rnd.nextInt(4) != 0 && !sending.isEmpty()) continue; // the store is slow
        node.now = now;
        long floor = node.reserveRequests.get(node.reserveRequests.size() - 1);
        if (rnd.nextInt(20) == 0) {
          node.reserveRequests.add(node.durableFloor); // not stored: nothing pending any more
          node.feed(node.proposer.onCounterReserveFailed(now, "disk full"));
        } else {
          node.reserved(floor);
        }
        collect(incarnations, seq);
      }
      if (!sending.isEmpty() && rnd.nextInt(10) < 9) {
        Node node = sending.get(rnd.nextInt(sending.size()));
        ProposerEffect.Send s = node.inFlight.get(rnd.nextInt(node.inFlight.size()));
        node.now = now;
        double r = rnd.nextDouble();
        if (r < loss) {
          node.lose(s);
        } else if (r < loss + duplication) {
          node.deliverCopy(s);
        } else {
          node.deliver(s);
        }
        collect(incarnations, seq);
        if (crashes && rnd.nextInt(150) == 0) {
          int id = 1 + rnd.nextInt(proposers);
          Node old = live[id];
          old.crash();
          for (Op o : ops) if (o.node == id && o.submitted >= 0 && o.result == null) o.lostInCrash = true;
          live[id] = new Node(acc, id, specs[id], opts, old.durableFloor); // only what was stored survives
          live[id].autoReserve = !slowReservations;
          incarnations.add(live[id]);
        }
        continue;
      }
      long nextTime = nextOp < ops.size() ? ops.get(nextOp).at : Long.MAX_VALUE;
      for (int i = 1; i <= proposers; i++) {
        for (ProposerEffect.Wake w : live[i].wakes) nextTime = Math.min(nextTime, w.atMillis());
      }
      if (sending.isEmpty() && nextTime == Long.MAX_VALUE) {
        if (reserving) continue;
        break;
      }
      now = sending.isEmpty() ? Math.max(now, nextTime) : now + 1;
      for (int i = 1; i <= proposers; i++) {
        Node node = live[i];
        node.now = now;
        for (ProposerEffect.Wake w : new ArrayList<>(node.wakes)) {
          if (w.atMillis() <= now && node.wakes.remove(w)) node.feed(node.proposer.onWake(now, w.key()));
        }
      }
      collect(incarnations, seq);
    }

    if (System.getProperty("kshaka.sim.stats") != null) {
      Map<String, Long> outcomes = new TreeMap<>();
      for (Op o : ops) {
        outcomes.merge(o.result == null ? "lost" : (o.add ? "add " : "read ") + o.result.outcome(), 1L, Long::sum);
      }
      System.out.println("seed " + seed + ": layout " + layout + ", " + stepsTaken + " steps, " + now + " ms, "
          + (incarnations.size() - proposers) + " crashes, " + outcomes);
    }
    assertEquals(ops.size(), nextOp);
    for (Op o : ops) assertTrue(o.result != null || o.lostInCrash, () -> "never answered: " + o);
    for (int i = 1; i <= proposers; i++) {
      assertEquals(0, live[i].proposer.activeKeys(), "a quiet proposer holds no key");
    }

    // the register as a fresh proposer reads it on a quiet network
    Node reader = new Node(acc, 99, layout == 2 ? growing : specs[1], Proposer.Options.defaults(), 0);
    reader.submit(K, Change.Read.INSTANCE, "final");
    reader.run();
    ProposerResult last = reader.result("final");
    assertEquals(Outcome.APPLIED, last.outcome());
    RegisterState finalState = last.result().state();
    long finalValue = finalState.value() == null ? 0 : Long.parseLong(new String(finalState.value(),
        StandardCharsets.UTF_8));
    assertEquals(finalValue, finalState.version(), "only adds: version counts them");

    int appliedAdds = 0;
    int maybeAdds = 0;
    Set<Long> values = new HashSet<>();
    for (Op o : ops) {
      if (o.applied()) {
        assertEquals(ChangeResult.Status.OK, o.result.result().status(), o::toString);
        long v = o.value();
        assertEquals(v, o.result.result().state().version(), o::toString);
        assertTrue(v <= finalValue, () -> o + " beyond the final value " + finalValue);
        if (o.add) {
          appliedAdds++;
          assertTrue(v >= 1, o::toString);
          assertTrue(values.add(v), () -> "two adds answered with the same value " + v + ": " + ops);
        }
      } else if (o.add && (o.lostInCrash || o.result.outcome() == Outcome.UNKNOWN)) {
        maybeAdds++;
      } else {
        assertNotEquals(Outcome.APPLIED, o.result == null ? null : o.result.outcome());
      }
    }
    assertTrue(appliedAdds <= finalValue && finalValue <= appliedAdds + maybeAdds,
        "final " + finalValue + " with " + appliedAdds + " applied and " + maybeAdds + " unknown adds: " + ops);

    // real time: what completed before another began is seen by it
    for (Op x : ops) {
      if (!x.applied()) continue;
      for (Op y : ops) {
        if (!y.applied() || x.completed >= y.submitted) continue;
        if (y.add) {
          assertTrue(y.value() > x.value(), () -> x + " completed before " + y + " began");
        } else {
          assertTrue(y.value() >= x.value(), () -> x + " completed before " + y + " began");
        }
      }
    }
  }

  private static boolean reservationPending(Node node) {
    return !node.crashed && !node.autoReserve && !node.reserveRequests.isEmpty()
        && node.reserveRequests.get(node.reserveRequests.size() - 1) > node.durableFloor;
  }

  private static void collect(List<Node> incarnations, long[] seq) {
    for (Node n : incarnations) {
      for (Map.Entry<Object, ProposerResult> e : n.results.entrySet()) {
        Op o = (Op) e.getKey();
        if (o.completed < 0) {
          o.completed = seq[0]++;
          o.result = e.getValue();
        }
      }
    }
  }
}
