package io.kshaka.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kshaka.core.MembershipPlan.Kind;
import io.kshaka.core.MembershipPlan.Step;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;

/**
 * Exhaustive check of {@link MembershipPlan} over every start set and every target set drawn from nodes 1..7: where a
 * value may be chosen, and whether every later prepare quorum still sees it. Negative controls prove the checker can
 * fail.
 *
 * <p>Model. A value chosen under config C sits on some accept quorum of C: its possible holder sets are all accept
 * quorums of C. The checker keeps the union of holder sets of every config installed since the last rescan (the
 * start config counts: the invariant before any plan is that every value sits on an accept quorum of it). A rescan
 * after installing C re-chooses every value on an accept quorum of C, so the holder sets become C's accept quorums.
 * Rules, for every consecutive pair (C_i, C_i+1):
 * <ol>
 *   <li>MIXED_NEW_PREPARE: every prepare quorum of C_i+1 meets every accept quorum of C_i and of C_i+1 (while C_i+1
 *       is being installed, rounds of both epochs run).
 *   <li>MIXED_OLD_PREPARE: every prepare quorum of C_i meets every accept quorum of C_i+1.
 *   <li>VISIBLE: every prepare quorum of C_i+1 meets every holder set.
 *   <li>CHOSEN_AT_END (composability): after the last step every holder set contains an accept quorum of the final
 *       config, so the next plan may start from the usual invariant.
 * </ol>
 * A lost disk (replace): node x's copies vanish before the first step, and x does not vote (no accept quorum holding
 * x forms) until the step that gives it a new incarnation.
 */
class MembershipPlanSafetyTest {
  private static final int N = 7;

  enum Rule { MIXED_NEW_PREPARE, MIXED_OLD_PREPARE, VISIBLE, CHOSEN_AT_END }

  record Violation(Rule rule, String detail) {
  }

  // ---------------------------------------------------------------------------------------------- the plan is safe

  @Test
  void everyPlanBetweenAnyTwoSetsOfUpToSevenNodesKeepsEveryChosenValueVisible() {
    int plans = 0;
    for (int from = 1; from < 1 << N; from++) {
      for (int to = 1; to < 1 << N; to++) {
        if (from == to) continue;
        QuorumSpec start = QuorumSpec.majority(set(from));
        List<Step> steps = MembershipPlan.plan(start, set(to));
        Violation v = check(start, steps, 0);
        if (v != null) throw new AssertionError(set(from) + " -> " + set(to) + ": " + v + " in " + steps);
        assertEquals(QuorumSpec.majority(set(to)), steps.get(steps.size() - 1).spec());
        plans++;
      }
    }
    assertEquals(127 * 126, plans);
  }

  @Test
  void replacingANodeWhoseDiskWasLostKeepsEveryValueVisible() {
    int plans = 0;
    for (int from = 1; from < 1 << N; from++) {
      if (Integer.bitCount(from) < 2) continue;
      QuorumSpec start = QuorumSpec.majority(set(from));
      for (int x : set(from)) {
        List<Step> steps = MembershipPlan.replace(start, x);
        Violation v = check(start, steps, x);
        assertNull(v, () -> "replace " + x + " in " + start + ": " + v + " in " + steps);
        assertEquals(start, steps.get(steps.size() - 1).spec());
        assertEquals(4, steps.size());
        assertEquals(List.of(Kind.REMOVE, Kind.REMOVE, Kind.REPLACE_ADD, Kind.REPLACE_ADD),
            steps.stream().map(Step::kind).toList());
        assertEquals(List.of(false, false, true, false), steps.stream().map(Step::newIncarnation).toList());
        plans++;
      }
    }
    assertTrue(plans > 400);
  }

