package io.kshaka.faults;

import io.kshaka.check.CheckResult;
import io.kshaka.check.Checker;
import io.kshaka.check.HistoryRecorder;
import io.kshaka.check.Input;
import io.kshaka.check.Operation;
import io.kshaka.check.Verdict;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Stream;

/**
 * One fault-injection run: start N node processes, drive the {@link Workload} while the {@link Nemesis} injects
 * faults, heal everything, wait for every node to be ready (within 30 s), read every key through every node, and
 * check the whole history for linearizability.
 *
 * <p>Everything goes under {@code target/faults/<seed>/}: node configs and logs, data directories, {@code
 * history.jsonl} (the checker's JSON lines), {@code events.log} (faults on the history's clock), {@code check.txt}
 * (the checker's report) and {@code summary.txt}. A passing run deletes its data directories unless
 * {@code -Dkshaka.faults.keep=true}; a failing one keeps everything.
 */
final class FaultRun {
  /** What to run. */
  record Spec(
      long seed,
      int nodes,
      Duration duration,
      long targetOps,
      int clients,
      int keys,
      int opsPerKey,
      Set<Nemesis.Kind> kinds,
      Duration requestTimeout,
      Duration checkPerKey,
      int acceptors,
      List<List<Integer>> changes,
      int replace,
      boolean secure) {

    /** Plain HTTP, no TLS, no authentication. */
    Spec(long seed, int nodes, Duration duration, long targetOps, int clients, int keys, int opsPerKey,
        Set<Nemesis.Kind> kinds, Duration requestTimeout, Duration checkPerKey, int acceptors,
        List<List<Integer>> changes, int replace) {
      this(seed, nodes, duration, targetOps, clients, keys, opsPerKey, kinds, requestTimeout, checkPerKey, acceptors,
          changes, replace, false);
    }

    /** Every node an acceptor from the start, no membership change, plain. */
    Spec(long seed, int nodes, Duration duration, long targetOps, int clients, int keys, int opsPerKey,
        Set<Nemesis.Kind> kinds, Duration requestTimeout, Duration checkPerKey) {
      this(seed, nodes, duration, targetOps, clients, keys, opsPerKey, kinds, requestTimeout, checkPerKey, nodes,
          List.of(), 0);
    }

    /**
     * This spec with TLS and authentication on ({@link ClusterSecurity}: HTTPS, mutual TLS on the event bus, the
     * cluster secret, bearer tokens) or off.
     */
    Spec withSecure(boolean on) {
      return new Spec(seed, nodes, duration, targetOps, clients, keys, opsPerKey, kinds, requestTimeout, checkPerKey,
          acceptors, changes, replace, on);
    }

    static Spec shortForm(long seed) {
      return new Spec(seed, 3, Duration.ofSeconds(60), 4_000, 10, 5, 200, EnumSet.allOf(Nemesis.Kind.class),
          Duration.ofSeconds(5), Duration.ofSeconds(60));
    }
  }

