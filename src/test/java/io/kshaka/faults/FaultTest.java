package io.kshaka.faults;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * Linearizability under process faults and partitions, with real node processes (see the package documentation
 * for the properties and the long form).
 */
class FaultTest {

  /**
   * The CI form: one 3-node run of about 60 s with every kind of fault (partitions only where network namespaces
   * work) and at least 3,000 operations; the history must be linearizable and every node ready within 30 s of the
   * final heal. It runs with TLS and authentication on (HTTPS, mutual TLS on the bus, the cluster secret, tokens;
   * {@code -Dkshaka.faults.secure=false} turns them off); the membership form covers the plain path.
   */
  @Test
  void historyUnderKillsPausesAndPartitionsIsLinearizable() {
    long seed = Long.getLong("kshaka.faults.seed", new Random().nextLong() & Long.MAX_VALUE);
    FaultRun.Spec defaults = FaultRun.Spec.shortForm(seed);
    FaultRun.Spec spec = new FaultRun.Spec(seed, Integer.getInteger("kshaka.faults.nodes.short", 3),
        defaults.duration(), defaults.targetOps(), defaults.clients(), defaults.keys(), defaults.opsPerKey(),
        kinds(defaults.kinds()), defaults.requestTimeout(), defaults.checkPerKey()).withSecure(secure(true));
    FaultRun.Report report = FaultRun.run(spec);
    assertTrue(report.passed(), "seed " + seed + " (rerun with -Dkshaka.faults.seed=" + seed + "):\n"
        + report.summary());
    assertTrue(report.operations() >= 3_000, "seed " + seed + ": only " + report.operations() + " operations");
    int kinds = report.faultsByKind().size();
    assertTrue(kinds >= 4, "seed " + seed + ": only " + kinds + " kinds of fault: " + report.faultsByKind());
  }

  /**
   * Online membership change under faults: five node processes, of which 1-3 form the bootstrap configuration; while
   * the linearizability workload runs on all five (nodes outside the configuration route) and the nemesis kills,
   * pauses and partitions nodes, the admin API grows the acceptors 3 → 4 → 5 and shrinks them to 3 by removing two
   * of the original ones. Then, under the same load, node 4 loses its disk (killed, data directory deleted, started
   * empty) and is replaced through the admin API. The history must be linearizable, no acknowledged write lost
   * (final reads through every node), and every node must end on the final configuration.
   */
  @Test
  void membershipChangesUnderFaultsKeepTheHistoryLinearizable() {
    long seed = Long.getLong("kshaka.faults.seed", new Random().nextLong() & Long.MAX_VALUE);
    FaultRun.Spec defaults = FaultRun.Spec.shortForm(seed);
    FaultRun.Spec spec = new FaultRun.Spec(seed, 5, Duration.ofSeconds(60), 3_000, defaults.clients(),
        defaults.keys(), defaults.opsPerKey(), kinds(EnumSet.of(Nemesis.Kind.KILL, Nemesis.Kind.PAUSE,
            Nemesis.Kind.PARTITION)), defaults.requestTimeout(), defaults.checkPerKey(), 3,
        List.of(List.of(1, 2, 3, 4), List.of(1, 2, 3, 4, 5), List.of(2, 3, 4, 5), List.of(3, 4, 5)), 4)
        .withSecure(secure(false));
    FaultRun.Report report = FaultRun.run(spec);
    assertTrue(report.passed(), "seed " + seed + " (rerun with -Dkshaka.faults.seed=" + seed + "):\n"
        + report.summary());
  }