  /** Changing one's mind mid-change: from any half-step config, a plan to any target is safe too. */
  @Test
  void aPlanFromAnyHalfStepConfigToAnyTargetIsSafe() {
    int plans = 0;
    for (int a = 1; a < 1 << N; a++) {
      if (Integer.bitCount(a) < 2) continue;
      for (int x : set(a)) {
        Set<Integer> p = new TreeSet<>(set(a));
        p.remove(x);
        QuorumSpec half = new QuorumSpec(p, MembershipPlan.q(p.size()), set(a), MembershipPlan.q(Integer.bitCount(a)));
        assertEquals(x, MembershipPlan.halfStepNode(half));
        for (int to = 1; to < 1 << N; to++) {
          List<Step> steps = MembershipPlan.plan(half, set(to));
          Violation v = check(half, steps, 0);
          assertNull(v, v == null ? "" : half + " -> " + set(to) + ": " + v);
          assertEquals(QuorumSpec.majority(set(to)), steps.get(steps.size() - 1).spec());
          plans++;
        }
      }
    }
    assertTrue(plans > 10_000);
  }

  // ------------------------------------------------------------------------------------------------------ resuming

  /** The driver resumes from the durable config: plan(steps[k].spec) is exactly the rest of the plan. */
  @Test
  void aPlanComputedFromAnyConfigOfAPlanIsTheRestOfThatPlan() {
    for (int from = 1; from < 1 << N; from++) {
      for (int to = 1; to < 1 << N; to++) {
        if (from == to) continue;
        Set<Integer> target = set(to);
        List<Step> steps = MembershipPlan.plan(QuorumSpec.majority(set(from)), target);
        for (int k = 0; k < steps.size() - 1; k++) {
          assertEquals(steps.subList(k + 1, steps.size()), MembershipPlan.plan(steps.get(k).spec(), target),
              set(from) + " -> " + target + " resumed after step " + k);
        }
        QuorumSpec last = steps.get(steps.size() - 1).spec();
        assertThrows(IllegalArgumentException.class, () -> MembershipPlan.plan(last, target));
      }
    }
  }

  /**
   * A driver that crashed after installing step k but before its rescan finished, and lost track of it, resumes with
   * {@link MembershipPlan#resume}: the whole walk is still safe.
   */
  @Test
  void resumingWithoutKnowingWhetherTheRescanRanIsSafe() {
    for (int from = 1; from < 1 << N; from++) {
      for (int to = 1; to < 1 << N; to++) {
        if (from == to) continue;
        QuorumSpec start = QuorumSpec.majority(set(from));
        Set<Integer> target = set(to);
        List<Step> steps = MembershipPlan.plan(start, target);
        for (int k = 0; k < steps.size(); k++) {
          List<Step> walk = new ArrayList<>(steps.subList(0, k + 1));
          Step crashed = walk.remove(k);
          walk.add(new Step(crashed.kind(), crashed.node(), crashed.spec(), false, crashed.newIncarnation()));
          List<Step> rest = MembershipPlan.resume(crashed.spec(), target);
          assertEquals(Kind.RESCAN, rest.get(0).kind());
          walk.addAll(rest);
          Violation v = check(start, walk, 0);
          int kk = k;
          assertNull(v, () -> start + " -> " + target + " crashed at step " + kk + ": " + v);
          assertEquals(QuorumSpec.majority(target), walk.get(walk.size() - 1).spec());
        }
      }
    }
  }

  /** A new incarnation is always rescanned in: it holds every key again, whatever the quorums need. */
  @Test
  void aReplaceRescansOnceTheNewIncarnationAccepts() {
    for (int from = 1; from < 1 << N; from++) {
      if (Integer.bitCount(from) < 2) continue;
      QuorumSpec start = QuorumSpec.majority(set(from));
      for (int x : set(from)) {
        List<Step> steps = MembershipPlan.replace(start, x);
        Step back = steps.stream().filter(Step::newIncarnation).findFirst().orElseThrow();
        assertTrue(back.spec().acceptNodes().contains(x) && back.rescanAfter(), () -> "replace " + x + " in "
            + start + ": " + steps);
      }
    }
  }

  @Test
  void aReplaceResumesFromEachOfItsConfigs() {
    for (int from = 1; from < 1 << N; from++) {
      if (Integer.bitCount(from) < 2) continue;
      QuorumSpec start = QuorumSpec.majority(set(from));
      for (int x : set(from)) {
        List<Step> steps = MembershipPlan.replace(start, x);
        assertEquals(steps.subList(1, 4), MembershipPlan.replace(steps.get(0).spec(), x));
        assertEquals(steps.subList(2, 4), MembershipPlan.replace(steps.get(1).spec(), x));
        assertEquals(steps.subList(3, 4), MembershipPlan.replaceRejoined(steps.get(2).spec(), x));
      }
    }
  }

