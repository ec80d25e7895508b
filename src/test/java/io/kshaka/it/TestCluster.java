package io.kshaka.it;

import io.kshaka.KshakaVerticle;
import io.kshaka.cluster.HazelcastSetup;
import io.kshaka.cluster.NodeConfig;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/**
 * N real Kshaka nodes inside this JVM: each its own clustered Vert.x with its own Hazelcast (on 127.0.0.1, a
 * random cluster name, free ports) and its own data directory, with {@link KshakaVerticle} deployed the way a
 * user deploys the module (DeploymentOptions config).
 */
public final class TestCluster implements AutoCloseable {
  private final String clusterName = "kshaka-test-" + UUID.randomUUID();
  private final Path baseDir;
  private final int[] hzPorts;
  private final int[] httpPorts;
  private final Vertx[] nodes;
  private final KshakaVerticle[] verticles;
  private final JsonObject proposerOptions;
  /** Nodes 1..bootstrap form the bootstrap configuration; the others start outside it. */
  private final int bootstrap;
  /** More top-level fields of every node's config (for example {@code "gc"}). */
  private JsonObject extra = new JsonObject();

  private TestCluster(Path baseDir, int n, int bootstrap, JsonObject proposerOptions) {
    this.bootstrap = bootstrap;
    this.baseDir = baseDir;
    this.hzPorts = new int[n];
    this.httpPorts = new int[n];
    this.nodes = new Vertx[n];
    this.verticles = new KshakaVerticle[n];
    this.proposerOptions = proposerOptions;
    for (int i = 0; i < n; i++) {
      hzPorts[i] = freePort();
      httpPorts[i] = freePort();
    }
  }

  /** Starts n nodes together and waits until every one is deployed. */
  public static TestCluster start(Path baseDir, int n, JsonObject proposerOptions) {
    return start(baseDir, n, n, proposerOptions);
  }

  /** Starts n nodes together, of which 1..bootstrap are the bootstrap acceptors, and waits until all are deployed. */
  public static TestCluster start(Path baseDir, int n, int bootstrap, JsonObject proposerOptions) {
    TestCluster c = new TestCluster(baseDir, n, bootstrap, proposerOptions);
    List<Future<Vertx>> all = new ArrayList<>();
    for (int i = 1; i <= n; i++) all.add(c.startAsync(i));
    for (Future<Vertx> f : all) await(f);
    return c;
  }

  /** Starts n nodes together, each config with {@code extra}'s top-level fields added. */
  public static TestCluster start(Path baseDir, int n, JsonObject proposerOptions, JsonObject extra) {
    TestCluster c = new TestCluster(baseDir, n, n, proposerOptions);
    c.extra = extra.copy();
    List<Future<Vertx>> all = new ArrayList<>();
    for (int i = 1; i <= n; i++) all.add(c.startAsync(i));
    for (Future<Vertx> f : all) await(f);
    return c;
  }

  /**
   * N nodes not started yet: {@link #startAll} starts them, each with a config of its own (for example two Kshaka
   * clusters, in two namespaces, in the one Hazelcast cluster of these nodes).
   */
  public static TestCluster create(Path baseDir, int n, JsonObject proposerOptions) {
    return new TestCluster(baseDir, n, n, proposerOptions);
  }

  /** Starts every node together, node i with {@code configOf.apply(i)}, and waits until all are deployed. */
  public void startAll(java.util.function.IntFunction<JsonObject> configOf) {
    List<Future<Vertx>> all = new ArrayList<>();
    for (int i = 1; i <= nodes.length; i++) all.add(startAsync(i, configOf.apply(i)));
    for (Future<Vertx> f : all) await(f);
  }

  /** Starts the node (as {@link #startNode} does) without waiting. */
  public Future<Vertx> startNodeAsync(int node) {
    return startAsync(node);
  }

  public int size() {
    return nodes.length;
  }

  public JsonObject config(int node) {
    JsonArray members = new JsonArray();
    JsonArray acceptors = new JsonArray();
    for (int i = 0; i < nodes.length; i++) {
      members.add("127.0.0.1:" + hzPorts[i]);
      if (i < bootstrap) acceptors.add(i + 1);
    }
    return extra.copy()
        .put("nodeId", node)
        .put("dataDir", baseDir.resolve("node-" + node).toString())
        .put("http", new JsonObject().put("host", "127.0.0.1").put("port", httpPorts[node - 1]))
        // extra's "cluster" fields (for example secretFile) join the ones made here
        .put("cluster", (extra.getValue("cluster") instanceof JsonObject more ? more.copy() : new JsonObject())
            .put("name", clusterName).put("host", "127.0.0.1").put("port", hzPorts[node - 1]).put("members", members))
        .put("acceptors", acceptors)
        .put("proposer", proposerOptions == null ? new JsonObject() : proposerOptions.copy());
  }

