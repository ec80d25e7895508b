package io.kshaka.core;

import java.util.Objects;

/** The two messages a proposer sends to an acceptor, about one key. */
public sealed interface AcceptorRequest {
  String key();

  Ballot ballot();

  /**
   * The configuration epoch of the round that sent this request (fixed when the round starts). An acceptor whose
   * node is at a later epoch refuses it ({@link AcceptorReply.StaleEpoch}). 0 = sent outside any configuration
   * (tests of the pure rules).
   */
  long epoch();

  /** Phase 1: ask the acceptor to promise {@code ballot} and report what it accepted. */
  record Prepare(String key, Ballot ballot, long epoch) implements AcceptorRequest {
    public Prepare {
      Objects.requireNonNull(key, "key");
      Objects.requireNonNull(ballot, "ballot");
    }

    public Prepare(String key, Ballot ballot) {
      this(key, ballot, 0);
    }
  }

  /**
   * Phase 2: ask the acceptor to accept {@code state} at {@code ballot}. If {@code next} is not null the acceptor
   * also promises {@code next} (the 1-RTT optimisation), which must be above {@code ballot}.
   */
  record Accept(String key, Ballot ballot, RegisterState state, Ballot next, long epoch) implements AcceptorRequest {
    public Accept {
      Objects.requireNonNull(key, "key");
      Objects.requireNonNull(ballot, "ballot");
      Objects.requireNonNull(state, "state");
      if (next != null && !next.isAbove(ballot)) {
        throw new IllegalArgumentException("next " + next + " must be above ballot " + ballot);
      }
    }

    public Accept(String key, Ballot ballot, RegisterState state, Ballot next) {
      this(key, ballot, state, next, 0);
    }
  }
}
