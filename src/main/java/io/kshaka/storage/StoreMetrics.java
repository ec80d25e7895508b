package io.kshaka.storage;

/**
 * Listener for storage events, so that the verticle layer can feed a metrics registry (the storage package has no
 * metrics dependency). Every method is called on the store's context and must return quickly and not throw;
 * all have empty defaults.
 */
public interface StoreMetrics {
  StoreMetrics NONE = new StoreMetrics() {};

  /** One group commit: {@code records} records, {@code bytes} bytes written and synced in {@code nanos}. */
  default void onFlush(int records, int bytes, long nanos) {}

  /** A snapshot of {@code keys} keys ({@code bytes} bytes) was written, renamed and the old log removed. */
  default void onSnapshot(long keys, long bytes, long nanos) {}

  /** {@code open()} rebuilt {@code keys} keys; {@code cutBytes} bytes of torn tail were cut off. */
  default void onRecovery(long keys, long replayedLogBytes, long cutBytes, long nanos) {}

  /** The store failed and refuses further writes. */
  default void onFailure(Throwable cause) {}
}
