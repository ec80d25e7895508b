package io.kshaka.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kshaka.client.KshakaClient;
import io.kshaka.client.KshakaException;
import io.kshaka.client.Versioned;
import io.kshaka.cluster.HazelcastSetup;
import io.kshaka.core.Outcome;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import io.kshaka.cluster.Addresses;
import io.kshaka.cluster.KvRouter;
import io.kshaka.cluster.Wire;
import io.micrometer.core.instrument.DistributionSummary;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.json.JsonArray;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The event-bus API as a user's verticle sees it: a separate clustered Vert.x (a lite Hazelcast member running no
 * Kshaka node) calls {@code kshaka.kv} through {@link KshakaClient}; code inside a node's JVM uses {@code change}.
 */
class EventBusTest {
  @TempDir
  static Path dir;

  static TestCluster cluster;
  static Vertx app;
  static KshakaClient client;

  @BeforeAll
  static void start() {
    cluster = TestCluster.start(dir, 3, new JsonObject());
    JsonObject c = cluster.config(1).getJsonObject("cluster");
    List<String> members = new ArrayList<>();
    c.getJsonArray("members").forEach(m -> members.add((String) m));
    var hz = HazelcastSetup.hazelcast(c.getString("name"), "127.0.0.1", TestCluster.freePort(), members);
    hz.setLiteMember(true);
    app = TestCluster.await(Vertx.builder()
        .with(new io.vertx.core.VertxOptions().setEventBusOptions(
            new io.vertx.core.eventbus.EventBusOptions().setHost("127.0.0.1").setPort(0)))
        .withClusterManager(new HazelcastClusterManager(hz))
        .buildClustered());
    client = KshakaClient.create(app);
  }

  @AfterAll
  static void stop() {
    if (app != null) TestCluster.await(app.close());
    if (cluster != null) cluster.close();
  }

  /**
   * A batch of forwarded requests sent straight to node 2's proposer (what another node's router sends under load):
   * each request is answered in order as if it came alone, a failure with its own status.
   */
  @Test
  void aHomeAnswersABatchOfForwardsEachAsIfAlone() {
    JsonArray requests = new JsonArray()
        .add(Wire.kvRequest("put", "batch-a", "one".getBytes(StandardCharsets.UTF_8), null, null))
        .add(Wire.kvRequest("cas", "batch-b", "two".getBytes(StandardCharsets.UTF_8), 5L, null))
        .add(new JsonObject().put("op", "put").put("key", ""))
        .add(Wire.kvRequest("get", "batch-a", null, null, null));
    JsonObject reply = await(cluster.vertx(1).eventBus().<JsonObject>request(Addresses.DEFAULT.kv(2),
        new JsonObject().put("op", "batch").put("requests", requests))).body();
    JsonArray replies = reply.getJsonArray("replies");
    assertEquals(4, replies.size(), reply.encode());
    assertEquals(1, replies.getJsonObject(0).getJsonObject("ok").getLong("version"));
    assertEquals(412, replies.getJsonObject(1).getInteger("status"), reply.encode());
    assertEquals(400, replies.getJsonObject(2).getInteger("status"), reply.encode());
    assertTrue(replies.getJsonObject(2).getString("message").contains("bad_request"), reply.encode());
    assertEquals(1, replies.getJsonObject(3).getJsonObject("ok").getLong("version"), reply.encode());
    assertEquals("one", await(client.get("batch-a")).asString());
    ReplyException empty = (ReplyException) assertThrowsCause(cluster.vertx(1).eventBus().request(
        Addresses.DEFAULT.kv(2), new JsonObject().put("op", "batch").put("requests", new JsonArray())));
    assertEquals(400, empty.failureCode());
    JsonArray tooMany = new JsonArray();
    for (int i = 0; i < 65; i++) tooMany.add(Wire.kvRequest("get", "batch-" + i, null, null, null));
    ReplyException over = (ReplyException) assertThrowsCause(cluster.vertx(1).eventBus().request(
        Addresses.DEFAULT.kv(2), new JsonObject().put("op", "batch").put("requests", tooMany)));
    assertEquals(400, over.failureCode());
  }

