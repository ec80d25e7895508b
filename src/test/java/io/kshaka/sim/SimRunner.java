package io.kshaka.sim;

import io.kshaka.check.HistoryWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * Runs campaigns of seeds and explains failures. System properties:
 * <ul>
 *   <li>{@code kshaka.sim.seed=S}: run only seed S (and write its trace and history).</li>
 *   <li>{@code kshaka.sim.seeds=N}: how many seeds a campaign runs (default: the test's own count).</li>
 *   <li>{@code kshaka.sim.base=B}: the first seed of a campaign (default 0): seeds B, B+1, ...</li>
 * </ul>
 * A failing seed is rerun with a full trace; the trace, the history (JSON lines, the checker's format) and the
 * checker's report go to {@code target/kshaka-sim/}.
 */
final class SimRunner {
  static final Path OUT = Path.of("target", "kshaka-sim");

  private SimRunner() {}

  /** The seeds to run: the one given with {@code -Dkshaka.sim.seed}, or {@code count} from the base. */
  static long[] seeds(int defaultCount) {
    String one = System.getProperty("kshaka.sim.seed");
    if (one != null && !one.isBlank()) return new long[] {Long.parseLong(one.trim())};
    int count = Integer.getInteger("kshaka.sim.seeds", defaultCount);
    long base = Long.getLong("kshaka.sim.base", 0L);
    long[] seeds = new long[count];
    for (int i = 0; i < count; i++) seeds[i] = base + i;
    return seeds;
  }

  static boolean singleSeed() {
    String one = System.getProperty("kshaka.sim.seed");
    return one != null && !one.isBlank();
  }

  /** Totals of a campaign. */
  static final class Campaign {
    final SimConfig config;
    final SimResult.Stats stats = new SimResult.Stats();
    final List<SimResult> failures = new ArrayList<>();
    int seeds;
    long wallNanos;

    Campaign(SimConfig config) {
      this.config = config;
    }

    long firstSeed;

    String summary() {
      return String.format("%s: %d seeds (%d..%d), %d failed, %.1f s wall; %s", config, seeds, firstSeed,
          firstSeed + seeds - 1, failures.size(), wallNanos / 1e9, stats);
    }
  }

  /** Runs every seed; collects failures (each explained on the way). */
  static Campaign campaign(SimConfig config, long[] seeds, Consumer<String> log) {
    Campaign c = new Campaign(config);
    c.firstSeed = seeds.length == 0 ? 0 : seeds[0];
    long t0 = System.nanoTime();
    for (long seed : seeds) {
      SimResult r = Simulation.run(config, seed);
      c.seeds++;
      c.stats.add(r.stats());
      if (!r.ok()) {
        c.failures.add(r);
        log.accept(explain(r));
        if (c.failures.size() >= 5) break;
      }
      if (singleSeed()) log.accept(explain(Simulation.runTraced(config, seed)));
      if (seeds.length >= 20_000 && c.seeds % 10_000 == 0) {
        c.wallNanos = System.nanoTime() - t0;
        log.accept("progress: " + c.summary());
      }
    }
    c.wallNanos = System.nanoTime() - t0;
    return c;
  }

  /** Reruns a seed with a full trace, writes it out, and describes the run. */
  static String explain(SimResult r) {
    SimResult traced = r.trace().isEmpty() ? Simulation.runTraced(r.config(), r.seed()) : r;
    String name = "seed-" + r.seed() + "-" + r.config().variant() + "-M" + r.config().acceptors()
        + (r.config().oneRtt() ? "" : "-no1rtt");
    StringBuilder b = new StringBuilder();
    b.append(r.ok() ? "PASS" : "FAIL").append(" seed ").append(r.seed()).append(" (").append(r.config())
        .append(")\n  ").append(r.parameters()).append("\n  ").append(r.stats()).append('\n');
    if (!r.ok()) b.append("  ").append(r.failure()).append('\n');
    if (traced.traceHash() != r.traceHash()) {
      b.append("  NONDETERMINISM: the traced rerun has hash ").append(Long.toHexString(traced.traceHash()))
          .append(", the run had ").append(Long.toHexString(r.traceHash())).append('\n');
    }
    try {
      Files.createDirectories(OUT);
      Path trace = OUT.resolve(name + ".trace");
      Files.write(trace, traced.trace());
      Path hist = OUT.resolve(name + ".jsonl");
      HistoryWriter.write(hist, HistoryCheck.operations(traced.history()));
      List<String> ops = new ArrayList<>();
      for (SimOp op : traced.history()) ops.add(op.toString());
      Files.write(OUT.resolve(name + ".ops"), ops);
      if (traced.checkReport() != null) Files.writeString(OUT.resolve(name + ".check"), traced.checkReport());
      b.append("  trace: ").append(trace.toAbsolutePath()).append("\n  history: ").append(hist.toAbsolutePath())
          .append('\n');
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    b.append("  rerun: mvn -B -q test -Dtest='io.kshaka.sim.**' -Dkshaka.sim.seed=").append(r.seed());
    return b.toString();
  }
}