  /** What happened; {@link #failures} is empty for a passing run. */
  record Report(
      Spec spec,
      Path dir,
      boolean partitions,
      String partitionsSkipped,
      long operations,
      long ok,
      long notApplied,
      long refused,
      long unknown,
      long unexpected,
      List<Nemesis.Fault> faults,
      double finalRecovery,
      double elapsed,
      CheckResult check,
      List<String> failures,
      String workloadSummary) {

    boolean passed() {
      return failures.isEmpty();
    }

    Map<Nemesis.Kind, Long> faultsByKind() {
      Map<Nemesis.Kind, Long> m = new java.util.EnumMap<>(Nemesis.Kind.class);
      for (Nemesis.Fault f : faults) m.merge(f.kind(), 1L, Long::sum);
      return m;
    }

    double maxRecovery() {
      double max = finalRecovery;
      for (Nemesis.Fault f : faults) max = Math.max(max, f.recovery());
      return max;
    }

    String summary() {
      StringBuilder b = new StringBuilder();
      b.append(String.format(Locale.ROOT, "seed %d: %d nodes%s, %.1f s, %s%n", spec.seed(), spec.nodes(),
          spec.secure() ? " with TLS and auth" : "", elapsed, passed() ? "PASSED" : "FAILED"));
      b.append(String.format(Locale.ROOT,
          "  operations %d in the history: ok %d, unknown %d; not applied (503) %d, refused connections %d, "
              + "unexpected %d%n", operations, ok, unknown, notApplied, refused, unexpected));
      b.append("  workload: ").append(workloadSummary).append('\n');
      b.append("  faults ").append(faults.size()).append(' ').append(faultsByKind());
      if (!partitions) b.append(" (partitions skipped: ").append(partitionsSkipped).append(')');
      b.append('\n');
      for (Nemesis.Fault f : faults) {
        b.append(String.format(Locale.ROOT, "    %7.2f s  %-13s %-40s held %5.2f s, ready again %5.2f s after heal%n",
            f.at(), f.kind(), f.what(), f.held(), f.recovery()));
      }
      b.append(String.format(Locale.ROOT, "  final heal: every node ready after %.2f s%n", finalRecovery));
      b.append("  check: ").append(check == null ? "not run" : check.summary()).append('\n');
      for (String f : failures) b.append("  FAILURE: ").append(f).append('\n');
      b.append("  files: ").append(dir).append('\n');
      return b.toString();
    }
  }

  private FaultRun() {}

  static Path baseDir() {
    return NodeProcess.projectDir().resolve("target").resolve("faults");
  }

