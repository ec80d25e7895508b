package io.kshaka.sim;

/**
 * Which system the simulator runs: the real one, or a deliberately broken variant (a negative control). Every broken
 * variant lives in the simulator's own code; production code has no switch for any of them. The simulator must catch
 * each broken variant (an invariant violation, a non-linearizable history, or a lost write) within 2,000 seeds.
 */
public enum Variant {
  /** The real core, unchanged. */
  CORRECT,
  /**
   * Quorum of one: proposer {@code i} prepares and accepts on acceptor {@code ((i - 1) mod M) + 1} alone, so two
   * proposers never need to meet.
   */
  QUORUM_OF_ONE,
  /** The acceptor sends its reply right after the transition, before the flush that makes it durable. */
  REPLY_BEFORE_PERSIST,
  /**
   * The acceptor compares ballots by counter only, ignoring the node id ({@link BrokenAcceptor}): two proposers with
   * the same counter both pass.
   */
  BALLOT_IGNORES_NODE_ID,
  /** A restarted proposer ignores its durable counter floor and starts from counter 0: it may reuse ballots. */
  FORGET_COUNTER,
  /**
   * The proposer does not take the highest accepted value: the simulator rewrites every promise so that all carry
   * the same accepted ballot, so the proposer takes the state of whichever promise came first.
   */
  IGNORE_HIGHEST_ACCEPTED,
  /**
   * The client layer reports a failure after accepts were sent (UNKNOWN) as NOT_APPLIED (for the clients' operations
   * before the heal; the liveness phase would catch it otherwise, and the point is that the checker does).
   */
  UNKNOWN_AS_NOT_APPLIED,
  /**
   * A takeover that re-applies without fencing: the node that takes a request over decides whether it was applied
   * from one acceptor's current state (no prepare quorum, so no older ballot is fenced, and the home may still be
   * running it); when that state does not hold the id, the change is submitted again under a new id.
   */
  UNFENCED_TAKEOVER,
  /**
   * A retry that applies twice: every promise reaches the proposer without the register's request log (as if the
   * acceptors dropped it from their states), so no retry or takeover finds its id.
   */
  DROP_REQUEST_LOG,

  // Membership runs only (SimConfig.membership): each must be caught there.

  /** The membership driver never rescans, whatever a step asks. */
  SKIP_RESCAN(true),
  /**
   * The first half of an add widens the prepare set and leaves the accept set as it was (the wrong order), and the
   * rescan runs there, as the right order runs it: values are re-chosen on the old accept set only.
   */
  PREPARE_BEFORE_ACCEPT(true),
  /** Garbage collection removes tombstones without installing the fenced epoch (no ballot floor, no epoch bump). */
  GC_WITHOUT_FENCE(true),
  /** Garbage collection removes the key whatever the acceptor holds (not only the tombstone at its ballot). */
  GC_REMOVE_UNCONDITIONAL(true),
  /** An acceptor whose disk was lost votes at once with its empty store (as every node did before issue 9). */
  AMNESIAC_VOTES(true);

  /** True for the variants that need a membership run. */
  public final boolean membership;

  Variant() {
    this(false);
  }

  Variant(boolean membership) {
    this.membership = membership;
  }
}
