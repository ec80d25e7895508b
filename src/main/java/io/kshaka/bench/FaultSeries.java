package io.kshaka.bench;

/**
 * What the clients of a fault run did, as counts in fixed time slots (100 ms by default) from the start of
 * measurement, by the time each op ended; pure data, so that the summary arithmetic can be tested on made-up series.
 * Group {@link #SURVIVING} holds the clients whose entry node is never faulted, {@link #FAULTED} the others. Slots
 * past {@code measuredSlots} hold ops that started before the end and ended after it (the last slot also takes any
 * later end).
 *
 * @param slotNanos     the width of one slot
 * @param measuredSlots the slots of the measured phase (its duration / slotNanos)
 * @param answers       [group][slot]: answered ops (ok and conflicts) that ended in the slot
 * @param errors        [group][OpOutcome.ordinal()][slot]: errors of each kind that ended in the slot
 * @param maxLatencyUs  [group][slot]: the longest op (answer or error) that ended in the slot, microseconds
 * @param slowestUs     [group]: the longest op of the run, microseconds (0 if none)
 * @param slowestOutcome [group]: how that op ended (null if none)
 */
record FaultSeries(
    long slotNanos,
    int measuredSlots,
    long[][] answers,
    long[][][] errors,
    long[][] maxLatencyUs,
    long[] slowestUs,
    OpOutcome[] slowestOutcome) {
  static final int SURVIVING = 0;
  static final int FAULTED = 1;

  int slots() {
    return answers[SURVIVING].length;
  }

  /** Slots per second (10 for 100 ms slots). */
  int slotsPerSecond() {
    return (int) (1_000_000_000L / slotNanos);
  }

  long answers(int group, int fromSlot, int toSlot) {
    long n = 0;
    for (int s = Math.max(0, fromSlot); s < Math.min(toSlot, slots()); s++) n += answers[group][s];
    return n;
  }

  long errors(int group, OpOutcome kind, int fromSlot, int toSlot) {
    long n = 0;
    long[] row = errors[group][kind.ordinal()];
    for (int s = Math.max(0, fromSlot); s < Math.min(toSlot, slots()); s++) n += row[s];
    return n;
  }

  long maxLatencyUs(int group, int fromSlot, int toSlot) {
    long m = 0;
    for (int s = Math.max(0, fromSlot); s < Math.min(toSlot, slots()); s++) m = Math.max(m, maxLatencyUs[group][s]);
    return m;
  }

  /** An empty series of {@code slots} slots (for tests and for filling in). */
  static FaultSeries empty(long slotNanos, int measuredSlots, int slots) {
    int kinds = OpOutcome.values().length;
    return new FaultSeries(slotNanos, measuredSlots, new long[2][slots], new long[2][kinds][slots], new long[2][slots],
        new long[2], new OpOutcome[2]);
  }
}
