package io.kshaka.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import static org.junit.jupiter.api.Assertions.assertFalse;

import com.hazelcast.core.LifecycleEvent;
import com.hazelcast.instance.impl.LifecycleServiceImpl;
import com.hazelcast.multimap.MultiMap;
import io.kshaka.cluster.Addresses;
import io.kshaka.cluster.Wire;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.impl.clustered.ClusteredEventBus;
import io.vertx.core.eventbus.impl.clustered.NodeSelector;
import io.vertx.core.spi.cluster.RegistrationUpdateEvent;
import java.lang.reflect.Field;
import java.util.List;
import java.util.concurrent.TimeUnit;
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

  /**
   * The janitor touches only its namespace: an entry of a node that left under a host application's address, or
   * under another Kshaka namespace's, stays, while one under a Kshaka address goes; and a merge refresh fires no
   * entry event on the host's address.
   */
  @Test
  void theJanitorLeavesAHostApplicationsRegistrationsAlone() throws Exception {
    try (TestCluster cluster = TestCluster.start(dir, 3, new JsonObject().put("requestTimeoutMs", 5_000))) {
      MultiMap<String, HazelcastRegistrationInfo> subs = subs(cluster.vertx(1));
      HazelcastRegistrationInfo dead = new HazelcastRegistrationInfo(new RegistrationInfo("dead-incarnation", 7, false));
      subs.put("app.orders", dead);
      subs.put("green.kv.2", dead);
      java.util.concurrent.atomic.AtomicInteger hostEvents = new java.util.concurrent.atomic.AtomicInteger();
      subs.addEntryListener(new com.hazelcast.core.EntryAdapter<String, HazelcastRegistrationInfo>() {
        @Override
        public void onEntryEvent(com.hazelcast.core.EntryEvent<String, HazelcastRegistrationInfo> event) {
          hostEvents.incrementAndGet();
        }
      }, "app.orders", false);
      // each repair below takes two scans of every node, which saw the foreign entries too
      for (String address : new String[] {"kshaka.kv.2", "kshaka.acceptor.3"}) {
        subs.put(address, dead);
        await("stale " + address + " removed", () -> !subs.containsEntry(address, dead));
      }
      LifecycleServiceImpl lifecycle =
          (LifecycleServiceImpl) clusterManager(cluster.vertx(1)).getHazelcastInstance().getLifecycleService();
      lifecycle.fireLifecycleEvent(LifecycleEvent.LifecycleState.MERGING);
      lifecycle.fireLifecycleEvent(LifecycleEvent.LifecycleState.MERGED);
      await("node 1 refreshed its routing", () -> Http.get(cluster.url(1) + "/metrics").body()
          .contains("kshaka_merges_repaired_total 1.0") && Http.get(cluster.url(1) + "/ready").status() == 200);
      subs.put("kshaka.kv.1", dead);
      await("stale kshaka.kv.1 removed", () -> !subs.containsEntry("kshaka.kv.1", dead));
      assertTrue(subs.containsEntry("app.orders", dead), "the host's entry is untouched");
      assertTrue(subs.containsEntry("green.kv.2", dead), "another namespace's entry is untouched");
      assertEquals(0, hostEvents.get(), "no marker was added under the host's address");
    }
  }

  /**
   * A merge leaves a node's cached handler list of an address stale when no entry event for that address reaches
   * it (see RegistrationJanitor). The cache is made stale here by hand (a handler of a node that does not exist, the
   * directory untouched), then Hazelcast's MERGED event is fired: the janitor refreshes every address, node 1 sends
   * to the live handler again, and is ready again, all without a restart.
   */
  @Test
  void aStaleCachedHandlerListIsRefreshedWhenHazelcastReportsAMerge() throws Exception {
    try (TestCluster cluster = TestCluster.start(dir, 3, new JsonObject().put("requestTimeoutMs", 5_000))) {
      Vertx vertx = cluster.vertx(1);
      DeliveryOptions quick = new DeliveryOptions().setSendTimeout(1_000);
      JsonObject get = Wire.kvRequest("get", "refresh-probe", null, null, null);
      await("node 1 reaches kshaka.kv.2", () -> answers(vertx, get, quick));

      NodeSelector selector = nodeSelector(vertx);
      selector.registrationsUpdated(new RegistrationUpdateEvent(Addresses.DEFAULT.kv(2),
          List.of(new RegistrationInfo("a-node-incarnation-that-died", 1, false))));
      assertFalse(answers(vertx, get, quick), "node 1's cached handler list of kshaka.kv.2 is stale");

      LifecycleServiceImpl lifecycle =
          (LifecycleServiceImpl) clusterManager(vertx).getHazelcastInstance().getLifecycleService();
      lifecycle.fireLifecycleEvent(LifecycleEvent.LifecycleState.MERGING);
      await("node 1 not ready while merging", () -> Http.get(cluster.url(1) + "/ready").status() == 503);
      lifecycle.fireLifecycleEvent(LifecycleEvent.LifecycleState.MERGED);
      await("node 1 reaches kshaka.kv.2 again", () -> answers(vertx, get, quick));
      await("node 1 ready again", () -> Http.get(cluster.url(1) + "/ready").status() == 200);
      assertTrue(Http.get(cluster.url(1) + "/metrics").body().contains("kshaka_merges_repaired_total 1.0"),
          "the repair is counted");
    }
  }

  private static boolean answers(Vertx vertx, JsonObject request, DeliveryOptions options) {
    try {
      vertx.eventBus().request(Addresses.DEFAULT.kv(2), request, options).await(10, TimeUnit.SECONDS);
      return true;
    } catch (Exception e) {
      return false;
    }
  }

  /** Vert.x's cache of the handler directory (reflection: a test may reach what production code must not). */
  private static NodeSelector nodeSelector(Vertx vertx) throws ReflectiveOperationException {
    ClusteredEventBus bus = (ClusteredEventBus) vertx.eventBus();
    Field field = ClusteredEventBus.class.getDeclaredField("nodeSelector");
    field.setAccessible(true);
    return (NodeSelector) field.get(bus);
  }
}
