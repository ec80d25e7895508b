package io.kshaka.bench;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The arithmetic of the fault mode, on a {@link FaultSeries}: what the surviving clients (those whose entry node is
 * never faulted) saw. Times are seconds from the start of measurement.
 *
 * <ul>
 *   <li>{@code baselineOpsPerSec}: their answered ops per second before the fault;
 *   <li>their errors by kind, over every measured op (also ops that ended after the measured phase);
 *   <li>{@code zeroSeconds}: the whole seconds of the measured phase (counted from its start) in which none of
 *       their requests was answered (errors are not answers);
 *   <li>{@code slowest}: their longest request, answer or error;
 *   <li>{@code recoveryAfterFault}, {@code recoveryAfterReturn} ("back to 80%"): 1-second windows sliding by one
 *       slot from the event; from the event to the start of the first window that holds at least {@link
 *       #RECOVERED_SHARE} of the pre-fault rate after the first window that did not: 0 if no window up to the next
 *       event (or the end of the measured phase) was below it, null if throughput never came back before then;
 *   <li>{@code stableAfterFault}, {@code stableAfterReturn} ("back to stay"): from the event to the start of the
 *       first window from which on every window up to the next event holds at least that share: a later dip (e.g.
 *       when a restarted node rejoins) counts too; 0 and null as above;
 *   <li>{@code lowestSecondPct}: the lowest throughput of a whole second after the fault (seconds counted from
 *       the fault), as a percentage of the pre-fault rate.
 * </ul>
 */
record FaultSummary(
    double faultAt,
    double returnAt,
    double baselineOpsPerSec,
    long errors,
    Map<String, Long> errorsByKind,
    List<Integer> zeroSeconds,
    long slowestUs,
    String slowestOutcome,
    Double recoveryAfterFault,
    Double recoveryAfterReturn,
    Double stableAfterFault,
    Double stableAfterReturn,
    Double lowestSecondPct,
    long faultedClientErrors,
    List<Second> seconds) {

  /** "Back to 80% of the pre-fault throughput." */
  static final double RECOVERED_SHARE = 0.8;

  /**
   * One second of the measured phase.
   *
   * @param second       its start, whole seconds from the start of measurement
   * @param answers      answered ops of the surviving clients that ended in it
   * @param errors       their errors by kind (kinds with none left out)
   * @param maxLatencyUs their longest op that ended in it
   * @param faultedAnswers answered ops of the clients whose entry node is faulted
   * @param faultedErrors  their errors
   */
  record Second(int second, long answers, Map<String, Long> errors, long maxLatencyUs, long faultedAnswers,
      long faultedErrors) {

    long errorCount() {
      long n = 0;
      for (long v : errors.values()) n += v;
      return n;
    }
  }

  /**
   * Computes the summary.
   *
   * @param faultAt  when the fault was made (seconds from the start of measurement)
   * @param returnAt when it was undone (restart, SIGCONT, heal)
   */
  static FaultSummary of(FaultSeries s, double faultAt, double returnAt) {
    int sps = s.slotsPerSecond();
    int end = s.measuredSlots();
    int faultSlot = Math.min(end, (int) Math.floor(faultAt * sps + 1e-9));
    int returnSlot = Math.min(end, Math.max(faultSlot, (int) Math.floor(returnAt * sps + 1e-9)));
    int S = FaultSeries.SURVIVING;

    double baseline = faultSlot == 0 ? 0 : s.answers(S, 0, faultSlot) / (faultSlot / (double) sps);
    Map<String, Long> byKind = new LinkedHashMap<>();
    long errors = 0;
    long faultedErrors = 0;
    for (OpOutcome o : OpOutcome.errors()) {
      long n = s.errors(S, o, 0, s.slots());
      byKind.put(o.label, n);
      errors += n;
      faultedErrors += s.errors(FaultSeries.FAULTED, o, 0, s.slots());
    }
    List<Integer> zero = new ArrayList<>();
    List<Second> seconds = new ArrayList<>();
    for (int sec = 0; sec * sps < end; sec++) {
      int from = sec * sps;
      int to = Math.min(end, from + sps);
      long answers = s.answers(S, from, to);
      if (to - from == sps && answers == 0) zero.add(sec);
      Map<String, Long> errs = new LinkedHashMap<>();
      long fErrors = 0;
      for (OpOutcome o : OpOutcome.errors()) {
        long n = s.errors(S, o, from, to);
        if (n > 0) errs.put(o.label, n);
        fErrors += s.errors(FaultSeries.FAULTED, o, from, to);
      }
      seconds.add(new Second(sec, answers, errs, s.maxLatencyUs(S, from, to), s.answers(FaultSeries.FAULTED, from, to),
          fErrors));
    }
    Double lowest = null;
    if (baseline > 0) {
      for (int from = faultSlot; from + sps <= end; from += sps) {
        double pct = 100.0 * s.answers(S, from, from + sps) / baseline;
        lowest = lowest == null ? pct : Math.min(lowest, pct);
      }
    }
    OpOutcome slowest = s.slowestOutcome()[S];
    return new FaultSummary(faultAt, returnAt, baseline, errors, byKind, zero, s.slowestUs()[S],
        slowest == null ? null : slowest.isError() ? slowest.label : slowest == OpOutcome.CONFLICT ? "conflict" : "ok",
        firstBack(s, baseline, faultSlot, returnSlot), firstBack(s, baseline, returnSlot, end),
        recovery(s, baseline, faultSlot, returnSlot), recovery(s, baseline, returnSlot, end), lowest, faultedErrors,
        seconds);
  }

  /**
   * Seconds from {@code startSlot} to the start of the first 1-second window from which on every window that ends
   * by {@code endSlot} holds at least {@link #RECOVERED_SHARE} of {@code baseline}; null if the last one does not
   * (or the phase is shorter than a second, or there is no baseline).
   */
  static Double recovery(FaultSeries s, double baseline, int startSlot, int endSlot) {
    int sps = s.slotsPerSecond();
    if (baseline <= 0 || endSlot - startSlot < sps) return null;
    double needed = RECOVERED_SHARE * baseline - 1e-9;
    int lastLow = -1;
    long window = s.answers(FaultSeries.SURVIVING, startSlot, startSlot + sps);
    for (int k = startSlot; k + sps <= endSlot; k++) {
      if (k > startSlot) {
        window += s.answers()[FaultSeries.SURVIVING][k + sps - 1] - s.answers()[FaultSeries.SURVIVING][k - 1];
      }
      if (window < needed) lastLow = k;
    }
    if (lastLow < 0) return 0.0;
    if (lastLow + 1 + sps > endSlot) return null;
    return (lastLow + 1 - startSlot) / (double) sps;
  }

  /**
   * Seconds from {@code startSlot} to the start of the first 1-second window at or above {@link #RECOVERED_SHARE}
   * of {@code baseline} that follows the first window below it (windows ending by {@code endSlot}); 0 if none is
   * below; null if none comes back (or the phase is shorter than a second, or there is no baseline).
   */
  static Double firstBack(FaultSeries s, double baseline, int startSlot, int endSlot) {
    int sps = s.slotsPerSecond();
    if (baseline <= 0 || endSlot - startSlot < sps) return null;
    double needed = RECOVERED_SHARE * baseline - 1e-9;
    boolean dropped = false;
    for (int k = startSlot; k + sps <= endSlot; k++) {
      boolean low = s.answers(FaultSeries.SURVIVING, k, k + sps) < needed;
      if (low) {
        dropped = true;
      } else if (dropped) {
        return (k - startSlot) / (double) sps;
      }
    }
    return dropped ? null : 0.0;
  }

  boolean targetsMet() {
    return errors == 0 && zeroSeconds.isEmpty() && slowestUs <= 2_000_000
        && recoveryAfterFault != null && recoveryAfterFault <= 2.0
        && recoveryAfterReturn != null && recoveryAfterReturn <= 2.0;
  }

  /** The per-second timeline, one line per second, with {@code events} (seconds → text) marked on their line. */
  String timelineText(Map<Double, String> events) {
    StringBuilder b = new StringBuilder();
    b.append(String.format(Locale.ROOT, "%7s %10s %8s %10s  %-24s | %12s %8s  %s%n", "second", "ops/s", "errors",
        "max ms", "errors by kind", "faulted ops", "errors", "event"));
    for (Second sec : seconds) {
      StringBuilder kinds = new StringBuilder();
      sec.errors().forEach((k, v) -> kinds.append(kinds.length() == 0 ? "" : ", ").append(k).append(" x").append(v));
      StringBuilder ev = new StringBuilder();
      for (Map.Entry<Double, String> e : events.entrySet()) {
        if (e.getKey() >= sec.second() && e.getKey() < sec.second() + 1) {
          ev.append(ev.length() == 0 ? "<- " : "; ").append(e.getValue());
        }
      }
      b.append(String.format(Locale.ROOT, "%3d-%-3d %10d %8d %10.1f  %-24s | %12d %8d  %s", sec.second(),
          sec.second() + 1, sec.answers(), sec.errorCount(), sec.maxLatencyUs() / 1000.0, kinds,
          sec.faultedAnswers(), sec.faultedErrors(), ev).stripTrailing()).append(String.format("%n"));
    }
    return b.toString();
  }

  /** The summary lines (surviving clients only). */
  String text() {
    StringBuilder b = new StringBuilder();
    StringBuilder kinds = new StringBuilder();
    errorsByKind.forEach((k, v) -> {
      if (v > 0) kinds.append(kinds.length() == 0 ? " (" : ", ").append(k).append(" x").append(v);
    });
    if (kinds.length() > 0) kinds.append(')');
    b.append(String.format(Locale.ROOT, "  pre-fault throughput:            %s ops/s%n", Report.rate(baselineOpsPerSec)));
    b.append(String.format(Locale.ROOT, "  errors:                          %d%s%n", errors, kinds));
    b.append(String.format(Locale.ROOT, "  seconds with zero completed:     %d%s%n", zeroSeconds.size(),
        zeroSeconds.isEmpty() ? "" : " " + zeroSeconds));
    b.append(String.format(Locale.ROOT, "  slowest request:                 %.3f s%s%n", slowestUs / 1e6,
        slowestOutcome == null ? "" : " (" + slowestOutcome + ")"));
    b.append(String.format(Locale.ROOT, "  back to 80%% after the fault:     %s (to stay: %s)%n",
        seconds(recoveryAfterFault), seconds(stableAfterFault)));
    b.append(String.format(Locale.ROOT, "  back to 80%% after the return:    %s (to stay: %s)%n",
        seconds(recoveryAfterReturn), seconds(stableAfterReturn)));
    b.append(String.format(Locale.ROOT, "  lowest second after the fault:   %s%n",
        lowestSecondPct == null ? "n/a" : String.format(Locale.ROOT, "%.0f%% of pre-fault", lowestSecondPct)));
    return b.toString();
  }

  private static String seconds(Double v) {
    return v == null ? "not within the phase" : String.format(Locale.ROOT, "%.1f s", v);
  }

  JsonObject toJson() {
    JsonObject kinds = new JsonObject();
    errorsByKind.forEach(kinds::put);
    JsonArray secs = new JsonArray();
    for (Second sec : seconds) {
      JsonObject errs = new JsonObject();
      sec.errors().forEach(errs::put);
      secs.add(new JsonObject().put("second", sec.second()).put("answers", sec.answers()).put("errors", errs)
          .put("maxLatencyMs", round(sec.maxLatencyUs() / 1000.0)).put("faultedAnswers", sec.faultedAnswers())
          .put("faultedErrors", sec.faultedErrors()));
    }
    return new JsonObject()
        .put("faultAtSeconds", round(faultAt))
        .put("returnAtSeconds", round(returnAt))
        .put("preFaultOpsPerSec", round(baselineOpsPerSec))
        .put("errors", errors)
        .put("errorsByKind", kinds)
        .put("zeroSeconds", zeroSeconds.size())
        .put("zeroSecondList", new JsonArray(new ArrayList<>(zeroSeconds)))
        .put("slowestRequestMs", round(slowestUs / 1000.0))
        .put("slowestRequestOutcome", slowestOutcome)
        .put("recoveryAfterFaultSeconds", recoveryAfterFault)
        .put("recoveryAfterReturnSeconds", recoveryAfterReturn)
        .put("stableAfterFaultSeconds", stableAfterFault)
        .put("stableAfterReturnSeconds", stableAfterReturn)
        .put("lowestSecondPct", lowestSecondPct == null ? null : round(lowestSecondPct))
        .put("faultedClientErrors", faultedClientErrors)
        .put("targetsMet", targetsMet())
        .put("timeline", secs);
  }

  private static double round(double v) {
    return Math.round(v * 1000.0) / 1000.0;
  }
}
