package io.kshaka.core;

import java.util.HashSet;
import java.util.Set;

/**
 * One ballot's round on one key, fed replies one at a time. It decides as soon as the replies allow: a prepare
 * quorum of promises, an accept quorum of accepts, or so many conflicts and missing votes that a quorum can no
 * longer be reached. It never sends anything itself; the {@link Proposer} acts on its steps.
 *
 * <p>A full round starts in the prepare phase; a 1-RTT round ({@link #fast}) starts in the accept phase with the
 * state the proposer cached when its previous accept promised this round's ballot.
 */
public final class ProposerRound {
  public enum Phase { PREPARE, ACCEPT, DONE }

  /** What the proposer should do after feeding a reply. */
  public sealed interface Step {}

  /** Nothing decided yet. */
  public record Waiting() implements Step {
    static final Waiting INSTANCE = new Waiting();
  }

  /**
   * A prepare quorum promised. {@code state} was accepted at {@code highestAccepted}, the highest ballot among the
   * promises ({@link Ballot#ZERO} and the empty state when none accepted anything). {@code chosen} is true when an
   * accept quorum of the replies carry that same ballot: the state is already chosen and a change that leaves it
   * as it is needs no accept phase.
   */
  public record Promised(Ballot highestAccepted, RegisterState state, boolean chosen) implements Step {}

  /**
   * An accept quorum accepted: the state is chosen. {@code cacheable} is true when a prepare quorum of the accepts
   * also promised {@link #next()}, so the next change may skip its prepare (1-RTT).
   */
  public record Chosen(boolean cacheable) implements Step {}

  /**
   * The phase can no longer reach quorum. {@code highestConflict} is the highest ballot reported in a conflict
   * (null if the votes were only missing). {@code acceptSent} tells whether the failure happened after accepts
   * went out (the state it carried may then still be chosen, by this or a later round).
   */
  public record Failed(Phase phase, Ballot highestConflict, boolean acceptSent) implements Step {}

  private final Ballot ballot;
  private final Ballot next;
  private final QuorumSpec quorums;
  private final long epoch;
  private Phase phase;
  private final Set<Integer> answered = new HashSet<>();
  private int votes;
  private int noVotes;
  private Ballot highestConflict;
  // prepare phase
  private Ballot highestAccepted = Ballot.ZERO;
  private RegisterState highestState = RegisterState.EMPTY;
  private final Set<Integer> promisedAtHighest = new HashSet<>();
  // accept phase
  private RegisterState proposed;
  private int acceptedFromPrepareSet;

  private ProposerRound(Ballot ballot, Ballot next, QuorumSpec quorums, long epoch, Phase phase,
      RegisterState proposed) {
    if (next != null && !next.isAbove(ballot)) throw new IllegalArgumentException("next must be above ballot");
    this.ballot = ballot;
    this.next = next;
    this.quorums = quorums;
    this.epoch = epoch;
    this.phase = phase;
    this.proposed = proposed;
  }

  /** A round that starts with prepare. */
  public static ProposerRound full(Ballot ballot, Ballot next, QuorumSpec quorums) {
    return full(ballot, next, quorums, 0);
  }

  /** A round that starts with prepare, under the configuration of {@code epoch} (its messages carry it). */
  public static ProposerRound full(Ballot ballot, Ballot next, QuorumSpec quorums, long epoch) {
    return new ProposerRound(ballot, next, quorums, epoch, Phase.PREPARE, null);
  }

  /** A 1-RTT round: the prepare for {@code ballot} happened with the previous accept; propose {@code state}. */
  public static ProposerRound fast(Ballot ballot, Ballot next, QuorumSpec quorums, RegisterState state) {
    return fast(ballot, next, quorums, 0, state);
  }

  public static ProposerRound fast(Ballot ballot, Ballot next, QuorumSpec quorums, long epoch, RegisterState state) {
    return new ProposerRound(ballot, next, quorums, epoch, Phase.ACCEPT, state);
  }

  /** The configuration epoch this round runs under. */
  public long epoch() {
    return epoch;
  }

