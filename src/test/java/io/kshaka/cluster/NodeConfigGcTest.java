package io.kshaka.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

/** The node JSON's "gc" object: defaults, and bad values refused naming the field. */
class NodeConfigGcTest {
  private static JsonObject node(Object gc) {
    JsonObject json = new JsonObject().put("nodeId", 1)
        .put("http", new JsonObject())
        .put("cluster", new JsonObject().put("members", new JsonArray()))
        .put("acceptors", new JsonArray().add(1).add(2).add(3));
    return gc == null ? json : json.put("gc", gc);
  }

  private static String refusal(Object gc) {
    return assertThrows(IllegalArgumentException.class, () -> NodeConfig.fromJson(node(gc))).getMessage();
  }

  @Test
  void gcDefaultsToEveryTenSecondsAfterAMinuteInBatchesOf5000With64InFlight() {
    assertEquals(new NodeConfig.Gc(10_000, 60_000, 5_000, 64), NodeConfig.fromJson(node(null)).gc());
    assertEquals(new NodeConfig.Gc(200, 0, 10, 4), NodeConfig.fromJson(node(new JsonObject()
        .put("intervalMs", 200).put("tombstoneAgeMs", 0).put("batchMax", 10).put("concurrency", 4))).gc());
  }

  @Test
  void badGcSettingsAreRefusedNamingTheField() {
    assertTrue(refusal(new JsonObject().put("intervalMs", 0)).contains("gc.intervalMs"));
    assertTrue(refusal(new JsonObject().put("tombstoneAgeMs", -1)).contains("gc.tombstoneAgeMs"));
    assertTrue(refusal(new JsonObject().put("batchMax", "many")).contains("gc.batchMax"));
    assertTrue(refusal(new JsonObject().put("concurrency", 0)).contains("gc.concurrency"));
    assertTrue(refusal(5).contains("'gc' must be an object"));
  }
}
