package io.kshaka.bench;

import io.kshaka.cluster.Addresses;
import io.kshaka.security.TlsSettings;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code kshaka bench}: a closed-loop load generator for a running Kshaka cluster, over HTTP or the event bus.
 * Exit codes: 0 done (errors seen by the load are reported, not fatal), 1 the target could not be reached or the
 * results not written, 2 bad usage.
 */
@Command(
    name = "bench",
    mixinStandardHelpOptions = true,
    version = "kshaka bench 0.1",
    sortOptions = false,
    usageHelpAutoWidth = true,
    description = {
        "Drives a running Kshaka cluster with closed-loop clients (each issues its next op when the previous one is "
            + "answered) and reports throughput, latency percentiles (HdrHistogram, microseconds, measured after "
            + "warm-up only), conflicts and errors by kind: a progress line every second, then a final table.",
        "Default target: the local 3-node cluster over HTTP (./run.sh)."},
    footer = {
        "",
        "Examples:",
        "  ./run.sh bench",
        "  ./run.sh bench --clients 64 --hot-key --mix cas=100",
        "  ./run.sh bench --mix get=80,put=10,cas=5,add=5 --duration 30 --json run.json",
        "  ./run.sh bench --event-bus --members 127.0.0.1:5701,127.0.0.1:5702",
        "  ./run.sh bench --endpoints https://127.0.0.1:8081 --cacert certs/ca.pem",
        "  ./run.sh bench --event-bus --cluster-cert certs/node-9.pem --cluster-key certs/node-9.key \\",
        "      --cluster-ca certs/ca.pem",
        "  ./run.sh bench --suite --json suite.json",
        "  ./run.sh bench --suite --json after.json --baseline before.json",
        "  ./run.sh bench --fault kill --nodes 3 --fault-node 3 --clients 24 --keys 1000 --warmup 5 --duration 30 \\",
        "      --fault-at 5 --fault-for 10 --json kill.json",
        "Exit codes: 0 done, 1 target unreachable, cluster not started or JSON not written, 2 bad usage,",
        "3 fault mode: this fault cannot be made on this machine (the message says why).",
        "See docs/bench.md for how to read the results."})
public final class BenchCommand implements Callable<Integer> {
  static final String DEFAULT_ENDPOINTS = "http://127.0.0.1:8081,http://127.0.0.1:8082,http://127.0.0.1:8083";
  static final String DEFAULT_MEMBERS = "127.0.0.1:5701,127.0.0.1:5702,127.0.0.1:5703";

  @Spec
  CommandSpec spec;

  @Option(names = "--endpoints", split = ",", paramLabel = "URL", defaultValue = DEFAULT_ENDPOINTS,
      description = "HTTP endpoints, comma-separated; client i uses endpoint i mod n (default: ${DEFAULT-VALUE}).")
  List<String> endpoints;

  @Option(names = "--cacert", paramLabel = "FILE",
      description = "PEM CA certificate(s) to trust for https:// endpoints (default: the JVM's trust store).")
  Path cacert;

  @Option(names = "--event-bus",
      description = "Drive the kshaka.kv event-bus address from a clustered Vert.x client (a Hazelcast lite member) "
          + "instead of HTTP.")
  boolean eventBus;

  @Option(names = "--members", split = ",", paramLabel = "HOST:PORT", defaultValue = DEFAULT_MEMBERS,
      description = "With --event-bus: Hazelcast members to join through (default: ${DEFAULT-VALUE}).")
  List<String> members;

  @Option(names = "--cluster-name", defaultValue = "kshaka",
      description = "With --event-bus: the Hazelcast cluster name (default: ${DEFAULT-VALUE}).")
  String clusterName;

  @Option(names = "--namespace", defaultValue = Addresses.DEFAULT_NAMESPACE,
      description = "With --event-bus: the nodes' address namespace, requests go to NAMESPACE.kv "
          + "(default: ${DEFAULT-VALUE}).")
  String namespace;

  @Option(names = "--cluster-host", defaultValue = "127.0.0.1",
      description = "With --event-bus: this client's cluster address (default: ${DEFAULT-VALUE}).")
  String clusterHost;

  @Option(names = "--cluster-port", defaultValue = "5799",
      description = "With --event-bus: this client's Hazelcast port, the next free one above it if taken "
          + "(default: ${DEFAULT-VALUE}).")
  int clusterPort;

