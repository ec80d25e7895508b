package io.kshaka.bench;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.LocalTime;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * The node processes that the fault mode starts: one config each (README, "Configuration") under {@code dir}, a fresh data
 * directory each, a random cluster name, the addresses of a {@link LocalNetwork}. Every process is handled by its
 * PID only (kill -9, SIGSTOP, SIGCONT, SIGTERM); a shutdown hook kills whatever is still running if the bench is
 * interrupted (Ctrl-C) and removes the network.
 *
 * <pre>
 * dir/node-i.json  dir/node-i.log (output across restarts, with a line at each start and fault)  dir/data/node-i/
 * </pre>
 */
final class LocalCluster implements AutoCloseable {
  /** run.sh's HZ_FLAGS. */
  static final List<String> HZ_FLAGS = List.of(
      "--add-modules", "java.se",
      "--add-exports", "java.base/jdk.internal.ref=ALL-UNNAMED",
      "--add-opens", "java.base/java.lang=ALL-UNNAMED",
      "--add-opens", "java.base/sun.nio.ch=ALL-UNNAMED",
      "--add-opens", "java.management/sun.management=ALL-UNNAMED",
      "--add-opens", "jdk.management/com.sun.management.internal=ALL-UNNAMED");

  private static final HttpClient PROBE = HttpClient.newBuilder()
      .version(HttpClient.Version.HTTP_1_1)
      .connectTimeout(Duration.ofSeconds(1))
      .build();

  private final Path dir;
  private final LocalNetwork network;
  private final List<Node> nodes = new ArrayList<>();
  private final Thread reaper = new Thread(this::reap, "bench-cluster-reaper");
  private boolean closed;

