package io.kshaka.core;

/** What the pure {@link Proposer} asks its I/O shell to do. */
public sealed interface ProposerEffect {
  /**
   * Send {@code request} to acceptor {@code to}; feed its reply back with {@link Proposer#onReply} and a timeout or
   * delivery failure with {@link Proposer#onNoVote}, both tagged with {@code roundId}. The prepare and the accept
   * phase of one round have different ids, so a late prepare answer or timeout never counts in the accept phase.
   */
  record Send(long roundId, int to, AcceptorRequest request) implements ProposerEffect {}

  /** Answer the caller that submitted {@code token}. */
  record Complete(Object token, ProposerResult result) implements ProposerEffect {}

  /** Call {@link Proposer#onWake} for {@code key} at (or after) {@code atMillis}. */
  record Wake(String key, long atMillis) implements ProposerEffect {}

  /**
   * Durably store {@code floor} as the ballot counter floor (no ballot at or above it has been used), then call
   * {@link Proposer#onCounterReserved}. After a restart the proposer starts at the stored floor.
   */
  record Reserve(long floor) implements ProposerEffect {}

  /**
   * An acceptor answered that its node is at configuration epoch {@code epoch}, later than this proposer's: refresh
   * the configuration (from node {@code from}) and call {@link Proposer#configure}. Emitted for every such
   * answer until then: the shell runs one refresh at a time.
   */
  record StaleConfig(long epoch, int from) implements ProposerEffect {}
}
