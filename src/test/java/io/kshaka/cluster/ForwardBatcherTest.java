package io.kshaka.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kshaka.security.BusAuth;
import io.kshaka.security.BusGuard;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Batching of forwarded requests on a local event bus, against a fake home on {@code kshaka.kv.2} that records
 * every message and answers each request in it: {@code "fail"} requests with 412, the others with their key.
 */
@ExtendWith(VertxExtension.class)
class ForwardBatcherTest {
  private final List<JsonObject> received = new CopyOnWriteArrayList<>();

  /** A batcher whose homes are busy (enough requests in flight for batches). */
  private ForwardBatcher batcher(Vertx vertx, BusGuard guard, long timeoutMs) {
    return new ForwardBatcher(vertx, guard, Addresses.DEFAULT::kv, new DeliveryOptions().setSendTimeout(timeoutMs),
        home -> ForwardBatcher.MIN_IN_FLIGHT);
  }

  /** The fake home: {@code answer} handles each message after it is recorded. */
  private void home(Vertx vertx, BusGuard guard, Consumer<Message<JsonObject>> answer) {
    vertx.eventBus().<JsonObject>consumer(Addresses.DEFAULT.kv(2), m -> {
      if (!guard.admit(m, BusGuard.Kind.FORWARD)) return;
      received.add(m.body());
      answer.accept(m);
    }).completion().await();
  }

  private static JsonObject answerOf(JsonObject request) {
    return new JsonObject().put("version", 1).put("key", request.getString("key"));
  }

  /** Answers a batch item by item (412 for "fail"), a single request alone. */
  private static void answering(Message<JsonObject> m, BusGuard guard) {
    JsonObject body = m.body();
    if (!"batch".equals(body.getValue("op"))) {
      guard.reply(m, answerOf(body));
      return;
    }
    JsonArray replies = new JsonArray();
    for (Object r : body.getJsonArray("requests")) {
      JsonObject request = (JsonObject) r;
      replies.add("fail".equals(request.getString("op"))
          ? ForwardBatcher.answer(null, 412, "{\"error\":\"version_mismatch\"}")
          : ForwardBatcher.answer(answerOf(request), 0, null));
    }
    guard.reply(m, new JsonObject().put("replies", replies));
  }