  @Option(names = "--hz-property", paramLabel = "KEY=VALUE",
      description = "With --event-bus: a Hazelcast property of this client, repeatable; hazelcast.partition.count "
          + "must be set exactly as on the servers (the nodes leave it unset).")
  Map<String, String> hzProperties = new LinkedHashMap<>();

  @Option(names = "--cluster-cert", paramLabel = "FILE",
      description = "With --event-bus: this client's PEM certificate, signed by the cluster CA, to join a cluster "
          + "with cluster.tls (mutual TLS on the event bus); needs --cluster-key and --cluster-ca.")
  Path clusterCert;

  @Option(names = "--cluster-key", paramLabel = "FILE",
      description = "With --event-bus: the PEM private key of --cluster-cert.")
  Path clusterKey;

  @Option(names = "--cluster-ca", paramLabel = "FILE",
      description = "With --event-bus: the cluster CA certificate (PEM) that the nodes' certificates are signed by.")
  Path clusterCa;

  @Option(names = "--join-timeout", defaultValue = "30", paramLabel = "SECONDS",
      description = "With --event-bus: how long to wait to join and to see a kshaka.kv handler (default: "
          + "${DEFAULT-VALUE}).")
  double joinTimeoutSeconds;

  @Option(names = "--clients", defaultValue = "16", description = "Concurrent closed-loop clients (default: "
      + "${DEFAULT-VALUE}).")
  int clients;

  @Option(names = "--keys", defaultValue = "10000", description = "Distinct keys, chosen uniformly (default: "
      + "${DEFAULT-VALUE}).")
  int keys;

  @Option(names = "--hot-key", description = "Use a single key (same as --keys 1).")
  boolean hotKey;

  @Option(names = "--mix", defaultValue = "put=100", converter = Mix.Converter.class, paramLabel = "OP=PCT,...",
      description = "Percentages of get, put, cas, add adding up to 100 (default: ${DEFAULT-VALUE}).")
  Mix mix;

  @Option(names = "--value-size", defaultValue = "100", paramLabel = "BYTES",
      description = "Bytes per written value (default: ${DEFAULT-VALUE}).")
  int valueSize;

  @Option(names = "--duration", defaultValue = "10", paramLabel = "SECONDS",
      description = "Measured time per case (default: ${DEFAULT-VALUE}).")
  double durationSeconds;

  @Option(names = "--warmup", defaultValue = "2", paramLabel = "SECONDS",
      description = "Warm-up before measuring; its ops are not counted (default: ${DEFAULT-VALUE}).")
  double warmupSeconds;

  @Option(names = "--warm-generator", defaultValue = "0", paramLabel = "SECONDS",
      description = "Before the first case, drive the same clients and mix for SECONDS against a stub HTTP server "
          + "in the bench's own JVM, so that the load generator is compiled before it meets the cluster: the "
          + "figures then show the cluster's warm-up, not the generator's (default: ${DEFAULT-VALUE}; HTTP only).")
  double warmGeneratorSeconds;

  @Option(names = "--timeout", defaultValue = "5000", paramLabel = "MS",
      description = "Timeout of each request (default: ${DEFAULT-VALUE}).")
  long timeoutMs;

  @Option(names = "--max-ops", defaultValue = "0", paramLabel = "N",
      description = "Stop after N measured ops (0 = no cap; warm-up ops are not counted).")
  long maxOps;

  @Option(names = "--json", paramLabel = "FILE",
      description = "Write the results as JSON: one object for a run, {\"runs\":[...]} for a suite.")
  Path json;

  @Option(names = "--baseline", paramLabel = "FILE",
      description = "Compare with FILE, an earlier --json result (a run or a suite): for each case, the baseline case "
          + "with the same op mix, key count, clients and value size (duration, warm-up, seed and target are not "
          + "compared; the first such case if FILE has several), and print now/before ratios of ops/s, ok/s, p50 and "
          + "p99 latency; with --json, each run gets a \"baseline\" object with them. A case without one prints "
          + "'no baseline case'.")
  Path baselineFile;

  @Option(names = "--token", paramLabel = "TOKEN", defaultValue = "${env:KSHAKA_TOKEN}",
      description = "Bearer token for nodes with auth.tokensFile, sent on every request over HTTP or the event bus "
          + "(role write; read for --mix get=100). Default: $KSHAKA_TOKEN.")
  String token;

