package io.kshaka.sim;

import io.kshaka.core.Acceptor;
import io.kshaka.core.AcceptorReply;
import io.kshaka.core.AcceptorRequest;
import io.kshaka.core.AcceptorState;
import io.kshaka.core.Ballot;

/**
 * Negative control {@link Variant#BALLOT_IGNORES_NODE_ID}: the acceptor rules of the protocol rules (README, "How it works"), except that ballots
 * are compared by counter alone. Written here, in the simulator, so that production code has no such switch.
 * A transition that would leave {@code accepted > promised} (in the true order) throws from the
 * {@link AcceptorState} constructor; the simulator reports that as an invariant violation.
 */
final class BrokenAcceptor {
  private BrokenAcceptor() {}

  static Acceptor.Transition handle(AcceptorState current, AcceptorRequest request) {
    Ballot b = request.ballot();
    if (above(current.promised(), b) || above(current.accepted(), b)) {
      return new Acceptor.Transition(null,
          new AcceptorReply.Conflict(Ballot.max(current.promised(), current.accepted())));
    }
    if (request instanceof AcceptorRequest.Accept a) {
      Ballot promise = a.next() != null ? a.next() : b;
      return new Acceptor.Transition(new AcceptorState(promise, b, a.state()), AcceptorReply.Accepted.INSTANCE);
    }
    return new Acceptor.Transition(new AcceptorState(b, current.accepted(), current.state()),
        new AcceptorReply.Promise(current.accepted(), current.state()));
  }

  /** The broken order: counters only. */
  private static boolean above(Ballot x, Ballot y) {
    return x.counter() > y.counter();
  }
}