  // ---------------------------------------------------------------------------------- shape, order, fault tolerance

  @Test
  void addsComeFirstInAscendingIdThenRemovesInDescendingIdOneNodeEveryTwoSteps() {
    List<Step> steps = MembershipPlan.plan(QuorumSpec.majority(List.of(2, 3, 5)), List.of(1, 4, 6));
    assertEquals(List.of(1, 1, 4, 4, 6, 6, 5, 5, 3, 3, 2, 2), steps.stream().map(Step::node).toList());
    assertEquals(List.of(Kind.ADD, Kind.ADD, Kind.ADD, Kind.ADD, Kind.ADD, Kind.ADD,
        Kind.REMOVE, Kind.REMOVE, Kind.REMOVE, Kind.REMOVE, Kind.REMOVE, Kind.REMOVE),
        steps.stream().map(Step::kind).toList());
  }

  @Test
  void stepsAreExactlyTheContractsHalfAndFullConfigsWithTheOddToEvenRescan() {
    // 3 -> 4: accept widened with q(4) = 3, rescan (2 of 3 is not 3 of 4), then prepare widened.
    List<Step> grow = MembershipPlan.plan(QuorumSpec.majority(List.of(1, 2, 3)), List.of(1, 2, 3, 4));
    assertEquals(List.of(
        new Step(Kind.ADD, 4, new QuorumSpec(Set.of(1, 2, 3), 2, Set.of(1, 2, 3, 4), 3), true, false),
        new Step(Kind.ADD, 4, QuorumSpec.majority(List.of(1, 2, 3, 4)), false, false)), grow);
    // 4 -> 5: no rescan (3 of 4 is 3 of 5).
    List<Step> grow5 = MembershipPlan.plan(QuorumSpec.majority(List.of(1, 2, 3, 4)), List.of(1, 2, 3, 4, 5));
    assertEquals(List.of(false, false), grow5.stream().map(Step::rescanAfter).toList());
    // 5 -> 4: prepare narrowed, then accept narrowed, then rescan (3 of 5 minus 1 is 2 < 3 of 4).
    List<Step> shrink = MembershipPlan.plan(QuorumSpec.majority(List.of(1, 2, 3, 4, 5)), List.of(1, 2, 3, 4));
    assertEquals(List.of(
        new Step(Kind.REMOVE, 5, new QuorumSpec(Set.of(1, 2, 3, 4), 3, Set.of(1, 2, 3, 4, 5), 3), false, false),
        new Step(Kind.REMOVE, 5, QuorumSpec.majority(List.of(1, 2, 3, 4)), true, false)), shrink);
    // 4 -> 3: no rescan (3 of 4 minus 1 is 2 of 3).
    List<Step> shrink3 = MembershipPlan.plan(QuorumSpec.majority(List.of(1, 2, 3, 4)), List.of(1, 2, 3));
    assertEquals(List.of(false, false), shrink3.stream().map(Step::rescanAfter).toList());
  }

  /** Grow before shrink: no config of a plan tolerates fewer failures than the smaller of start and target. */
  @Test
  void faultToleranceNeverDipsBelowTheSmallerOfStartAndTarget() {
    for (int from = 1; from < 1 << N; from++) {
      for (int to = 1; to < 1 << N; to++) {
        if (from == to) continue;
        int floor = Math.min(tolerance(Integer.bitCount(from)), tolerance(Integer.bitCount(to)));
        for (Step s : MembershipPlan.plan(QuorumSpec.majority(set(from)), set(to))) {
          int t = Math.min(s.spec().prepareTolerance(), s.spec().acceptTolerance());
          if (t < floor) throw new AssertionError(set(from) + " -> " + set(to) + ": " + s + " tolerates " + t);
        }
      }
    }
  }

