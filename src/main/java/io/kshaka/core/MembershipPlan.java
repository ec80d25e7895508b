package io.kshaka.core;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * The steps of a membership change (paper §2.3), one acceptor at a time, with majority quorums q(n) = n/2 + 1. Pure:
 * no I/O, no clock; the driver installs each step's {@link QuorumSpec} as a new epoch and runs the rescan the step asks
 * for before going on.
 *
 * <p>Steps (contract for issue 9, "Membership steps"):
 * <ul>
 *   <li>add x to S (n → n+1): prepare (S, q(n)), accept (S+x, q(n+1)); then both (S+x, q(n+1)).
 *   <li>remove x from S (n → n−1): prepare (S−x, q(n−1)), accept (S, q(n)); then both (S−x, q(n−1)).
 *   <li>a step asks for a rescan iff a value chosen on an accept quorum of the previous config may sit on fewer than
 *       an accept quorum of the new one: {@code qa_old − |A_old \ A_new| < qa_new} (the paper's odd → even → odd
 *       caveat). For an add from odd n the rescan runs in the half-step (accept widened, prepare not yet); for a
 *       remove from odd n it runs after the removal is complete.
 *   <li>adds before removes (grow before shrink: fault tolerance never dips below that of the smaller of the old and
 *       new sets); adds in ascending id, removes in descending id.
 *   <li>replace x (lost disk): remove x, then add x back as a new incarnation ({@link Kind#REPLACE_ADD}), always
 *       with a rescan once its accepts are in force, so that it holds every key again.
 * </ul>
 *
 * <p>Invariant between steps (what makes plans composable): once a step and its rescan are done, every value that
 * may have been chosen is held by an accept quorum of the step's config.
 *
 * <p>Resuming: the half-step configs of an add of x to S and of a remove of x from S+x are the same config, so any
 * config a plan passes through is either steady (prepare = accept, majority) or a half-step. {@link #plan} accepts
 * both: from a half-step it first completes toward the target (as an add if the target holds x, else as a remove).
 * For every plan {@code steps} from a steady config and every k, {@code plan(steps[k].spec, target)} equals
 * {@code steps[k+1..]}, provided the rescan step k asked for has finished. A driver that does not know whether it has
 * (its record is lost) calls {@link #resume}, which rescans once first.
 */
public final class MembershipPlan {

  public enum Kind {
    /** A node joins (first half: accept widened) or its join completes (second half: prepare widened). */
    ADD,
    /** A node leaves (first half: prepare narrowed) or its leave completes (second half: accept narrowed). */
    REMOVE,
    /** Like ADD, for the node of a replace: it rejoins as a new incarnation. */
    REPLACE_ADD,
    /** Only from {@link #resume}: reinstall the current config (idempotent) and rescan under it. */
    RESCAN
  }

  /**
   * One step: install {@code spec} as the next epoch (on a blocking set of the previous one), then, if
   * {@code rescanAfter}, rescan every key before the next step. {@code newIncarnation}: the caller gives {@code node}
   * a new incarnation (old + 1) in this step's config (the REPLACE_ADD step where the node re-enters the config).
   * {@code node} is 0 for {@link Kind#RESCAN}.
   */
  public record Step(Kind kind, int node, QuorumSpec spec, boolean rescanAfter, boolean newIncarnation) {
    public Step {
      if (kind == null || spec == null) throw new IllegalArgumentException("kind and spec are required");
      if (newIncarnation && kind != Kind.REPLACE_ADD) {
        throw new IllegalArgumentException("only a REPLACE_ADD step gives a new incarnation");
      }
    }
  }

  private MembershipPlan() {
  }

  /** Majority quorum of n acceptors. */
  public static int q(int n) {
    return n / 2 + 1;
  }

  /**
   * The steps from {@code current} (steady, or a half-step whose rescan, if any, is done) to the steady majority
   * configuration of {@code target}.
   *
   * @throws IllegalArgumentException for an empty target, an id below 1, a target equal to the (steady) current set,
   *     or a current config that is neither steady majority nor a half-step of a change
   */
  public static List<Step> plan(QuorumSpec current, Collection<Integer> target) {
    Set<Integer> goal = checkTarget(target);
    List<Step> steps = new ArrayList<>();
    QuorumSpec at = current;
    Integer half = halfStepNode(current);
    if (half != null) {
      // Complete the half-step toward the target; an identical target is not an error here (the change is running).
      int x = half;
      if (goal.contains(x)) {
        at = QuorumSpec.majority(current.acceptNodes());
        steps.add(new Step(Kind.ADD, x, at, needsRescan(current, at), false));
      } else {
        at = QuorumSpec.majority(current.prepareNodes());
        steps.add(new Step(Kind.REMOVE, x, at, needsRescan(current, at), false));
      }
    } else {
      requireSteady(current);
      if (current.acceptNodes().equals(goal)) {
        throw new IllegalArgumentException("target " + goal + " is the current acceptor set: nothing to change");
      }
    }
    for (int x : sorted(goal, at.acceptNodes(), false)) at = add(steps, at, x, Kind.ADD);
    for (int x : sorted(at.acceptNodes(), goal, true)) at = remove(steps, at, x);
    return Collections.unmodifiableList(steps);
  }

  /**
   * {@link #plan} for a driver that does not know whether the rescan of the step that installed {@code current}
   * finished: reinstall {@code current} and rescan under it first (always safe), then the plan. A target equal to the
   * steady current set gives just the rescan.
   */
  public static List<Step> resume(QuorumSpec current, Collection<Integer> target) {
    Set<Integer> goal = checkTarget(target);
    List<Step> steps = new ArrayList<>();
    steps.add(new Step(Kind.RESCAN, 0, current, true, false));
    if (halfStepNode(current) != null || !current.acceptNodes().equals(goal)) steps.addAll(plan(current, goal));
    else requireSteady(current);
    return Collections.unmodifiableList(steps);
  }

  /**
   * Replace x (its disk was lost): remove x, then add it back with a new incarnation. Resumable: {@code current} may
   * also be the half-step of x's removal, or the steady config without x (removal done, re-add not started). Once x
   * is back in the config as its new incarnation, resume with {@link #replaceRejoined}.
   *
   * @throws IllegalArgumentException if x is below 1, x is the only acceptor, or current is none of the above
   */
  public static List<Step> replace(QuorumSpec current, int x) {
    checkId(x);
    List<Step> steps = new ArrayList<>();
    QuorumSpec at = current;
    Integer half = halfStepNode(current);
    if (half != null) {
      if (half != x) {
        throw new IllegalArgumentException("a change of node " + half + " is half done: finish it before replacing "
            + x);
      }
      at = QuorumSpec.majority(current.prepareNodes());
      steps.add(new Step(Kind.REMOVE, x, at, needsRescan(current, at), false));
    } else {
      requireSteady(current);
      if (current.acceptNodes().contains(x)) {
        if (current.acceptNodes().size() == 1) {
          throw new IllegalArgumentException("cannot replace node " + x + ": it is the only acceptor");
        }
        at = remove(steps, at, x);
      }
    }
    add(steps, at, x, Kind.REPLACE_ADD);
    return Collections.unmodifiableList(steps);
  }

  /** The rest of a replace of x once x's new incarnation is in {@code current} (the half-step of its re-add). */
  public static List<Step> replaceRejoined(QuorumSpec current, int x) {
    checkId(x);
    Integer half = halfStepNode(current);
    if (half == null || half != x || !current.acceptNodes().contains(x)) {
      throw new IllegalArgumentException("node " + x + " is not half-way back in " + current);
    }
    QuorumSpec full = QuorumSpec.majority(current.acceptNodes());
    return List.of(new Step(Kind.REPLACE_ADD, x, full, needsRescan(current, full), false));
  }

  /**
   * Whether a value held by an accept quorum of {@code previous} may sit on fewer than an accept quorum of
   * {@code next}: {@code qa_old − |A_old \ A_new| < qa_new}. If so, rescan after installing {@code next}.
   */
  public static boolean needsRescan(QuorumSpec previous, QuorumSpec next) {
    int leaving = 0;
    for (int n : previous.acceptNodes()) {
      if (!next.acceptNodes().contains(n)) leaving++;
    }
    return previous.acceptQuorum() - leaving < next.acceptQuorum();
  }

  /** True for prepare = accept with majority quorums. */
  public static boolean isSteady(QuorumSpec spec) {
    int n = spec.acceptNodes().size();
    return spec.prepareNodes().equals(spec.acceptNodes()) && spec.prepareQuorum() == q(n)
        && spec.acceptQuorum() == q(n);
  }

  /**
   * The node x of a half-step config (prepare (S, q(|S|)), accept (S+x, q(|S|+1))), or null if {@code spec} is not
   * one. The half-step of adding x to S and that of removing x from S+x are the same config.
   */
  public static Integer halfStepNode(QuorumSpec spec) {
    Set<Integer> p = spec.prepareNodes();
    Set<Integer> a = spec.acceptNodes();
    if (a.size() != p.size() + 1 || !a.containsAll(p)) return null;
    if (spec.prepareQuorum() != q(p.size()) || spec.acceptQuorum() != q(a.size())) return null;
    for (int n : a) {
      if (!p.contains(n)) return n;
    }
    return null;
  }

  private static QuorumSpec add(List<Step> steps, QuorumSpec at, int x, Kind kind) {
    Set<Integer> s = at.acceptNodes();
    Set<Integer> grown = new TreeSet<>(s);
    grown.add(x);
    QuorumSpec half = new QuorumSpec(s, q(s.size()), grown, q(grown.size()));
    // A new incarnation is rescanned in even when the quorums do not need it: it then holds every key again, and
    // the cluster is back to as many copies of each value as before the disk was lost.
    steps.add(new Step(kind, x, half, needsRescan(at, half) || kind == Kind.REPLACE_ADD,
        kind == Kind.REPLACE_ADD));
    QuorumSpec full = QuorumSpec.majority(grown);
    steps.add(new Step(kind, x, full, needsRescan(half, full), false));
    return full;
  }

  private static QuorumSpec remove(List<Step> steps, QuorumSpec at, int x) {
    Set<Integer> s = at.acceptNodes();
    Set<Integer> shrunk = new TreeSet<>(s);
    shrunk.remove(x);
    QuorumSpec half = new QuorumSpec(shrunk, q(shrunk.size()), s, q(s.size()));
    steps.add(new Step(Kind.REMOVE, x, half, needsRescan(at, half), false));
    QuorumSpec full = QuorumSpec.majority(shrunk);
    steps.add(new Step(Kind.REMOVE, x, full, needsRescan(half, full), false));
    return full;
  }

  /** Elements of a not in b, ascending or descending. */
  private static List<Integer> sorted(Set<Integer> a, Set<Integer> b, boolean descending) {
    List<Integer> out = new ArrayList<>();
    for (int n : new TreeSet<>(a)) {
      if (!b.contains(n)) out.add(n);
    }
    if (descending) Collections.reverse(out);
    return out;
  }

  private static Set<Integer> checkTarget(Collection<Integer> target) {
    if (target == null || target.isEmpty()) {
      throw new IllegalArgumentException("target acceptor set must not be empty (it would remove every acceptor)");
    }
    Set<Integer> goal = new TreeSet<>();
    for (Integer n : target) {
      if (n == null) throw new IllegalArgumentException("target acceptor set must not contain null");
      checkId(n);
      goal.add(n);
    }
    return goal;
  }

  private static void checkId(int n) {
    if (n < 1) throw new IllegalArgumentException("acceptor id " + n + " is invalid: ids start at 1");
  }

  private static void requireSteady(QuorumSpec spec) {
    if (!isSteady(spec)) {
      throw new IllegalArgumentException("current configuration " + spec + " is neither steady (prepare = accept, "
          + "majority quorums) nor half-way through adding or removing one acceptor");
    }
  }
}
