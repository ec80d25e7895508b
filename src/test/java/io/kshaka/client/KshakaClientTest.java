package io.kshaka.client;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kshaka.cluster.KvError;
import io.kshaka.cluster.Wire;
import io.kshaka.core.Change;
import io.kshaka.core.ChangeResult;
import io.kshaka.core.Outcome;
import io.kshaka.core.RegisterState;
import io.kshaka.http.FakeKvService;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageCodec;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletionException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * {@link KshakaClient} against a fake node on a local event bus: a consumer of {@code kshaka.kv} that decodes
 * requests with the node's own {@link Wire} (so the client's JSON is checked against the real contract) and
 * answers with the in-memory semantics of {@link FakeKvService}.
 */
@ExtendWith(VertxExtension.class)
class KshakaClientTest {
  private FakeKvService kv;
  private KshakaClient client;

  private void serve(Vertx vertx) {
    kv = new FakeKvService(1024);
    vertx.eventBus().<JsonObject>consumer(KshakaClientOptions.DEFAULT_ADDRESS, kv::serve).completion().await();
    client = KshakaClient.create(vertx);
  }

  private static KshakaException failure(Future<?> f) {
    Throwable thrown = assertThrows(Throwable.class, f::await);
    Throwable t = thrown instanceof CompletionException && thrown.getCause() != null ? thrown.getCause() : thrown;
    assertTrue(t instanceof KshakaException, () -> "not a KshakaException: " + t);
    return (KshakaException) t;
  }

  private JsonObject lastRequest() {
    return kv.requests.get(kv.requests.size() - 1);
  }

  // ------------------------------------------------------------------ operations

  @Test
  void getOfAbsentKeyHasNullValueAndItsVersion(Vertx vertx) {
    serve(vertx);
    Versioned never = client.get("k").await();
    assertFalse(never.present());
    assertNull(never.value());
    assertEquals(0, never.version());
    assertEquals(new JsonObject().put("op", "get").put("key", "k"), lastRequest());
  }

  @Test
  void putThenGetRoundTripsBytesAndVersion(Vertx vertx) {
    serve(vertx);
    byte[] value = {0, 1, (byte) 0xff, 42};
    Versioned written = client.put("k", value).await();
    assertEquals(1, written.version());
    assertArrayEquals(value, written.value());
    assertEquals("put", lastRequest().getString("op"));
    Versioned read = client.get("k").await();
    assertEquals(written, read);
  }

  @Test
  void stringOverloadsAreUtf8(Vertx vertx) {
    serve(vertx);
    client.put("k", "héllo").await();
    assertArrayEquals("héllo".getBytes(StandardCharsets.UTF_8), kv.state("k").value());
    assertEquals("héllo", client.get("k").await().asString());
  }

  @Test
  void compareAndSetAppliesOnTheExpectedVersion(Vertx vertx) {
    serve(vertx);
    client.put("k", "a").await();
    Versioned v = client.compareAndSet("k", 1, "b").await();
    assertEquals(2, v.version());
    assertEquals("b", v.asString());
    assertEquals(1L, lastRequest().getLong("version"));
    assertEquals("cas", lastRequest().getString("op"));
  }

  @Test
  void compareAndSetOnStaleVersionFailsWith412CarryingTheCurrentVersion(Vertx vertx) {
    serve(vertx);
    client.put("k", "a").await();
    client.put("k", "b").await();
    KshakaException e = failure(client.compareAndSet("k", 1, "c"));
    assertEquals(412, e.status());
    assertEquals("version_mismatch", e.error());
    assertEquals(2L, e.version().getAsLong());
    assertNull(e.outcome());
    assertEquals(RegisterState.of("b", 2), kv.state("k"));
  }

  @Test
  void putIfAbsentCreatesOnlyWhenAbsent(Vertx vertx) {
    serve(vertx);
    assertEquals(1, client.putIfAbsent("k", "first").await().version());
    assertEquals("create", lastRequest().getString("op"));
    KshakaException e = failure(client.putIfAbsent("k", "second"));
    assertEquals(412, e.status());
    assertEquals(1L, e.version().getAsLong());
    assertEquals("first", client.get("k").await().asString());
  }