  static Report run(Spec spec) {
    Path dir = baseDir().resolve(Long.toString(spec.seed()));
    deleteRecursively(dir);
    try {
      Files.createDirectories(dir);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    Events events = new Events(dir.resolve("events.log"), "[faults " + spec.seed() + "] ");
    Random random = new Random(spec.seed());
    events.log("seed " + spec.seed() + ": " + spec.nodes() + " nodes, " + spec.duration().toSeconds() + " s, "
        + spec.targetOps() + " operations by " + spec.clients() + " clients on " + spec.keys() + " keys at a time ("
        + spec.opsPerKey() + " operations each), faults "
        + spec.kinds() + (spec.secure() ? ", TLS and auth on" : "") + " (rerun: -Dkshaka.faults.seed=" + spec.seed()
        + ")");

    Set<Nemesis.Kind> kinds = EnumSet.copyOf(spec.kinds());
    String skipped = null;
    NodeNetwork network;
    if (kinds.contains(Nemesis.Kind.PARTITION)) {
      skipped = NamespaceNetwork.unsupportedReason();
      NodeNetwork ns = null;
      if (skipped == null) {
        try {
          ns = NamespaceNetwork.create(spec.nodes(), new Random(random.nextLong()));
        } catch (RuntimeException e) {
          skipped = "cannot set up network namespaces: " + e.getMessage();
        }
      }
      if (ns == null) {
        events.log("SKIPPING partitions: " + skipped);
        kinds.remove(Nemesis.Kind.PARTITION);
        network = NodeNetwork.loopback(spec.nodes(), skipped);
      } else {
        network = ns;
      }
    } else {
      network = NodeNetwork.loopback(spec.nodes(), "not asked for");
    }

    List<String> failures = new ArrayList<>();
    HistoryRecorder history = new HistoryRecorder(System::nanoTime);
    Nemesis nemesis = null;
    Workload workload = null;
    double finalRecovery = Double.NaN;
    CheckResult check = null;
    long started = System.nanoTime();
    JsonObject proposer = new JsonObject()
        .put("requestTimeoutMs", Math.max(500, spec.requestTimeout().toMillis() - 3_000))
        .put("sendTimeoutMs", 500);
    try (NodeNetwork net = network;
        NodeCluster cluster = new NodeCluster(dir, spec.nodes(), spec.acceptors(), net, proposer,
            NodeCluster.defaultJvmOptions(), spec.secure())) {
      events.log("starting " + spec.nodes() + " nodes, " + cluster.security() + ": " + cluster.urls());
      cluster.startAll();
      Duration startup = cluster.awaitAllReady(Duration.ofSeconds(120));
      events.log(String.format(Locale.ROOT, "all nodes ready after %.2f s", startup.toNanos() / 1e9));

      KvHttp http = new KvHttp(spec.requestTimeout(), cluster.security());
      workload = new Workload(new Workload.Spec(spec.clients(), spec.keys(), spec.opsPerKey(), spec.targetOps(),
          spec.duration(), spec.targetOps() * 4, spec.duration().multipliedBy(3).plusSeconds(120)), http,
          cluster.urls(), history, random.nextLong());
      nemesis = new Nemesis(cluster, new Random(random.nextLong()), events, kinds);
      workload.start();
      events.log("workload started");
      MembershipSchedule membership = new MembershipSchedule(cluster, new Random(random.nextLong()), events);
      Thread changer = null;
      List<String> changeFailures = java.util.Collections.synchronizedList(new ArrayList<>());
      if (!spec.changes().isEmpty()) {
        changer = new Thread(() -> {
          try {
            membership.run(spec.changes(), Duration.ofMinutes(4));
          } catch (RuntimeException e) {
            changeFailures.add(e.getMessage());
            events.log("FAILURE in the membership schedule: " + e.getMessage());
          }
        }, "membership-schedule");
        changer.setDaemon(true);
        changer.start();
      }
      try {
        // leave a few seconds of calm load at the end, within the run's time
        nemesis.run(spec.duration().minusSeconds(5));
        // calm load: at least 3 s, and until the history holds the operations asked for (at most 5 more minutes)
        events.log("schedule done; calm load until " + spec.targetOps() + " operations (now " + workload.operations()
            + "), at least 3 s");
        long calmFrom = System.nanoTime();
        long calmUntil = calmFrom + TimeUnit.MINUTES.toNanos(5);
        if (changer != null) {
          // every fault is healed now: the membership changes finish under calm load
          changer.join(TimeUnit.MINUTES.toMillis(5));
          events.log("membership schedule " + (changer.isAlive() ? "still running" : "done: " + membership.done()));
        }
        if (spec.replace() > 0 && changeFailures.isEmpty()) {
          // after the faults: a lost disk and its replacement, under the same load
          try {
            membership.replace(spec.replace(), Duration.ofMinutes(4));
          } catch (RuntimeException e) {
            changeFailures.add(e.getMessage());
          }
        }
        while (System.nanoTime() < calmUntil && workload.running()
            && (System.nanoTime() - calmFrom < TimeUnit.SECONDS.toNanos(3) || workload.operations() < spec.targetOps())) {
          LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(100));
        }
        failures.addAll(changeFailures);
        if (changer != null && membership.done().size() < spec.changes().size()) {
          failures.add("membership schedule reached only " + membership.done() + " of " + spec.changes());
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        failures.add("interrupted");
      } catch (RuntimeException e) {
        failures.add("fault schedule failed: " + e.getMessage());
        events.log("FAILURE in the fault schedule: " + e);
      } finally {
        workload.stop();
        workload.awaitStopped();
        events.log("workload stopped: " + workload.summary());
      }

      events.log("final heal: network, SIGCONT, restart what is down");
      long healAt = System.nanoTime();
      cluster.healAll();
      try {
        cluster.awaitAllReady(Duration.ofSeconds(30));
        finalRecovery = (System.nanoTime() - healAt) / 1e9;
        events.log(String.format(Locale.ROOT, "every node ready %.2f s after the final heal", finalRecovery));
      } catch (IllegalStateException e) {
        failures.add("not every node answered /ready within 30 s of the final heal: " + e.getMessage());
        events.log("FAILURE: " + e.getMessage());
      }

      if (failures.isEmpty() && !spec.changes().isEmpty()) {
        java.util.Set<Integer> last = new java.util.TreeSet<>(spec.changes().get(spec.changes().size() - 1));
        for (NodeProcess node : cluster.nodes()) {
          JsonObject status = membership.status(node.baseUrl);
          if (status == null || !MembershipSchedule.reached(status, last)) {
            failures.add("node " + node.id + " does not show the final configuration " + last + ": " + status);
          }
        }
      }
      if (failures.isEmpty()) {
        String missing = finalReads(http, cluster, workload.keys(), history);
        if (missing != null) failures.add(missing);
        events.log("final reads done");
      }
    } catch (RuntimeException e) {
      failures.add("harness: " + e);
      events.log("FAILURE: " + e);
    }

    List<Operation> ops = history.operations();
    Path historyFile = dir.resolve("history.jsonl");
    history.writeTo(historyFile);
    events.log("history: " + ops.size() + " operations in " + historyFile);
    if (workload != null && workload.unexpected.sum() > 0) {
      failures.add(workload.unexpected.sum() + " replies broke the HTTP contract, e.g. " + workload.unexpectedSamples);
    }
    if (!ops.isEmpty()) {
      check = Checker.check(ops, spec.checkPerKey());
      write(dir.resolve("check.txt"), check.report());
      events.log("check: " + check.summary());
      if (check.verdict() != Verdict.LINEARIZABLE) {
        failures.add("history is " + check.verdict() + ": see " + dir.resolve("check.txt") + "\n" + excerpt(check));
      }
    }
    Report report = new Report(spec, dir, kinds.contains(Nemesis.Kind.PARTITION), skipped,
        workload == null ? 0 : workload.operations(),
        workload == null ? 0 : workload.ok.sum(),
        workload == null ? 0 : workload.notApplied.sum(),
        workload == null ? 0 : workload.refused.sum(),
        workload == null ? 0 : workload.unknown.sum(),
        workload == null ? 0 : workload.unexpected.sum(),
        nemesis == null ? List.of() : nemesis.faults(),
        finalRecovery, (System.nanoTime() - started) / 1e9, check, failures,
        workload == null ? "" : workload.summary());
    write(dir.resolve("summary.txt"), report.summary());
    System.out.print(report.summary());
    if (report.passed() && !Boolean.getBoolean("kshaka.faults.keep")) deleteRecursively(dir.resolve("data"));
    return report;
  }

  /**
   * Reads every key through every node, each read recorded in the history; a read that fails (503/504/timeout) is
   * retried for up to 30 s. Returns a failure message, or null if every node answered for every key.
   */
  private static String finalReads(KvHttp http, NodeCluster cluster, List<String> keys, HistoryRecorder history) {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    List<String> missing = new ArrayList<>();
    for (String key : keys) {
      for (NodeProcess node : cluster.nodes()) {
        boolean read = false;
        for (int attempt = 0; attempt < 100 && !read && System.nanoTime() < deadline; attempt++) {
          HistoryRecorder.Pending p = history.call(key, Input.get());
          KvHttp.Result r = http.call(node.baseUrl, key, Input.get());
          switch (r.kind()) {
            case OK:
              p.ok(r.output());
              read = true;
              break;
            case NOT_APPLIED:
              p.notApplied();
              break;
            default:
              p.unknown();
              break;
          }
          if (!read) LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(100));
        }
        if (!read) missing.add(key + "@node" + node.id);
      }
    }
    if (missing.isEmpty()) return null;
    return "final reads got no answer within 30 s for " + missing.size() + " of " + keys.size() * cluster.size()
        + " key@node pairs, e.g. " + missing.subList(0, Math.min(20, missing.size()));
  }

  /** The report of the first failing key, cut to a readable size. */
  private static String excerpt(CheckResult check) {
    String report = check.report();
    return report.length() > 6_000 ? report.substring(0, 6_000) + "\n..." : report;
  }

  static void write(Path file, String text) {
    try {
      Files.writeString(file, text, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static void deleteRecursively(Path dir) {
    if (!Files.exists(dir)) return;
    try (Stream<Path> paths = Files.walk(dir)) {
      for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot delete " + dir, e);
    }
  }
}