  /**
   * Node 1's router sends the requests of one event-loop turn for keys homed on node 2 as one message once enough
   * are in flight to node 2: here the first 7 of 16 alone, the other 9 together.
   */
  @Test
  void aRouterBatchesTheForwardsOfOneBusyTurn() {
    KvRouter router = cluster.verticle(1).router();
    List<String> keys = new ArrayList<>();
    for (int i = 0; keys.size() < 16; i++) if (router.home("turn-" + i) == 2) keys.add("turn-" + i);
    DistributionSummary received = cluster.verticle(2).registry().get("kshaka_proposer_forward_batch").summary();
    long messagesBefore = received.count();
    double requestsBefore = received.totalAmount();
    var sent = new java.util.concurrent.CompletableFuture<List<Future<JsonObject>>>();
    cluster.vertx(1).getOrCreateContext().runOnContext(v -> {
      List<Future<JsonObject>> answers = new ArrayList<>();
      for (String k : keys) answers.add(router.execute(Wire.kvRequest("put", k, new byte[] {7}, null, null)));
      sent.complete(answers);
    });
    for (Future<JsonObject> a : await(Future.fromCompletionStage(sent))) assertEquals(1, await(a).getLong("version"));
    assertEquals(16.0, received.totalAmount() - requestsBefore);
    assertEquals(8, received.count() - messagesBefore, "7 forwards alone, then 9 in one message");
  }

  static <T> T await(Future<T> f) {
    return TestCluster.await(f);
  }

  static KshakaException failure(Future<?> f) {
    try {
      TestCluster.await(f);
    } catch (IllegalStateException e) {
      if (e.getCause() instanceof KshakaException k) return k;
      throw e;
    }
    throw new AssertionError("expected a failure");
  }

  @Test
  void everyOperationWorksFromAnotherClusterMember() {
    Versioned absent = await(client.get("eb-key"));
    assertFalse(absent.present());
    assertEquals(0, absent.version());
    assertEquals(1, await(client.put("eb-key", "one")).version());
    assertEquals("one", await(client.get("eb-key")).asString());
    assertEquals(2, await(client.compareAndSet("eb-key", 1, "two")).version());
    KshakaException stale = failure(client.compareAndSet("eb-key", 1, "three"));
    assertEquals(412, stale.status());
    assertEquals(2, stale.version().getAsLong());
    assertEquals("two", await(client.get("eb-key")).asString());
    assertEquals(412, failure(client.putIfAbsent("eb-key", "x")).status());
    assertEquals(1, await(client.putIfAbsent("eb-new", "x")).version());
    assertEquals(412, failure(client.delete("eb-key", 7)).status());
    Versioned deleted = await(client.delete("eb-key", 2));
    assertEquals(3, deleted.version());
    assertNull(await(client.get("eb-key")).asString());
    assertEquals(5, await(client.add("eb-counter", 5)).asLong());
    assertEquals(4, await(client.add("eb-counter", -1)).asLong());
    assertEquals(409, failure(client.add("eb-new", 1)).status());
    // HTTP sees the same registers.
    assertEquals("4", Http.get(cluster.url(2) + "/v1/kv/eb-counter").body());
  }

  @Test
  void malformedRequestsAreRefusedWith400() {
    Throwable t = failure(client.get(""));
    assertEquals(400, ((KshakaException) t).status());
    var reply = app.eventBus().request("kshaka.kv", new JsonObject().put("op", "explode").put("key", "k"));
    io.vertx.core.eventbus.ReplyException re = (io.vertx.core.eventbus.ReplyException)
        assertThrowsCause(reply);
    assertEquals(400, re.failureCode());
    assertTrue(re.getMessage().contains("unknown op"), re.getMessage());
  }

  @Test
  void changeFunctionRunsOnTheLocalNodeAndAThrowingOneChangesNothing() {
    KshakaClient local = KshakaClient.create(cluster.vertx(1));
    Versioned v = await(local.change("fn-key", current -> (current == null ? "a"
        : new String(current, StandardCharsets.UTF_8) + "a").getBytes(StandardCharsets.UTF_8)));
    assertEquals("a", v.asString());
    v = await(local.change("fn-key", current -> (new String(current, StandardCharsets.UTF_8) + "b")
        .getBytes(StandardCharsets.UTF_8)));
    assertEquals("ab", v.asString());
    assertEquals(2, v.version());
    KshakaException rejected = failure(local.change("fn-key", current -> {
      throw new IllegalStateException("no thanks");
    }));
    assertEquals(422, rejected.status());
    assertEquals("ab", await(client.get("fn-key")).asString());
    assertEquals(2, await(client.get("fn-key")).version());
    // No node in the app's JVM-level Vert.x: functions never cross the cluster.
    KshakaException remote = failure(client.change("fn-key", current -> current));
    assertEquals(Outcome.NOT_APPLIED, remote.outcome());
  }

  private static Throwable assertThrowsCause(Future<?> f) {
    try {
      TestCluster.await(f);
    } catch (IllegalStateException e) {
      return e.getCause();
    }
    throw new AssertionError("expected a failure");
  }
}