  @Test
  void deleteLeavesAnAbsentRegisterOneVersionHigher(Vertx vertx) {
    serve(vertx);
    client.put("k", "a").await();
    Versioned deleted = client.delete("k").await();
    assertFalse(deleted.present());
    assertEquals(2, deleted.version());
    assertFalse(lastRequest().containsKey("version"));
  }

  @Test
  void deleteWithExpectedVersionIsConditional(Vertx vertx) {
    serve(vertx);
    client.put("k", "a").await();
    assertEquals(412, failure(client.delete("k", 7)).status());
    assertEquals(2, client.delete("k", 1).await().version());
    assertEquals(1L, lastRequest().getLong("version"));
  }

  @Test
  void addReturnsTheDecimalSumAndAbsentCountsAsZero(Vertx vertx) {
    serve(vertx);
    Versioned first = client.add("n", 5).await();
    assertEquals(5, first.asLong());
    assertEquals("5", first.asString());
    assertEquals(5L, lastRequest().getLong("delta"));
    assertEquals(-2, client.add("n", -7).await().asLong());
    assertEquals(0, new Versioned(null, 3).asLong());
  }

  @Test
  void addOnNonIntegerValueFailsWith409(Vertx vertx) {
    serve(vertx);
    client.put("n", "abc").await();
    KshakaException e = failure(client.add("n", 1));
    assertEquals(409, e.status());
    assertEquals("not_integer", e.error());
  }

  // ------------------------------------------------------------------ failures

  @Test
  void nodeFailuresPassThroughWithStatusAndOutcome(Vertx vertx) {
    serve(vertx);
    kv.failNext(Wire.failure(KvError.NO_QUORUM, "only 1 of 3 acceptors answer", null));
    KshakaException noQuorum = failure(client.put("k", "x"));
    assertEquals(503, noQuorum.status());
    assertEquals("no_quorum", noQuorum.error());
    assertEquals(Outcome.NOT_APPLIED, noQuorum.outcome());
    assertEquals("only 1 of 3 acceptors answer", noQuorum.getMessage());
    // a 504 is retried (see below) until the deadline; then it passes through as well
  }

  @Test
  void valueOverTheNodeLimitFailsWith413(Vertx vertx) {
    serve(vertx);
    KshakaException e = failure(client.put("k", new byte[1025]));
    assertEquals(413, e.status());
    assertEquals("value_too_large", e.error());
  }

  @Test
  void noReplyWithinTheSendTimeoutIs504OutcomeUnknown(Vertx vertx) {
    vertx.eventBus().consumer("silent", m -> { }).completion().await();
    KshakaClient silent = KshakaClient.create(vertx,
        new KshakaClientOptions().setAddress("silent").setSendTimeoutMs(50).setDeadlineMs(200));
    KshakaException e = failure(silent.put("k", "x"));
    assertEquals(504, e.status());
    assertEquals("outcome_unknown", e.error());
    assertEquals(Outcome.UNKNOWN, e.outcome());
  }

  @Test
  void noNodeConsumingTheAddressIs503UnreachableNotApplied(Vertx vertx) {
    KshakaClient nobody = KshakaClient.create(vertx, new KshakaClientOptions().setDeadlineMs(300));
    KshakaException e = failure(nobody.put("k", "x"));
    assertEquals(503, e.status());
    assertEquals("unreachable", e.error());
    assertEquals(Outcome.NOT_APPLIED, e.outcome());
    assertTrue(e.getMessage().contains("no Kshaka node is reachable on the event bus"), e.getMessage());
  }

  // ------------------------------------------------------------------ request ids and retries

  @Test
  void everyChangeCarriesARandomRequestIdAndItsFirstAttemptTime(Vertx vertx) {
    serve(vertx);
    long before = System.currentTimeMillis();
    client.put("k", "a").await();
    JsonObject first = lastRequest();
    client.put("k", "a").await();
    JsonObject second = lastRequest();
    assertTrue(first.getString("requestId").matches("c-[0-9a-f]{32}"), first.encode());
    assertTrue(first.getLong("requestStamp") >= before && first.getLong("requestStamp") <= System.currentTimeMillis());
    assertFalse(first.getString("requestId").equals(second.getString("requestId")), "each change its own id");
    assertFalse(first.containsKey("fresh"), "only the router marks a request fresh");
    client.add("n", 1).await();
    assertTrue(lastRequest().containsKey("requestId"));
    client.delete("n").await();
    assertTrue(lastRequest().containsKey("requestId"));
    client.get("k").await();
    assertFalse(lastRequest().containsKey("requestId"), "a read needs no id");
  }

