package io.kshaka.bench;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.HdrHistogram.Histogram;

/**
 * The fault mode of the bench: starts a cluster of node processes ({@link LocalCluster}), lets the load run, makes
 * the fault at {@code faultAt} seconds after the start of measurement and undoes it {@code faultFor} seconds later,
 * from a thread of its own, and records every op by client group ({@link FaultRecorder}). Stops every process it
 * started on {@link #close()}, and from a shutdown hook if the bench is interrupted.
 */
final class FaultRun implements RunObserver, AutoCloseable {

  /** What to fault and the cluster to start. */
  record Settings(
      FaultKind kind,
      int nodes,
      Set<Integer> faultNodes,
      double faultAt,
      double faultFor,
      Path nodeJar,
      List<String> nodeJvm,
      int nodeEventLoops,
      JsonObject nodeConf,
      String network,
      Path clusterDir,
      double readyTimeoutSeconds) {}

  /** One thing the fault thread did, at {@code t} seconds from the start of measurement. */
  record Event(double t, String text) {}

  private final Settings settings;
  private final PrintWriter out;
  private final ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
    Thread t = new Thread(r, "bench-fault");
    t.setDaemon(true);
    return t;
  });
  private final List<Event> events = new ArrayList<>();
  private LocalNetwork network;
  private LocalCluster cluster;
  private FaultRecorder recorder;
  private volatile long measureStart;
  private volatile double faultedAt = Double.NaN;
  private volatile double returnedAt = Double.NaN;
  private volatile String failure;

  FaultRun(Settings settings, PrintWriter out) {
    this.settings = settings;
    this.out = out;
  }

  /** The network the settings ask for: "auto" is namespaces for a partition, loopback otherwise. */
  String networkKind() {
    String n = settings.network();
    if ("auto".equals(n)) return settings.kind() == FaultKind.PARTITION ? "netns" : "loopback";
    return n;
  }

  /** Why this run cannot be made on this machine, or null. */
  String unsupportedReason() {
    if ("netns".equals(networkKind())) {
      String why = LocalNetwork.namespacesUnsupported();
      if (why != null) {
        return (settings.kind() == FaultKind.PARTITION ? "a partition needs" : "--network netns needs")
            + " network namespaces (root and iproute2): " + why;
      }
    } else if (settings.kind() == FaultKind.PARTITION) {
      return "a partition cannot be made with --network loopback (the nodes share 127.0.0.1): use --network netns";
    }
    return null;
  }

  /** Starts the cluster and waits until every node is ready; returns the HTTP endpoints, node 1 first. */
  List<Endpoint> start() {
    network = "netns".equals(networkKind()) ? new LocalNetwork.Namespaces(settings.nodes())
        : new LocalNetwork.Loopback(settings.nodes());
    Path dir;
    try {
      dir = settings.clusterDir() != null ? Files.createDirectories(settings.clusterDir())
          : Files.createTempDirectory("kshaka-bench-");
    } catch (java.io.IOException e) {
      network.close();
      throw new BenchFailure("cannot create the cluster directory: " + e);
    }
    Path jar = settings.nodeJar() != null ? settings.nodeJar() : LocalCluster.ownJar();
    cluster = new LocalCluster(dir, settings.nodes(), network, LocalCluster.javaLaunch(jar, settings.nodeJvm()),
        settings.nodeEventLoops(), settings.nodeConf());
    out.printf(Locale.ROOT, "starting %d nodes from %s%n  network: %s%n  configs and logs: %s%n", settings.nodes(),
        jar != null ? jar.toAbsolutePath() : "the class path", network.describe(), dir);
    out.flush();
    long t0 = System.nanoTime();
    cluster.startAll();
    cluster.awaitAllReady(Duration.ofMillis((long) (settings.readyTimeoutSeconds() * 1000)));
    StringBuilder pids = new StringBuilder();
    for (LocalCluster.Node n : cluster.nodes()) {
      pids.append(pids.length() == 0 ? "" : ", ").append(n.id).append(": pid ").append(n.pid());
    }
    out.printf(Locale.ROOT, "all %d nodes ready after %.1f s (%s)%n", settings.nodes(), (System.nanoTime() - t0) / 1e9,
        pids);
    out.flush();
    List<Endpoint> endpoints = new ArrayList<>();
    for (LocalCluster.Node n : cluster.nodes()) endpoints.add(Endpoint.parse(n.baseUrl));
    return endpoints;
  }

  /** Must be called before the run, with its duration and request timeout. */
  void prepare(double durationSeconds, long timeoutMs) {
    Set<Integer> faulted = new TreeSet<>();
    for (int n : settings.faultNodes()) faulted.add(n - 1);
    recorder = new FaultRecorder(settings.nodes(), faulted, durationSeconds, 2 * timeoutMs / 1000.0 + 5,
        settings.faultAt());
  }

  boolean surviving(int client) {
    return recorder.surviving(client);
  }

  @Override
  public void starting(Timeline timeline) {
    measureStart = timeline.measureStart;
    recorder.starting(timeline);
    long now = System.nanoTime();
    long faultIn = timeline.measureStart + Timeline.nanos(settings.faultAt()) - now;
    long returnIn = faultIn + Timeline.nanos(settings.faultFor());
    scheduler.schedule(this::makeFault, faultIn, TimeUnit.NANOSECONDS);
    scheduler.schedule(this::undoFault, returnIn, TimeUnit.NANOSECONDS);
  }

  @Override
  public void op(int client, boolean measured, OpOutcome outcome, long latencyNanos, long endNanos) {
    recorder.op(client, measured, outcome, latencyNanos, endNanos);
  }

  @Override
  public String progress(long now, String line) {
    if (now - measureStart <= 0) return line;
    return line + String.format(Locale.ROOT, " | t=%.0fs surviving %d ok, %d err; faulted-entry %d ok, %d err",
        (now - measureStart) / 1e9, recorder.answersInLastSecond(FaultSeries.SURVIVING, now),
        recorder.errorsInLastSecond(FaultSeries.SURVIVING, now), recorder.answersInLastSecond(FaultSeries.FAULTED, now),
        recorder.errorsInLastSecond(FaultSeries.FAULTED, now));
  }

  private double sinceMeasureStart() {
    return (System.nanoTime() - measureStart) / 1e9;
  }

  private void event(double t, String text) {
    synchronized (events) {
      events.add(new Event(t, text));
    }
    out.printf(Locale.ROOT, "== t=%.2fs: %s%n", t, text);
    out.flush();
  }

  private String nodesText() {
    StringBuilder b = new StringBuilder(settings.faultNodes().size() > 1 ? "nodes " : "node ");
    for (int n : settings.faultNodes()) {
      if (b.charAt(b.length() - 1) != ' ') b.append(',');
      b.append(n);
    }
    return b.toString();
  }

  private void makeFault() {
    try {
      double t = sinceMeasureStart();
      List<LocalCluster.Node> victims = victims();
      StringBuilder pids = new StringBuilder();
      for (LocalCluster.Node n : victims) pids.append(pids.length() == 0 ? "pid " : ", ").append(n.pid());
      switch (settings.kind()) {
        case KILL -> {
          for (LocalCluster.Node n : victims) {
            n.note("kill -9 pid " + n.pid());
            n.forceKill();
          }
          for (LocalCluster.Node n : victims) n.awaitExitQuietly(30);
        }
        case PAUSE -> {
          for (LocalCluster.Node n : victims) n.pause();
        }
        case PARTITION -> {
          for (LocalCluster.Node n : victims) n.note("cut off from the other nodes");
          network.isolate(settings.faultNodes());
        }
        default -> throw new IllegalStateException();
      }
      faultedAt = t;
      event(t, String.format(Locale.ROOT, settings.kind().doing, nodesText()) + " (" + pids + ")");
    } catch (RuntimeException e) {
      failure = "the fault could not be made: " + e.getMessage();
      event(sinceMeasureStart(), "FAILED: " + failure);
    }
  }

  private void undoFault() {
    if (failure != null) return;
    try {
      double t = sinceMeasureStart();
      List<LocalCluster.Node> victims = victims();
      switch (settings.kind()) {
        case KILL -> {
          for (LocalCluster.Node n : victims) n.start();
        }
        case PAUSE -> {
          for (LocalCluster.Node n : victims) n.resume();
        }
        case PARTITION -> {
          network.heal();
          for (LocalCluster.Node n : victims) n.note("healed");
        }
        default -> throw new IllegalStateException();
      }
      returnedAt = t;
      StringBuilder pids = new StringBuilder();
      for (LocalCluster.Node n : victims) pids.append(pids.length() == 0 ? "pid " : ", ").append(n.pid());
      event(t, String.format(Locale.ROOT, settings.kind().undoing, nodesText()) + " (" + pids + ")");
      scheduler.execute(this::pollReady);
    } catch (RuntimeException e) {
      failure = "the fault could not be undone: " + e.getMessage();
      event(sinceMeasureStart(), "FAILED: " + failure);
    }
  }

  /** Notes when each faulted node answers /ready again (until it does, or 60 s after the return). */
  private void pollReady() {
    Set<Integer> waiting = new TreeSet<>(settings.faultNodes());
    long giveUp = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (!waiting.isEmpty() && System.nanoTime() < giveUp && !scheduler.isShutdown()) {
      for (int id : List.copyOf(waiting)) {
        if (cluster.node(id).ready(1000)) {
          waiting.remove(id);
          event(sinceMeasureStart(), "node " + id + " ready again");
        }
      }
      try {
        Thread.sleep(200);
      } catch (InterruptedException e) {
        return;
      }
    }
  }

  private List<LocalCluster.Node> victims() {
    List<LocalCluster.Node> v = new ArrayList<>();
    for (int n : settings.faultNodes()) v.add(cluster.node(n));
    return v;
  }

  /** Null if the fault was made and undone as planned, else what went wrong. */
  String failure() {
    if (failure != null) return failure;
    if (Double.isNaN(faultedAt)) return "the fault was never made (the run ended first)";
    if (Double.isNaN(returnedAt)) return "the fault was never undone (the run ended first)";
    return null;
  }

  FaultSummary summary() {
    double f = Double.isNaN(faultedAt) ? settings.faultAt() : faultedAt;
    double r = Double.isNaN(returnedAt) ? settings.faultAt() + settings.faultFor() : returnedAt;
    return FaultSummary.of(recorder.series(), f, r);
  }

  List<Event> events() {
    synchronized (events) {
      return List.copyOf(events);
    }
  }

  /** The timeline and summary for people. */
  String report(RunResult r, FaultSummary s) {
    Map<Double, String> marks = new LinkedHashMap<>();
    for (Event e : events()) marks.merge(e.t(), e.text(), (a, b) -> a + "; " + b);
    FaultSeries series = recorder.series();
    int surviving = 0;
    for (int c = 0; c < r.workload().clients(); c++) {
      if (recorder.surviving(c)) surviving++;
    }
    Histogram pre = recorder.preFaultLatency();
    StringBuilder b = new StringBuilder();
    b.append(String.format(Locale.ROOT, "%nTimeline (seconds from the start of measurement; ops/s, errors and max of "
        + "the %d surviving clients, whose entry node is not faulted; then the %d clients of the faulted %s)%n",
        surviving, r.workload().clients() - surviving, nodesText()));
    b.append(s.timelineText(marks));
    b.append(String.format(Locale.ROOT, "%nFault summary: %s at t=%.2f s, %s at t=%.2f s; %d nodes, %d surviving "
        + "clients; load average (1 min) %s at start, %s at end%n",
        String.format(Locale.ROOT, settings.kind().doing, nodesText()), s.faultAt(),
        String.format(Locale.ROOT, settings.kind().undoing, nodesText()), s.returnAt(), settings.nodes(), surviving,
        LoadAverage.format(r.loadAvgStart()), LoadAverage.format(r.loadAvgEnd())));
    b.append(s.text());
    b.append(String.format(Locale.ROOT, "  steady state before the fault:   %s ops/s (all clients), p50 %.2f ms, "
        + "p99 %.2f ms%n", Report.rate(preFaultAllClients(series, s)), pre.getValueAtPercentile(50) / 1000.0,
        pre.getValueAtPercentile(99) / 1000.0));
    b.append(String.format(Locale.ROOT, "  targets (0 errors, no zero second, slowest <= 2 s, 80%% within 2 s): %s%n",
        s.targetsMet() ? "met" : "NOT met"));
    String f = failure();
    if (f != null) b.append("  WARNING: ").append(f).append('\n');
    return b.toString();
  }

  private static double preFaultAllClients(FaultSeries series, FaultSummary s) {
    int slot = (int) Math.floor(s.faultAt() * series.slotsPerSecond() + 1e-9);
    if (slot == 0) return 0;
    long n = series.answers(FaultSeries.SURVIVING, 0, slot) + series.answers(FaultSeries.FAULTED, 0, slot);
    return n / (slot / (double) series.slotsPerSecond());
  }

  JsonObject toJson(RunResult r, FaultSummary s) {
    JsonArray ev = new JsonArray();
    for (Event e : events()) ev.add(new JsonObject().put("t", Math.round(e.t() * 1000) / 1000.0).put("event", e.text()));
    Histogram pre = recorder.preFaultLatency();
    Path jar = settings.nodeJar() != null ? settings.nodeJar() : LocalCluster.ownJar();
    return new JsonObject()
        .put("fault", new JsonObject()
            .put("kind", settings.kind().wireName())
            .put("nodes", settings.nodes())
            .put("faultNodes", new JsonArray(new ArrayList<>(settings.faultNodes())))
            .put("faultAtSeconds", settings.faultAt())
            .put("faultForSeconds", settings.faultFor())
            .put("network", networkKind())
            .put("nodeJar", jar == null ? null : jar.toAbsolutePath().toString())
            .put("nodeJvm", new JsonArray(new ArrayList<>(settings.nodeJvm())))
            .put("clusterDir", cluster == null ? null : cluster.dir().toString())
            .put("events", ev)
            .put("failure", failure()))
        .put("steadyState", new JsonObject()
            .put("opsPerSecAllClients", Math.round(preFaultAllClients(recorder.series(), s) * 10) / 10.0)
            .put("p50Us", pre.getValueAtPercentile(50))
            .put("p99Us", pre.getValueAtPercentile(99)))
        .put("summary", s.toJson())
        .put("slots", slotsJson(recorder.series()))
        .put("run", r.toJson());
  }

  /** The raw series of the surviving clients (answers, errors, max latency per 100 ms slot), to recompute from. */
  private static JsonObject slotsJson(FaultSeries series) {
    JsonArray answers = new JsonArray();
    JsonArray errors = new JsonArray();
    JsonArray maxUs = new JsonArray();
    for (int i = 0; i < series.slots(); i++) {
      answers.add(series.answers()[FaultSeries.SURVIVING][i]);
      long e = 0;
      for (OpOutcome o : OpOutcome.errors()) e += series.errors()[FaultSeries.SURVIVING][o.ordinal()][i];
      errors.add(e);
      maxUs.add(series.maxLatencyUs()[FaultSeries.SURVIVING][i]);
    }
    return new JsonObject().put("slotMs", series.slotNanos() / 1_000_000).put("measuredSlots", series.measuredSlots())
        .put("survivingAnswers", answers).put("survivingErrors", errors).put("survivingMaxLatencyUs", maxUs);
  }

  /** Stops the fault thread, then every node (by PID), and removes the data directories and the network. */
  @Override
  public void close() {
    scheduler.shutdownNow();
    try {
      scheduler.awaitTermination(30, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    if (cluster != null) {
      cluster.close();
      out.println("stopped the nodes; logs kept in " + cluster.dir());
    } else if (network != null) {
      network.close();
    }
    out.flush();
  }
}
