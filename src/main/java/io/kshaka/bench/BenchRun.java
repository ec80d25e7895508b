package io.kshaka.bench;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.io.PrintWriter;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.HdrHistogram.Histogram;

/**
 * Runs one case: deploys the clients over the event loops, prints a progress line every second from the calling
 * thread (never an event loop), waits until every client has stopped, and returns the measured result.
 */
final class BenchRun {
  private static final long TICK_NANOS = TimeUnit.SECONDS.toNanos(1);
  /** Values to pick from: enough variety that no layer can dedupe them, cheap to make. */
  private static final int DISTINCT_VALUES = 16;

  private final Vertx vertx;
  private final Target target;
  private final String targetKind;
  private final List<String> targets;
  private final int eventLoops;
  private final PrintWriter out;
  private final RunObserver observer;

  BenchRun(Vertx vertx, Target target, String targetKind, List<String> targets, int eventLoops, PrintWriter out) {
    this(vertx, target, targetKind, targets, eventLoops, out, new RunObserver() {});
  }

  BenchRun(Vertx vertx, Target target, String targetKind, List<String> targets, int eventLoops, PrintWriter out,
      RunObserver observer) {
    this.observer = observer;
    this.vertx = vertx;
    this.target = target;
    this.targetKind = targetKind;
    this.targets = List.copyOf(targets);
    this.eventLoops = eventLoops;
    this.out = out;
  }

  RunResult run(Workload w) throws InterruptedException {
    if (Vertx.currentContext() != null) {
      throw new IllegalStateException("the bench waits for its clients: run it outside a Vert.x thread");
    }
    Double loadStart = LoadAverage.oneMinute();
    String startedAt = Instant.now().toString();
    out.printf(Locale.ROOT, "== %s: %d clients, %s, mix %s, %d-byte values, %s s + %s s warm-up, load average (1 min) %s%n",
        w.label(), w.clients(), w.keysText(), w.mix(), w.valueSize(), num(w.durationSeconds()),
        num(w.warmupSeconds()), LoadAverage.format(loadStart));
    out.flush();

    Stats stats = new Stats();
    byte[][] values = values(w);
    Timeline timeline = new Timeline(System.nanoTime(), w.warmupSeconds(), w.durationSeconds());
    int loops = Math.max(1, Math.min(eventLoops, w.clients()));
    List<LoadVerticle> verticles = new ArrayList<>();
    for (int l = 0; l < loops; l++) {
      int[] ids = new int[(w.clients() - l + loops - 1) / loops];
      for (int j = 0; j < ids.length; j++) ids[j] = l + j * loops;
      verticles.add(new LoadVerticle(w, target, stats, timeline, values, ids, observer));
    }
    observer.starting(timeline);
    List<Future<String>> deployments = new ArrayList<>();
    for (LoadVerticle v : verticles) deployments.add(vertx.deployVerticle(v));
    List<Future<Void>> finishes = new ArrayList<>();
    for (LoadVerticle v : verticles) finishes.add(v.finished());
    CompletableFuture<Void> done = Future.all(deployments)
        .compose(deployed -> Future.all(finishes))
        .<Void>mapEmpty()
        .toCompletionStage()
        .toCompletableFuture();

    Progress progress = new Progress(stats, timeline, w.label());
    // every op ends within its timeout (a cas is two requests): past this something is wrong, stop waiting
    long grace = 2 * TimeUnit.MILLISECONDS.toNanos(w.timeoutMs()) + TimeUnit.SECONDS.toNanos(5);
    long stopAt = timeline.end + grace;
    long abandonAt = stopAt + grace;
    long nextTick = firstTick(timeline);
    boolean stoppedEarly = false;
    while (true) {
      long now = System.nanoTime();
      try {
        done.get(Math.max(0, Math.min(nextTick, stopAt) - now), TimeUnit.NANOSECONDS);
        break;
      } catch (TimeoutException notYet) {
        now = System.nanoTime();
        if (now - nextTick >= 0) {
          out.println(observer.progress(now, progress.tick(now)));
          out.flush();
          nextTick += TICK_NANOS;
        }
        if (!stoppedEarly && now - stopAt >= 0) {
          stoppedEarly = true;
          timeline.stop();
          out.println("warning: clients still busy " + num(grace / 1e9) + " s after the end; stopping them");
          stopAt = abandonAt;
        } else if (stoppedEarly && now - abandonAt >= 0) {
          out.println("warning: clients did not stop; abandoning their last ops");
          break;
        }
      } catch (ExecutionException e) {
        timeline.stop();
        throw new BenchFailure("the load clients failed: " + e.getCause());
      } catch (InterruptedException e) {
        timeline.stop();
        throw e;
      }
    }
    for (Future<String> d : deployments) {
      if (d.succeeded()) awaitQuietly(vertx.undeploy(d.result()), 10);
    }

    Histogram latency = progress.finish();
    Double loadEnd = LoadAverage.oneMinute();
    long measuredOps = stats.measuredTotal();
    long last = stats.lastMeasuredEnd();
    long endNanos = measuredOps > 0 && last != Long.MIN_VALUE ? last : Math.min(System.nanoTime(), timeline.end);
    double elapsed = Math.max(0, endNanos - timeline.measureStart) / 1e9;
    Map<String, Long> errorsByKind = new LinkedHashMap<>();
    for (OpOutcome o : OpOutcome.errors()) errorsByKind.put(o.label, stats.measured(o));
    Map<String, Long> opsByOp = new LinkedHashMap<>();
    for (OpKind op : OpKind.values()) {
      if (w.mix().percent(op) > 0) opsByOp.put(op.wireName(), stats.measuredOps(op));
    }
    RunResult result = new RunResult(w, targetKind, targets, startedAt, elapsed, measuredOps,
        stats.measured(OpOutcome.OK), stats.measured(OpOutcome.CONFLICT), stats.measuredErrors(), errorsByKind,
        opsByOp, stats.warmupTotal(), RunResult.Latency.of(latency), loadStart, loadEnd, stoppedEarly);
    out.printf(Locale.ROOT, "== %s done: %s ops/s, load average (1 min) %s%n", w.label(),
        Report.rate(result.opsPerSec()), LoadAverage.format(loadEnd));
    out.flush();
    return result;
  }

