package io.kshaka;

import io.kshaka.cluster.HazelcastSetup;
import io.kshaka.cluster.NodeConfig;
import io.kshaka.storage.FileAcceptorStore;
import io.kshaka.storage.StoreOptions;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.micrometer.MetricsDomain;
import io.vertx.micrometer.MicrometerMetricsFactory;
import io.vertx.micrometer.MicrometerMetricsOptions;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs one node as {@code ./run.sh node CONF} does: a clustered Vert.x (Hazelcast) with a {@link KshakaVerticle}
 * deployed in it. A store of {@link #PRELOAD_MIN_BYTES} or more is read while Hazelcast joins, on a Vert.x of its
 * own, and the node takes over what was read if the store's files are unchanged by then
 * ({@link FileAcceptorStore#preload()}): a restart with a million keys per node no longer reads them after the join.
 *
 * <p>A split-brain merge no longer restarts anything: {@link KshakaVerticle}'s registration janitor repairs the
 * event-bus routing that vertx-hazelcast leaves stale after a merge, in place, while requests in flight go on
 * (see {@link io.kshaka.cluster.RegistrationJanitor}). The same repair runs when a user embeds the verticle in
 * their own Vert.x.
 */
final class NodeRunner {
  private static final Logger log = LoggerFactory.getLogger(NodeRunner.class);
  private static final Duration START_LIMIT = Duration.ofSeconds(120);
  private static final Duration JOIN_RETRY_PAUSE = Duration.ofSeconds(1);
  /**
   * A Hazelcast member that has not joined after this long shuts down (Hazelcast's default is 300 s), and
   * {@link #start()} tries again with a fresh one. Joins took 5-7 s here with two CPU hogs running. A joiner can get
   * stuck: a node restarted while another listed member was paused (SIGSTOP: its socket accepts but never answers)
   * asked both for the master every second, never heard the live one, and claimed mastership again and again,
   * waiting 10 s for the paused member each time. Under two CPU hogs, 1 such restart in 9 had not joined after
   * 120 s (1 in 4 with a 2 s TCP-IP connection timeout); a fresh member joined. Only here, where a retry follows:
   * an embedding application keeps its own join settings.
   */
  static final int JOIN_LIMIT_SECONDS = 30;

  /**
   * A store whose files hold less than this is read at deploy, after the join, as before: it opens in well under a
   * second, less than a second Vert.x for reading it ahead costs a busy machine (a node restarted into a loaded
   * cluster was ready about 2 s later with one). A million keys (about 200 MiB) open in 1-2 s alone, 6-7 s beside
   * two other starting nodes.
   */
  static final long PRELOAD_MIN_BYTES = 32L << 20;

  private final NodeConfig config;
  private final long preloadMinBytes;
  private final Object lock = new Object();
  private Incarnation current;
  private boolean stopping;
  private final AtomicInteger failedJoins = new AtomicInteger();

  /** One clustered Vert.x of this node, with the node deployed in it. */
  private record Incarnation(Vertx vertx, HazelcastClusterManager cluster, KshakaVerticle node) {}

  NodeRunner(NodeConfig config) {
    this(config, PRELOAD_MIN_BYTES);
  }

  /** A runner that reads the store during the join only when its files hold at least {@code preloadMinBytes}. */
  NodeRunner(NodeConfig config, long preloadMinBytes) {
    this.config = config;
    this.preloadMinBytes = preloadMinBytes;
  }

  /**
   * Joins the cluster and deploys the node; throws if it could not within two minutes. A join that fails (Hazelcast
   * gives up after {@link #JOIN_LIMIT_SECONDS}) is tried again with a fresh Hazelcast member until then: a joiner can
   * get stuck for minutes, and a fresh one does not inherit its state.
   */
  void start() throws Exception {
    long deadline = System.nanoTime() + START_LIMIT.toNanos();
    Future<FileAcceptorStore.Preloaded> store = preloadIfLarge(); // once: a join tried again does not read it again
    for (int attempt = 1; ; attempt++) {
      try {
        Incarnation started = startOnce(store).toCompletionStage().toCompletableFuture()
            .get(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
        synchronized (lock) {
          current = started;
        }
        return;
      } catch (ExecutionException e) {
        boolean again;
        synchronized (lock) {
          again = e.getCause() instanceof JoinFailed && !stopping && System.nanoTime() < deadline;
        }
        if (!again) throw e;
        failedJoins.incrementAndGet();
        Throwable why = e.getCause().getCause() == null ? e.getCause() : e.getCause().getCause();
        log.warn("node {} could not join the cluster (attempt {}: {}); trying again with a fresh Hazelcast member",
            config.nodeId(), attempt, why.toString());
        Thread.sleep(JOIN_RETRY_PAUSE.toMillis()); // a join that fails at once (a port still held) does not spin
      }
    }
  }

  /** Whether the running node took over the store read during its join, rather than reading it again. */
  boolean storeTakenOver() {
    synchronized (lock) {
      return current != null && current.node().storeTookOverPreload();
    }
  }

  /** Joins that failed and were tried again. */
  int failedJoins() {
    return failedJoins.get();
  }

  /**
   * Whether Hazelcast threw {@code e} or one of its causes (a join that gave up, a port it could not bind), rather
   * than Vert.x (for instance an event-bus TLS setting it cannot use, which trying again would not fix).
   */
  private static boolean fromHazelcast(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
      if (t.getClass().getName().startsWith("com.hazelcast.")) return true;
      StackTraceElement[] stack = t.getStackTrace();
      if (stack.length > 0 && stack[0].getClassName().startsWith("com.hazelcast.")) return true;
    }
    return false;
  }

  /** The clustered Vert.x could not be built: Hazelcast did not join. */
  private static final class JoinFailed extends RuntimeException {
    private static final long serialVersionUID = 1L;

    JoinFailed(Throwable cause) {
      super("joining the cluster failed", cause);
    }
  }

  /** Closes the node (from the shutdown hook); waits up to {@code limit}. */
  void stop(Duration limit) {
    Incarnation last;
    synchronized (lock) {
      stopping = true;
      last = current;
      current = null;
    }
    if (last != null) await(last.vertx().close(), limit);
  }

  private Future<Incarnation> startOnce(Future<FileAcceptorStore.Preloaded> store) {
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    com.hazelcast.config.Config hazelcast = HazelcastSetup.hazelcast(config);
    hazelcast.setProperty("hazelcast.max.join.seconds", String.valueOf(JOIN_LIMIT_SECONDS));
    HazelcastClusterManager cluster = new HazelcastClusterManager(hazelcast);
    long started = System.nanoTime();
    return Vertx.builder()
        .with(HazelcastSetup.vertxOptions(config).setMetricsOptions(metricsOptions()))
        .withClusterManager(cluster)
        .withMetrics(new MicrometerMetricsFactory(registry))
        .buildClustered()
        .onSuccess(v -> log.info("node {} joined the cluster in {} ms", config.nodeId(),
            (System.nanoTime() - started) / 1_000_000))
        .recover(e -> Future.failedFuture(fromHazelcast(e) ? new JoinFailed(e) : e))
        .compose(v -> store.compose(preloaded -> {
          KshakaVerticle node = new KshakaVerticle(config.json(), registry).preloadedStore(preloaded);
          return v.deployVerticle(node).map(id -> new Incarnation(v, cluster, node));
        })
            .recover(e -> v.close().transform(ignored -> Future.failedFuture(e))));
  }

  /**
   * The store read ahead of the join (null: read at deploy) when its files hold at least {@link #preloadMinBytes}; on
   * a thread of its own, as starting a Vert.x for the read takes a busy machine a second or two, which must not
   * delay the join.
   */
  private Future<FileAcceptorStore.Preloaded> preloadIfLarge() {
    long bytes;
    try {
      bytes = FileAcceptorStore.filesSize(Path.of(config.dataDir()));
    } catch (IOException | RuntimeException e) {
      bytes = 0; // the store's open reports what is wrong
    }
    if (bytes < preloadMinBytes) {
      log.info("node {} starting: joining the cluster ({} MiB of store to read once deployed)", config.nodeId(),
          bytes >> 20);
      return Future.succeededFuture(null);
    }
    log.info("node {} starting: reading its store ({} MiB) while it joins the cluster", config.nodeId(), bytes >> 20);
    Promise<FileAcceptorStore.Preloaded> read = Promise.promise();
    Thread reader = new Thread(() -> {
      try {
        preloadStore().onComplete(read);
      } catch (RuntimeException | Error e) {
        log.info("node {}: reading the store ahead of the join failed ({}); the node opens it once deployed",
            config.nodeId(), e.toString());
        read.tryComplete(null);
      }
    }, "kshaka-store-preload");
    reader.setDaemon(true);
    reader.start();
    return read.future();
  }

  /**
   * Reads the acceptor store on a Vert.x of its own while the clustered one joins (a restart with a million keys
   * spends seconds in each), for the node to take over once deployed. Null when that failed: the node then opens the
   * store itself and reports what is wrong with it the usual way.
   */
  private Future<FileAcceptorStore.Preloaded> preloadStore() {
    Vertx reader = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(1).setWorkerPoolSize(2)
        .setInternalBlockingPoolSize(1));
    Future<FileAcceptorStore.Preloaded> read;
    try {
      read = new FileAcceptorStore(reader, StoreOptions.defaults(config.dataDir())).preload();
    } catch (RuntimeException e) {
      read = Future.failedFuture(e);
    }
    return read.transform(ar -> {
      if (ar.failed()) {
        log.info("node {}: reading the store ahead of the join failed ({}); the node opens it once deployed",
            config.nodeId(), ar.cause().toString());
      }
      return reader.close().transform(c -> Future.succeededFuture(ar.succeeded() ? ar.result() : null));
    });
  }

  private static void await(Future<?> f, Duration limit) {
    try {
      f.toCompletionStage().toCompletableFuture().get(limit.toMillis(), TimeUnit.MILLISECONDS);
    } catch (Exception e) {
      log.warn("close did not complete cleanly: {}", e.toString());
    }
  }

  /**
   * Vert.x metrics: JVM (memory, GC, threads: read at scrape time) and verticles. The per-message domains are off:
   * the event bus, TCP and pool ones record every acceptor message under its address, and the HTTP server one
   * repeats Kshaka's own {@code kshaka_http_requests_seconds} (by route, method and status); together they cost
   * about a tenth of a node's CPU under load.
   */
  static MicrometerMetricsOptions metricsOptions() {
    MicrometerMetricsOptions options = new MicrometerMetricsOptions().setEnabled(true).setJvmMetricsEnabled(true);
    for (MetricsDomain d : MetricsDomain.values()) {
      if (d != MetricsDomain.VERTICLES) options.addDisabledMetricsCategory(d);
    }
    return options;
  }
}