  @Test
  void changeAnswered504IsRetriedWithTheSameRequestIdAndStamp(Vertx vertx) {
    serve(vertx);
    kv.failNext(Wire.failure(KvError.OUTCOME_UNKNOWN, "a competing change won the round", null));
    Versioned v = client.put("k", "a").await();
    assertEquals(1, v.version());
    assertEquals(2, kv.requests.size());
    JsonObject first = kv.requests.get(0).copy();
    assertEquals(Boolean.TRUE, first.remove("first"), "the first attempt says it is the first");
    assertEquals(first, kv.requests.get(1), "the same request, id and stamp included, not marked first");
  }

  @Test
  void changeThatTimedOutIsRetriedUntilAnAnswer(Vertx vertx) {
    serve(vertx);
    kv.hangNext();
    KshakaClient quick = KshakaClient.create(vertx, new KshakaClientOptions().setSendTimeoutMs(100));
    assertEquals(1, quick.put("k", "a").await().version());
    assertEquals(2, kv.requests.size());
    assertEquals(kv.requests.get(0).getString("requestId"), kv.requests.get(1).getString("requestId"));
  }

  @Test
  void answersThatAreNotDoubtAreNotRetried(Vertx vertx) {
    serve(vertx);
    kv.failNext(Wire.failure(KvError.NO_QUORUM, "only 1 of 3 acceptors answer", null));
    assertEquals("no_quorum", failure(client.put("k", "a")).error());
    assertEquals(1, kv.requests.size());
    client.put("k", "a").await();
    assertEquals(412, failure(client.compareAndSet("k", 7, "b")).status());
    assertEquals(3, kv.requests.size());
  }

  @Test
  void aChangeThatMayHaveAppliedIsNeverReportedNotApplied(Vertx vertx) {
    // the first attempt times out (it may have applied), then no node is left: the outcome stays unknown
    vertx.eventBus().consumer("vanishing").handler(m -> { }).completion().await();
    var consumer = vertx.eventBus().consumer("vanishing");
    consumer.handler(m -> consumer.unregister()).completion().await();
    KshakaClient c = KshakaClient.create(vertx,
        new KshakaClientOptions().setAddress("vanishing").setSendTimeoutMs(100).setDeadlineMs(600));
    KshakaException e = failure(c.put("k", "x"));
    assertEquals(504, e.status(), e.toString());
    assertEquals(Outcome.UNKNOWN, e.outcome());
  }

  @Test
  void aChangeRefusedAfterAnAttemptThatMayHaveAppliedIsUnknownNotRefused(Vertx vertx) {
    // the first attempt times out (its node may still apply it later); the second is refused (412): that refusal
    // is not the change's answer
    int[] calls = {0};
    vertx.eventBus().<JsonObject>consumer("refusing-later").handler(m -> {
      if (calls[0]++ > 0) m.fail(412, Wire.failure(KvError.VERSION_MISMATCH, "version is 9", 9L).getMessage());
    }).completion().await();
    KshakaClient c = KshakaClient.create(vertx,
        new KshakaClientOptions().setAddress("refusing-later").setSendTimeoutMs(100).setDeadlineMs(5_000));
    KshakaException e = failure(c.compareAndSet("k", 3, "x"));
    assertEquals(504, e.status(), e.toString());
    assertEquals(Outcome.UNKNOWN, e.outcome());
    assertEquals(2, calls[0]);
  }

  @Test
  void retriesStopAtTheDeadline(Vertx vertx) {
    vertx.eventBus().<JsonObject>consumer("busy", m -> {
      var f = Wire.failure(KvError.OUTCOME_UNKNOWN, "conflict", null);
      m.fail(f.failureCode(), f.getMessage());
    }).completion().await();
    KshakaClient c = KshakaClient.create(vertx, new KshakaClientOptions().setAddress("busy").setDeadlineMs(400));
    long start = System.nanoTime();
    KshakaException e = failure(c.put("k", "x"));
    long tookMs = (System.nanoTime() - start) / 1_000_000;
    assertEquals(504, e.status());
    assertEquals(Outcome.UNKNOWN, e.outcome());
    assertTrue(e.getMessage().contains("conflict") && e.getMessage().contains("attempts"), e.getMessage());
    assertTrue(tookMs < 5_000, "took " + tookMs + " ms");
  }