  @Option(names = "--seed", description = "Seed for the choice of ops, keys and values (default: random, printed).")
  Long seed;

  @Option(names = "--key-prefix", defaultValue = "bench",
      description = "Keys are PREFIX-i; add uses counters PREFIX-ctr-i (default: ${DEFAULT-VALUE}).")
  String keyPrefix;

  @Option(names = "--event-loops", defaultValue = "1",
      description = "Event loops the clients are spread over (default: ${DEFAULT-VALUE}; one is plenty on a "
          + "2-core machine that also runs the cluster).")
  int eventLoops;

  @Option(names = "--suite",
      description = "Run the standard matrix: --suite-ops x --suite-keys x --suite-clients, each for --duration "
          + "after --warmup; prints one table.")
  boolean suite;

  @Option(names = "--suite-clients", split = ",", defaultValue = "1,16,64",
      description = "Client counts of the suite (default: ${DEFAULT-VALUE}).")
  List<Integer> suiteClients;

  @Option(names = "--suite-keys", split = ",", defaultValue = "1,10000",
      description = "Key counts of the suite, 1 = a hot key (default: ${DEFAULT-VALUE}).")
  List<Integer> suiteKeys;

  @Option(names = "--suite-ops", split = ",", defaultValue = "put,add",
      description = "Ops of the suite, each run alone at 100%% (default: ${DEFAULT-VALUE}).")
  List<String> suiteOps;

  @Option(names = "--fault", paramLabel = "KIND",
      description = "Fault mode: start a cluster of node processes, run the load, and kill (-9, then restart), pause "
          + "(SIGSTOP, then SIGCONT) or partition (cut off from the other nodes, then heal) --fault-node at "
          + "--fault-at for --fault-for; prints a per-second timeline and a summary of the surviving clients.")
  String fault;

  @Option(names = "--nodes", defaultValue = "3", description = "Fault mode: nodes to start (default: ${DEFAULT-VALUE}).")
  int nodes;

  @Option(names = "--fault-node", split = ",", paramLabel = "N",
      description = "Fault mode: the node(s) to fault, 1-based, a minority (default: the last node).")
  List<Integer> faultNodes;

  @Option(names = "--fault-at", defaultValue = "5", paramLabel = "SECONDS",
      description = "Fault mode: when to fault, from the start of measurement (default: ${DEFAULT-VALUE}).")
  double faultAt;

  @Option(names = "--fault-for", defaultValue = "10", paramLabel = "SECONDS",
      description = "Fault mode: how long until the restart, SIGCONT or heal (default: ${DEFAULT-VALUE}).")
  double faultFor;

  @Option(names = "--node-jar", paramLabel = "PATH",
      description = "Fault mode: the jar to run the nodes from (default: the bench's own jar).")
  Path nodeJar;

  @Option(names = "--node-jvm", paramLabel = "OPTIONS", defaultValue = "-Xms128m -Xmx1g -XX:+UseSerialGC",
      description = "Fault mode: JVM options of the nodes, space-separated (default: ${DEFAULT-VALUE}; run.sh's "
          + "module flags are always added).")
  String nodeJvm;

  @Option(names = "--node-event-loops", defaultValue = "1", paramLabel = "N",
      description = "Fault mode: eventLoops of each node (default: ${DEFAULT-VALUE}, as conf/).")
  int nodeEventLoops;

  @Option(names = "--node-conf", paramLabel = "JSON",
      description = "Fault mode: a JSON object merged into every node's config, e.g. '{\"proposer\":{...}}'.")
  String nodeConf;

  @Option(names = "--network", defaultValue = "auto", paramLabel = "KIND",
      description = "Fault mode: loopback (127.0.0.1, free ports from 18100) or netns (a network namespace per node; "
          + "root); auto = netns for partition, loopback otherwise (default: ${DEFAULT-VALUE}).")
  String network;

  @Option(names = "--cluster-dir", paramLabel = "DIR",
      description = "Fault mode: where to write the nodes' configs, logs and data (default: a new temp directory; "
          + "the data is deleted at the end, configs and logs are kept).")
  Path clusterDir;

  @Option(names = "--ready-timeout", defaultValue = "120", paramLabel = "SECONDS",
      description = "Fault mode: how long to wait for every node to be ready (default: ${DEFAULT-VALUE}).")
  double readyTimeoutSeconds;

