package io.kshaka.bench;

/**
 * The phases of one case on the {@link System#nanoTime()} clock: ops started before {@code measureStart} are
 * warm-up, none starts at or after {@code end}. {@link #stop()} ends it early (clients finish their current op).
 */
final class Timeline {
  final long start;
  final long measureStart;
  final long end;
  private volatile boolean stopped;

  Timeline(long start, double warmupSeconds, double durationSeconds) {
    this.start = start;
    this.measureStart = start + nanos(warmupSeconds);
    this.end = measureStart + nanos(durationSeconds);
  }

  void stop() {
    stopped = true;
  }

  boolean stopped() {
    return stopped;
  }

  static long nanos(double seconds) {
    return (long) (seconds * 1e9);
  }
}
