package io.kshaka.bench;

import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAccumulator;
import java.util.concurrent.atomic.LongAdder;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

/**
 * What the clients record, from any event loop, without locks: latency recorders (microseconds) and outcome
 * counters, kept apart for warm-up and measured ops. The reporting thread takes interval histograms from them.
 */
final class Stats {
  private static final int DIGITS = 3;

  private final Recorder measuredLatency = new Recorder(DIGITS);
  private final Recorder warmupLatency = new Recorder(DIGITS);
  private final LongAdder[] measured = adders(OpOutcome.values().length);
  private final LongAdder[] warmup = adders(OpOutcome.values().length);
  private final LongAdder[] measuredByOp = adders(OpKind.values().length);
  private final AtomicLong claimed = new AtomicLong();
  private final LongAccumulator lastMeasuredEnd = new LongAccumulator(Math::max, Long.MIN_VALUE);

  /**
   * Records one finished op. Latency is recorded for answers (ok and conflicts) only; errors are counted by kind.
   */
  void record(boolean isMeasured, OpKind op, OpOutcome outcome, long latencyNanos, long endNanos) {
    long micros = Math.max(0, latencyNanos / 1_000);
    if (isMeasured) {
      measured[outcome.ordinal()].increment();
      measuredByOp[op.ordinal()].increment();
      if (!outcome.isError()) measuredLatency.recordValue(micros);
      lastMeasuredEnd.accumulate(endNanos);
    } else {
      warmup[outcome.ordinal()].increment();
      if (!outcome.isError()) warmupLatency.recordValue(micros);
    }
  }

  /** Claims the right to start one more measured op: returns how many have been claimed, this one included. */
  long claimMeasuredOp() {
    return claimed.incrementAndGet();
  }

  long measured(OpOutcome outcome) {
    return measured[outcome.ordinal()].sum();
  }

  long warmup(OpOutcome outcome) {
    return warmup[outcome.ordinal()].sum();
  }

  long measuredOps(OpKind op) {
    return measuredByOp[op.ordinal()].sum();
  }

  long measuredErrors() {
    long n = 0;
    for (OpOutcome o : OpOutcome.errors()) n += measured(o);
    return n;
  }

  long warmupErrors() {
    long n = 0;
    for (OpOutcome o : OpOutcome.errors()) n += warmup(o);
    return n;
  }

  long measuredTotal() {
    long n = 0;
    for (OpOutcome o : OpOutcome.values()) n += measured(o);
    return n;
  }

  long warmupTotal() {
    long n = 0;
    for (OpOutcome o : OpOutcome.values()) n += warmup(o);
    return n;
  }

  /** System.nanoTime() of the last measured op's end, or Long.MIN_VALUE when none ended. */
  long lastMeasuredEnd() {
    return lastMeasuredEnd.get();
  }

  Histogram measuredInterval(Histogram recycle) {
    return measuredLatency.getIntervalHistogram(recycle);
  }

  Histogram warmupInterval(Histogram recycle) {
    return warmupLatency.getIntervalHistogram(recycle);
  }

  static Histogram newHistogram() {
    return new Histogram(DIGITS);
  }

  private static LongAdder[] adders(int n) {
    LongAdder[] a = new LongAdder[n];
    for (int i = 0; i < n; i++) a[i] = new LongAdder();
    return a;
  }
}