  /** The result to compare with, from --baseline, or null. */
  private Baseline baseline;

  /** The event bus's mutual TLS from --cluster-cert/--cluster-key/--cluster-ca, or null. */
  private TlsSettings.Cluster clusterTls;

  /** Options that only the fault mode uses. */
  private static final List<String> FAULT_OPTIONS = List.of("--nodes", "--fault-node", "--fault-at", "--fault-for",
      "--node-jar", "--node-jvm", "--node-event-loops", "--node-conf", "--network", "--cluster-dir", "--ready-timeout");

  /** Runs the bench with {@code args}, printing to stdout/stderr; returns the exit code. */
  public static int run(String... args) {
    return run(new PrintWriter(System.out, true), new PrintWriter(System.err, true), args);
  }

  /** Runs the bench with {@code args}, printing to {@code out} and {@code err}; returns the exit code. */
  public static int run(PrintWriter out, PrintWriter err, String... args) {
    CommandLine cl = new CommandLine(new BenchCommand());
    cl.setOut(out);
    cl.setErr(err);
    // a usage error says what is wrong in one line, not the whole help
    cl.setParameterExceptionHandler((e, badArgs) -> {
      PrintWriter w = e.getCommandLine().getErr();
      w.println("bench: " + e.getMessage());
      CommandLine.UnmatchedArgumentException.printSuggestions(e, w);
      w.println("Try --help for the options.");
      w.flush();
      return e.getCommandLine().getCommandSpec().exitCodeOnInvalidInput();
    });
    return cl.execute(args);
  }

  public static void main(String[] args) {
    System.exit(run(args));
  }

  @Override
  public Integer call() throws InterruptedException {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    long runSeed = seed != null ? seed : new SplittableRandom().nextLong() & Long.MAX_VALUE;
    FaultRun.Settings faultSettings = faultSettings();
    if (faultSettings != null && warmGeneratorSeconds > 0) usage("--warm-generator is not for --fault runs");
    if (faultSettings != null && !matched("--timeout")) timeoutMs = 10_000; // past the servers' own 504 deadline
    List<Workload> cases = cases(runSeed);
    if (faultSettings != null) return faultRun(faultSettings, cases.get(0), runSeed, out, err);
    List<Endpoint> httpEndpoints = eventBus ? List.of() : parseAll(endpoints, "--endpoints", false);
    List<Endpoint> hzMembers = eventBus ? parseAll(members, "--members", true) : List.of();
    baseline = readBaseline();

    out.printf(Locale.ROOT, "kshaka bench: %d case(s) against %s, seed %d (rerun with --seed %d)%n", cases.size(),
        eventBus ? "the event bus (" + EventBusTarget.ADDRESS + ") via " + joined(hzMembers)
            : "HTTP " + joined(httpEndpoints), runSeed, runSeed);
    out.flush();

    Vertx vertx = null;
    Thread leaveOnExit = null;
    List<RunResult> results = new ArrayList<>();
    try {
      EventBusTarget busTarget = null;
      if (eventBus) {
        vertx = joinCluster(out, hzMembers);
        // on Ctrl-C, leave the cluster properly rather than make the members wait to detect a dead member
        Vertx member = vertx;
        leaveOnExit = new Thread(() -> BenchRun.awaitQuietly(member.close(), 5), "bench-leave-cluster");
        Runtime.getRuntime().addShutdownHook(leaveOnExit);
        busTarget = new EventBusTarget(vertx, new Addresses(namespace).kv(), timeoutMs, token);
        awaitHandler(vertx, busTarget);
      } else {
        vertx = Vertx.builder().with(new VertxOptions().setEventLoopPoolSize(eventLoops)).build();
      }
      if (warmGeneratorSeconds > 0) GeneratorWarmup.run(vertx, cases.get(0), warmGeneratorSeconds, eventLoops, out);
      List<String> targets = new ArrayList<>();
      for (Endpoint e : eventBus ? hzMembers : httpEndpoints) targets.add(eventBus ? e.hostPort() : e.url());
      for (Workload w : cases) {
        Target target = busTarget;
        if (!eventBus) target = httpTarget(vertx, httpEndpoints, w, err);
        try {
          RunResult r = new BenchRun(vertx, target, eventBus ? "event-bus" : "http", targets, eventLoops, out).run(w);
          results.add(r);
          if (!suite) {
            out.print(Report.single(r));
            if (baseline != null) out.print(baseline.report(List.of(r)));
          }
          if (json != null) writeJson(results, runSeed);
        } finally {
          if (!eventBus) BenchRun.awaitQuietly(target.close(), 10);
        }
      }
      if (suite) {
        out.print(Report.suite(results));
        if (baseline != null) out.print(baseline.report(results));
      }
      if (json != null) out.println("results written to " + json);
      out.flush();
      return 0;
    } catch (BenchFailure e) {
      out.flush();
      err.println("bench: " + e.getMessage());
      err.flush();
      return 1;
    } finally {
      if (vertx != null) BenchRun.awaitQuietly(vertx.close(), 30);
      if (leaveOnExit != null) {
        try {
          Runtime.getRuntime().removeShutdownHook(leaveOnExit);
        } catch (IllegalStateException shuttingDown) {
          // the hook is running or has run: nothing to undo
        }
      }
    }
  }

