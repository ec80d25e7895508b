package io.kshaka.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

/** cluster.busPort: 0 (any free port) by default, a fixed port when given, bad values refused naming the field. */
class NodeConfigBusPortTest {
  private static JsonObject node(Object busPort) {
    JsonObject cluster = new JsonObject().put("port", 5701).put("members", new JsonArray());
    if (busPort != null) cluster.put("busPort", busPort);
    return new JsonObject().put("nodeId", 1).put("http", new JsonObject()).put("cluster", cluster)
        .put("acceptors", new JsonArray().add(1).add(2).add(3));
  }

  private static String refusal(JsonObject json) {
    return assertThrows(IllegalArgumentException.class, () -> NodeConfig.fromJson(json)).getMessage();
  }

  @Test
  void busPortDefaultsToAnyFreePortAndIsPassedToTheEventBus() {
    NodeConfig dflt = NodeConfig.fromJson(node(null));
    assertEquals(0, dflt.bus().port());
    assertEquals(0, HazelcastSetup.vertxOptions(dflt).getEventBusOptions().getPort());
    NodeConfig fixed = NodeConfig.fromJson(node(17001));
    assertEquals(17001, fixed.bus().port());
    assertEquals(17001, HazelcastSetup.vertxOptions(fixed).getEventBusOptions().getPort());
    assertEquals("127.0.0.1", HazelcastSetup.vertxOptions(fixed).getEventBusOptions().getHost());
    assertEquals(0, NodeConfig.fromJson(node(0)).bus().port());
    assertEquals(65535, NodeConfig.fromJson(node(65535)).bus().port());
  }

  @Test
  void badBusPortsAreRefusedAtLoadNamingTheField() {
    for (Object bad : new Object[] {-1, 65536, 1.5, "7000", true, new JsonObject()}) {
      String message = refusal(node(bad));
      assertTrue(message.contains("'cluster.busPort' must be an integer in 0..65535"), bad + ": " + message);
    }
  }

  @Test
  void busPortMustNotBeHazelcastsPort() {
    assertTrue(refusal(node(5701)).contains("'cluster.busPort' must differ from cluster.port"));
    JsonObject defaultHazelcastPort = node(5701);
    defaultHazelcastPort.getJsonObject("cluster").remove("port"); // 5700 + nodeId
    assertTrue(refusal(defaultHazelcastPort).contains("must differ from cluster.port"));
  }
}
