package io.kshaka.bench;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.Map;
import org.HdrHistogram.Histogram;

/**
 * The outcome of one case, measured after warm-up only. Counts are of measured ops: {@code ops} = {@code ok} +
 * {@code conflicts} + {@code errors}. Latencies are in microseconds, over answered ops (ok and conflicts).
 */
public record RunResult(
    Workload workload,
    String targetKind,
    List<String> targets,
    String startedAt,
    double elapsedSeconds,
    long ops,
    long ok,
    long conflicts,
    long errors,
    Map<String, Long> errorsByKind,
    Map<String, Long> opsByOp,
    long warmupOps,
    Latency latency,
    Double loadAvgStart,
    Double loadAvgEnd,
    boolean stoppedEarly) {

  /** Percentiles of one latency histogram, in microseconds (all 0 when it is empty). */
  public record Latency(long count, long min, double mean, long p50, long p90, long p99, long p999, long max) {
    static Latency of(Histogram h) {
      if (h.getTotalCount() == 0) return new Latency(0, 0, 0, 0, 0, 0, 0, 0);
      return new Latency(h.getTotalCount(), h.getMinValue(), h.getMean(), h.getValueAtPercentile(50),
          h.getValueAtPercentile(90), h.getValueAtPercentile(99), h.getValueAtPercentile(99.9), h.getMaxValue());
    }

    JsonObject toJson() {
      return new JsonObject().put("count", count).put("min", min).put("mean", round(mean)).put("p50", p50)
          .put("p90", p90).put("p99", p99).put("p999", p999).put("max", max);
    }
  }

  /** All measured ops per second, whatever their outcome. */
  public double opsPerSec() {
    return elapsedSeconds > 0 ? ops / elapsedSeconds : 0;
  }

  /** Ops per second that did what they asked (conflicts and errors left out). */
  public double okPerSec() {
    return elapsedSeconds > 0 ? ok / elapsedSeconds : 0;
  }

  public JsonObject toJson() {
    Workload w = workload;
    JsonObject mix = new JsonObject();
    w.mix().asMap().forEach((op, pct) -> mix.put(op.wireName(), pct));
    JsonObject byKind = new JsonObject();
    errorsByKind.forEach(byKind::put);
    JsonObject byOp = new JsonObject();
    opsByOp.forEach(byOp::put);
    return new JsonObject()
        .put("label", w.label())
        .put("target", targetKind)
        .put("targets", new JsonArray(targets))
        .put("startedAt", startedAt)
        .put("clients", w.clients())
        .put("keys", w.keys())
        .put("hotKey", w.keys() == 1)
        .put("mix", mix)
        .put("valueSize", w.valueSize())
        .put("warmupSeconds", w.warmupSeconds())
        .put("durationSeconds", w.durationSeconds())
        .put("timeoutMs", w.timeoutMs())
        .put("maxOps", w.maxOps())
        .put("seed", w.seed())
        .put("keyPrefix", w.keyPrefix())
        .put("elapsedSeconds", round(elapsedSeconds))
        .put("ops", ops)
        .put("ok", ok)
        .put("conflicts", conflicts)
        .put("errors", errors)
        .put("errorsByKind", byKind)
        .put("opsByOp", byOp)
        .put("opsPerSec", round(opsPerSec()))
        .put("okPerSec", round(okPerSec()))
        .put("warmupOps", warmupOps)
        .put("latencyUs", latency.toJson())
        .put("loadAvgStart", loadAvgStart)
        .put("loadAvgEnd", loadAvgEnd)
        .put("stoppedEarly", stoppedEarly);
  }

  private static double round(double v) {
    return Math.round(v * 1000.0) / 1000.0;
  }
}