  @Test
  void invalidTargetsAndConfigsAreRefusedWithAClearMessage() {
    QuorumSpec three = QuorumSpec.majority(List.of(1, 2, 3));
    assertMessage("must not be empty", () -> MembershipPlan.plan(three, List.of()));
    assertMessage("must not be empty", () -> MembershipPlan.plan(three, null));
    assertMessage("nothing to change", () -> MembershipPlan.plan(three, List.of(3, 2, 1)));
    assertMessage("ids start at 1", () -> MembershipPlan.plan(three, List.of(1, 2, 0)));
    assertMessage("ids start at 1", () -> MembershipPlan.plan(three, List.of(-4)));
    List<Integer> withNull = new ArrayList<>(List.of(1));
    withNull.add(null);
    assertMessage("null", () -> MembershipPlan.plan(three, withNull));
    QuorumSpec custom = new QuorumSpec(Set.of(1, 2, 3), 3, Set.of(1, 2, 3), 1);
    assertMessage("neither steady", () -> MembershipPlan.plan(custom, List.of(1, 2)));
    assertMessage("only acceptor", () -> MembershipPlan.replace(QuorumSpec.majority(List.of(1)), 1));
    assertMessage("ids start at 1", () -> MembershipPlan.replace(three, 0));
    QuorumSpec halfAdd4 = MembershipPlan.plan(three, List.of(1, 2, 3, 4)).get(0).spec();
    assertMessage("half done", () -> MembershipPlan.replace(halfAdd4, 2));
  }

  // ------------------------------------------------------------------------------------------- negative controls

  @Test
  void checkerCatchesAPlanThatSkipsEveryRescan() {
    // Caught by visibility itself (3 -> 4 -> 3 loses a value), not only by the end-of-plan rule.
    Violation v = firstViolation(steps -> map(steps, s -> withRescan(s, false)), Rule.VISIBLE);
    assertNotNull(v, "skipping every rescan must be caught");
    QuorumSpec three = QuorumSpec.majority(List.of(1, 2, 3));
    List<Step> noRescan = map(MembershipPlan.plan(three, List.of(2, 3, 4)), s -> withRescan(s, false));
    assertEquals(Rule.VISIBLE, check(three, noRescan, 0).rule());
  }

  /**
   * Widening prepare before accept: the half-step of an add prepares on S+x and still accepts on S, and the rescan
   * runs there (where the contract's half-step runs it): it re-chooses values on S only, so x never gets them.
   */
  @Test
  void checkerCatchesWideningPrepareBeforeAccept() {
    UnaryOperator<List<Step>> swap = steps -> map(steps, s -> {
      Integer x = MembershipPlan.halfStepNode(s.spec());
      if (x == null || s.kind() == Kind.REMOVE) return s;
      QuorumSpec h = s.spec();
      QuorumSpec swapped = new QuorumSpec(h.acceptNodes(), h.acceptQuorum(), h.prepareNodes(), h.prepareQuorum());
      return new Step(s.kind(), s.node(), swapped, s.rescanAfter(), s.newIncarnation());
    });
    assertNotNull(firstViolation(swap, Rule.VISIBLE), "widening prepare before accept must be caught");
  }

  /** Replace: adding x back (to the full config) before the rescan that follows its removal loses values. */
  @Test
  void checkerCatchesAReplaceThatAddsBackBeforeTheRescanAfterTheRemoval() {
    Violation found = null;
    for (int from = 1; from < 1 << N && found == null; from++) {
      if (Integer.bitCount(from) < 2) continue;
      QuorumSpec start = QuorumSpec.majority(set(from));
      for (int x : set(from)) {
        List<Step> steps = new ArrayList<>(MembershipPlan.replace(start, x));
        boolean moved = steps.get(1).rescanAfter();
        steps.set(1, withRescan(steps.get(1), false));
        // nor the extra rescan of the new incarnation (only the one its quorums need)
        steps.set(2, withRescan(steps.get(2), MembershipPlan.needsRescan(steps.get(1).spec(), steps.get(2).spec())));
        steps.set(3, withRescan(steps.get(3), steps.get(3).rescanAfter() || moved));
        Violation v = check(start, steps, x);
        if (v != null) {
          assertEquals(Rule.VISIBLE, v.rule());
          found = v;
          System.out.println("replace control caught: replace " + x + " in " + set(from) + ": " + v);
          break;
        }
      }
    }
    assertNotNull(found, "a replace that adds back before the post-removal rescan must be caught");
  }

