package io.kshaka.core;

import java.util.Objects;

/**
 * What an acceptor remembers about one key: the highest ballot it promised, the ballot of the state it accepted,
 * and that state. {@link #INITIAL} is the state of a key the acceptor has never heard of.
 * Invariant: {@code accepted <= promised}.
 */
public record AcceptorState(Ballot promised, Ballot accepted, RegisterState state) {
  public static final AcceptorState INITIAL = new AcceptorState(Ballot.ZERO, Ballot.ZERO, RegisterState.EMPTY);

  public AcceptorState {
    Objects.requireNonNull(promised, "promised");
    Objects.requireNonNull(accepted, "accepted");
    Objects.requireNonNull(state, "state");
    if (accepted.isAbove(promised)) {
      throw new IllegalArgumentException("accepted " + accepted + " above promised " + promised);
    }
  }
}
