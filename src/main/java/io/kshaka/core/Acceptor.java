package io.kshaka.core;

/**
 * The acceptor's rules as pure functions over the state of one key. The caller persists {@link Transition#next()}
 * (when it is not null) and only then sends {@link Transition#reply()}; when {@code next} is null nothing changed,
 * but the reply must still wait until any earlier write of that key is durable.
 */
public final class Acceptor {
  private Acceptor() {}

  /** The state to persist (null if unchanged) and the reply to send once it is durable. */
  public record Transition(AcceptorState next, AcceptorReply reply) {}

  /**
   * What the node's configuration demands of every request, before the per-key rules: its epoch is not below
   * {@code epoch}, and its ballot counter is above {@code ballotFloor} (raised by garbage collection past the
   * ballots of the tombstones it removed).
   */
  public record Fence(long epoch, long ballotFloor) {
    /** No configuration: every request passes (tests of the per-key rules). */
    public static final Fence NONE = new Fence(0, 0);
  }

  public static Transition handle(AcceptorState current, AcceptorRequest request) {
    if (request instanceof AcceptorRequest.Accept a) return accept(current, a.ballot(), a.state(), a.next());
    return prepare(current, request.ballot());
  }

  /**
   * The fence first: a request from an older epoch is answered {@link AcceptorReply.StaleEpoch} and one whose
   * ballot is at or below the floor a {@link AcceptorReply.Conflict} naming a ballot above it; neither changes
   * anything. Then the per-key rules.
   */
  public static Transition handle(AcceptorState current, AcceptorRequest request, Fence fence) {
    if (request.epoch() < fence.epoch()) {
      return new Transition(null, new AcceptorReply.StaleEpoch(fence.epoch()));
    }
    if (request.ballot().counter() <= fence.ballotFloor()) {
      return new Transition(null, new AcceptorReply.Conflict(new Ballot(fence.ballotFloor(), Integer.MAX_VALUE)));
    }
    return handle(current, request);
  }

  /** Conflict if {@code promised > b} or {@code accepted > b}; else promise {@code b}. */
  public static Transition prepare(AcceptorState current, Ballot b) {
    if (conflicts(current, b)) return conflict(current);
    AcceptorReply reply = new AcceptorReply.Promise(current.accepted(), current.state());
    if (current.promised().equals(b)) return new Transition(null, reply);
    return new Transition(new AcceptorState(b, current.accepted(), current.state()), reply);
  }

  /**
   * Conflict if {@code promised > b} or {@code accepted > b}; else accept {@code state} at {@code b} and promise
   * {@code next} (or {@code b}). A repeated accept of the same ballot and state is answered {@code Accepted} again,
   * even when a later promise (its own {@code next}) is in place: it changes nothing.
   */
  public static Transition accept(AcceptorState current, Ballot b, RegisterState state, Ballot next) {
    if (current.accepted().equals(b) && current.state().equals(state) && !b.equals(Ballot.ZERO)) {
      return new Transition(null, AcceptorReply.Accepted.INSTANCE);
    }
    if (conflicts(current, b)) return conflict(current);
    Ballot promise = next != null ? next : b;
    AcceptorState after = new AcceptorState(promise, b, state);
    return new Transition(after.equals(current) ? null : after, AcceptorReply.Accepted.INSTANCE);
  }

  private static boolean conflicts(AcceptorState current, Ballot b) {
    return current.promised().isAbove(b) || current.accepted().isAbove(b);
  }

  private static Transition conflict(AcceptorState current) {
    return new Transition(null, new AcceptorReply.Conflict(Ballot.max(current.promised(), current.accepted())));
  }

  /**
   * GC rule (paper §3.1): an acceptor may forget a key only when it holds exactly the tombstone chosen at
   * {@code bt} (accepted == bt, absent value, version > 0) and has promised nothing above {@code bt.successor()}
   * (the 1-RTT promise of the round that chose the tombstone); a higher promise means a newer round is under way.
   */
  public static boolean collectable(AcceptorState current, Ballot bt) {
    return current.accepted().equals(bt) && !current.state().present() && current.state().version() > 0
        && !current.promised().isAbove(bt.successor());
  }
}
