package io.kshaka.storage;

import io.kshaka.core.AcceptorState;
import io.vertx.core.Future;

/** Durable per-key acceptor state. */
public interface AcceptorStore {
  /** Rebuilds the in-memory map from the latest snapshot plus the log. Fails (with a message naming file and offset) on a corrupt record before the end. */
  Future<Void> open();

  /** In-memory read; AcceptorState.INITIAL for an unknown key. Never blocks. */
  AcceptorState get(String key);

  /** Updates memory immediately, appends a record; the future completes when the record is durable (fsynced). */
  Future<Void> put(String key, AcceptorState state);

  /** Completes when everything put so far is durable; no fsync if nothing is pending (read-only paths). */
  Future<Void> barrier();

  /** Number of keys held. */
  int size();

  /** Stops accepting writes, waits for pending ones, closes files. */
  Future<Void> close();
}
