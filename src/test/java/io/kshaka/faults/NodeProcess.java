package io.kshaka.faults;

import io.kshaka.bench.Commands;
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
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * One Kshaka node as an operating-system process ({@code io.kshaka.Main node CONF}), launched with the JVM flags of
 * {@code run.sh} and the test class path. Every process is controlled through its {@link Process} handle and PID
 * only: kill -9 ({@link #kill()}), SIGSTOP/SIGCONT ({@link #pause()}/{@link #resume()}), SIGTERM ({@link #stop()}).
 * Its output is appended to one log file across restarts, with a harness line before each start and fault.
 *
 * <p>Every live process is also in a JVM-wide set that a shutdown hook kills, so an aborted test leaves none behind.
 */
final class NodeProcess {
  /** run.sh's HZ_FLAGS: quiet Hazelcast on Java 17. */
  static final List<String> HZ_FLAGS = List.of(
      "--add-modules", "java.se",
      "--add-exports", "java.base/jdk.internal.ref=ALL-UNNAMED",
      "--add-opens", "java.base/java.lang=ALL-UNNAMED",
      "--add-opens", "java.base/sun.nio.ch=ALL-UNNAMED",
      "--add-opens", "java.management/sun.management=ALL-UNNAMED",
      "--add-opens", "jdk.management/com.sun.management.internal=ALL-UNNAMED");

  private static final Set<Process> LIVE = ConcurrentHashMap.newKeySet();
  private static final HttpClient PROBE = ClusterSecurity.PLAIN.client(Duration.ofSeconds(1)).build();

  static {
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      for (Process p : LIVE) p.destroyForcibly();
    }, "node-process-reaper"));
  }

  final int id;
  final Path config;
  final Path log;
  final String baseUrl;
  private final ClusterSecurity security;
  private final HttpClient probe;
  private final List<String> command;
  private Process process;
  private boolean paused;
  private int starts;

  NodeProcess(int id, Path config, Path log, String baseUrl, List<String> launchPrefix, List<String> jvmOptions,
      ClusterSecurity security) {
    this.id = id;
    this.config = config;
    this.log = log;
    this.baseUrl = baseUrl;
    this.security = security;
    this.probe = security.on() ? security.client(Duration.ofSeconds(1)).build() : PROBE;
    List<String> cmd = new ArrayList<>(launchPrefix);
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.addAll(HZ_FLAGS);
    cmd.addAll(jvmOptions);
    cmd.add("-Dhazelcast.logging.type=slf4j");
    Path logback = projectDir().resolve("conf/logback.xml");
    if (Files.exists(logback)) cmd.add("-Dlogback.configurationFile=" + logback);
    cmd.add("-cp");
    cmd.add(testClassPath());
    cmd.add("io.kshaka.Main");
    cmd.add("node");
    cmd.add(config.toString());
    this.command = List.copyOf(cmd);
  }

  /** The project directory (Surefire's {@code basedir}, else the working directory). */
  static Path projectDir() {
    return Path.of(System.getProperty("basedir", System.getProperty("user.dir"))).toAbsolutePath();
  }

  /**
   * The class path of the tests: Surefire may run us from a manifest-only jar, so prefer the class path it
   * publishes. {@code -Dkshaka.node.classpath=target/kshaka-VERSION-all.jar} runs the nodes from the built jar
   * instead, as {@code ./run.sh} does (with {@code -Dkshaka.bench.jvm} naming its class-data sharing archive).
   */
  static String testClassPath() {
    String node = System.getProperty("kshaka.node.classpath");
    if (node != null && !node.isBlank()) return node;
    String cp = System.getProperty("surefire.test.class.path");
    return cp != null && !cp.isBlank() ? cp : System.getProperty("java.class.path");
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
      throw new UncheckedIOException("cannot launch node " + id + ": " + command, e);
    }
    LIVE.add(process);
    paused = false;
  }

  synchronized boolean running() {
    return process != null && process.isAlive();
  }

  synchronized boolean paused() {
    return paused;
  }

  synchronized long pid() {
    return process == null ? -1 : process.pid();
  }

  /** kill -9, and wait until the process is gone. */
  synchronized void kill() {
    sendKill();
    awaitDead();
  }

  /** Sends kill -9 without waiting (to kill several nodes at the same moment); then {@link #awaitDead()}. */
  synchronized void sendKill() {
    if (process == null || !process.isAlive()) return;
    note("kill -9 pid " + process.pid());
    process.destroyForcibly(); // SIGKILL on Unix; a stopped process dies too
  }

  /** Waits until a killed process is gone. */
  synchronized void awaitDead() {
    if (process == null) return;
    awaitExit(Duration.ofSeconds(30));
    paused = false;
  }

  /** SIGSTOP: the process stays, frozen (its sockets still accept connections in the kernel). */
  synchronized void pause() {
    if (!running() || paused) return;
    note("kill -STOP pid " + process.pid());
    Commands.signal(process.pid(), "STOP");
    paused = true;
  }

  /** SIGCONT. */
  synchronized void resume() {
    if (!running() || !paused) return;
    note("kill -CONT pid " + process.pid());
    Commands.signal(process.pid(), "CONT");
    paused = false;
  }

  /** SIGTERM (a clean stop), then kill -9 if it has not exited within {@code grace}. */
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
    awaitExit(Duration.ofSeconds(30));
  }

  private void awaitExit(Duration timeout) {
    try {
      if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        throw new IllegalStateException("node " + id + " (pid " + process.pid() + ") did not exit");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted waiting for node " + id, e);
    }
    LIVE.remove(process);
  }

  /** What the last {@link #ready()} probe got: status and body, or the error (for failure messages). */
  private volatile String lastReadiness = "never probed";

  /** What the last readiness probe got, for failure messages. */
  String lastReadiness() {
    return lastReadiness;
  }

  /** GET /ready answers 200 now. */
  boolean ready() {
    try {
      HttpRequest req = security.write(HttpRequest.newBuilder(URI.create(baseUrl + "/ready")))
          .timeout(Duration.ofSeconds(3)).GET().build();
      HttpResponse<String> r = probe.send(req, HttpResponse.BodyHandlers.ofString());
      lastReadiness = LocalTime.now() + " " + r.statusCode() + " " + r.body();
      return r.statusCode() == 200;
    } catch (IOException e) {
      lastReadiness = LocalTime.now() + " " + e;
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  /**
   * Polls {@code /ready} until it answers 200 or the deadline passes; throws if the process exits meanwhile.
   *
   * @return true if ready before {@code deadlineNanos} ({@link System#nanoTime()})
   */
  boolean awaitReady(long deadlineNanos) {
    do { // at least one probe, even past the deadline: a node checked after a slow one is judged, not skipped
      synchronized (this) {
        if (process == null || !process.isAlive()) {
          throw new IllegalStateException("node " + id + " exited (code "
              + (process == null ? "never started" : process.exitValue()) + "); log tail:\n" + logTail(30));
        }
      }
      if (ready()) return true;
      LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(100));
    } while (System.nanoTime() < deadlineNanos);
    return false;
  }

  /** The last {@code lines} lines of the node's log. */
  String logTail(int lines) {
    try {
      List<String> all = Files.readAllLines(log, StandardCharsets.UTF_8);
      return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
    } catch (IOException | UncheckedIOException e) {
      return "(cannot read " + log + ": " + e.getMessage() + ")";
    }
  }

  /** Appends a harness line to the node's log, so the log shows where each fault fell. */
  void note(String what) {
    String line = LocalTime.now() + " ===== harness: node " + id + ": " + what + "\n";
    try {
      Files.writeString(log, line, StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
    } catch (IOException ignored) {
      // the log is for people; a failed note must not fail the test
    }
  }
}