  /**
   * Ticks fall on whole seconds before and after the start of measurement, so that no progress interval mixes
   * warm-up and measured ops (a 2.5 s warm-up ticks at 0.5 s, 1.5 s, 2.5 s, 3.5 s, ...).
   */
  static long firstTick(Timeline timeline) {
    long warmup = timeline.measureStart - timeline.start;
    long ticksBefore = warmup == 0 ? -1 : (warmup + TICK_NANOS - 1) / TICK_NANOS - 1;
    return timeline.measureStart - ticksBefore * TICK_NANOS;
  }

  private static byte[][] values(Workload w) {
    SplittableRandom random = new SplittableRandom(w.seed());
    byte[][] values = new byte[DISTINCT_VALUES][];
    for (int i = 0; i < values.length; i++) {
      values[i] = new byte[w.valueSize()];
      for (int j = 0; j < values[i].length; j++) values[i][j] = (byte) random.nextInt(256);
    }
    return values;
  }

  /** Waits for a future from a non-Vert.x thread, at most {@code seconds}; false if it failed or is late. */
  static boolean awaitQuietly(Future<?> future, long seconds) {
    try {
      future.toCompletionStage().toCompletableFuture().get(seconds, TimeUnit.SECONDS);
      return true;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    } catch (ExecutionException | TimeoutException e) {
      return false;
    }
  }

  static String num(double v) {
    return v == Math.rint(v) ? String.valueOf((long) v) : String.format(Locale.ROOT, "%.2f", v);
  }

  /** The once-a-second line: all traffic of the last second, warm-up included, labelled by phase. */
  private static final class Progress {
    private final Stats stats;
    private final Timeline timeline;
    private final String label;
    private final Histogram total = Stats.newHistogram();
    private final Histogram interval = Stats.newHistogram();
    private Histogram measuredInterval;
    private Histogram warmupInterval;
    private long lastTick;
    private long lastOps;
    private long lastConflicts;
    private long[] lastErrors = new long[OpOutcome.values().length];

    Progress(Stats stats, Timeline timeline, String label) {
      this.stats = stats;
      this.timeline = timeline;
      this.label = label;
      this.lastTick = timeline.start;
    }

    String tick(long now) {
      drain();
      long ops = stats.measuredTotal() + stats.warmupTotal();
      long conflicts = stats.measured(OpOutcome.CONFLICT) + stats.warmup(OpOutcome.CONFLICT);
      StringBuilder errors = new StringBuilder();
      long errorCount = 0;
      for (OpOutcome o : OpOutcome.errors()) {
        long n = stats.measured(o) + stats.warmup(o);
        long delta = n - lastErrors[o.ordinal()];
        lastErrors[o.ordinal()] = n;
        if (delta > 0) {
          errorCount += delta;
          errors.append(errors.length() == 0 ? " (" : ", ").append(o.label).append(' ').append(delta);
        }
      }
      if (errors.length() > 0) errors.append(')');
      double seconds = Math.max(1e-9, (now - lastTick) / 1e9);
      String phase = lastTick - timeline.measureStart < 0 ? "warm-up" : "measure"; // ticks never straddle
      String line = String.format(Locale.ROOT,
          "[%s] %5.1fs %-7s %9s ops/s  p50 %7d  p99 %7d  p99.9 %7d  max %7d us  conflicts %d  errors %d%s",
          label, (now - timeline.start) / 1e9, phase, Report.rate((ops - lastOps) / seconds),
          interval.getValueAtPercentile(50), interval.getValueAtPercentile(99),
          interval.getValueAtPercentile(99.9), interval.getMaxValue(), conflicts - lastConflicts, errorCount, errors);
      lastTick = now;
      lastOps = ops;
      lastConflicts = conflicts;
      return line;
    }

    /** Takes the last interval and returns the histogram of all measured ops. */
    Histogram finish() {
      drain();
      return total;
    }

    private void drain() {
      measuredInterval = stats.measuredInterval(measuredInterval);
      warmupInterval = stats.warmupInterval(warmupInterval);
      total.add(measuredInterval);
      interval.reset();
      interval.add(measuredInterval);
      interval.add(warmupInterval);
    }
  }
}
