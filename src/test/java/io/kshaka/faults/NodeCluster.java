package io.kshaka.faults;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/**
 * N node processes on this machine: generates their configs (README, "Configuration") under {@code dir}, with a fresh data
 * directory each, a random cluster name and the addresses of the {@link NodeNetwork}; starts, stops and waits for
 * them.
 *
 * <pre>
 * dir/node-i.json   the config of node i
 * dir/node-i.log    its output, across restarts
 * dir/data/node-i/  its data directory
 * </pre>
 */
final class NodeCluster implements AutoCloseable {
  private final Path dir;
  private final NodeNetwork network;
  private final List<NodeProcess> nodes = new ArrayList<>();
  private final ClusterSecurity security;

  /**
   * @param proposer the config's {@code proposer} object (timeouts), or null for the defaults
   * @param jvmOptions heap and GC flags of the node JVMs
   */
  NodeCluster(Path dir, int size, NodeNetwork network, JsonObject proposer, List<String> jvmOptions) {
    this(dir, size, size, network, proposer, jvmOptions);
  }

  /**
   * @param acceptors how many of the nodes (1..acceptors) form the bootstrap configuration; the others start
   *     outside it and wait to be added by the membership procedure
   */
  NodeCluster(Path dir, int size, int acceptors, NodeNetwork network, JsonObject proposer,
      List<String> jvmOptions) {
    this(dir, size, acceptors, network, proposer, jvmOptions, false);
  }