  /** Checks the fault-mode options; null when not in fault mode. */
  private FaultRun.Settings faultSettings() {
    if (fault == null) {
      for (String o : FAULT_OPTIONS) {
        if (matched(o)) usage(o + " only applies with --fault");
      }
      return null;
    }
    FaultKind kind = FaultKind.byName(fault);
    if (kind == null) usage("--fault must be kill, pause or partition, not '" + fault + "'");
    for (String o : List.of("--event-bus", "--suite", "--endpoints")) {
      if (matched(o)) usage(o + " does not apply with --fault (the bench starts its own cluster over HTTP)");
    }
    if (nodes < 1 || nodes > 9) usage("--nodes must be 1..9");
    List<Integer> chosen = faultNodes == null || faultNodes.isEmpty() ? List.of(nodes) : faultNodes;
    java.util.Set<Integer> set = new java.util.TreeSet<>();
    for (int n : chosen) {
      if (n < 1 || n > nodes) usage("--fault-node: node " + n + " is not one of 1.." + nodes);
      if (!set.add(n)) usage("--fault-node: node " + n + " given twice");
    }
    if (2 * set.size() >= nodes) {
      usage("--fault-node: faulting " + set.size() + " of " + nodes + " nodes leaves no majority; the fault mode "
          + "measures a minority fault");
    }
    if (faultAt < 1 || !Double.isFinite(faultAt)) usage("--fault-at must be >= 1 s (the pre-fault baseline)");
    if (faultFor < 1 || !Double.isFinite(faultFor)) usage("--fault-for must be >= 1 s");
    if (faultAt + faultFor + 1 > durationSeconds) {
      usage("--duration must leave at least 1 s after the return: --fault-at + --fault-for + 1 <= --duration");
    }
    if (clients < nodes) usage("--clients must be >= --nodes, so that every node has clients");
    if (nodeJar != null && !Files.isRegularFile(nodeJar)) usage("--node-jar: no such file: " + nodeJar);
    if (nodeEventLoops < 1 || nodeEventLoops > 64) usage("--node-event-loops must be 1..64");
    if (matched("--baseline")) usage("--baseline does not apply with --fault");
    if (!List.of("auto", "loopback", "netns").contains(network)) usage("--network must be auto, loopback or netns");
    if (readyTimeoutSeconds <= 0 || !Double.isFinite(readyTimeoutSeconds)) usage("--ready-timeout must be > 0");
    JsonObject conf = null;
    if (nodeConf != null) {
      try {
        conf = new JsonObject(nodeConf);
      } catch (RuntimeException e) {
        usage("--node-conf must be a JSON object: " + e.getMessage());
      }
    }
    List<String> jvm = nodeJvm == null || nodeJvm.isBlank() ? List.of() : List.of(nodeJvm.trim().split("\\s+"));
    return new FaultRun.Settings(kind, nodes, set, faultAt, faultFor, nodeJar, jvm, nodeEventLoops, conf, network,
        clusterDir, readyTimeoutSeconds);
  }

