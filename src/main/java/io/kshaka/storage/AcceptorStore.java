package io.kshaka.storage;

import io.kshaka.core.AcceptorState;
import io.vertx.core.Future;

/**
 * Durable per-key acceptor state (promised, accepted, state). The acceptor replies to a prepare or an accept only
 * after the future of the matching {@link #put} has completed: nothing is replied before it is durable.
 *
 * <p>Threading: {@link #get} and {@link #size} may be called from any thread. Implementations may require the other
 * methods to be called on the Vert.x context that called {@link #open} (see {@link FileAcceptorStore}).
 *
 * <p>Failure: once a write or fsync has failed the store is {@linkplain #failed() failed} for good: every pending
 * and later {@link #put} and {@link #barrier} fails with {@link StoreFailedException}. It never retries an fsync; an
 * acceptor whose store failed must stop voting.
 */
public interface AcceptorStore {

  /**
   * Rebuilds the in-memory map from the latest snapshot plus the log. A torn or partial last record is cut off.
   * Fails with {@link StoreCorruptedException} (naming file and byte offset) on a corrupt record before the end.
   */
  Future<Void> open();

  /** In-memory read; {@link AcceptorState#INITIAL} for an unknown key. Never blocks. */
  AcceptorState get(String key);

  /**
   * Updates memory immediately and appends a record; the future completes when the record is durable (written
   * and synced to disk), and fails if the store has failed or is closed. A put refused on its own (a record over
   * the size limit, a full batch) fails with {@link StoreRefusedException} and changes nothing: that is the
   * request's error, not the store's.
   */
  Future<Void> put(String key, AcceptorState state);

  /** Completes when everything put so far is durable; no fsync if nothing is pending (read-only paths). */
  Future<Void> barrier();

  /** Number of keys held. */
  int size();

  /** True once a write or sync has failed: the store refuses every further write. */
  boolean failed();

  /** Stops accepting writes, waits for pending ones, closes files. */
  Future<Void> close();
}
