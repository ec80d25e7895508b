package io.kshaka.bench;

/** Hooks into one {@link BenchRun}: the fault mode uses them to schedule its fault and to record per client. */
interface RunObserver {
  /** Called on the bench's own thread once the timeline is fixed, just before the clients start. */
  default void starting(Timeline timeline) {}

  /** Called on a client's event loop when one of its ops ends (must not block). */
  default void op(int client, boolean measured, OpOutcome outcome, long latencyNanos, long endNanos) {}

  /** Called on the bench's thread each second with the progress line; returns the line to print. */
  default String progress(long now, String line) {
    return line;
  }
}