  /**
   * @param launch     how to run a node: the java command and options up to, not including, {@code node CONF}
   * @param extraConf  merged into every node's config (e.g. {@code {"proposer":{...}}}), or null
   */
  LocalCluster(Path dir, int size, LocalNetwork network, List<String> launch, int eventLoops, JsonObject extraConf) {
    this.dir = dir.toAbsolutePath();
    this.network = network;
    String name = "kshaka-bench-" + UUID.randomUUID();
    JsonArray members = new JsonArray();
    JsonArray acceptors = new JsonArray();
    for (int i = 1; i <= size; i++) {
      members.add(network.host(i) + ":" + network.clusterPort(i));
      acceptors.add(i);
    }
    try {
      Files.createDirectories(this.dir.resolve("data"));
      for (int i = 1; i <= size; i++) {
        JsonObject conf = new JsonObject()
            .put("nodeId", i)
            .put("dataDir", this.dir.resolve("data").resolve("node-" + i).toString())
            .put("http", new JsonObject().put("host", network.host(i)).put("port", network.httpPort(i)))
            .put("cluster", new JsonObject().put("name", name).put("host", network.host(i))
                .put("port", network.clusterPort(i)).put("members", members.copy()))
            .put("eventLoops", eventLoops)
            .put("acceptors", acceptors.copy());
        if (extraConf != null) conf.mergeIn(extraConf.copy(), true);
        Path confFile = this.dir.resolve("node-" + i + ".json");
        Files.writeString(confFile, conf.encodePrettily(), StandardCharsets.UTF_8);
        List<String> cmd = new ArrayList<>(network.launchPrefix(i));
        cmd.addAll(launch);
        cmd.add("node");
        cmd.add(confFile.toString());
        nodes.add(new Node(i, cmd, this.dir.resolve("node-" + i + ".log"),
            "http://" + network.host(i) + ":" + network.httpPort(i)));
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    Runtime.getRuntime().addShutdownHook(reaper);
  }

  /** The java command of a node process: run.sh's flags, {@code jvmOptions}, then the jar or the class path. */
  static List<String> javaLaunch(Path jar, List<String> jvmOptions) {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.addAll(HZ_FLAGS);
    cmd.addAll(jvmOptions);
    cmd.add("-Dhazelcast.logging.type=slf4j");
    Path logback = Path.of("conf", "logback.xml").toAbsolutePath();
    if (Files.isRegularFile(logback)) cmd.add("-Dlogback.configurationFile=" + logback);
    if (jar != null) {
      cmd.add("-jar");
      cmd.add(jar.toAbsolutePath().toString());
    } else {
      String cp = System.getProperty("surefire.test.class.path");
      cmd.add("-cp");
      cmd.add(cp != null && !cp.isBlank() ? cp : System.getProperty("java.class.path"));
      cmd.add("io.kshaka.Main");
    }
    return cmd;
  }

  /** The jar this bench runs from, or null when it runs from a class directory (tests, IDE). */
  static Path ownJar() {
    try {
      Path p = Path.of(LocalCluster.class.getProtectionDomain().getCodeSource().getLocation().toURI());
      return Files.isRegularFile(p) && p.toString().endsWith(".jar") ? p : null;
    } catch (Exception e) {
      return null;
    }
  }

  Node node(int i) {
    return nodes.get(i - 1);
  }

  List<Node> nodes() {
    return List.copyOf(nodes);
  }

  int size() {
    return nodes.size();
  }

  Path dir() {
    return dir;
  }

  LocalNetwork network() {
    return network;
  }

  void startAll() {
    for (Node n : nodes) n.start();
  }

  /** Waits until every node answers {@code /ready} with 200; throws naming the late ones, with their log tails. */
  void awaitAllReady(Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    List<Integer> late = new ArrayList<>();
    for (Node n : nodes) {
      if (!n.awaitReady(deadline)) late.add(n.id);
    }
    if (!late.isEmpty()) {
      StringBuilder b = new StringBuilder("nodes " + late + " not ready within " + timeout.toSeconds() + " s");
      for (int id : late) b.append("\n--- ").append(node(id).log).append(":\n").append(node(id).logTail(15));
      throw new BenchFailure(b.toString());
    }
  }

  /** Heals the network, resumes and stops every node (SIGTERM, kill -9 after 10 s), removes the data and network. */
  @Override
  public synchronized void close() {
    if (closed) return;
    closed = true;
    try {
      network.heal();
    } catch (RuntimeException e) {
      // the nodes are stopped anyway
    }
    List<Thread> stoppers = new ArrayList<>();
    for (Node n : nodes) {
      Thread t = new Thread(() -> n.stop(Duration.ofSeconds(10)), "bench-stop-node-" + n.id);
      t.start();
      stoppers.add(t);
    }
    for (Thread t : stoppers) {
      try {
        t.join(TimeUnit.SECONDS.toMillis(45));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      }
    }
    for (Node n : nodes) n.kill();
    network.close();
    deleteTree(dir.resolve("data"));
    try {
      Runtime.getRuntime().removeShutdownHook(reaper);
    } catch (IllegalStateException shuttingDown) {
      // the hook is running or has run
    }
  }

  /** Shutdown hook: kill -9 of every node still running, then the network goes. */
  private void reap() {
    for (Node n : nodes) n.forceKill();
    for (Node n : nodes) n.awaitExitQuietly(5);
    network.close();
  }

  private static void deleteTree(Path root) {
    if (!Files.exists(root)) return;
    try (Stream<Path> walk = Files.walk(root)) {
      walk.sorted(Comparator.reverseOrder()).forEach(p -> {
        try {
          Files.deleteIfExists(p);
        } catch (IOException ignored) {
          // best effort: a temp dir
        }
      });
    } catch (IOException ignored) {
      // best effort
    }
  }

  /** One node process. */
  static final class Node {
    final int id;
    final Path log;
    final String baseUrl;
    private final List<String> command;
    private volatile Process process;
    private boolean paused;
    private int starts;

    Node(int id, List<String> command, Path log, String baseUrl) {
      this.id = id;
      this.command = List.copyOf(command);
      this.log = log;
      this.baseUrl = baseUrl;
    }

    synchronized void start() {
      if (process != null && process.isAlive()) throw new IllegalStateException("node " + id + " is running");
      starts++;
      note("start #" + starts);
      try {
        process = new ProcessBuilder(command)
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
            .start();
      } catch (IOException e) {
        throw new BenchFailure("cannot launch node " + id + " (" + String.join(" ", command) + "): " + e.getMessage());
      }
      paused = false;
    }

    synchronized long pid() {
      return process == null ? -1 : process.pid();
    }

    synchronized boolean alive() {
      return process != null && process.isAlive();
    }

    /** kill -9 by PID, and waits until the process is gone. */
    synchronized void kill() {
      if (process == null || !process.isAlive()) return;
      note("kill -9 pid " + process.pid());
      process.destroyForcibly(); // SIGKILL; a stopped process dies too
      awaitExitQuietly(30);
      paused = false;
    }

    synchronized void pause() {
      if (!alive() || paused) return;
      note("kill -STOP pid " + process.pid());
      Commands.check(List.of("kill", "-STOP", Long.toString(process.pid())), "");
      paused = true;
    }

    synchronized void resume() {
      if (!alive() || !paused) return;
      note("kill -CONT pid " + process.pid());
      Commands.check(List.of("kill", "-CONT", Long.toString(process.pid())), "");
      paused = false;
    }

    /** SIGCONT if paused, SIGTERM, then kill -9 if it has not exited within {@code grace}. */
    synchronized void stop(Duration grace) {
      if (process == null || !process.isAlive()) return;
      resume();
      note("SIGTERM pid " + process.pid());
      process.destroy();
      try {
        if (!process.waitFor(grace.toMillis(), TimeUnit.MILLISECONDS)) {
          note("no exit " + grace.toMillis() + " ms after SIGTERM: kill -9");
          process.destroyForcibly();
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        process.destroyForcibly();
      }
      awaitExitQuietly(30);
    }

    /** From the shutdown hook: no lock (a fault thread may hold it), just SIGKILL by PID. */
    void forceKill() {
      Process p = process;
      if (p != null && p.isAlive()) p.destroyForcibly();
    }

    void awaitExitQuietly(long seconds) {
      Process p = process;
      if (p == null) return;
      try {
        p.waitFor(seconds, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }

    /** GET /ready answers 200 now (timeout {@code timeoutMs}). */
    boolean ready(long timeoutMs) {
      try {
        HttpRequest req = HttpRequest.newBuilder(URI.create(baseUrl + "/ready"))
            .timeout(Duration.ofMillis(timeoutMs)).GET().build();
        return PROBE.send(req, HttpResponse.BodyHandlers.discarding()).statusCode() == 200;
      } catch (IOException e) {
        return false;
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return false;
      }
    }

    boolean awaitReady(long deadlineNanos) {
      do {
        synchronized (this) {
          if (process == null || !process.isAlive()) {
            throw new BenchFailure("node " + id + " exited (code " + (process == null ? "never started"
                : process.exitValue()) + "); " + log + ":\n" + logTail(20));
          }
        }
        if (ready(2000)) return true;
        try {
          Thread.sleep(100);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return false;
        }
      } while (System.nanoTime() < deadlineNanos);
      return false;
    }

    String logTail(int lines) {
      try {
        List<String> all = Files.readAllLines(log, StandardCharsets.UTF_8);
        return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
      } catch (IOException | UncheckedIOException e) {
        return "(cannot read " + log + ": " + e.getMessage() + ")";
      }
    }

    /** A line in the node's log, so that the log shows where each fault fell. */
    void note(String what) {
      try {
        Files.writeString(log, LocalTime.now() + " ===== bench: node " + id + ": " + what + "\n",
            StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
      } catch (IOException ignored) {
        // the log is for people
      }
    }
  }
}
