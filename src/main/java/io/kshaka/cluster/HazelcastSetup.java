package io.kshaka.cluster;

import com.hazelcast.config.Config;
import com.hazelcast.config.JoinConfig;
import com.hazelcast.config.NetworkConfig;
import io.kshaka.security.TlsSettings;
import io.vertx.core.VertxOptions;
import io.vertx.spi.cluster.hazelcast.ConfigUtil;

/**
 * The Hazelcast and event-bus settings of a node: TCP-IP join on the configured members only, bound to the
 * configured host, multicast and phone-home off, and failure detection tuned for seconds that adapts to each
 * member's own heartbeat interval (README, "How it works").
 * Hazelcast is only the transport and the directory of live handlers: no Kshaka state is kept in it.
 *
 * <p>Nothing here must be matched by another member. Hazelcast 5.3 refuses a joining member only for a different
 * cluster name, join method ({@code tcp-ip}, multicast, ...), partition-group setting or
 * {@code hazelcast.partition.count} ({@code ConfigCheck}); the partition count is compared as the raw property
 * string, so it is left unset (not even set to the default 271): a plain clustered Vert.x with Hazelcast's
 * defaults plus TCP-IP members can join. No property set below is compared at join; they apply to the whole
 * Hazelcast instance, so an application that builds its Vert.x with this setup gets them for its own maps
 * and locks too (docs/embedding.md).
 */
public final class HazelcastSetup {
  private HazelcastSetup() {}

  public static Config hazelcast(NodeConfig node) {
    return hazelcast(node.clusterName(), node.clusterHost(), node.clusterPort(), node.members());
  }

  /** The settings of any member of a Kshaka cluster (nodes, and tools such as the benchmark's client). */
  public static Config hazelcast(String clusterName, String host, int port, java.util.List<String> members) {
    Config hz = ConfigUtil.loadConfig();
    hz.setClusterName(clusterName);
    hz.setProperty("hazelcast.logging.type", "slf4j");
    hz.setProperty("hazelcast.phone.home.enabled", "false");
    hz.setProperty("hazelcast.socket.bind.any", "false");
    hz.setProperty("hazelcast.wait.seconds.before.join", "0");
    // Failure detection in seconds rather than a minute, and per member. The master removes a member whose
    // heartbeats stop; each member sends them at its own interval: Kshaka's nodes every second, an application
    // with Hazelcast's defaults every 5 s. A fixed deadline of a few seconds removed such an application whenever
    // one heartbeat was a few milliseconds late (ForeignMemberTest). The phi-accrual detector learns each member's
    // own intervals (mean and deviation of the last 200) and suspects it only once its silence exceeds its mean
    // interval plus max.no.heartbeat (here the pause it may take on top) by about 6 standard deviations (at least
    // 100 ms each): a node is removed about 5.6 s after its last heartbeat (the deadline detector with 5 s: 5-6 s),
    // an application with defaults after about 9.6 s, so a heartbeat of it may come up to 4.6 s late.
    hz.setProperty("hazelcast.heartbeat.failuredetector.type", "phi-accrual");
    hz.setProperty("hazelcast.max.no.heartbeat.seconds", "4");
    hz.setProperty("hazelcast.heartbeat.interval.seconds", "1");
    hz.setProperty("hazelcast.merge.first.run.delay.seconds", "10");
    hz.setProperty("hazelcast.merge.next.run.delay.seconds", "5");
    hz.setProperty("hazelcast.shutdownhook.enabled", "false");
    // Bound how long one Hazelcast call can block (defaults: 60 s call timeout, 250 retries 0.5 s apart). Vert.x
    // looks up event-bus handlers through such calls, and after a split-brain merge re-publishes them under a lock
    // that every send waits for: with the defaults one call retrying against a departed member blocked all sends
    // of a node for minutes (fault test seed 2001). A failed call is retried by Kshaka, not lost.
    hz.setProperty("hazelcast.operation.call.timeout.millis", "10000");
    hz.setProperty("hazelcast.invocation.max.retry.count", "30");
    hz.setProperty("hazelcast.invocation.retry.pause.millis", "200");
    // A graceful leave waits until partition replicas are safe (default: up to 600 s); Kshaka keeps no state in
    // Hazelcast, so a stopping node need not wait long for it.
    hz.setProperty("hazelcast.graceful.shutdown.max.wait", "15");
    NetworkConfig net = hz.getNetworkConfig();
    net.setPort(port).setPortAutoIncrement(false);
    net.getInterfaces().setEnabled(true).setInterfaces(java.util.List.of(host));
    JoinConfig join = net.getJoin();
    join.getMulticastConfig().setEnabled(false);
    join.getAutoDetectionConfig().setEnabled(false);
    // Hazelcast's TCP-IP joiner asks the listed members for a master for its connection timeout (5 s) before it
    // claims mastership. 2 s made a 3-node start 3 s faster but left a restarted node stuck in that claim more
    // often (see NodeRunner.JOIN_LIMIT_SECONDS), so Kshaka keeps the default. Not compared at join.
    join.getTcpIpConfig().setEnabled(true).setMembers(members);
    return hz;
  }

  /**
   * Vert.x options of a node: the event bus listens on the cluster host, on {@code cluster.busPort} (0: any), with
   * mutual TLS when {@code cluster.tls} is set.
   */
  public static VertxOptions vertxOptions(NodeConfig node) {
    VertxOptions options = new VertxOptions();
    if (node.eventLoops() > 0) options.setEventLoopPoolSize(node.eventLoops());
    options.getEventBusOptions().setHost(node.clusterHost()).setPort(node.bus().port());
    TlsSettings.Cluster tls = node.tls().cluster();
    if (tls != null) tls.applyTo(options.getEventBusOptions());
    return options;
  }
}
