package io.kshaka.cluster;

import io.vertx.core.json.JsonObject;

/**
 * The clustered event bus's listening port ({@code cluster.busPort}): 0 (the default) lets the system pick a free
 * port at each start; a fixed port lets a firewall be set up around it. The event bus listens on
 * {@code cluster.host}, beside Hazelcast's {@code cluster.port}, which it must not equal.
 *
 * @param port the event-bus port, 0 for any free one
 */
public record BusSettings(int port) {
  public static final BusSettings DEFAULT = new BusSettings(0);

  public BusSettings {
    if (port < 0 || port > 65535) throw bad("must be an integer in 0..65535");
  }

  /** Reads and validates {@code cluster.busPort} of a node's JSON config. */
  public static BusSettings from(JsonObject nodeJson) {
    Object cluster = nodeJson == null ? null : nodeJson.getValue("cluster");
    if (!(cluster instanceof JsonObject c)) return DEFAULT;
    Object v = c.getValue("busPort");
    if (v == null) return DEFAULT;
    if (!(v instanceof Number n) || n.doubleValue() != n.intValue() || n.intValue() < 0 || n.intValue() > 65535) {
      throw bad("must be an integer in 0..65535 (0: any free port)");
    }
    if (n.intValue() != 0 && n.intValue() == hazelcastPort(nodeJson, c)) {
      throw bad("must differ from cluster.port (" + n.intValue() + "): Hazelcast listens there");
    }
    return new BusSettings(n.intValue());
  }

  /** cluster.port, or its default (5700 + nodeId); -1 if neither is a number (NodeConfig reports that). */
  private static int hazelcastPort(JsonObject nodeJson, JsonObject cluster) {
    if (cluster.getValue("port") instanceof Number p) return p.intValue();
    if (nodeJson.getValue("nodeId") instanceof Number id) return 5700 + id.intValue();
    return -1;
  }

  private static IllegalArgumentException bad(String why) {
    return new IllegalArgumentException("config: field 'cluster.busPort' " + why);
  }
}
