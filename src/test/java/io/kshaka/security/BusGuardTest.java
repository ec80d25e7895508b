package io.kshaka.security;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class BusGuardTest {
  private static final DeliveryOptions TIMEOUT = new DeliveryOptions().setSendTimeout(5_000);
  private static final String ADDRESS = "kshaka.acceptor.1";

  private Vertx vertx;
  private final BusGuard guard = guard("the cluster secret, 32 characters or more");

  private static BusGuard guard(String secret) {
    return BusGuard.create(new BusAuth(secret.getBytes(StandardCharsets.UTF_8)), new SimpleMeterRegistry());
  }

  @BeforeEach
  void start() {
    vertx = Vertx.vertx();
  }

  @AfterEach
  void close() throws Exception {
    vertx.close().await(30, TimeUnit.SECONDS);
  }

  private static <T> T await(Future<T> f) throws Exception {
    return f.toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
  }

  private static ReplyException failure(Future<?> f) throws Exception {
    try {
      await(f);
    } catch (ExecutionException e) {
      return assertInstanceOf(ReplyException.class, e.getCause());
    }
    throw new AssertionError("the request succeeded");
  }

  /** A consumer that answers "real: <body>" through {@code guard}, after {@code guard} admitted the request. */
  private void serve(BusGuard guard) throws Exception {
    await(vertx.eventBus().<String>consumer(ADDRESS, m -> {
      if (guard.admit(m, BusGuard.Kind.ACCEPTOR)) guard.reply(m, "real: " + m.body());
    }).completion());
  }

  @Test
  void aSignedRequestIsAdmittedAndItsSignedReplyAccepted() throws Exception {
    serve(guard);
    Message<String> reply = await(guard.request(vertx, ADDRESS, "vote", TIMEOUT, BusGuard.Kind.ACCEPTOR));
    assertEquals("real: vote", reply.body());
    assertEquals(0, guard.refused(BusGuard.Kind.ACCEPTOR, false) + guard.refused(BusGuard.Kind.ACCEPTOR, true));
  }

  @Test
  void anUnsignedRequestFailsWith401AndIsCounted() throws Exception {
    serve(guard);
    ReplyException e = failure(vertx.eventBus().request(ADDRESS, "vote", TIMEOUT));
    assertEquals(401, e.failureCode());
    assertEquals("unauthenticated", new JsonObject(e.getMessage()).getString("error"));
    assertEquals(1, guard.refused(BusGuard.Kind.ACCEPTOR, false));
  }

  @Test
  void aPeerWithAnotherSecretIsNoAnswer() throws Exception {
    serve(guard("another secret, also 32 characters or more"));
    ReplyException e = failure(guard.request(vertx, ADDRESS, "vote", TIMEOUT, BusGuard.Kind.ACCEPTOR));
    assertEquals(ReplyFailure.TIMEOUT, e.failureType(), e.toString());
  }

  @Test
  void aRogueHandlerBesideTheRealOneIsSkipped() throws Exception {
    await(vertx.eventBus().<String>consumer(ADDRESS, m -> m.reply("rogue: " + m.body(),
        new DeliveryOptions().addHeader(BusAuth.HEADER, m.headers().get(BusAuth.HEADER)))).completion());
    serve(guard);
    for (int i = 0; i < 10; i++) {
      Message<String> reply = await(guard.request(vertx, ADDRESS, "vote " + i, TIMEOUT, BusGuard.Kind.ACCEPTOR));
      assertEquals("real: vote " + i, reply.body());
    }
    assertTrue(guard.refused(BusGuard.Kind.ACCEPTOR, true) >= 5, "the rogue's answers were refused and counted");
  }

  @Test
  void onlyARogueAnsweringIsNoAnswer() throws Exception {
    await(vertx.eventBus().<String>consumer(ADDRESS, m -> m.reply("rogue")).completion());
    ReplyException e = failure(guard.request(vertx, ADDRESS, "vote", TIMEOUT, BusGuard.Kind.ACCEPTOR));
    assertEquals(ReplyFailure.TIMEOUT, e.failureType());
    assertEquals(BusGuard.ATTEMPTS, guard.refused(BusGuard.Kind.ACCEPTOR, true));
  }

  @Test
  void withoutASecretNothingIsSignedOrChecked() throws Exception {
    serve(BusGuard.OFF);
    assertEquals("real: vote", await(vertx.eventBus().<String>request(ADDRESS, "vote", TIMEOUT)).body());
    Message<String> reply = await(BusGuard.OFF.request(vertx, ADDRESS, "vote", TIMEOUT, BusGuard.Kind.ACCEPTOR));
    assertEquals("real: vote", reply.body());
    assertEquals(null, reply.headers().get(BusAuth.HEADER));
  }
}
