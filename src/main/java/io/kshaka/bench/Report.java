package io.kshaka.bench;

import java.util.List;
import java.util.Locale;
import java.util.Map;

/** Formats results for people: the final table of one run and the one-table summary of a suite. */
final class Report {
  private Report() {}

  /** The final report of one case. */
  static String single(RunResult r) {
    Workload w = r.workload();
    StringBuilder sb = new StringBuilder();
    sb.append(String.format(Locale.ROOT, "%nResult of %s against %s %s%n", w.label(), r.targetKind(),
        String.join(",", r.targets())));
    sb.append(String.format(Locale.ROOT, "  %d clients, %s, mix %s, %d-byte values, seed %d%s%n", w.clients(),
        w.keysText(), w.mix(), w.valueSize(), w.seed(), w.maxOps() > 0 ? ", op cap " + w.maxOps() : ""));
    sb.append(String.format(Locale.ROOT, "  measured %s s after %s s of warm-up (%d warm-up ops not counted)%s%n",
        BenchRun.num(round2(r.elapsedSeconds())), BenchRun.num(w.warmupSeconds()), r.warmupOps(),
        r.stoppedEarly() ? "; STOPPED EARLY: clients did not finish in time" : ""));
    sb.append(String.format(Locale.ROOT, "  load average (1 min): %s at start, %s at end%n",
        LoadAverage.format(r.loadAvgStart()), LoadAverage.format(r.loadAvgEnd())));
    sb.append(String.format(Locale.ROOT, "  %-12s %12d   %12s ops/s%n", "ops", r.ops(), rate(r.opsPerSec())));
    sb.append(String.format(Locale.ROOT, "  %-12s %12d   %12s ops/s%n", "ok", r.ok(), rate(r.okPerSec())));
    sb.append(String.format(Locale.ROOT, "  %-12s %12d%n", "conflicts", r.conflicts()));
    sb.append(String.format(Locale.ROOT, "  %-12s %12d%s%n", "errors", r.errors(), errorKinds(r.errorsByKind())));
    if (r.opsByOp().size() > 1) {
      StringBuilder ops = new StringBuilder();
      r.opsByOp().forEach((op, n) -> ops.append(ops.length() == 0 ? "" : ", ").append(op).append(' ').append(n));
      sb.append(String.format(Locale.ROOT, "  %-12s %s%n", "by op", ops));
    }
    RunResult.Latency l = r.latency();
    sb.append(String.format(Locale.ROOT, "  latency (us) of %d answered ops:%n", l.count()));
    sb.append(String.format(Locale.ROOT, "  %10s %10s %10s %10s %10s %10s%n", "p50", "p90", "p99", "p99.9", "max",
        "mean"));
    sb.append(String.format(Locale.ROOT, "  %10d %10d %10d %10d %10d %10.0f%n", l.p50(), l.p90(), l.p99(), l.p999(),
        l.max(), l.mean()));
    return sb.toString();
  }

  /** One row per case: ops/s, ok/s, p50, p99, p99.9, errors, conflicts, load average before and after. */
  static String suite(List<RunResult> results) {
    StringBuilder sb = new StringBuilder();
    String header = String.format(Locale.ROOT, "%-5s %-8s %7s %11s %11s %9s %9s %9s %8s %9s  %s", "op", "keys",
        "clients", "ops/s", "ok/s", "p50 us", "p99 us", "p99.9 us", "errors", "conflicts", "load 1m start>end");
    sb.append(String.format(Locale.ROOT, "%nSuite results (measured after warm-up; latency in microseconds)%n"));
    sb.append(header).append('\n');
    sb.append("-".repeat(header.length())).append('\n');
    for (RunResult r : results) {
      Workload w = r.workload();
      sb.append(String.format(Locale.ROOT, "%-5s %-8s %7d %11s %11s %9d %9d %9d %8d %9d  %s>%s%s%n",
          w.mix().toString().replace("=100", ""), w.keys() == 1 ? "1 (hot)" : String.valueOf(w.keys()),
          w.clients(), rate(r.opsPerSec()), rate(r.okPerSec()), r.latency().p50(), r.latency().p99(),
          r.latency().p999(), r.errors(), r.conflicts(), LoadAverage.format(r.loadAvgStart()),
          LoadAverage.format(r.loadAvgEnd()), r.errors() > 0 ? "  " + errorKinds(r.errorsByKind()).trim() : ""));
    }
    return sb.toString();
  }

  static String rate(double perSecond) {
    return perSecond >= 100 ? String.format(Locale.ROOT, "%.0f", perSecond)
        : String.format(Locale.ROOT, "%.1f", perSecond);
  }

  private static String errorKinds(Map<String, Long> byKind) {
    StringBuilder sb = new StringBuilder();
    byKind.forEach((kind, n) -> {
      if (n > 0) sb.append(sb.length() == 0 ? "   (" : ", ").append(kind).append(' ').append(n);
    });
    if (sb.length() > 0) sb.append(')');
    return sb.toString();
  }

  private static double round2(double v) {
    return Math.round(v * 100.0) / 100.0;
  }
}