  /** The fault mode: start the cluster, run the one case with the fault, print and write the summary. */
  private int faultRun(FaultRun.Settings settings, Workload w, long runSeed, PrintWriter out, PrintWriter err)
      throws InterruptedException {
    out.printf(Locale.ROOT, "kshaka bench, fault mode: %s of node(s) %s of %d at t=%s s for %s s, seed %d (rerun with "
        + "--seed %d)%n", settings.kind().wireName(), settings.faultNodes(), settings.nodes(),
        BenchRun.num(settings.faultAt()), BenchRun.num(settings.faultFor()), runSeed, runSeed);
    out.flush();
    try (FaultRun run = new FaultRun(settings, out)) {
      String unsupported = run.unsupportedReason();
      if (unsupported != null) {
        err.println("bench: skipped: " + unsupported);
        err.flush();
        return 3;
      }
      Vertx vertx = null;
      try {
        List<Endpoint> eps = run.start();
        run.prepare(w.durationSeconds(), w.timeoutMs());
        vertx = Vertx.builder().with(new VertxOptions().setEventLoopPoolSize(eventLoops)).build();
        List<String> targets = new ArrayList<>();
        for (Endpoint e : eps) targets.add(e.url());
        HttpTarget target = httpTarget(vertx, eps, w, err);
        RunResult r;
        try {
          r = new BenchRun(vertx, target, "http", targets, eventLoops, out, run).run(w);
        } finally {
          BenchRun.awaitQuietly(target.close(), 10);
        }
        out.print(Report.single(r));
        FaultSummary summary = run.summary();
        out.print(run.report(r, summary));
        if (json != null) {
          writeText(run.toJson(r, summary).encodePrettily());
          out.println("results written to " + json);
        }
        out.flush();
        String failure = run.failure();
        if (failure != null) {
          err.println("bench: " + failure);
          err.flush();
          return 1;
        }
        return 0;
      } catch (BenchFailure e) {
        out.flush();
        err.println("bench: " + e.getMessage());
        err.flush();
        return 1;
      } finally {
        if (vertx != null) BenchRun.awaitQuietly(vertx.close(), 30);
      }
    }
  }

  private List<Workload> cases(long runSeed) {
    if (durationSeconds <= 0 || !Double.isFinite(durationSeconds)) usage("--duration must be > 0 seconds");
    if (warmupSeconds < 0 || !Double.isFinite(warmupSeconds)) usage("--warmup must be >= 0 seconds");
    if (warmGeneratorSeconds < 0 || !Double.isFinite(warmGeneratorSeconds)) {
      usage("--warm-generator must be >= 0 seconds");
    }
    if (warmGeneratorSeconds > 0 && eventBus) usage("--warm-generator is for HTTP targets only, not --event-bus");
    if (timeoutMs <= 0) usage("--timeout must be > 0 ms");
    if (maxOps < 0) usage("--max-ops must be >= 0 (0 = no cap)");
    if (valueSize < 0 || valueSize > 64 << 20) usage("--value-size must be 0..67108864 bytes");
    if (eventLoops < 1 || eventLoops > 256) usage("--event-loops must be 1..256");
    if (keyPrefix == null || keyPrefix.isEmpty()) usage("--key-prefix must not be empty");
    if (eventBus && matched("--endpoints")) usage("--endpoints is for HTTP; with --event-bus give --members");
    if (eventBus && matched("--cacert")) usage("--cacert is for https:// endpoints; with --event-bus give "
        + "--cluster-cert, --cluster-key and --cluster-ca");
    if (!eventBus) {
      for (String o : List.of("--members", "--cluster-name", "--namespace", "--cluster-host", "--cluster-port",
          "--hz-property", "--join-timeout", "--cluster-cert", "--cluster-key", "--cluster-ca")) {
        if (matched(o)) usage(o + " only applies with --event-bus");
      }
    }
    clusterTls = clusterTls();
    if (cacert != null) {
      try {
        TlsSettings.checkCertificates("--cacert", cacert);
      } catch (IllegalArgumentException e) {
        usage(e.getMessage());
      }
    }
    if (joinTimeoutSeconds <= 0 || !Double.isFinite(joinTimeoutSeconds)) usage("--join-timeout must be > 0");
    if (clusterPort < 1 || clusterPort > 65535) usage("--cluster-port must be 1..65535");
    try {
      new Addresses(namespace);
    } catch (IllegalArgumentException e) {
      usage("--namespace must be 1 to 64 characters of [A-Za-z0-9_-]");
    }
    if (!suite) {
      for (String o : List.of("--suite-clients", "--suite-keys", "--suite-ops")) {
        if (matched(o)) usage(o + " only applies with --suite");
      }
      if (hotKey && matched("--keys") && keys != 1) usage("--hot-key means one key: leave out --keys " + keys);
      int k = hotKey ? 1 : keys;
      checkClients(clients, "--clients");
      if (k < 1) usage("--keys must be >= 1");
      return List.of(new Workload("run", clients, k, mix, valueSize, warmupSeconds, durationSeconds, timeoutMs,
          maxOps, runSeed, keyPrefix));
    }
    for (String o : List.of("--clients", "--keys", "--hot-key", "--mix")) {
      if (matched(o)) usage(o + " does not apply with --suite: use --suite-clients, --suite-keys, --suite-ops");
    }
    List<OpKind> ops = new ArrayList<>();
    for (String name : suiteOps) {
      OpKind op = OpKind.byName(name.trim());
      if (op == null) usage("--suite-ops: unknown op '" + name + "' (ops: " + OpKind.names() + ")");
      ops.add(op);
    }
    for (int c : suiteClients) checkClients(c, "--suite-clients");
    for (int k : suiteKeys) {
      if (k < 1) usage("--suite-keys: key counts must be >= 1");
    }
    List<Workload> cases = new ArrayList<>();
    for (OpKind op : ops) {
      for (int k : suiteKeys) {
        for (int c : suiteClients) {
          String label = op.wireName() + "-" + (k == 1 ? "hot" : k + "keys") + "-c" + c;
          cases.add(new Workload(label, c, k, Mix.of(op), valueSize, warmupSeconds, durationSeconds, timeoutMs,
              maxOps, runSeed, keyPrefix));
        }
      }
    }
    if (cases.isEmpty()) usage("--suite: empty matrix");
    return cases;
  }

