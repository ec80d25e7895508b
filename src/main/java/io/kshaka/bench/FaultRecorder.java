package io.kshaka.bench;

import java.util.Set;
import java.util.concurrent.atomic.AtomicLongArray;
import org.HdrHistogram.Histogram;

/**
 * Records every measured op of a fault run into 100 ms slots by the time it ended, split between the clients whose
 * entry node is never faulted and the others; lock-free on the clients' event loops (the slowest op and the
 * pre-fault latency histogram take a short lock). {@link #series()} copies it into a {@link FaultSeries}.
 */
final class FaultRecorder implements RunObserver {
  static final long SLOT_NANOS = 100_000_000L;

  private final int endpoints;
  private final Set<Integer> faultedEndpoints;
  private final int measuredSlots;
  private final int slots;
  private final long preFaultNanos;
  private final AtomicLongArray[] answers = new AtomicLongArray[2];
  private final AtomicLongArray[][] errors = new AtomicLongArray[2][OpOutcome.values().length];
  private final AtomicLongArray[] maxLatencyUs = new AtomicLongArray[2];
  private final long[] slowestUs = new long[2];
  private final OpOutcome[] slowestOutcome = new OpOutcome[2];
  private final Histogram preFaultLatency = Stats.newHistogram();
  private volatile long measureStart;

  /**
   * @param endpoints        the number of entry nodes; client i uses endpoint i mod endpoints
   * @param faultedEndpoints the 0-based endpoints whose node is faulted
   * @param durationSeconds  the measured phase
   * @param tailSeconds      how long after the end an op may still end
   * @param faultAtSeconds   the pre-fault latency histogram takes answers that ended before this
   */
  FaultRecorder(int endpoints, Set<Integer> faultedEndpoints, double durationSeconds, double tailSeconds,
      double faultAtSeconds) {
    this.endpoints = endpoints;
    this.faultedEndpoints = Set.copyOf(faultedEndpoints);
    this.measuredSlots = (int) Math.round(durationSeconds * 1e9 / SLOT_NANOS);
    this.slots = measuredSlots + (int) Math.ceil(tailSeconds * 1e9 / SLOT_NANOS) + 1;
    this.preFaultNanos = Timeline.nanos(faultAtSeconds);
    for (int g = 0; g < 2; g++) {
      answers[g] = new AtomicLongArray(slots);
      maxLatencyUs[g] = new AtomicLongArray(slots);
      for (int k = 0; k < errors[g].length; k++) errors[g][k] = new AtomicLongArray(slots);
    }
  }

  boolean surviving(int client) {
    return !faultedEndpoints.contains(client % endpoints);
  }

  @Override
  public void starting(Timeline timeline) {
    measureStart = timeline.measureStart;
  }

  @Override
  public void op(int client, boolean measured, OpOutcome outcome, long latencyNanos, long endNanos) {
    if (!measured) return;
    int g = surviving(client) ? FaultSeries.SURVIVING : FaultSeries.FAULTED;
    long sinceStart = endNanos - measureStart;
    int slot = (int) Math.max(0, Math.min(slots - 1, sinceStart / SLOT_NANOS));
    long micros = Math.max(0, latencyNanos / 1000);
    if (outcome.isError()) {
      errors[g][outcome.ordinal()].incrementAndGet(slot);
    } else {
      answers[g].incrementAndGet(slot);
    }
    maxLatencyUs[g].accumulateAndGet(slot, micros, Math::max);
    synchronized (this) {
      if (slowestOutcome[g] == null || micros > slowestUs[g]) {
        slowestUs[g] = micros;
        slowestOutcome[g] = outcome;
      }
      if (!outcome.isError() && sinceStart < preFaultNanos) preFaultLatency.recordValue(micros);
    }
  }

  /** Answered ops of group {@code g} in the second that ended at {@code now} (for the progress line). */
  long answersInLastSecond(int g, long now) {
    int to = (int) Math.min(slots, Math.max(0, (now - measureStart) / SLOT_NANOS));
    long n = 0;
    for (int s = Math.max(0, to - (int) (1_000_000_000L / SLOT_NANOS)); s < to; s++) n += answers[g].get(s);
    return n;
  }

  long errorsInLastSecond(int g, long now) {
    int to = (int) Math.min(slots, Math.max(0, (now - measureStart) / SLOT_NANOS));
    long n = 0;
    for (AtomicLongArray row : errors[g]) {
      for (int s = Math.max(0, to - (int) (1_000_000_000L / SLOT_NANOS)); s < to; s++) n += row.get(s);
    }
    return n;
  }

  synchronized Histogram preFaultLatency() {
    return preFaultLatency.copy();
  }

  synchronized FaultSeries series() {
    FaultSeries s = FaultSeries.empty(SLOT_NANOS, measuredSlots, slots);
    for (int g = 0; g < 2; g++) {
      for (int i = 0; i < slots; i++) {
        s.answers()[g][i] = answers[g].get(i);
        s.maxLatencyUs()[g][i] = maxLatencyUs[g].get(i);
        for (int k = 0; k < errors[g].length; k++) s.errors()[g][k][i] = errors[g][k].get(i);
      }
      s.slowestUs()[g] = slowestUs[g];
      s.slowestOutcome()[g] = slowestOutcome[g];
    }
    return s;
  }
}
