package io.kshaka.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The negative control of {@link NodeAuthTest}: WITHOUT a cluster secret, the same rogue handlers on the acceptor
 * addresses of two stopped nodes do make node 1's proposer decide (their empty promises and blind accepts count
 * as votes). This is the attack the secret stops; if this test ever fails, NodeAuthTest proves nothing.
 */
class RogueAcceptorControlTest {
  @TempDir
  Path dir;

  @Test
  void withoutASecretARogueHandlerOnAcceptorAddressesVotes() {
    try (TestCluster cluster = TestCluster.start(dir, 3, new JsonObject().put("requestTimeoutMs", 3_000))) {
      Vertx rogue = NodeAuthTest.joinAsRogue(cluster);
      try {
        cluster.stopNode(3);
        cluster.stopNode(2);
        AtomicInteger received = new AtomicInteger();
        NodeAuthTest.registerRogueAcceptors(rogue, received, 2, 3);
        Http.Response put = Http.put(cluster.url(1) + "/v1/kv/decided-by-a-rogue", "x");
        assertEquals(200, put.status(), put.body());
        assertTrue(received.get() > 0, "the rogue voted");
      } finally {
        TestCluster.await(rogue.close());
      }
    }
  }
}
