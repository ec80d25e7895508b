package io.kshaka.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** {@link Watches} over a fake node: what wakes a watch, and how many reads it costs. */
class WatchesTest {
  private static final long HOUR = 3_600_000;
  private final Vertx vertx = Vertx.vertx();
  private final FakeKv kv = new FakeKv();

  /** A node whose every read answers the register's version now (or fails while {@code failing}). */
  static final class FakeKv implements KvService {
    final AtomicLong version = new AtomicLong(1);
    final AtomicInteger reads = new AtomicInteger();
    final AtomicBoolean failing = new AtomicBoolean();

    @Override
    public Future<JsonObject> execute(JsonObject request) {
      assertEquals("get", request.getString("op"));
      reads.incrementAndGet();
      if (failing.get()) return Future.failedFuture(Wire.failure(KvError.NO_QUORUM, "no quorum", null));
      return Future.succeededFuture(new JsonObject().put("version", version.get()).put("value", "dg=="));
    }

    @Override
    public Future<JsonObject> status() {
      return Future.succeededFuture(new JsonObject());
    }
  }

  @AfterEach
  void close() throws Exception {
    vertx.close().await(30, TimeUnit.SECONDS);
  }

  private static JsonObject watch(String key, long version, long waitMs) {
    return new JsonObject().put("op", "watch").put("key", key).put("version", version).put("waitMs", waitMs);
  }

  @Test
  void anAcceptOfTheKeyWakesItsWatchesWithoutAnyPolling() throws Exception {
    Watches watches = new Watches(vertx, kv, HOUR);
    Future<JsonObject> answer = watches.execute(watch("k", 1, Watches.MAX_WAIT_MS));
    waitFor(() -> watches.open() == 1 && kv.reads.get() == 1);
    watches.accepted("other"); // another key's accept reads nothing
    kv.version.set(2);
    assertFalse(answer.isComplete());
    watches.accepted("k");
    assertEquals(2L, answer.await(30, TimeUnit.SECONDS).getLong("version"));
    assertEquals(2, kv.reads.get());
    assertEquals(0, watches.open());
  }

  @Test
  void withoutAnAcceptTheSafetyNetReadFindsTheChange() throws Exception {
    Watches watches = new Watches(vertx, kv, 50);
    Future<JsonObject> answer = watches.execute(watch("k", 1, Watches.MAX_WAIT_MS));
    waitFor(() -> watches.open() == 1);
    kv.version.set(3);
    assertEquals(3L, answer.await(30, TimeUnit.SECONDS).getLong("version"));
  }

  @Test
  void oneReadServesEveryWatchOfAKey() throws Exception {
    Watches watches = new Watches(vertx, kv, HOUR);
    List<Future<JsonObject>> answers = new ArrayList<>();
    for (int i = 0; i < 200; i++) answers.add(watches.execute(watch("k", 1, Watches.MAX_WAIT_MS)));
    waitFor(() -> watches.open() == 200);
    int before = kv.reads.get();
    assertTrue(before <= 200, "reads " + before);
    kv.version.set(2);
    for (int i = 0; i < 50; i++) watches.accepted("k");
    for (Future<JsonObject> a : answers) assertEquals(2L, a.await(30, TimeUnit.SECONDS).getLong("version"));
    // the 50 wake-ups while reads were in flight coalesce into at most one more read each time one ends
    assertTrue(kv.reads.get() - before <= 3, "reads after the change: " + (kv.reads.get() - before));
  }

  @Test
  void aWatchAboveTheVersionWaitsOutAndAnswersTheCurrentState() throws Exception {
    Watches watches = new Watches(vertx, kv, HOUR);
    JsonObject answer = watches.execute(watch("k", 1, 100)).await(30, TimeUnit.SECONDS);
    assertEquals(1L, answer.getLong("version"));
    assertEquals(0, watches.open());
  }

  @Test
  void aWatchWhoseFirstReadFailsFailsAsAGetWould() {
    Watches watches = new Watches(vertx, kv, HOUR);
    kv.failing.set(true);
    Exception e = org.junit.jupiter.api.Assertions.assertThrows(Exception.class,
        () -> watches.execute(watch("k", 0, Watches.MAX_WAIT_MS)).await(30, TimeUnit.SECONDS));
    assertTrue(e instanceof ReplyException r && r.failureCode() == 503, e.toString());
  }

  @Test
  void badWatchRequestsAreRefusedNamingTheField() {
    Watches watches = new Watches(vertx, kv, HOUR);
    for (JsonObject bad : List.of(watch("k", -1, 10), watch("k", 1, Watches.MAX_WAIT_MS + 1),
        new JsonObject().put("op", "watch").put("key", "k"))) {
      Exception e = org.junit.jupiter.api.Assertions.assertThrows(Exception.class,
          () -> watches.execute(bad).await(30, TimeUnit.SECONDS));
      assertTrue(e instanceof ReplyException r && r.failureCode() == 400, bad + ": " + e);
    }
  }

  private static void waitFor(java.util.function.BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) throw new AssertionError("timed out");
      Thread.sleep(5);
    }
  }
}