  public String url(int node) {
    return "http://127.0.0.1:" + httpPorts[node - 1];
  }

  public int httpPort(int node) {
    return httpPorts[node - 1];
  }

  public Vertx vertx(int node) {
    return nodes[node - 1];
  }

  /** The node's deployed module (null while it is stopped). */
  public KshakaVerticle verticle(int node) {
    return verticles[node - 1];
  }

  public boolean running(int node) {
    return nodes[node - 1] != null;
  }

  public void startNode(int node) {
    await(startAsync(node));
  }

  /** Starts the node with this config (for example {@link #config} with a field changed). */
  public void startNode(int node, JsonObject config) {
    await(startAsync(node, config));
  }

  private Future<Vertx> startAsync(int node) {
    return startAsync(node, config(node));
  }

  private Future<Vertx> startAsync(int node, JsonObject config) {
    return startAsync(node, config, System.nanoTime() + TimeUnit.SECONDS.toNanos(JOIN_RETRY_UNTIL_SECONDS));
  }

  /** Join attempts stop after this (the caller's await allows 120 s). */
  private static final long JOIN_RETRY_UNTIL_SECONDS = 80;

  /**
   * As ./run.sh nodes do (NodeRunner): a Hazelcast member that has not joined after 30 s gives up, and a fresh one
   * tries again, since a joiner can stay stuck for minutes (seen once in CI: three nodes of one start, none joined).
   */
  private Future<Vertx> startAsync(int node, JsonObject config, long retryUntil) {
    NodeConfig cfg = NodeConfig.fromJson(config);
    com.hazelcast.config.Config hazelcast = HazelcastSetup.hazelcast(cfg);
    hazelcast.setProperty("hazelcast.max.join.seconds", "30");
    return Vertx.builder()
        .with(HazelcastSetup.vertxOptions(cfg))
        .withClusterManager(new HazelcastClusterManager(hazelcast))
        .buildClustered()
        .recover(e -> {
          if (System.nanoTime() > retryUntil) return Future.failedFuture(e);
          System.err.println("node " + node + " could not join the cluster (" + e + "); trying again with a fresh member");
          return Future.fromCompletionStage(java.util.concurrent.CompletableFuture.runAsync(() -> { },
              java.util.concurrent.CompletableFuture.delayedExecutor(1, TimeUnit.SECONDS)))
              .compose(v -> startAsync(node, config, retryUntil));
        })
        .compose(vertx -> {
          KshakaVerticle verticle = new KshakaVerticle();
          return vertx.deployVerticle(verticle, new DeploymentOptions().setConfig(config))
            .map(id -> {
              nodes[node - 1] = vertx;
              verticles[node - 1] = verticle;
              return vertx;
            })
            .recover(e -> vertx.close().transform(ignored -> Future.failedFuture(e)));
        });
  }

  /** Closes the node's Vert.x (as a clean shutdown would); its data directory stays. */
  public void stopNode(int node) {
    Vertx v = nodes[node - 1];
    nodes[node - 1] = null;
    verticles[node - 1] = null;
    if (v != null) await(v.close());
  }

  @Override
  public void close() {
    for (int i = 1; i <= nodes.length; i++) {
      try {
        stopNode(i);
      } catch (RuntimeException ignored) {
        // best effort: the others must still close
      }
    }
  }

  public static <T> T await(Future<T> f) {
    try {
      return f.toCompletionStage().toCompletableFuture().get(120, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new IllegalStateException(e.getCause() != null ? e.getCause() : e);
    }
  }

  /**
   * A port that is free now, chosen below the kernel's ephemeral range (32768+) so that no outgoing connection can
   * take it while a stopped node waits to restart on it.
   */
  public static int freePort() {
    // surefire runs tests in two JVMs at once (kshaka.test.fork 1 or 2): each takes half the range, so one JVM never
    // picks a port that the other has chosen but not yet bound, or that a node of its stopped for a restart
    int fork = Integer.getInteger("kshaka.test.fork", 0);
    int from = fork == 2 ? 23_500 : 15_000;
    int span = fork == 1 || fork == 2 ? 8_500 : 17_000;
    for (int attempt = 0; attempt < 1000; attempt++) {
      int port = from + java.util.concurrent.ThreadLocalRandom.current().nextInt(span);
      try (ServerSocket s = new ServerSocket()) {
        s.bind(new java.net.InetSocketAddress("127.0.0.1", port));
        return port;
      } catch (IOException busy) {
        // try another
      }
    }
    throw new IllegalStateException("no free port found in 15000..32000");
  }
}