  public Ballot ballot() {
    return ballot;
  }

  public Ballot next() {
    return next;
  }

  public Phase phase() {
    return phase;
  }

  /** The state sent in the accept phase (null before it). */
  public RegisterState proposed() {
    return proposed;
  }

  /** The acceptors to send this phase's message to. */
  public Set<Integer> targets() {
    return phase == Phase.PREPARE ? quorums.prepareNodes() : quorums.acceptNodes();
  }

  public AcceptorRequest prepareRequest(String key) {
    return new AcceptorRequest.Prepare(key, ballot, epoch);
  }

  public AcceptorRequest acceptRequest(String key) {
    return new AcceptorRequest.Accept(key, ballot, proposed, next, epoch);
  }

  /** Moves to the accept phase with the state to propose (after {@link Promised}). */
  public void beginAccept(RegisterState state) {
    if (phase != Phase.PREPARE) throw new IllegalStateException("beginAccept in phase " + phase);
    phase = Phase.ACCEPT;
    proposed = state;
    answered.clear();
    votes = 0;
    noVotes = 0;
    highestConflict = null;
  }

  /** Ends the round without an accept phase (the state was already chosen). */
  public void finishWithoutAccept() {
    phase = Phase.DONE;
  }

  /** Feeds one acceptor's reply to this round's current phase. Replies of other phases or repeats are ignored. */
  public Step onReply(int from, AcceptorReply reply) {
    if (reply instanceof AcceptorReply.Conflict c) return onConflict(from, c.higher());
    if (reply instanceof AcceptorReply.StaleEpoch) return onNoVote(from);
    if (phase == Phase.PREPARE && reply instanceof AcceptorReply.Promise p) return onPromise(from, p);
    if (phase == Phase.ACCEPT && reply instanceof AcceptorReply.Accepted) return onAccepted(from);
    return Waiting.INSTANCE;
  }

  /** The acceptor did not answer in time (or could not be reached): counts as no vote. */
  public Step onNoVote(int from) {
    if (!countable(from)) return Waiting.INSTANCE;
    noVotes++;
    return failedIfHopeless();
  }

  private Step onConflict(int from, Ballot higher) {
    if (!countable(from)) return Waiting.INSTANCE;
    noVotes++;
    highestConflict = highestConflict == null ? higher : Ballot.max(highestConflict, higher);
    return failedIfHopeless();
  }

  private Step onPromise(int from, AcceptorReply.Promise p) {
    if (!countable(from)) return Waiting.INSTANCE;
    votes++;
    int c = p.accepted().compareTo(highestAccepted);
    if (c > 0) {
      highestAccepted = p.accepted();
      highestState = p.state();
      promisedAtHighest.clear();
    }
    if (c >= 0 && quorums.acceptNodes().contains(from)) promisedAtHighest.add(from);
    if (votes < quorums.prepareQuorum()) return Waiting.INSTANCE;
    boolean chosen = promisedAtHighest.size() >= quorums.acceptQuorum();
    return new Promised(highestAccepted, highestState, chosen);
  }

  private Step onAccepted(int from) {
    if (!countable(from)) return Waiting.INSTANCE;
    votes++;
    if (quorums.prepareNodes().contains(from)) acceptedFromPrepareSet++;
    if (votes < quorums.acceptQuorum()) return Waiting.INSTANCE;
    phase = Phase.DONE;
    return new Chosen(next != null && acceptedFromPrepareSet >= quorums.prepareQuorum());
  }

  private boolean countable(int from) {
    return phase != Phase.DONE && targets().contains(from) && answered.add(from);
  }

  private Step failedIfHopeless() {
    int tolerance = phase == Phase.PREPARE ? quorums.prepareTolerance() : quorums.acceptTolerance();
    if (noVotes <= tolerance) return Waiting.INSTANCE;
    Phase failedIn = phase;
    phase = Phase.DONE;
    return new Failed(failedIn, highestConflict, failedIn == Phase.ACCEPT);
  }
}
