package io.kshaka.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Closing and restarting real nodes: a minority down keeps serving; a majority down fails fast and exactly. */
class FailoverTest {
  @TempDir
  Path dir;

  @Test
  void minorityDownKeepsServingAndRestartedNodeSeesEveryAcknowledgedWrite() {
    try (TestCluster cluster = TestCluster.start(dir, 3, new JsonObject().put("requestTimeoutMs", 5_000))) {
      for (int i = 0; i < 20; i++) {
        assertEquals(200, Http.put(cluster.url(1 + i % 3) + "/v1/kv/before-" + i, "b" + i).status());
      }
      cluster.stopNode(3);
      for (int i = 0; i < 20; i++) {
        Http.Response r = Http.put(cluster.url(1 + i % 2) + "/v1/kv/during-" + i, "d" + i);
        assertEquals(200, r.status(), r.body());
        assertEquals("b" + i, Http.get(cluster.url(2 - i % 2) + "/v1/kv/before-" + i).body());
      }
      cluster.startNode(3);
      // Node 3 alone with its own data would not be able to answer: reads go through a quorum that includes it.
      for (int i = 0; i < 20; i++) {
        assertEquals("b" + i, Http.get(cluster.url(3) + "/v1/kv/before-" + i).body());
        assertEquals("d" + i, Http.get(cluster.url(3) + "/v1/kv/during-" + i).body());
      }
    }
  }

  @Test
  void majorityDownFailsWithinTheDeadlineAndNeverHangs() {
    long timeoutMs = 2_000;
    try (TestCluster cluster = TestCluster.start(dir, 3, new JsonObject().put("requestTimeoutMs", timeoutMs))) {
      assertEquals(200, Http.put(cluster.url(1) + "/v1/kv/k", "v").status());
      cluster.stopNode(2);
      cluster.stopNode(3);
      for (String key : new String[] {"k", "other", "third"}) {
        long start = System.nanoTime();
        Http.Response put = Http.put(cluster.url(1) + "/v1/kv/" + key, "x");
        long tookMs = (System.nanoTime() - start) / 1_000_000;
        assertTrue(Set.of(503, 504).contains(put.status()), put.status() + " " + put.body());
        JsonObject body = put.json();
        assertEquals(put.status() == 503 ? "not_applied" : "unknown", body.getString("outcome"), body.encode());
        assertTrue(tookMs < timeoutMs + 5_000, "took " + tookMs + " ms");
        Http.Response get = Http.get(cluster.url(1) + "/v1/kv/" + key);
        assertTrue(Set.of(503, 504).contains(get.status()), get.status() + " " + get.body());
      }
      assertEquals(503, Http.get(cluster.url(1) + "/ready").status());
    }
  }
}
