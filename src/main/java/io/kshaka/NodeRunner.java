package io.kshaka;

import com.hazelcast.core.LifecycleEvent;
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
 * <p>When Hazelcast merges this node back into the cluster after a split brain, the node restarts its whole
 * Vert.x (the acceptor's files stay; the store is reopened). vertx-hazelcast keeps event-bus state from before the
 * split across a merge: handler lists of node incarnations that died meanwhile, cached on this node, were seen to
 * make every other request to a peer time out for minutes (fault test seed 2007), and its re-publication of
 * handlers could block all sends (seed 2001). A fresh Vert.x joins with a new node id and an empty cache; it costs a
 * few seconds of this node's availability, after a partition that already cost more.
 */
final class NodeRunner {
  private static final Logger log = LoggerFactory.getLogger(NodeRunner.class);
  private static final Duration START_LIMIT = Duration.ofSeconds(120);

  private final NodeConfig config;
  private final Object lock = new Object();
  private Incarnation current;
  private boolean restarting;
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
    return Vertx.builder()
        .with(HazelcastSetup.vertxOptions(config).setMetricsOptions(metricsOptions()))
        .withClusterManager(cluster)
        .withMetrics(new MicrometerMetricsFactory(registry))
        .buildClustered()
        .compose(v -> {
          cluster.getHazelcastInstance().getLifecycleService().addLifecycleListener(event -> {
            if (event.getState() == LifecycleEvent.LifecycleState.MERGED) restartAfterMerge(v);
          });
          return v.deployVerticle(new KshakaVerticle(config.json(), registry))
              .map(id -> new Incarnation(v, cluster, id))
              .recover(e -> v.close().transform(ignored -> Future.failedFuture(e)));
        });
  }

  /** Called on a Hazelcast thread: the restart runs on a thread of its own. */
  private void restartAfterMerge(Vertx merged) {
    Incarnation old;
    synchronized (lock) {
      if (stopping || restarting || current == null || current.vertx() != merged) return;
      restarting = true;
      old = current;
    }
    Thread restart = new Thread(() -> {
      log.warn("node {}: Hazelcast merged it back after a split brain; restarting its Vert.x so that no event-bus "
          + "state from before the split survives", config.nodeId());
      try {
        close(old);
        for (int attempt = 1; ; attempt++) {
          try {
            Incarnation fresh = startOnce().toCompletionStage().toCompletableFuture()
                .get(START_LIMIT.toSeconds(), TimeUnit.SECONDS);
            boolean keep;
            synchronized (lock) {
              keep = !stopping;
              if (keep) current = fresh;
            }
            if (!keep) close(fresh);
            log.info("node {}: restarted after the merge", config.nodeId());
            return;
          } catch (Exception e) {
            log.error("node {}: restart after the merge failed (attempt {}): {}", config.nodeId(), attempt,
                e.toString());
            if (attempt == 10) {
              log.error("node {}: giving up; exiting so that a supervisor can restart it", config.nodeId());
              System.exit(1);
            }
            Thread.sleep(2_000);
          }
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      } finally {
        synchronized (lock) {
          restarting = false;
        }
      }
    }, "kshaka-restart");
    restart.start();
  }

  /**
   * Closes an incarnation for a restart: the node first (its store is closed cleanly), then Hazelcast is
   * terminated at once (a graceful leave waits for partition migrations that a cluster fresh from a merge may
   * never finish: seen to hold the port for over a minute), then the rest of Vert.x.
   */
  private static void close(Incarnation incarnation) {
    await(incarnation.vertx().undeploy(incarnation.deployment()), Duration.ofSeconds(30));
    try {
      incarnation.cluster().getHazelcastInstance().getLifecycleService().terminate();
    } catch (RuntimeException e) {
      log.warn("terminating Hazelcast: {}", e.toString());
    }
    await(incarnation.vertx().close(), Duration.ofSeconds(30));
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
