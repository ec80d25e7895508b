package io.kshaka.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kshaka.cluster.Addresses;
import io.kshaka.cluster.Wire;
import io.kshaka.core.ClusterConfig;
import io.kshaka.core.QuorumSpec;
import io.kshaka.membership.ConfigStore;
import io.kshaka.membership.Identity;
import io.kshaka.membership.Membership;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The node membership shell on a real 3-node cluster: bootstrap, durability, install rules, foreign stores. */
class MembershipTest {
  @TempDir
  Path dir;

  static void waitFor(String what, long timeoutMs, BooleanSupplier condition) {
    long deadline = System.nanoTime() + timeoutMs * 1_000_000;
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) throw new AssertionError("not within " + timeoutMs + " ms: " + what);
      try {
        Thread.sleep(20);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError(e);
      }
    }
  }

  static void awaitVoting(TestCluster cluster, int... nodes) {
    for (int node : nodes) {
      waitFor("node " + node + " votes", 30_000, () -> cluster.verticle(node).membership().voting());
    }
  }

  @Test
  void aFreshClusterBootstrapsAloneAndConfigAndIdentitySurviveRestarts() {
    try (TestCluster cluster = TestCluster.start(dir, 3, new JsonObject())) {
      long start = System.nanoTime();
      awaitVoting(cluster, 1, 2, 3);
      System.out.printf("bootstrap done %d ms after the last node deployed%n", (System.nanoTime() - start) / 1_000_000);
      Membership m1 = cluster.verticle(1).membership();
      String clusterId = m1.current().clusterId();
      assertFalse(clusterId.isEmpty());
      for (int node = 1; node <= 3; node++) {
        Membership m = cluster.verticle(node).membership();
        assertEquals(clusterId, m.current().clusterId());
        assertEquals(1, m.current().epoch());
        assertEquals(new Identity(clusterId, node, 1, true), m.identity());
      }
      assertEquals(200, Http.put(cluster.url(2) + "/v1/kv/k", "v").status());
      JsonObject status = Http.get(cluster.url(3) + "/v1/cluster").json();
      assertEquals(clusterId, status.getString("clusterId"));
      assertEquals(1L, status.getLong("epoch"));
      assertEquals(new JsonObject().put("1", 1).put("2", 1).put("3", 1), status.getJsonObject("incarnations"));
      assertTrue(status.getBoolean("voting"));

      cluster.stopNode(2);
      cluster.startNode(2);
      awaitVoting(cluster, 2);
      assertEquals(new Identity(clusterId, 2, 1, true), cluster.verticle(2).membership().identity());
      assertEquals(m1.current(), cluster.verticle(2).membership().current());
      assertEquals("v", Http.get(cluster.url(2) + "/v1/kv/k").body());
    }
  }

  @Test
  void installTakesHigherEpochsOnlyAndPushReachesEveryNode() {
    try (TestCluster cluster = TestCluster.start(dir, 3, new JsonObject())) {
      awaitVoting(cluster, 1, 2, 3);
      Membership m1 = cluster.verticle(1).membership();
      ClusterConfig one = m1.current();
      ClusterConfig two = one.fenced(10, 0);
      TestCluster.await(m1.install(two));
      assertEquals(two, m1.current());
      TestCluster.await(m1.install(two)); // identical at its epoch: ok
      TestCluster.await(m1.install(one)); // older: superseded, nothing changes
      assertEquals(two, m1.current());
      Throwable different = assertThrows(IllegalStateException.class, () -> TestCluster.await(m1.install(
          one.fenced(20, 0))));
      assertTrue(different.getMessage().contains("different configuration at epoch 2"), different.getMessage());
      ClusterConfig other = ClusterConfig.bootstrap("another-cluster", one.quorums()).fenced(1, 0).fenced(1, 0);
      Throwable foreign = assertThrows(IllegalStateException.class, () -> TestCluster.await(m1.install(other)));
      assertTrue(foreign.getMessage().contains("belongs to cluster " + one.clusterId()), foreign.getMessage());
      // the same rules over the bus
      JsonObject reply = TestCluster.await(cluster.vertx(1).eventBus().<JsonObject>request(Addresses.DEFAULT.member(2),
          Wire.memberInstall(two))).body();
      assertEquals(2L, reply.getJsonObject("config").getLong("epoch"));

      // epoch 3 on every node; node 3 was never told epoch 2 directly
      ClusterConfig three = two.fenced(30, 0);
      Set<Integer> persisted = TestCluster.await(m1.push(three, Membership.Need.ALL, Instant.now().plusSeconds(30)));
      assertEquals(Set.of(1, 2, 3), persisted);
      for (int node = 1; node <= 3; node++) assertEquals(three, cluster.verticle(node).membership().current());
      // requests carry epoch 3 now: every proposer was reconfigured
      for (int node = 1; node <= 3; node++) {
        assertEquals(200, Http.put(cluster.url(node) + "/v1/kv/after-" + node, "x").status());
      }
      cluster.stopNode(3);
      cluster.startNode(3);
      awaitVoting(cluster, 3);
      assertEquals(three, cluster.verticle(3).membership().current());
      assertEquals("x", Http.get(cluster.url(3) + "/v1/kv/after-1").body());
    }
  }

  @Test
  void pushCompletesOnceNoOldQuorumCanFormAndFailsClearlyAtItsDeadline() {
    try (TestCluster cluster = TestCluster.start(dir, 3, new JsonObject())) {
      awaitVoting(cluster, 1, 2, 3);
      cluster.stopNode(3);
      Membership m1 = cluster.verticle(1).membership();
      ClusterConfig two = m1.current().fenced(1, 0);
      // BLOCKING on 3 nodes with majorities: 2 of 3 (3 - 2 + 1) in each phase
      Set<Integer> blocking = TestCluster.await(m1.push(two, Membership.Need.BLOCKING,
          Instant.now().plusSeconds(30)));
      assertEquals(Set.of(1, 2), blocking);
      assertEquals(two, cluster.verticle(2).membership().current());
      Throwable all = assertThrows(IllegalStateException.class, () -> TestCluster.await(m1.push(two.fenced(2, 0),
          Membership.Need.ALL, Instant.now().plusMillis(1_500))));
      assertTrue(all.getMessage().contains("missing [3]"), all.getMessage());
      // node 3 catches up by gossip once it is back
      cluster.startNode(3);
      waitFor("node 3 at epoch 3", 30_000, () -> cluster.verticle(3).membership().current().epoch() == 3);
      awaitVoting(cluster, 3);
    }
  }

  @Test
  void aNodeOutsideTheConfigurationWaitsAndALostDiskComesBackAsANewIncarnation() throws Exception {
    try (TestCluster cluster = TestCluster.start(dir, 4, 3, new JsonObject())) {
      awaitVoting(cluster, 1, 2, 3);
      Membership m1 = cluster.verticle(1).membership();
      waitFor("node 4 waits to be added", 30_000, () -> {
        String why = cluster.verticle(4).membership().notVotingReason();
        return why != null && why.contains("waiting to be added");
      });
      // it serves by routing, so it is ready; /v1/cluster says it does not vote and why
      waitFor("node 4 ready", 30_000, () -> Http.get(cluster.url(4) + "/ready").status() == 200);
      JsonObject status4 = Http.get(cluster.url(4) + "/v1/cluster").json();
      assertFalse(status4.getBoolean("voting"));
      assertTrue(status4.getString("reason").contains("waiting to be added"), status4.encode());
      assertEquals(200, Http.put(cluster.url(4) + "/v1/kv/via-4", "routed").status()); // it routes to members
      assertEquals("routed", Http.get(cluster.url(1) + "/v1/kv/via-4").body());

      // add 4: widen accept, then both (contract "Membership steps"); node 4 learns it is new, not a lost disk
      ClusterConfig one = m1.current();
      QuorumSpec three = one.quorums();
      QuorumSpec four = QuorumSpec.majority(List.of(1, 2, 3, 4));
      ClusterConfig e2 = one.next(new QuorumSpec(three.prepareNodes(), 2, four.acceptNodes(), 3), Map.of(4, 1L));
      assertTrue(TestCluster.await(m1.push(e2, Membership.Need.BLOCKING, Instant.now().plusSeconds(30)))
          .contains(4), "the joining node persisted it");
      ClusterConfig e3 = e2.next(four, Map.of());
      TestCluster.await(m1.push(e3, Membership.Need.ALL, Instant.now().plusSeconds(30)));
      awaitVoting(cluster, 4);
      assertEquals(new Identity(one.clusterId(), 4, 1, true), cluster.verticle(4).membership().identity());
      assertEquals(200, Http.put(cluster.url(4) + "/v1/kv/k", "v").status());

      // node 2 loses its disk: it never votes, until it is removed and added back as incarnation 2
      cluster.stopNode(2);
      Path data = cluster.dataDir(2);
      try (var files = Files.walk(data)) {
        files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
      cluster.startNode(2);
      waitFor("node 2 knows its disk was lost", 30_000, () -> {
        String why = cluster.verticle(2).membership().notVotingReason();
        return why != null && why.contains("admin replace 2");
      });
      QuorumSpec without2 = QuorumSpec.majority(List.of(1, 3, 4));
      ClusterConfig e4 = e3.next(new QuorumSpec(without2.prepareNodes(), 2, four.acceptNodes(), 3), Map.of());
      TestCluster.await(m1.push(e4, Membership.Need.BLOCKING, Instant.now().plusSeconds(30)));
      ClusterConfig e5 = e4.next(without2, Map.of());
      TestCluster.await(m1.push(e5, Membership.Need.BLOCKING, Instant.now().plusSeconds(30)));
      ClusterConfig e6 = e5.next(new QuorumSpec(without2.prepareNodes(), 2, four.acceptNodes(), 3), Map.of(2, 2L));
      assertTrue(TestCluster.await(m1.push(e6, Membership.Need.BLOCKING, Instant.now().plusSeconds(30)))
          .contains(2));
      TestCluster.await(m1.push(e6.next(four, Map.of()), Membership.Need.ALL, Instant.now().plusSeconds(30)));
      awaitVoting(cluster, 2);
      assertEquals(new Identity(one.clusterId(), 2, 2, true), cluster.verticle(2).membership().identity());
      assertEquals(2L, Http.get(cluster.url(3) + "/v1/cluster").json().getJsonObject("incarnations").getLong("2"));
      assertEquals("v", Http.get(cluster.url(2) + "/v1/kv/k").body());
      cluster.stopNode(2);
      cluster.startNode(2);
      awaitVoting(cluster, 2);
    }
  }

  @Test
  void aProposerBehindRefreshesItsConfigurationFromTheAcceptorThatAnswered() {
    try (TestCluster cluster = TestCluster.start(dir, 3, new JsonObject())) {
      awaitVoting(cluster, 1, 2, 3);
      // node 3 must not hear of epoch 2 by gossip (a peer's status every 2 s), only from its acceptors' answers
      cluster.verticle(3).membership().holdGossip(true);
      waitFor("no gossip in flight on node 3", 30_000, () -> cluster.verticle(3).membership().gossipSettled());
      ClusterConfig two = cluster.verticle(1).membership().current().fenced(5, 0);
      // nodes 1 and 2 only: node 3's proposer runs at epoch 1, and its acceptor answers StaleEpoch to nobody
      TestCluster.await(cluster.verticle(1).membership().install(two));
      TestCluster.await(cluster.verticle(2).membership().install(two));
      assertEquals(1, cluster.verticle(3).membership().current().epoch());
      // a put through node 3 that its own proposer runs: it hears StaleEpoch from 1 and 2, refreshes, succeeds
      for (int i = 0; i < 10; i++) {
        Http.Response r = Http.put(cluster.url(3) + "/v1/kv/stale-" + i, "v");
        assertEquals(200, r.status(), r.body());
      }
      waitFor("node 3 at epoch 2", 10_000, () -> cluster.verticle(3).membership().current().epoch() == 2);
    }
  }

  @Test
  void aConfThatDisagreesWithTheDurableConfigurationIsIgnored() {
    try (TestCluster cluster = TestCluster.start(dir, 3, new JsonObject())) {
      awaitVoting(cluster, 1, 2, 3);
      ClusterConfig durable = cluster.verticle(1).membership().current();
      cluster.stopNode(3);
      ch.qos.logback.classic.Logger logger = (ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger(
          Membership.class);
      ch.qos.logback.core.read.ListAppender<ch.qos.logback.classic.spi.ILoggingEvent> logged =
          new ch.qos.logback.core.read.ListAppender<>();
      logged.start();
      logger.addAppender(logged);
      try {
        // node 3's conf now claims acceptors [3] alone, a quorum of one
        cluster.startNode(3, cluster.config(3).put("acceptors", new JsonArray(List.of(3))));
        awaitVoting(cluster, 3);
      } finally {
        logger.detachAppender(logged);
      }
      assertTrue(logged.list.stream().anyMatch(e -> e.getLevel() == ch.qos.logback.classic.Level.WARN
          && e.getFormattedMessage().contains("node 3: the node config's acceptors [3]")
          && e.getFormattedMessage().contains("using the durable one")), "the difference is logged");
      assertEquals(durable, cluster.verticle(3).membership().current());
      assertEquals(Set.of(1, 2, 3), cluster.verticle(3).membership().current().members());
      JsonObject status = Http.get(cluster.url(3) + "/v1/cluster").json();
      assertEquals(new JsonArray(List.of(1, 2, 3)), status.getJsonArray("acceptors"));
      assertEquals(200, Http.put(cluster.url(3) + "/v1/kv/k", "v").status());
    }
  }

  @Test
  void aStoreOfAnotherClusterNeverVotes() throws Exception {
    try (TestCluster cluster = TestCluster.start(dir, 3, new JsonObject())) {
      awaitVoting(cluster, 1, 2, 3);
      cluster.stopNode(2);
      Path data = cluster.dataDir(2);
      ClusterConfig theirs = ClusterConfig.bootstrap("another-cluster", QuorumSpec.majority(List.of(1, 2, 3)));
      Files.writeString(data.resolve(ConfigStore.CONFIG_FILE), Wire.configToJson(theirs).encode(),
          StandardCharsets.UTF_8);
      Files.writeString(data.resolve(ConfigStore.IDENTITY_FILE),
          new Identity("another-cluster", 2, 1, true).toJson().encode(), StandardCharsets.UTF_8);
      cluster.startNode(2);
      waitFor("node 2 refuses to vote", 30_000, () -> {
        Http.Response r = Http.get(cluster.url(2) + "/ready");
        return r.status() == 503 && r.json().getString("error").equals("not_voting")
            && r.json().getString("message").contains("another cluster");
      });
      assertFalse(cluster.verticle(2).membership().voting());
      assertEquals(200, Http.get(cluster.url(1) + "/ready").status());
      assertEquals(200, Http.put(cluster.url(2) + "/v1/kv/k", "v").status()); // it still routes
    }
  }
}
