package io.kshaka.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.hazelcast.multimap.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.internal.VertxInternal;
import io.vertx.core.json.JsonObject;
import io.vertx.core.spi.cluster.RegistrationInfo;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;
import io.vertx.spi.cluster.hazelcast.impl.HazelcastRegistrationInfo;
import java.nio.file.Path;
import java.time.Duration;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The cluster's directory of event-bus handlers is repaired by every node (RegistrationJanitor): an entry of a
 * node that is not a member (as a split-brain merge leaves behind) goes away, and a node whose own entry was lost
 * registers it again and is not ready until it did.
 */
class RegistrationRepairTest {
  private static final Duration DEADLINE = Duration.ofSeconds(60);

  @TempDir
  Path dir;

  private static HazelcastClusterManager clusterManager(Vertx vertx) {
    return (HazelcastClusterManager) ((VertxInternal) vertx).clusterManager();
  }

  private static MultiMap<String, HazelcastRegistrationInfo> subs(Vertx vertx) {
    return clusterManager(vertx).getHazelcastInstance().getMultiMap("__vertx.subs");
  }

  private static boolean listed(MultiMap<String, HazelcastRegistrationInfo> subs, String address, String nodeId) {
    return subs.get(address).stream().anyMatch(r -> r.unwrap().nodeId().equals(nodeId));
  }

  private static void await(String what, BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + DEADLINE.toNanos();
    while (!condition.getAsBoolean()) {
      assertTrue(System.nanoTime() < deadline, "not within " + DEADLINE.toSeconds() + " s: " + what);
      Thread.sleep(50);
    }
  }

  @Test
  void aStaleEntryOfADeadNodeIsRemovedAndRequestsSucceedAgain() throws InterruptedException {
    try (TestCluster cluster = TestCluster.start(dir, 3, new JsonObject().put("requestTimeoutMs", 5_000))) {
      MultiMap<String, HazelcastRegistrationInfo> subs = subs(cluster.vertx(1));
      HazelcastRegistrationInfo dead = new HazelcastRegistrationInfo(new RegistrationInfo("dead-incarnation", 7, false));
      subs.put("kshaka.kv.2", dead);
      subs.put("kshaka.acceptor.3", dead);
      await("stale entries removed", () -> !subs.containsEntry("kshaka.kv.2", dead)
          && !subs.containsEntry("kshaka.acceptor.3", dead));
      for (int i = 0; i < 30; i++) {
        Http.Response r = Http.put(cluster.url(1 + i % 3) + "/v1/kv/after-" + i, "v" + i);
        assertEquals(200, r.status(), r.body());
      }
    }
  }

  @Test
  void aNodeWhoseOwnEntryIsLostRegistersItAgain() throws InterruptedException {
    try (TestCluster cluster = TestCluster.start(dir, 3, new JsonObject().put("requestTimeoutMs", 5_000))) {
      await("node 3 ready", () -> Http.get(cluster.url(3) + "/ready").status() == 200);
      MultiMap<String, HazelcastRegistrationInfo> subs = subs(cluster.vertx(1));
      String node3 = clusterManager(cluster.vertx(3)).getNodeId();
      for (String address : new String[] {"kshaka.acceptor.3", "kshaka.kv.3"}) {
        for (HazelcastRegistrationInfo r : subs.get(address)) {
          if (r.unwrap().nodeId().equals(node3)) subs.remove(address, r);
        }
        assertTrue(!listed(subs, address, node3), address);
      }
      await("node 3's handlers listed again", () -> listed(subs, "kshaka.acceptor.3", node3)
          && listed(subs, "kshaka.kv.3", node3));
      await("node 3 ready again", () -> Http.get(cluster.url(3) + "/ready").status() == 200);
      for (int i = 0; i < 30; i++) {
        Http.Response r = Http.put(cluster.url(1 + i % 3) + "/v1/kv/after-" + i, "v" + i);
        assertEquals(200, r.status(), r.body());
      }
    }
  }
}