  /** The mixed-epoch rules bite: jumping two acceptors at once lets an old accept quorum miss a new prepare quorum. */
  @Test
  void checkerCatchesAJumpOfTwoAcceptorsInOneStep() {
    QuorumSpec three = QuorumSpec.majority(List.of(1, 2, 3));
    List<Step> jump = List.of(new Step(Kind.ADD, 4, QuorumSpec.majority(List.of(1, 2, 3, 4, 5)), true, false));
    assertEquals(Rule.MIXED_NEW_PREPARE, check(three, jump, 0).rule());
    List<Step> shrinkJump = List.of(new Step(Kind.REMOVE, 1, QuorumSpec.majority(List.of(3)), true, false));
    assertEquals(Rule.MIXED_NEW_PREPARE, check(three, shrinkJump, 0).rule());
    List<Step> acceptOnly = List.of(new Step(Kind.ADD, 4, new QuorumSpec(Set.of(1, 2, 3, 4), 4, Set.of(4), 1),
        true, false));
    assertEquals(Rule.MIXED_OLD_PREPARE, check(three, acceptOnly, 0).rule());
  }

  /** The lost-disk model itself bites: an amnesiac node that keeps voting (no replace at all, just a regrow). */
  @Test
  void checkerCatchesALostDiskThatIsNotRemovedFirst() {
    QuorumSpec three = QuorumSpec.majority(List.of(1, 2, 3));
    // The amnesiac 3 "rejoins" at once: treat the config as if 3 had a new incarnation from the start.
    List<Step> voteAtOnce = List.of(new Step(Kind.REPLACE_ADD, 3, three, false, true));
    Violation v = check(three, voteAtOnce, 3);
    assertNotNull(v);
    assertEquals(Rule.VISIBLE, v.rule());
  }

  // ---------------------------------------------------------------------------------------------------- checker

  /**
   * Walk {@code steps} from {@code start}; {@code lost} is a node whose disk vanished before the first step (0: none).
   * Returns the first violation, or null.
   */
  static Violation check(QuorumSpec start, List<Step> steps, int lost) {
    boolean amnesiac = lost != 0;
    boolean[] holders = new boolean[1 << (N + 1)];
    // Values chosen before the disk was lost sit on any accept quorum of start; the lost node's copies are gone.
    for (int q : allQuorums(start.acceptNodes(), start.acceptQuorum())) holders[q & ~(1 << lost)] = true;
    QuorumSpec prev = start;
    for (int i = 0; i < steps.size(); i++) {
      Step step = steps.get(i);
      QuorumSpec next = step.spec();
      if (step.newIncarnation() && step.node() == lost) amnesiac = false;
      int prevP = mask(prev.prepareNodes());
      int nextP = mask(next.prepareNodes());
      for (int q : allQuorums(prev.acceptNodes(), prev.acceptQuorum())) {
        if (!meets(nextP, next.prepareQuorum(), q)) {
          return new Violation(Rule.MIXED_NEW_PREPARE, at(i, prev, next) + ": old accept " + nodes(q));
        }
      }
      for (int q : allQuorums(next.acceptNodes(), next.acceptQuorum())) {
        if (!meets(nextP, next.prepareQuorum(), q)) {
          return new Violation(Rule.MIXED_NEW_PREPARE, at(i, prev, next) + ": new accept " + nodes(q));
        }
        if (!meets(prevP, prev.prepareQuorum(), q)) {
          return new Violation(Rule.MIXED_OLD_PREPARE, at(i, prev, next) + ": new accept " + nodes(q));
        }
      }
      int notVoting = amnesiac ? lost : 0;
      for (int q : acceptQuorums(next, notVoting)) holders[q] = true;
      for (int h = 0; h < holders.length; h++) {
        if (holders[h] && !meets(nextP, next.prepareQuorum(), h)) {
          return new Violation(Rule.VISIBLE, at(i, prev, next) + ": a value held only by " + nodes(h)
              + " is missed by a prepare quorum of " + next.prepareNodes() + " (q " + next.prepareQuorum() + ")");
        }
      }
      if (step.rescanAfter()) {
        holders = new boolean[holders.length];
        for (int q : acceptQuorums(next, notVoting)) holders[q] = true;
      }
      prev = next;
    }
    int accept = mask(prev.acceptNodes());
    for (int h = 0; h < holders.length; h++) {
      if (holders[h] && Integer.bitCount(h & accept) < prev.acceptQuorum()) {
        return new Violation(Rule.CHOSEN_AT_END, "a value held only by " + nodes(h) + " is not chosen in " + prev);
      }
    }
    return null;
  }