  /**
   * The long form: {@code -Dkshaka.faults.long=true}; runs {@code kshaka.faults.runs} (10) runs, alternating the
   * node counts of {@code kshaka.faults.nodes} (3,5), each {@code kshaka.faults.ops} (10,000) operations over
   * {@code kshaka.faults.duration} seconds.
   */
  @Test
  @EnabledIfSystemProperty(named = "kshaka.faults.long", matches = "true")
  void longFormManyRunsOfThreeAndFiveNodes() {
    int runs = Integer.getInteger("kshaka.faults.runs", 10);
    String[] sizes = System.getProperty("kshaka.faults.nodes", "3,5").split(",");
    long ops = Long.getLong("kshaka.faults.ops", 10_000);
    Duration duration = Duration.ofSeconds(Long.getLong("kshaka.faults.duration", Math.max(90, ops / 80)));
    int clients = Integer.getInteger("kshaka.faults.clients", 12);
    int keys = Integer.getInteger("kshaka.faults.keys", 6);
    int opsPerKey = Integer.getInteger("kshaka.faults.opsPerKey", 250);
    long firstSeed = Long.getLong("kshaka.faults.seed", new Random().nextLong() & 0xffff_ffffL);
    List<FaultRun.Report> reports = new ArrayList<>();
    for (int r = 0; r < runs; r++) {
      long seed = firstSeed + r;
      int nodes = Integer.parseInt(sizes[r % sizes.length].trim());
      FaultRun.Spec spec = new FaultRun.Spec(seed, nodes, duration, ops, clients, keys, opsPerKey,
          kinds(EnumSet.allOf(Nemesis.Kind.class)), Duration.ofSeconds(5), Duration.ofSeconds(120))
          .withSecure(secure(false));
      reports.add(FaultRun.run(spec));
    }
    String table = table(reports);
    System.out.print(table);
    FaultRun.write(FaultRun.baseDir().resolve("long-form-" + firstSeed + ".txt"), table);
    List<Long> failed = new ArrayList<>();
    for (FaultRun.Report r : reports) {
      if (!r.passed() || r.operations() < ops) failed.add(r.spec().seed());
    }
    assertTrue(failed.isEmpty(), "failing seeds " + failed + "\n" + table);
  }

  /** {@code -Dkshaka.faults.secure=true|false} turns TLS and authentication on or off; else {@code byDefault}. */
  private static boolean secure(boolean byDefault) {
    String value = System.getProperty("kshaka.faults.secure");
    return value == null || value.isBlank() ? byDefault : Boolean.parseBoolean(value.trim());
  }

  /** {@code -Dkshaka.faults.kinds=kill,pause,...} narrows the kinds of fault. */
  private static Set<Nemesis.Kind> kinds(Set<Nemesis.Kind> defaults) {
    String list = System.getProperty("kshaka.faults.kinds");
    return list == null || list.isBlank() ? defaults : Nemesis.parseKinds(list);
  }

  static String table(List<FaultRun.Report> reports) {
    boolean secure = !reports.isEmpty() && reports.get(0).spec().secure();
    StringBuilder b = new StringBuilder(secure ? "\nfault runs with TLS and auth on\n" : "\nfault runs\n");
    b.append(String.format(Locale.ROOT, "%-12s %5s %8s %8s %7s %7s %8s %-60s %9s %9s %s%n", "seed", "nodes", "time s",
        "ops", "unknown", "not-app", "check s", "faults", "max rec s", "final s", "result"));
    long totalOps = 0;
    long totalUnknown = 0;
    Map<Nemesis.Kind, Long> totalFaults = new EnumMap<>(Nemesis.Kind.class);
    double maxRecovery = 0;
    int passed = 0;
    for (FaultRun.Report r : reports) {
      totalOps += r.operations();
      totalUnknown += r.unknown();
      r.faultsByKind().forEach((k, v) -> totalFaults.merge(k, v, Long::sum));
      maxRecovery = Math.max(maxRecovery, r.maxRecovery());
      if (r.passed()) passed++;
      b.append(String.format(Locale.ROOT, "%-12d %5d %8.1f %8d %7d %7d %8.1f %-60s %9.2f %9.2f %s%n",
          r.spec().seed(), r.spec().nodes(), r.elapsed(), r.operations(), r.unknown(), r.notApplied(),
          r.check() == null ? Double.NaN : r.check().elapsed().toNanos() / 1e9, r.faultsByKind().toString(),
          r.maxRecovery(), r.finalRecovery(), r.passed() ? "ok" : "FAILED"));
    }
    b.append(String.format(Locale.ROOT,
        "total: %d runs, %d passed, %d operations, %d unknown outcomes, faults %s, slowest recovery %.2f s%n",
        reports.size(), passed, totalOps, totalUnknown, totalFaults, maxRecovery));
    return b.toString();
  }
}
