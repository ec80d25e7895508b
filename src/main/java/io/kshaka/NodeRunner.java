package io.kshaka;

import io.kshaka.cluster.HazelcastSetup;
import io.kshaka.cluster.NodeConfig;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.micrometer.MetricsDomain;
import io.vertx.micrometer.MicrometerMetricsFactory;
import io.vertx.micrometer.MicrometerMetricsOptions;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs one node as {@code ./run.sh node CONF} does: a clustered Vert.x (Hazelcast) with a {@link KshakaVerticle}
 * deployed in it.
 *
 * <p>A split-brain merge no longer restarts anything: {@link KshakaVerticle}'s registration janitor repairs the
 * event-bus routing that vertx-hazelcast leaves stale after a merge, in place, while requests in flight go on
 * (see {@link io.kshaka.cluster.RegistrationJanitor}). The same repair runs when a user embeds the verticle in
 * their own Vert.x.
 */
final class NodeRunner {
  private static final Logger log = LoggerFactory.getLogger(NodeRunner.class);
  private static final Duration START_LIMIT = Duration.ofSeconds(120);

  private final NodeConfig config;
  private final Object lock = new Object();
  private Incarnation current;
  private boolean stopping;

  /** One clustered Vert.x of this node, with the node deployed in it. */
  private record Incarnation(Vertx vertx, HazelcastClusterManager cluster, String deployment) {}

  NodeRunner(NodeConfig config) {
    this.config = config;
  }

  /** Joins the cluster and deploys the node; throws if it could not within two minutes. */
  void start() throws Exception {
    Incarnation started = startOnce().toCompletionStage().toCompletableFuture()
        .get(START_LIMIT.toSeconds(), TimeUnit.SECONDS);
    synchronized (lock) {
      current = started;
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

  private Future<Incarnation> startOnce() {
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    HazelcastClusterManager cluster = new HazelcastClusterManager(HazelcastSetup.hazelcast(config));
    long started = System.nanoTime();
    log.info("node {} starting: joining the cluster", config.nodeId());
    return Vertx.builder()
        .with(HazelcastSetup.vertxOptions(config).setMetricsOptions(metricsOptions()))
        .withClusterManager(cluster)
        .withMetrics(new MicrometerMetricsFactory(registry))
        .buildClustered()
        .onSuccess(v -> log.info("node {} joined the cluster in {} ms", config.nodeId(),
            (System.nanoTime() - started) / 1_000_000))
        .compose(v -> v.deployVerticle(new KshakaVerticle(config.json(), registry))
            .map(id -> new Incarnation(v, cluster, id))
            .recover(e -> v.close().transform(ignored -> Future.failedFuture(e))));
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