  /** Reads --baseline before any load: a file that is missing, unreadable or not a --json result is a usage error. */
  private Baseline readBaseline() {
    if (baselineFile == null) return null;
    try {
      return Baseline.read(baselineFile);
    } catch (IllegalArgumentException e) {
      usage(e.getMessage());
      return null;
    }
  }

  private TlsSettings.Cluster clusterTls() {
    int given = (clusterCert != null ? 1 : 0) + (clusterKey != null ? 1 : 0) + (clusterCa != null ? 1 : 0);
    if (given == 0) return null;
    if (given < 3) usage("--cluster-cert, --cluster-key and --cluster-ca go together (mutual TLS needs all three)");
    try {
      return TlsSettings.Cluster.of("--cluster-cert", clusterCert, "--cluster-key", clusterKey, "--cluster-ca",
          clusterCa);
    } catch (IllegalArgumentException e) {
      usage(e.getMessage());
      return null;
    }
  }

  private void checkClients(int n, String option) {
    if (n < 1 || n > 10_000) usage(option + " must be 1..10000");
  }

  private List<Endpoint> parseAll(List<String> texts, String option, boolean member) {
    List<Endpoint> parsed = new ArrayList<>();
    for (String t : texts) {
      if (t.isBlank()) continue;
      try {
        parsed.add(member ? Endpoint.parseMember(t) : Endpoint.parse(t));
      } catch (IllegalArgumentException e) {
        usage(option + ": " + e.getMessage());
      }
    }
    if (parsed.isEmpty()) usage(option + " must name at least one " + (member ? "member" : "endpoint"));
    return parsed;
  }

  private Vertx joinCluster(PrintWriter out, List<Endpoint> hzMembers) throws InterruptedException {
    out.printf(Locale.ROOT, "joining Hazelcast cluster '%s' via %s as a lite member on %s:%d ...%n", clusterName,
        joined(hzMembers), clusterHost, clusterPort);
    out.flush();
    Future<Vertx> start = ClusterClient.start(
        ClusterClient.hazelcastConfig(clusterName, clusterHost, clusterPort, hzMembers, hzProperties), clusterHost,
        eventLoops, clusterTls);
    try {
      return start.toCompletionStage().toCompletableFuture()
          .get((long) (joinTimeoutSeconds * 1000), TimeUnit.MILLISECONDS);
    } catch (ExecutionException e) {
      // a lite member cannot form a cluster alone: with no server member reachable, the join itself fails
      throw new BenchFailure("could not join the cluster '" + clusterName + "' via " + joined(hzMembers) + " ("
          + e.getCause() + "): is the cluster running (./run.sh), with the same cluster name and Hazelcast "
          + "properties?");
    } catch (TimeoutException e) {
      // a late start must not leak a member: close it when it comes up
      start.onSuccess(Vertx::close);
      throw new BenchFailure("could not join the cluster '" + clusterName + "' via " + joined(hzMembers) + " within "
          + joinTimeoutSeconds + " s: is the cluster running (./run.sh), with the same cluster name and Hazelcast "
          + "properties?");
    }
  }