  /** Sends these requests to node 2 from one event-loop turn; the answers in order. */
  private static List<Future<JsonObject>> sendInOneTurn(Vertx vertx, ForwardBatcher batcher, JsonObject... requests) {
    CompletableFuture<List<Future<JsonObject>>> sent = new CompletableFuture<>();
    vertx.getOrCreateContext().runOnContext(v -> {
      List<Future<JsonObject>> answers = new ArrayList<>();
      for (JsonObject r : requests) answers.add(batcher.send(2, r));
      sent.complete(answers);
    });
    try {
      List<Future<JsonObject>> answers = sent.get(10, TimeUnit.SECONDS);
      for (Future<JsonObject> a : answers) {
        a.toCompletionStage().toCompletableFuture().handle((x, e) -> null).get(10, TimeUnit.SECONDS);
      }
      return answers;
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  private static JsonObject put(String key) {
    return Wire.kvRequest("put", key, new byte[] {1}, null, null);
  }

  @Test
  void requestsOfOneTurnLeaveAsOneSignedBatchAndEachGetsItsOwnAnswer(Vertx vertx) {
    BusGuard guard = BusGuard.create(new BusAuth("secret".getBytes()), new SimpleMeterRegistry());
    home(vertx, guard, m -> answering(m, guard));
    List<Future<JsonObject>> answers = sendInOneTurn(vertx, batcher(vertx, guard, 10_000),
        put("a"), new JsonObject().put("op", "fail").put("key", "b"), put("c"));
    assertEquals(1, received.size(), "one message for three requests: " + received);
    assertEquals("batch", received.get(0).getString("op"));
    assertEquals(3, received.get(0).getJsonArray("requests").size());
    assertEquals("a", answers.get(0).result().getString("key"));
    ReplyException refused = assertInstanceOf(ReplyException.class, answers.get(1).cause());
    assertEquals(ReplyFailure.RECIPIENT_FAILURE, refused.failureType());
    assertEquals(412, refused.failureCode());
    assertEquals("{\"error\":\"version_mismatch\"}", refused.getMessage());
    assertEquals("c", answers.get(2).result().getString("key"));
    assertEquals(0, guard.refused(BusGuard.Kind.FORWARD, false) + guard.refused(BusGuard.Kind.FORWARD, true));
  }

  @Test
  void aRequestAloneTravelsInTheSingleFormat(Vertx vertx) {
    home(vertx, BusGuard.OFF, m -> answering(m, BusGuard.OFF));
    List<Future<JsonObject>> answers = sendInOneTurn(vertx, batcher(vertx, BusGuard.OFF, 10_000), put("a"));
    assertEquals(List.of(put("a")), received);
    assertEquals("a", answers.get(0).result().getString("key"));
  }

  @Test
  void aHomeWithFewRequestsInFlightGetsEachAloneAtOnce(Vertx vertx) {
    home(vertx, BusGuard.OFF, m -> answering(m, BusGuard.OFF));
    int[] inFlight = {0};
    ForwardBatcher idle = new ForwardBatcher(vertx, BusGuard.OFF, Addresses.DEFAULT::kv,
        new DeliveryOptions().setSendTimeout(10_000), home -> ++inFlight[0]);
    JsonObject[] requests = new JsonObject[ForwardBatcher.MIN_IN_FLIGHT + 2];
    for (int i = 0; i < requests.length; i++) requests[i] = put("k" + i);
    List<Future<JsonObject>> answers = sendInOneTurn(vertx, idle, requests);
    for (Future<JsonObject> a : answers) assertTrue(a.succeeded());
    // 1 .. MIN_IN_FLIGHT - 1 in flight: alone; from MIN_IN_FLIGHT on: one batch
    assertEquals(ForwardBatcher.MIN_IN_FLIGHT, received.size(), received.toString());
    for (int i = 0; i < ForwardBatcher.MIN_IN_FLIGHT - 1; i++) assertEquals(requests[i], received.get(i));
    assertEquals(3, received.get(ForwardBatcher.MIN_IN_FLIGHT - 1).getJsonArray("requests").size());
  }

  @Test
  void aSecondRequestForAKeySendsTheWaitingBatchFirstSoTheKeysRequestsStayInOrder(Vertx vertx) {
    home(vertx, BusGuard.OFF, m -> answering(m, BusGuard.OFF));
    JsonObject second = Wire.kvRequest("put", "a", new byte[] {2}, null, null);
    List<Future<JsonObject>> answers = sendInOneTurn(vertx, batcher(vertx, BusGuard.OFF, 10_000),
        put("a"), put("b"), second, put("c"));
    assertEquals(2, received.size(), received.toString());
    assertEquals(new JsonArray().add(put("a")).add(put("b")), received.get(0).getJsonArray("requests"));
    assertEquals(new JsonArray().add(second).add(put("c")), received.get(1).getJsonArray("requests"));
    for (Future<JsonObject> a : answers) assertTrue(a.succeeded());
  }

  @Test
  void largeValuesTravelAloneAndABatchHoldsAtMostMaxBatch(Vertx vertx) {
    home(vertx, BusGuard.OFF, m -> answering(m, BusGuard.OFF));
    int n = ForwardBatcher.MAX_BATCH + 2; // a full batch, then a batch of two
    JsonObject[] requests = new JsonObject[n + 1];
    for (int i = 0; i < n; i++) requests[i] = put("k" + i);
    requests[n] = Wire.kvRequest("put", "big", new byte[ForwardBatcher.MAX_BATCHED_CHARS], null, null);
    List<Future<JsonObject>> answers = sendInOneTurn(vertx, batcher(vertx, BusGuard.OFF, 10_000), requests);
    for (Future<JsonObject> a : answers) assertTrue(a.succeeded(), String.valueOf(a.cause()));
    assertEquals(3, received.size());
    int batched = 0;
    for (JsonObject m : received) {
      if ("batch".equals(m.getString("op"))) {
        assertTrue(m.getJsonArray("requests").size() <= ForwardBatcher.MAX_BATCH);
        batched += m.getJsonArray("requests").size();
      } else {
        assertEquals("big", m.getString("key")); // alone, though sent in the same turn
      }
    }
    assertEquals(n, batched);
  }

  @Test
  void aHomeThatRefusesBatchesGetsTheRequestsOneByOne(Vertx vertx) {
    home(vertx, BusGuard.OFF, m -> {
      if ("batch".equals(m.body().getValue("op"))) {
        m.fail(400, "{\"error\":\"bad_request\",\"message\":\"field 'key' must be a string\"}");
      } else {
        m.reply(answerOf(m.body()));
      }
    });
    List<Future<JsonObject>> answers = sendInOneTurn(vertx, batcher(vertx, BusGuard.OFF, 10_000),
        put("a"), put("b"));
    assertEquals(3, received.size(), "the batch, then each request alone: " + received);
    assertEquals("a", answers.get(0).result().getString("key"));
    assertEquals("b", answers.get(1).result().getString("key"));
  }

  @Test
  void aBatchWithoutAnAnswerTimesOutForEachRequest(Vertx vertx) {
    home(vertx, BusGuard.OFF, m -> { });
    List<Future<JsonObject>> answers = sendInOneTurn(vertx, batcher(vertx, BusGuard.OFF, 300), put("a"), put("b"));
    for (Future<JsonObject> a : answers) {
      ReplyException e = assertInstanceOf(ReplyException.class, a.cause());
      assertEquals(ReplyFailure.TIMEOUT, e.failureType());
    }
  }

  @Test
  void aMalformedBatchReplyIsNoAnswerForEachRequest(Vertx vertx) {
    home(vertx, BusGuard.OFF, m -> m.reply(new JsonObject().put("replies", new JsonArray().add(
        ForwardBatcher.answer(answerOf(put("a")), 0, null)))));
    List<Future<JsonObject>> answers = sendInOneTurn(vertx, batcher(vertx, BusGuard.OFF, 10_000),
        put("a"), put("b"));
    for (Future<JsonObject> a : answers) {
      assertFalse(a.succeeded());
      assertEquals(ReplyFailure.TIMEOUT, ((ReplyException) a.cause()).failureType());
    }
  }

  @Test
  void answersParseBothKindsAndRefuseAnythingElse() {
    JsonObject reply = new JsonObject().put("replies", new JsonArray()
        .add(ForwardBatcher.answer(new JsonObject().put("version", 3), 0, null))
        .add(ForwardBatcher.answer(null, 504, "{\"error\":\"outcome_unknown\"}")));
    List<Future<JsonObject>> answers = ForwardBatcher.answers(reply, 2);
    assertEquals(3, answers.get(0).result().getLong("version"));
    assertEquals(504, ((ReplyException) answers.get(1).cause()).failureCode());
    assertNull(answers.get(1).result());
    for (JsonObject bad : List.of(new JsonObject(), new JsonObject().put("replies", new JsonArray().add(1)),
        new JsonObject().put("replies", new JsonArray().add(new JsonObject().put("status", 500))))) {
      try {
        ForwardBatcher.answers(bad, 1);
        throw new AssertionError("accepted " + bad);
      } catch (IllegalArgumentException expected) {
        // refused
      }
    }
  }
}