  /**
   * @param secure TLS and authentication on every node and in every client of the harness ({@link
   *     ClusterSecurity}; credentials under {@code dir/security/})
   */
  NodeCluster(Path dir, int size, int acceptors, NodeNetwork network, JsonObject proposer,
      List<String> jvmOptions, boolean secure) {
    this.dir = dir.toAbsolutePath();
    this.network = network;
    this.security = secure ? ClusterSecurity.create(this.dir, network, size) : ClusterSecurity.PLAIN;
    String name = "kshaka-faults-" + UUID.randomUUID();
    JsonArray members = new JsonArray();
    for (int i = 1; i <= size; i++) {
      members.add(network.host(i) + ":" + network.clusterPort(i));
    }
    JsonArray bootstrap = new JsonArray();
    for (int i = 1; i <= acceptors; i++) bootstrap.add(i);
    try {
      Files.createDirectories(this.dir.resolve("data"));
      for (int i = 1; i <= size; i++) {
        JsonObject conf = new JsonObject()
            .put("nodeId", i)
            .put("dataDir", dataDir(i).toString())
            .put("http", new JsonObject().put("host", network.host(i)).put("port", network.httpPort(i)))
            .put("cluster", new JsonObject().put("name", name).put("host", network.host(i))
                .put("port", network.clusterPort(i)).put("members", members.copy()))
            .put("acceptors", bootstrap.copy());
        if (proposer != null) conf.put("proposer", proposer.copy());
        // No tombstone collection during fault runs: a collected key reads (absent, 0) at a moment the history
        // does not record, which the register model of the checker would take for a lost write. Collection has
        // its own tests (GcTest, the simulator's membership runs, which do record it).
        conf.put("gc", new JsonObject().put("tombstoneAgeMs", 3_600_000));
        security.configure(conf, i);
        Path confFile = this.dir.resolve("node-" + i + ".json");
        Files.writeString(confFile, conf.encodePrettily(), StandardCharsets.UTF_8);
        String url = security.scheme() + "://" + network.host(i) + ":" + network.httpPort(i);
        nodes.add(new NodeProcess(i, confFile, this.dir.resolve("node-" + i + ".log"), url,
            network.launchPrefix(i), jvmOptions, security));
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** JVM options for node processes: run.sh's defaults, with a smaller heap and the fast-start JIT setting. */
  static List<String> defaultJvmOptions() {
    String custom = System.getProperty("kshaka.faults.jvm");
    if (custom != null && !custom.isBlank()) return List.of(custom.trim().split("\\s+"));
    return List.of("-Xms64m", "-Xmx512m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1");
  }

  int size() {
    return nodes.size();
  }

  /** Node {@code i}, 1-based. */
  NodeProcess node(int i) {
    return nodes.get(i - 1);
  }

  List<NodeProcess> nodes() {
    return List.copyOf(nodes);
  }

  List<String> urls() {
    List<String> urls = new ArrayList<>();
    for (NodeProcess n : nodes) urls.add(n.baseUrl);
    return urls;
  }

  Path dir() {
    return dir;
  }

  Path dataDir(int node) {
    return dir.resolve("data").resolve("node-" + node);
  }

  NodeNetwork network() {
    return network;
  }

  /** How the harness's clients reach the nodes: plain, or HTTPS with a token. */
  ClusterSecurity security() {
    return security;
  }

  void startAll() {
    for (NodeProcess n : nodes) {
      if (!n.running()) n.start();
    }
  }

  /**
   * Waits until every node answers {@code /ready}.
   *
   * @return how long it took
   * @throws IllegalStateException naming the nodes that were not ready in time (with their log tails)
   */
  Duration awaitAllReady(Duration timeout) {
    return awaitReady(timeout, nodes);
  }

  /** Waits until these nodes answer {@code /ready}; as {@link #awaitAllReady}. */
  Duration awaitReady(Duration timeout, int... ids) {
    List<NodeProcess> which = new ArrayList<>();
    for (int id : ids) which.add(node(id));
    return awaitReady(timeout, which);
  }

  private Duration awaitReady(Duration timeout, List<NodeProcess> which) {
    long start = System.nanoTime();
    long deadline = start + timeout.toNanos();
    List<Integer> late = new ArrayList<>();
    for (NodeProcess n : which) {
      if (!n.awaitReady(deadline)) late.add(n.id);
    }
    if (!late.isEmpty()) {
      StringBuilder b = new StringBuilder("nodes " + late + " not ready within " + timeout.toSeconds() + " s");
      for (int id : late) {
        b.append("\n--- node ").append(id).append(" last /ready: ").append(node(id).lastReadiness());
        b.append("\n--- node ").append(id).append(" log tail:\n").append(node(id).logTail(40));
      }
      for (NodeProcess n : nodes) {
        if (!late.contains(n.id) && n.running()) {
          b.append("\n--- node ").append(n.id).append(" (ready or not waited for) log tail:\n").append(n.logTail(15));
        }
      }
      throw new IllegalStateException(b.toString());
    }
    return Duration.ofNanos(System.nanoTime() - start);
  }

  /** Every node running, none paused, no partition. */
  void healAll() {
    network.heal();
    for (NodeProcess n : nodes) n.resume();
    for (NodeProcess n : nodes) {
      if (!n.running()) n.start();
    }
  }

  /** kill -9 of every node at once (as close together as the JVM can send the signals). */
  void killAll() {
    kill(nodes);
  }

  /** kill -9 of these nodes at once, then waits until they are gone. */
  static void kill(List<NodeProcess> victims) {
    for (NodeProcess n : victims) n.sendKill();
    for (NodeProcess n : victims) n.awaitDead();
  }

  /** Stops every node with SIGTERM (in parallel), kill -9 after the grace time. */
  void stopAll(Duration grace) {
    List<Thread> stoppers = new ArrayList<>();
    for (NodeProcess n : nodes) {
      Thread t = new Thread(() -> n.stop(grace), "stop-node-" + n.id);
      t.start();
      stoppers.add(t);
    }
    for (Thread t : stoppers) {
      try {
        t.join(TimeUnit.SECONDS.toMillis(grace.toSeconds() + 40));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      }
    }
    for (NodeProcess n : nodes) n.kill(); // any that are still there
  }

  @Override
  public void close() {
    stopAll(Duration.ofSeconds(10));
  }
}