  private void awaitHandler(Vertx vertx, EventBusTarget target) throws InterruptedException {
    long deadline = System.nanoTime() + (long) (joinTimeoutSeconds * 1e9);
    Future<Void> ready = onContext(vertx, () -> target.awaitHandler(keyPrefix + "-0", deadline));
    try {
      ready.toCompletionStage().toCompletableFuture().get((long) (joinTimeoutSeconds * 1000) + timeoutMs + 1000,
          TimeUnit.MILLISECONDS);
    } catch (ExecutionException | TimeoutException e) {
      if (e.getCause() instanceof BenchFailure refused) throw refused;
      throw new BenchFailure("no handler answered on " + target.address() + " in cluster '" + clusterName
          + "' within " + joinTimeoutSeconds + " s: is the cluster running (./run.sh), with the same cluster name "
          + "and Hazelcast properties?");
    }
  }

  private HttpTarget httpTarget(Vertx vertx, List<Endpoint> eps, Workload w, PrintWriter err)
      throws InterruptedException {
    HttpTarget target = new HttpTarget(vertx, eps, w.clients(), timeoutMs, token, cacert);
    List<String> down;
    try {
      down = onContext(vertx, () -> target.unreachable(w.registerKey(0))).toCompletionStage().toCompletableFuture()
          .get(timeoutMs + 5000, TimeUnit.MILLISECONDS);
    } catch (ExecutionException | TimeoutException e) {
      down = List.of();
    }
    if (down.size() == eps.size()) {
      BenchRun.awaitQuietly(target.close(), 10);
      throw new BenchFailure("no endpoint could be reached (" + String.join("; ", down) + "): is the cluster "
          + "running (./run.sh)?");
    }
    for (String d : down) {
      err.println("warning: endpoint unreachable, its clients will count connection errors: " + d);
    }
    err.flush();
    return target;
  }

  /** Runs {@code action} on a fresh event-loop context, so its callbacks and timers share one thread. */
  private static <T> Future<T> onContext(Vertx vertx, Supplier<Future<T>> action) {
    Promise<T> promise = Promise.promise();
    Context context = vertx.getOrCreateContext();
    context.runOnContext(v -> action.get().onComplete(promise));
    return promise.future();
  }

  private void writeJson(List<RunResult> results, long runSeed) {
    String text;
    if (suite) {
      JsonArray runs = new JsonArray();
      for (RunResult r : results) runs.add(runJson(r));
      JsonObject all = new JsonObject()
          .put("suite", true)
          .put("seed", runSeed)
          .put("writtenAt", Instant.now().toString());
      if (baseline != null) {
        all.put("baseline", new JsonObject().put("file", baseline.file()).put("writtenAt", baseline.writtenAt()));
      }
      text = all.put("runs", runs).encodePrettily();
    } else {
      text = runJson(results.get(results.size() - 1)).encodePrettily();
    }
    writeText(text);
  }

  /** A run's JSON, with its comparison with --baseline when there is one. */
  private JsonObject runJson(RunResult r) {
    JsonObject o = r.toJson();
    if (baseline != null) o.put("baseline", baseline.toJson(r));
    return o;
  }

  private void writeText(String text) {
    try {
      Path parent = json.toAbsolutePath().getParent();
      if (parent != null) Files.createDirectories(parent);
      Files.writeString(json, text + "\n", StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new BenchFailure("could not write " + json + ": " + e);
    }
  }

  private boolean matched(String option) {
    return spec.commandLine().getParseResult().hasMatchedOption(option);
  }

  private void usage(String message) {
    throw new ParameterException(spec.commandLine(), message);
  }

  private static String joined(List<Endpoint> list) {
    List<String> s = new ArrayList<>();
    for (Endpoint e : list) s.add(e.hostPort());
    return String.join(",", s);
  }
}
