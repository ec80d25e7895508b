package io.kshaka.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The router's takeover rules on a local event bus: node 1's router, a fake proposer for node 1 (kshaka.kv.1)
 * and one for node 2 (kshaka.kv.2), the home of the keys used here. The detector's clock is frozen: suspicion
 * comes only from what the test does.
 */
@ExtendWith(VertxExtension.class)
class KvRouterTest {
  private final List<JsonObject> atHome = new CopyOnWriteArrayList<>();
  private final List<JsonObject> atSelf = new CopyOnWriteArrayList<>();
  private final List<Message<JsonObject>> unanswered = new CopyOnWriteArrayList<>();
  private FailureDetector detector;
  private KvRouter router;
  private String key;

  private enum Home { ANSWERS, SILENT, IN_DOUBT }

  private void start(Vertx vertx, Home home) {
    start(vertx, home, false);
  }

  /** @param selfRefuses this node's proposer answers every change 412 (a condition failed) */
  private void start(Vertx vertx, Home home, boolean selfRefuses) {
    NodeConfig config = NodeConfig.fromJson(new JsonObject().put("nodeId", 1)
        .put("http", new JsonObject())
        .put("cluster", new JsonObject().put("members", new JsonArray()))
        .put("acceptors", new JsonArray().add(1).add(2))
        .put("proposer", new JsonObject().put("requestTimeoutMs", 5_000)));
    // rejoinAfterMs 0: with the clock frozen, a home that answers again is routed to at once
    detector = new FailureDetector(Set.of(2), new FailureDetector.Options(100, 400, 0), () -> 0);
    router = new KvRouter(vertx, config, new NodeHealth(detector));
    for (int i = 0; key == null; i++) if (router.home("k" + i) == 2) key = "k" + i;
    vertx.eventBus().<JsonObject>consumer(Addresses.DEFAULT.kv(1), m -> {
      atSelf.add(m.body());
      if (selfRefuses) {
        var e = Wire.failure(KvError.VERSION_MISMATCH, "version is 7", 7L);
        m.fail(e.failureCode(), e.getMessage());
      } else {
        m.reply(new JsonObject().put("version", 1).put("by", 1));
      }
    }).completion().await();
    vertx.eventBus().<JsonObject>consumer(Addresses.DEFAULT.kv(2), m -> {
      atHome.add(m.body());
      switch (home) {
        case ANSWERS -> m.reply(new JsonObject().put("version", 1).put("by", 2));
        case SILENT -> unanswered.add(m);
        case IN_DOUBT -> {
          var e = Wire.failure(KvError.OUTCOME_UNKNOWN, "a competing change won the round", null);
          m.fail(e.failureCode(), e.getMessage());
        }
      }
    }).completion().await();
  }

  private static JsonObject await(Future<JsonObject> f) {
    try {
      return f.toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  private static void waitFor(java.util.function.BooleanSupplier condition) {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) throw new AssertionError("condition not met within 10 s");
      Thread.onSpinWait();
    }
  }

  @Test
  void aForwardedChangeGetsAFreshGeneratedRequestIdAndAReadNone(Vertx vertx) {
    start(vertx, Home.ANSWERS);
    long before = System.currentTimeMillis();
    assertEquals(2, await(router.execute(Wire.kvRequest("put", key, new byte[] {1}, null, null))).getInteger("by"));
    JsonObject sent = atHome.get(0);
    assertTrue(sent.getString("requestId").matches("k-[0-9a-f]{32}"), sent.encode());
    assertTrue(sent.getLong("requestStamp") >= before);
    assertEquals(true, sent.getBoolean("fresh"));
    await(router.execute(Wire.kvRequest("get", key, null, null, null)));
    assertFalse(atHome.get(1).containsKey("requestId"), "a read needs no id");
    await(router.execute(Wire.kvRequest("put", key, new byte[] {1}, null, null).put("requestId", "mine")
        .put("requestStamp", 7L).put("fresh", true)));
    assertEquals("mine", atHome.get(2).getString("requestId"));
    assertEquals(7L, atHome.get(2).getLong("requestStamp"));
    assertFalse(atHome.get(2).containsKey("fresh"), "only the router itself may say fresh");
    assertTrue(atSelf.isEmpty());
  }

