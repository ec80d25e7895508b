package io.kshaka.bench;

import com.hazelcast.config.Config;
import com.hazelcast.config.JoinConfig;
import com.hazelcast.config.NetworkConfig;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.eventbus.EventBusOptions;
import io.vertx.spi.cluster.hazelcast.ConfigUtil;
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
    Config config = ConfigUtil.loadConfig(); // keeps the __vertx.* maps of vertx-hazelcast's default config
    config.setClusterName(clusterName);
    config.setLiteMember(true);
    config.setProperty("hazelcast.phone.home.enabled", "false");
    config.setProperty("hazelcast.wait.seconds.before.join", "0");
    config.setProperty("hazelcast.socket.bind.any", "false");
    config.setProperty("hazelcast.shutdownhook.enabled", "false");
    properties.forEach(config::setProperty);

    NetworkConfig network = config.getNetworkConfig();
    network.setPort(port).setPortAutoIncrement(true).setPortCount(20);
    if (host.matches("[0-9.]+")) {
      network.getInterfaces().setEnabled(true).setInterfaces(new ArrayList<>(List.of(host)));
    }
    JoinConfig join = network.getJoin();
    join.getMulticastConfig().setEnabled(false);
    join.getAutoDetectionConfig().setEnabled(false);
    List<String> addresses = new ArrayList<>();
    for (Endpoint m : members) addresses.add(m.hostPort());
    join.getTcpIpConfig().setEnabled(true).setMembers(addresses);
    return config;
  }

  /** Joins the cluster; the future completes on a Hazelcast/Vert.x thread. */
  static Future<Vertx> start(Config config, String host, int eventLoops) {
    if (System.getProperty("hazelcast.logging.type") == null) {
      HAZELCAST_JUL.setLevel(Level.WARNING);
    }
    VertxOptions options = new VertxOptions()
        .setEventLoopPoolSize(Math.max(1, eventLoops))
        .setEventBusOptions(new EventBusOptions().setHost(host).setPort(0).setClusterPublicHost(host));
    return Vertx.builder()
        .with(options)
        .withClusterManager(new HazelcastClusterManager(config))
        .buildClustered();
  }
}
