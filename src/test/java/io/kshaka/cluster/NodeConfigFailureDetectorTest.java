package io.kshaka.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

/** The node JSON's "failureDetector" object: defaults, and bad values refused naming the field. */
class NodeConfigFailureDetectorTest {
  private static JsonObject node(JsonObject detector) {
    JsonObject json = new JsonObject().put("nodeId", 1)
        .put("http", new JsonObject())
        .put("cluster", new JsonObject().put("members", new JsonArray()))
        .put("acceptors", new JsonArray().add(1).add(2).add(3));
    return detector == null ? json : json.put("failureDetector", detector);
  }

  private static String refusal(JsonObject detector) {
    return assertThrows(IllegalArgumentException.class, () -> NodeConfig.fromJson(node(detector))).getMessage();
  }

  @Test
  void failureDetectorDefaultsToPingEvery100MsAndSuspectAfter400Ms() {
    assertEquals(new FailureDetector.Options(100, 400, 2_000), NodeConfig.fromJson(node(null)).failureDetector());
    assertEquals(new FailureDetector.Options(50, 300), NodeConfig.fromJson(node(new JsonObject()
        .put("pingIntervalMs", 50).put("suspectAfterMs", 300))).failureDetector());
  }

  @Test
  void badFailureDetectorSettingsAreRefusedNamingTheField() {
    String m = refusal(new JsonObject().put("suspectAfterMs", 100).put("pingIntervalMs", 100));
    assertTrue(m.contains("failureDetector.suspectAfterMs") && m.contains("greater than"), m);
    m = refusal(new JsonObject().put("pingIntervalMs", "fast"));
    assertTrue(m.contains("failureDetector.pingIntervalMs"), m);
    m = refusal(new JsonObject().put("suspectAfterMs", 1_000_000));
    assertTrue(m.contains("failureDetector.suspectAfterMs"), m);
    assertTrue(assertThrows(IllegalArgumentException.class, () -> NodeConfig.fromJson(node(null)
        .put("failureDetector", 5))).getMessage().contains("'failureDetector' must be an object"));
  }
}