  @Test
  void whenTheHomeBecomesSuspectItsRequestInFlightIsTakenOverWithTheSameIdNotFresh(Vertx vertx) {
    start(vertx, Home.SILENT);
    Future<JsonObject> answer = router.execute(Wire.kvRequest("add", key, null, null, 1L));
    waitFor(() -> atHome.size() == 1);
    assertFalse(answer.isComplete());
    detector.lost(2);
    assertEquals(1, await(answer).getInteger("by"));
    JsonObject first = atHome.get(0);
    JsonObject again = atSelf.get(0);
    assertEquals(first.getString("requestId"), again.getString("requestId"));
    assertEquals(first.getLong("requestStamp"), again.getLong("requestStamp"));
    assertFalse(again.containsKey("fresh"));
    assertEquals(1, router.takeovers());
    assertEquals(0, router.inFlight());
    // the home's late answer is ignored
    unanswered.get(0).reply(new JsonObject().put("version", 1).put("by", 2));
  }

  /**
   * A change dispatched fresh may run on its home as fresh until {@code Proposer.FRESH_MILLIS} after its stamp; a
   * takeover before then could apply it twice, so it waits until the router's window has passed.
   */
  @Test
  void aFreshDispatchIsTakenOverOnlyAfterTheHomesFreshWindow(Vertx vertx) {
    start(vertx, Home.SILENT);
    Future<JsonObject> answer = router.execute(Wire.kvRequest("put", key, new byte[] {1}, null, null));
    waitFor(() -> atHome.size() == 1);
    assertTrue(atHome.get(0).getBoolean("fresh"));
    detector.lost(2);
    await(answer);
    long stamp = atHome.get(0).getLong("requestStamp");
    assertTrue(System.currentTimeMillis() - stamp >= KvRouter.FRESH_TAKEOVER_MS,
        "taken over " + (System.currentTimeMillis() - stamp) + " ms after the dispatch");
    assertEquals(1, router.takeovers());
    // a client's retry (its id, not fresh) is taken over at once
    Future<JsonObject> retry = router.execute(Wire.kvRequest("put", key, new byte[] {2}, null, null)
        .put("requestId", "retry-1").put("requestStamp", System.currentTimeMillis()));
    long start = System.nanoTime();
    await(retry);
    assertTrue((System.nanoTime() - start) / 1_000_000 < KvRouter.FRESH_TAKEOVER_MS, "a retry waited");
  }

  @Test
  void newRequestsForASuspectHomeGoToThisNodeAndBackWhenItAnswers(Vertx vertx) {
    start(vertx, Home.ANSWERS);
    detector.lost(2);
    assertEquals(1, await(router.execute(Wire.kvRequest("put", key, new byte[] {1}, null, null)))
        .getInteger("by"));
    assertTrue(atHome.isEmpty());
    detector.alive(2);
    assertEquals(2, await(router.execute(Wire.kvRequest("put", key, new byte[] {1}, null, null)))
        .getInteger("by"));
    assertEquals(0, router.takeovers());
  }

  @Test
  void aHomeInDoubtEarlyGetsTheSameRequestOnceMore(Vertx vertx) {
    start(vertx, Home.IN_DOUBT);
    var e = org.junit.jupiter.api.Assertions.assertThrows(AssertionError.class,
        () -> await(router.execute(Wire.kvRequest("put", key, new byte[] {1}, null, null))));
    assertTrue(String.valueOf(e.getCause()).contains("competing change"), String.valueOf(e.getCause()));
    assertEquals(2, atHome.size());
    assertEquals(atHome.get(0).getString("requestId"), atHome.get(1).getString("requestId"));
    assertEquals(true, atHome.get(0).getBoolean("fresh"));
    assertFalse(atHome.get(1).containsKey("fresh"));
    assertTrue(atSelf.isEmpty(), "no second proposer on the key");
    assertEquals(1, router.resends());
    assertEquals(0, router.takeovers());
    assertFalse(detector.suspect(2), "an answer is a sign of life, even a 504");
  }

  @Test
  void aHomeWithNoHandlerIsSuspectAndItsRequestServedHere(Vertx vertx) {
    start(vertx, Home.ANSWERS);
    String orphan = null;
    NodeConfig three = NodeConfig.fromJson(new JsonObject().put("nodeId", 1).put("http", new JsonObject())
        .put("cluster", new JsonObject().put("members", new JsonArray()))
        .put("acceptors", new JsonArray().add(1).add(2).add(3)));
    FailureDetector d3 = new FailureDetector(Set.of(2, 3), FailureDetector.Options.DEFAULTS, () -> 0);
    KvRouter r3 = new KvRouter(vertx, three, new NodeHealth(d3));
    for (int i = 0; orphan == null; i++) if (r3.home("o" + i) == 3) orphan = "o" + i;
    assertEquals(1, await(r3.execute(Wire.kvRequest("put", orphan, new byte[] {1}, null, null))).getInteger("by"));
    assertTrue(d3.suspect(3));
    assertEquals(1, r3.takeovers());
  }

