package io.kshaka.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.hazelcast.cluster.MembershipEvent;
import com.hazelcast.cluster.MembershipListener;
import com.hazelcast.config.Config;
import com.hazelcast.config.JoinConfig;
import com.hazelcast.core.HazelcastInstance;
import io.kshaka.client.KshakaClient;
import io.kshaka.client.KshakaException;
import io.kshaka.client.Versioned;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.internal.VertxInternal;
import io.vertx.core.json.JsonObject;
import io.vertx.spi.cluster.hazelcast.ConfigUtil;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Plain clustered Vert.x applications join a running Kshaka cluster with Hazelcast's own defaults plus TCP-IP
 * members (not Kshaka's {@code HazelcastSetup}): they are not refused, stay members for a minute with their default
 * 5 s heartbeats, and use {@code kshaka.kv} both raw and through {@link KshakaClient}.
 */
class ForeignMemberTest {
  /**
   * Six of Hazelcast's default heartbeat intervals (5 s). A master that allowed only 5 s without a heartbeat
   * (Kshaka's nodes before phi-accrual) removed a member with defaults when one of its heartbeats arrived a few
   * milliseconds late: seen in 1 of 7 runs of 60 s, so this is a weak guard; longer with
   * {@code -Dkshaka.foreign.staySeconds}.
   */
  private static final Duration STAY = Duration.ofSeconds(Long.getLong("kshaka.foreign.staySeconds", 30));
  /** Between two calls of the periodic load: a user's application calling now and then, not a benchmark. */
  private static final long CALL_EVERY_MS = 200;

  @TempDir
  static Path dir;

  /**
   * Applications with Hazelcast's defaults. Whether a fixed 5 s deadline removes one depends on where its 5 s
   * heartbeats fall between the master's checks (once a second), which is set when it starts: each application
   * more is one more chance to catch such a detector within the same minute.
   */
  private static final int APPS = 3;
  /** Every member: the three nodes and the applications. */
  private static final int MEMBERS = 3 + APPS;

  static TestCluster cluster;
  static final List<Vertx> apps = new ArrayList<>();
  static Vertx app;
  static final List<String> removed = new CopyOnWriteArrayList<>();

  /** What a plain application does: vertx-hazelcast's default config, the cluster's name, TCP-IP join. */
  static Config foreignConfig(String clusterName, List<String> members) {
    Config hz = ConfigUtil.loadConfig(); // default-cluster.xml: Hazelcast's defaults + the __vertx.* structures
    hz.setClusterName(clusterName);
    JoinConfig join = hz.getNetworkConfig().getJoin();
    join.getMulticastConfig().setEnabled(false);
    join.getTcpIpConfig().setEnabled(true).setMembers(members);
    // Test-machine placement only, none of which Hazelcast compares at join: loopback, a free port (5701 may be
    // taken by another process here), no phone-home call to the internet.
    hz.getNetworkConfig().setPort(TestCluster.freePort());
    hz.getNetworkConfig().getInterfaces().setEnabled(true).addInterface("127.0.0.1");
    hz.setProperty("hazelcast.phone.home.enabled", "false");
    return hz;
  }

  static HazelcastInstance hazelcast(Vertx vertx) {
    return ((HazelcastClusterManager) ((VertxInternal) vertx).clusterManager()).getHazelcastInstance();
  }

  @BeforeAll
  static void start() {
    cluster = TestCluster.start(dir, 3, new JsonObject());
    JsonObject c = cluster.config(1).getJsonObject("cluster");
    List<String> members = new ArrayList<>();
    c.getJsonArray("members").forEach(m -> members.add((String) m));
    Config hz = foreignConfig(c.getString("name"), members);
    assertEquals(Set.of("hazelcast.phone.home.enabled"), hz.getProperties().stringPropertyNames(),
        "the foreign member sets no Hazelcast property that could matter at join");
    for (int i = 0; i < APPS; i++) {
      Config own = i == 0 ? hz : foreignConfig(c.getString("name"), members);
      apps.add(TestCluster.await(Vertx.builder().withClusterManager(new HazelcastClusterManager(own)).buildClustered()));
    }
    app = apps.get(0);
    MembershipListener watch = new MembershipListener() {
      @Override
      public void memberAdded(MembershipEvent e) {}

      @Override
      public void memberRemoved(MembershipEvent e) {
        removed.add(java.time.Instant.now() + ": " + e.getMember() + " seen by " + e.getCluster().getLocalMember());
      }
    };
    for (Vertx a : apps) hazelcast(a).getCluster().addMembershipListener(watch);
    for (int node = 1; node <= 3; node++) hazelcast(cluster.vertx(node)).getCluster().addMembershipListener(watch);
  }

  @AfterAll
  static void stop() {
    for (Vertx a : apps) TestCluster.await(a.close());
    if (cluster != null) cluster.close();
  }

  private static String base64(String s) {
    return Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.UTF_8));
  }

  private static JsonObject raw(JsonObject request) {
    Message<JsonObject> reply = TestCluster.await(app.eventBus()
        .<JsonObject>request("kshaka.kv", request, new DeliveryOptions().setSendTimeout(10_000)));
    return reply.body();
  }

  @Test
  void aMemberWithHazelcastDefaultsJoinsAndEveryNodeSeesIt() {
    for (Vertx a : apps) assertEquals(MEMBERS, hazelcast(a).getCluster().getMembers().size());
    for (int node = 1; node <= 3; node++) {
      assertEquals(MEMBERS, hazelcast(cluster.vertx(node)).getCluster().getMembers().size(), "node " + node);
    }
    assertEquals(271, hazelcast(app).getPartitionService().getPartitions().size(), "Hazelcast's default count");
  }

  @Test
  void theRawKvAddressWorksFromTheForeignMember() {
    JsonObject put = raw(new JsonObject().put("op", "put").put("key", "raw-key").put("value", base64("one"))
        .put("requestId", "foreign-raw-1"));
    assertEquals(1, put.getLong("version"));
    JsonObject get = raw(new JsonObject().put("op", "get").put("key", "raw-key"));
    assertEquals(1, get.getLong("version"));
    assertEquals(base64("one"), get.getString("value"));
    JsonObject cas = raw(new JsonObject().put("op", "cas").put("key", "raw-key").put("version", 1)
        .put("value", base64("two")).put("requestId", "foreign-raw-2"));
    assertEquals(2, cas.getLong("version"));
    JsonObject del = raw(new JsonObject().put("op", "delete").put("key", "raw-key").put("requestId", "foreign-raw-3"));
    assertEquals(3, del.getLong("version"));
    assertNull(raw(new JsonObject().put("op", "get").put("key", "raw-key")).getString("value"));
  }

  @Test
  void kshakaClientWorksFromTheForeignMember() {
    KshakaClient client = KshakaClient.create(app);
    assertEquals(1, TestCluster.await(client.put("client-key", "one")).version());
    assertEquals("one", TestCluster.await(client.get("client-key")).asString());
    assertEquals(2, TestCluster.await(client.compareAndSet("client-key", 1, "two")).version());
    try {
      TestCluster.await(client.compareAndSet("client-key", 1, "stale"));
      throw new AssertionError("a stale compare-and-set succeeded");
    } catch (IllegalStateException e) {
      KshakaException k = (KshakaException) e.getCause();
      assertEquals(412, k.status());
      assertEquals(2, k.version().getAsLong());
    }
    Versioned deleted = TestCluster.await(client.delete("client-key"));
    assertEquals(3, deleted.version());
    assertFalse(TestCluster.await(client.get("client-key")).present());
  }

  @Test
  void theForeignMembersStayMembersWithTheirDefaultHeartbeats() {
    List<KshakaClient> clients = new ArrayList<>();
    for (Vertx a : apps) clients.add(KshakaClient.create(a));
    // the master (the oldest member) is the one whose failure detection removes members: a Kshaka node here
    com.hazelcast.cluster.Member oldest = hazelcast(app).getCluster().getMembers().iterator().next();
    HazelcastInstance master = null;
    for (int node = 1; node <= 3; node++) {
      if (hazelcast(cluster.vertx(node)).getCluster().getLocalMember().equals(oldest)) {
        master = hazelcast(cluster.vertx(node));
      }
    }
    assertNotNull(master, "a Kshaka node is the master");
    HazelcastInstance kshakaMaster = master;
    long start = System.nanoTime();
    long end = start + STAY.toNanos();
    int calls = 0;
    while (System.nanoTime() < end && calls < 10_000) {
      String when = String.format("after %.1f s of %d s, %d calls", (System.nanoTime() - start) / 1e9,
          STAY.toSeconds(), calls);
      assertTrue(removed.isEmpty(), () -> "members removed " + when + ": " + removed);
      assertEquals(MEMBERS, kshakaMaster.getCluster().getMembers().size(), "members seen by the master " + when);
      int i = calls % APPS;
      assertEquals(MEMBERS, hazelcast(apps.get(i)).getCluster().getMembers().size(),
          "members seen by application " + i + " " + when);
      String key = "stay-key-" + i;
      int version = calls / APPS + 1;
      assertEquals(version, TestCluster.await(clients.get(i).put(key, "v" + version)).version(),
          "put from application " + i + " " + when);
      assertEquals("v" + version, TestCluster.await(clients.get(i).get(key)).asString(),
          "get from application " + i + " " + when);
      calls++;
      TestCluster.await(app.timer(CALL_EVERY_MS)); // pacing of the periodic load, not a wait for a condition
    }
    assertTrue(calls >= APPS);
    assertTrue(removed.isEmpty(), "members removed while the foreign members were working: " + removed);
    for (int node = 1; node <= 3; node++) {
      assertEquals(MEMBERS, hazelcast(cluster.vertx(node)).getCluster().getMembers().size(), "node " + node);
    }
  }
}