  private static String at(int i, QuorumSpec prev, QuorumSpec next) {
    return "step " + i + " " + prev + " -> " + next;
  }

  /**
   * Every prepare quorum (prepareQuorum nodes of the mask p) meets h: one avoiding h would need prepareQuorum nodes of
   * p \ h.
   */
  static boolean meets(int p, int prepareQuorum, int h) {
    return Integer.bitCount(p & ~h) < prepareQuorum;
  }

  /** Accept quorums of spec that can form while {@code notVoting} (0: none) does not vote. */
  static int[] acceptQuorums(QuorumSpec spec, int notVoting) {
    int[] all = allQuorums(spec.acceptNodes(), spec.acceptQuorum());
    if (notVoting == 0) return all;
    return java.util.Arrays.stream(all).filter(q -> (q & (1 << notVoting)) == 0).toArray();
  }

  private static final java.util.Map<Integer, int[]> QUORUMS = new java.util.concurrent.ConcurrentHashMap<>();

  /** Every subset of the nodes of exactly size q, as bit masks (bit i = node i). */
  static int[] allQuorums(Set<Integer> nodes, int q) {
    int m = mask(nodes);
    return QUORUMS.computeIfAbsent(m << 4 | q, k -> {
      List<Integer> out = new ArrayList<>();
      for (int s = m; s > 0; s = (s - 1) & m) {
        if (Integer.bitCount(s) == q) out.add(s);
      }
      return out.stream().mapToInt(Integer::intValue).toArray();
    });
  }

  private Violation firstViolation(UnaryOperator<List<Step>> broken, Rule expected) {
    for (int from = 1; from < 1 << N; from++) {
      for (int to = 1; to < 1 << N; to++) {
        if (from == to) continue;
        QuorumSpec start = QuorumSpec.majority(set(from));
        Violation v = check(start, broken.apply(MembershipPlan.plan(start, set(to))), 0);
        if (v != null && v.rule() == expected) {
          System.out.println("control caught: " + set(from) + " -> " + set(to) + ": " + v);
          return v;
        }
      }
    }
    return null;
  }

  private static List<Step> map(List<Step> steps, UnaryOperator<Step> f) {
    return steps.stream().map(f).toList();
  }

  private static Step withRescan(Step s, boolean rescan) {
    return new Step(s.kind(), s.node(), s.spec(), rescan, s.newIncarnation());
  }

  private static int tolerance(int n) {
    return n - MembershipPlan.q(n);
  }

  private static void assertMessage(String part, org.junit.jupiter.api.function.Executable e) {
    IllegalArgumentException ex = assertThrows(IllegalArgumentException.class, e);
    assertTrue(ex.getMessage().contains(part), () -> "message '" + ex.getMessage() + "' should mention " + part);
  }

  static int mask(Set<Integer> nodes) {
    int m = 0;
    for (int n : nodes) m |= 1 << n;
    return m;
  }

  /** The index-th non-empty subset of 1..N (bit i of index = node i + 1), for enumeration. */
  static Set<Integer> set(int index) {
    return nodes(index << 1);
  }

  /** Nodes of a bit mask (bit i = node i; bit 0 unused, ids start at 1). */
  static Set<Integer> nodes(int mask) {
    Set<Integer> out = new TreeSet<>();
    for (int i = 0; i < 31; i++) {
      if ((mask & (1 << i)) != 0) out.add(i);
    }
    return out;
  }
}
