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
  private final Path baseDir;
  // a whole-cluster start that does not finish is abandoned and made again with all of these fresh (startAll)
  private String clusterName = "kshaka-test-" + UUID.randomUUID();
  private Path dataRoot;
  private final int[] hzPorts;
  private final int[] httpPorts;
  /** Bumped when a whole-cluster start is abandoned: a node of an older attempt that comes up later closes itself. */
  private volatile int attempt;
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
    this.dataRoot = baseDir;
    this.hzPorts = new int[n];
    this.httpPorts = new int[n];
    this.nodes = new Vertx[n];
    this.verticles = new KshakaVerticle[n];
    this.proposerOptions = proposerOptions;
    choosePorts();
  }

  private void choosePorts() {
    for (int i = 0; i < nodes.length; i++) {
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
    c.startAll(c::config);
    return c;
  }

  /** Starts n nodes together, each config with {@code extra}'s top-level fields added. */
  public static TestCluster start(Path baseDir, int n, JsonObject proposerOptions, JsonObject extra) {
    TestCluster c = new TestCluster(baseDir, n, n, proposerOptions);
    c.extra = extra.copy();
    c.startAll(c::config);
    return c;
  }

  /**
   * N nodes not started yet: {@link #startAll} starts them, each with a config of its own (for example two Kshaka
   * clusters, in two namespaces, in the one Hazelcast cluster of these nodes).
   */
  public static TestCluster create(Path baseDir, int n, JsonObject proposerOptions) {
    return new TestCluster(baseDir, n, n, proposerOptions);
  }

  /**
   * Starts every node together, node i with {@code configOf.apply(i)}, and waits until all are deployed.
   *
   * <p>Three Hazelcast members that join each other at the same moment can, on a loaded machine, stay without a
   * cluster for minutes (seen in CI: a 3-node start that did not finish in 120 s). A start that has not finished in
   * {@link #START_ATTEMPT_SECONDS} is abandoned: its nodes are closed (a late one closes itself) and every node starts
   * again as a new cluster, with a fresh cluster name, fresh ports and fresh data directories, so nothing of the
   * abandoned attempt can join or share a file with it. {@code configOf} is called again, so it must build each
   * config from {@link #config}.
   */
  public void startAll(java.util.function.IntFunction<JsonObject> configOf) {
    for (int tries = 1; ; tries++) {
      List<Future<Vertx>> all = new ArrayList<>();
      // one join per member: a stuck one fails after 30 s and the whole start is made again
      for (int i = 1; i <= nodes.length; i++) all.add(startAsync(i, configOf.apply(i), System.nanoTime()));
      try {
        Future.all(all).toCompletionStage().toCompletableFuture().get(START_ATTEMPT_SECONDS, TimeUnit.SECONDS);
        return;
      } catch (Exception e) {
        if (tries == START_ATTEMPTS) throw new IllegalStateException("the cluster did not start in " + tries
            + " attempts of " + START_ATTEMPT_SECONDS + " s", e.getCause() != null ? e.getCause() : e);
        List<Integer> up = new ArrayList<>();
        for (int i = 1; i <= nodes.length; i++) if (nodes[i - 1] != null) up.add(i);
        System.err.println("TestCluster: the start of " + clusterName + " did not finish (" + e + "; nodes up: " + up
            + "); starting all " + nodes.length + " nodes again as a new cluster");
        synchronized (this) {
          attempt++;
        }
        close();
        clusterName = "kshaka-test-" + UUID.randomUUID();
        dataRoot = baseDir.resolve("start-" + (attempt + 1));
        choosePorts();
      }
    }
  }

  /** How long one whole-cluster start may take (a normal one takes 3-20 s), and how many are made. */
  private static final int START_ATTEMPT_SECONDS = 70;
  private static final int START_ATTEMPTS = 3;

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
        .put("dataDir", dataDir(node).toString())
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

  /** The node's data directory. */
  public Path dataDir(int node) {
    return dataRoot.resolve("node-" + node);
  }

  /** Join attempts stop after this (the caller's await allows 120 s). */
  private static final long JOIN_RETRY_UNTIL_SECONDS = 80;

  /**
   * As ./run.sh nodes do (NodeRunner): a Hazelcast member that has not joined after 30 s gives up, and a fresh one
   * tries again, since a joiner can stay stuck for minutes (seen once in CI: three nodes of one start, none joined).
   */
  private Future<Vertx> startAsync(int node, JsonObject config, long retryUntil) {
    int startedIn = attempt;
    NodeConfig cfg = NodeConfig.fromJson(config);
    com.hazelcast.config.Config hazelcast = HazelcastSetup.hazelcast(cfg);
    hazelcast.setProperty("hazelcast.max.join.seconds", "30");
    return Vertx.builder()
        .with(HazelcastSetup.vertxOptions(cfg))
        .withClusterManager(new HazelcastClusterManager(hazelcast))
        .buildClustered()
        .recover(e -> {
          if (System.nanoTime() > retryUntil || startedIn != attempt) return Future.failedFuture(e);
          System.err.println("node " + node + " could not join the cluster (" + e + "); trying again with a fresh member");
          return Future.fromCompletionStage(java.util.concurrent.CompletableFuture.runAsync(() -> { },
              java.util.concurrent.CompletableFuture.delayedExecutor(1, TimeUnit.SECONDS)))
              .compose(v -> startAsync(node, config, retryUntil));
        })
        .compose(vertx -> {
          KshakaVerticle verticle = new KshakaVerticle();
          return vertx.deployVerticle(verticle, new DeploymentOptions().setConfig(config))
            .compose(id -> {
              synchronized (this) {
                if (startedIn == attempt) {
                  nodes[node - 1] = vertx;
                  verticles[node - 1] = verticle;
                  return Future.succeededFuture(vertx);
                }
              }
              return vertx.close().transform(ignored -> Future.failedFuture("a node of an abandoned start"));
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

  /** Polls {@code condition} every 50 ms until it holds; fails naming {@code what} after {@code timeoutMs}. */
  public static void waitUntil(String what, long timeoutMs, java.util.function.BooleanSupplier condition)
      throws InterruptedException {
    long deadline = System.nanoTime() + timeoutMs * 1_000_000;
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) throw new AssertionError("timed out after " + timeoutMs + " ms: " + what);
      Thread.sleep(50);
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
