package io.kshaka.core;

import java.util.Objects;

/** What an acceptor answers. */
public sealed interface AcceptorReply {
  /** Answer to a prepare: the acceptor promised the ballot; here is what it had accepted. */
  record Promise(Ballot accepted, RegisterState state) implements AcceptorReply {
    public Promise {
      Objects.requireNonNull(accepted, "accepted");
      Objects.requireNonNull(state, "state");
    }
  }

  /** Answer to an accept: the state is accepted (and durable). */
  record Accepted() implements AcceptorReply {
    public static final Accepted INSTANCE = new Accepted();
  }

  /** The acceptor has promised or accepted a higher ballot; nothing changed. */
  record Conflict(Ballot higher) implements AcceptorReply {
    public Conflict {
      Objects.requireNonNull(higher, "higher");
    }
  }

  /**
   * The acceptor's node is at configuration epoch {@code current}, later than the request's: nothing changed. The
   * proposer counts it as no vote and refreshes its configuration before it retries.
   */
  record StaleEpoch(long current) implements AcceptorReply {}
}
