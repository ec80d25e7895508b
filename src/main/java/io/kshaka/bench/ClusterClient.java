package io.kshaka.bench;

import com.hazelcast.config.Config;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.eventbus.EventBusOptions;
import io.kshaka.cluster.HazelcastSetup;
import io.kshaka.security.TlsSettings;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * A clustered Vert.x for {@code --event-bus}: a Hazelcast lite member (it holds no partitions, so joining and
 * leaving moves no data) with a quiet configuration: TCP-IP join on the given members, multicast and auto-detection
 * off, interfaces limited to the bench's own host, phone-home off, no wait before join.
 */
final class ClusterClient {
  /** Held so the level set on it is not lost with a collected logger. */
  private static final Logger HAZELCAST_JUL = Logger.getLogger("com.hazelcast");

  private ClusterClient() {}

  static Config hazelcastConfig(String clusterName, String host, int port, List<Endpoint> members,
      Map<String, String> properties) {
    List<String> addresses = new ArrayList<>();
    for (Endpoint m : members) addresses.add(m.hostPort());
    Config config = HazelcastSetup.hazelcast(clusterName, host, port, addresses);
    config.setLiteMember(true);
    config.getNetworkConfig().setPortAutoIncrement(true).setPortCount(20);
    properties.forEach(config::setProperty);
    return config;
  }

  /** Joins the cluster; the future completes on a Hazelcast/Vert.x thread. */
  static Future<Vertx> start(Config config, String host, int eventLoops) {
    return start(config, host, eventLoops, null);
  }

  /**
   * Joins the cluster, with mutual TLS on the event bus when {@code tls} is not null (a cluster with
   * {@code cluster.tls} refuses a member without a certificate from its CA); the future completes on a
   * Hazelcast/Vert.x thread.
   */
  static Future<Vertx> start(Config config, String host, int eventLoops, TlsSettings.Cluster tls) {
    if (System.getProperty("hazelcast.logging.type") == null) {
      HAZELCAST_JUL.setLevel(Level.WARNING);
    }
    VertxOptions options = new VertxOptions()
        .setEventLoopPoolSize(Math.max(1, eventLoops))
        .setEventBusOptions(new EventBusOptions().setHost(host).setPort(0).setClusterPublicHost(host));
    if (tls != null) tls.applyTo(options.getEventBusOptions());
    return Vertx.builder()
        .with(options)
        .withClusterManager(new HazelcastClusterManager(config))
        .buildClustered();
  }
}