  @Test
  void everyNodeSendsTheKeysOfASuspectHomeToTheSameStandIn(Vertx vertx) {
    start(vertx, Home.ANSWERS); // kshaka.kv.1 and kshaka.kv.2 answer
    NodeConfig two = NodeConfig.fromJson(new JsonObject().put("nodeId", 2).put("http", new JsonObject())
        .put("cluster", new JsonObject().put("members", new JsonArray()))
        .put("acceptors", new JsonArray().add(1).add(2).add(3)));
    FailureDetector d = new FailureDetector(Set.of(1, 3), new FailureDetector.Options(100, 400, 0), () -> 0);
    KvRouter onTwo = new KvRouter(vertx, two, new NodeHealth(d));
    String ofThree = null;
    for (int i = 0; ofThree == null; i++) if (onTwo.home("s" + i) == 3) ofThree = "s" + i;
    d.lost(3);
    assertEquals(1, onTwo.route(3), "the next node after 3, wrapping");
    assertEquals(1, await(onTwo.execute(Wire.kvRequest("put", ofThree, new byte[] {1}, null, null)))
        .getInteger("by"));
    assertTrue(atSelf.get(0).containsKey("requestId"), "forwarded to the stand-in like to a home");
    d.lost(1);
    assertEquals(2, onTwo.route(3), "this node when every other is suspect");
    d.alive(3);
    assertEquals(3, onTwo.route(3));
  }

  /** A takeover refused the change; the home is still at it. */
  private Future<JsonObject> refusedByTheTakeover(Vertx vertx) {
    start(vertx, Home.SILENT, true);
    Future<JsonObject> answer = router.execute(Wire.kvRequest("cas", key, new byte[] {1}, 3L, null));
    waitFor(() -> atHome.size() == 1);
    detector.lost(2);
    waitFor(() -> atSelf.size() == 1);
    assertFalse(answer.isComplete(), "a refusal is not the answer while the home may still apply the change");
    return answer;
  }

  @Test
  void aTakeoversRefusalWaitsForTheHomeWhoseSuccessWins(Vertx vertx) {
    Future<JsonObject> answer = refusedByTheTakeover(vertx);
    unanswered.get(0).reply(new JsonObject().put("version", 4).put("by", 2));
    assertEquals(2, await(answer).getInteger("by"));
  }

  @Test
  void aTakeoversRefusalStandsOnceTheHomeEndedWithoutApplying(Vertx vertx) {
    Future<JsonObject> answer = refusedByTheTakeover(vertx);
    var notApplied = Wire.failure(KvError.NO_QUORUM, "no quorum before the deadline", null);
    unanswered.get(0).fail(notApplied.failureCode(), notApplied.getMessage());
    waitFor(answer::isComplete);
    assertEquals(412, ((ReplyException) answer.cause()).failureCode());
  }

  @Test
  void aTakeoversRefusalIsUnknownWhenTheHomeMayStillHaveAppliedIt(Vertx vertx) {
    Future<JsonObject> answer = refusedByTheTakeover(vertx);
    var unknown = Wire.failure(KvError.OUTCOME_UNKNOWN, "an accept was sent but not confirmed", null);
    unanswered.get(0).fail(unknown.failureCode(), unknown.getMessage());
    waitFor(answer::isComplete);
    assertEquals(504, ((ReplyException) answer.cause()).failureCode());
  }

  @Test
  void aFreshDispatchNamesItsRouter(Vertx vertx) {
    start(vertx, Home.ANSWERS);
    await(router.execute(Wire.kvRequest("put", key, new byte[] {1}, null, null)));
    assertEquals(1, Wire.freshFrom(atHome.get(0)));
  }

  @Test
  void aClientsFirstAttemptIsFreshAndItsRetriesAreNot(Vertx vertx) {
    start(vertx, Home.ANSWERS);
    JsonObject first = Wire.kvRequest("put", key, new byte[] {1}, null, null)
        .put("requestId", "c-1").put("requestStamp", 5L).put("first", true);
    await(router.execute(first));
    assertEquals(1, Wire.freshFrom(atHome.get(0)));
    assertFalse(atHome.get(0).containsKey("first"));
    JsonObject retry = Wire.kvRequest("put", key, new byte[] {1}, null, null)
        .put("requestId", "c-1").put("requestStamp", 5L).put("fresh", true).put("from", 2);
    await(router.execute(retry));
    assertEquals(null, Wire.freshFrom(atHome.get(1)), "only this router says fresh");
  }
}