  @Test
  void defaultOptionsAreKshakaKvWithTenSecondTimeoutAndFifteenSecondDeadline() {
    KshakaClientOptions options = new KshakaClientOptions();
    assertEquals(15_000, options.getDeadlineMs());
    assertThrows(IllegalArgumentException.class, () -> options.setDeadlineMs(0));
    assertEquals("kshaka.kv", options.getAddress());
    assertEquals("kshaka.kv.local", options.getLocalChangeAddress());
    assertEquals(10_000, options.getSendTimeoutMs());
    assertThrows(IllegalArgumentException.class, () -> options.setSendTimeoutMs(0));
  }

  // ------------------------------------------------------------------ change functions

  /** What a node registers for local changes: the object itself crosses, never the wire. */
  private static final class LocalChangeCodec implements MessageCodec<Change.Custom, Change.Custom> {
    @Override
    public void encodeToWire(Buffer buffer, Change.Custom change) {
      throw new UnsupportedOperationException("change functions never leave the JVM");
    }

    @Override
    public Change.Custom decodeFromWire(int pos, Buffer buffer) {
      throw new UnsupportedOperationException("change functions never leave the JVM");
    }

    @Override
    public Change.Custom transform(Change.Custom change) {
      return change;
    }

    @Override
    public String name() {
      return KshakaClient.LOCAL_CHANGE_CODEC;
    }

    @Override
    public byte systemCodecID() {
      return -1;
    }
  }

  /** A local node: applies the function to the fake's register and answers like the proposer. */
  private void serveLocalChanges(Vertx vertx) {
    vertx.eventBus().registerCodec(new LocalChangeCodec());
    String address = KshakaClientOptions.DEFAULT_LOCAL_CHANGE_ADDRESS;
    vertx.eventBus().<Change.Custom>consumer(address, (Message<Change.Custom> m) -> {
      String key = m.headers().get(KshakaClient.KEY_HEADER);
      ChangeResult result = m.body().apply(kv.state(key));
      if (result.status() == ChangeResult.Status.OK) {
        kv.registers.put(key, result.state());
        m.reply(Wire.kvReply(result.state()));
      } else {
        var e = Wire.failure(KvError.CHANGE_REJECTED, result.message(), null);
        m.fail(e.failureCode(), e.getMessage());
      }
    }).completion().await();
  }

  @Test
  void changeRunsTheFunctionOnTheLocalNode(Vertx vertx) {
    serve(vertx);
    serveLocalChanges(vertx);
    client.put("k", "ab").await();
    Versioned v = client.change("k", current -> (new String(current, StandardCharsets.UTF_8) + "c")
        .getBytes(StandardCharsets.UTF_8)).await();
    assertEquals("abc", v.asString());
    assertEquals(2, v.version());
    Versioned deleted = client.change("k", current -> null).await();
    assertFalse(deleted.present());
    assertEquals(3, deleted.version());
  }

  @Test
  void changeFunctionThatThrowsFailsWith422AndChangesNothing(Vertx vertx) {
    serve(vertx);
    serveLocalChanges(vertx);
    client.put("k", "a").await();
    KshakaException e = failure(client.change("k", current -> {
      throw new IllegalStateException("no way");
    }));
    assertEquals(422, e.status());
    assertEquals("change_rejected", e.error());
    assertEquals("no way", e.getMessage());
    assertEquals(RegisterState.of("a", 1), kv.state("k"));
  }

  @Test
  void changeWithNoNodeInThisJvmFailsSayingSo(Vertx vertx) {
    KshakaException noCodec = failure(KshakaClient.create(vertx).change("k", current -> current));
    assertEquals(503, noCodec.status());
    assertEquals("no_local_node", noCodec.error());
    assertEquals(Outcome.NOT_APPLIED, noCodec.outcome());
    assertTrue(noCodec.getMessage().contains("in this JVM"), noCodec.getMessage());

    vertx.eventBus().registerCodec(new LocalChangeCodec()); // codec known, but no consumer
    KshakaException noConsumer = failure(KshakaClient.create(vertx).change("k", current -> current));
    assertEquals("no_local_node", noConsumer.error());
  }
}
