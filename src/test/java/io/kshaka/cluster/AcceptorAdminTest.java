package io.kshaka.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kshaka.core.AcceptorReply;
import io.kshaka.core.AcceptorRequest;
import io.kshaka.core.Ballot;
import io.kshaka.core.RegisterState;
import io.kshaka.storage.AcceptorStore;
import io.kshaka.storage.FileAcceptorStore;
import io.kshaka.storage.MemoryAcceptorStore;
import io.kshaka.storage.StoreOptions;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The acceptor admin address ({@code kshaka.acceptor.<id>.admin}) of a deployed {@link AcceptorVerticle} with a
 * file store, driven by event-bus round trips: key pages, peeks, GC removals, and 400/409 refusals with JSON bodies.
 */
class AcceptorAdminTest {
  private static final DeliveryOptions TIMEOUT = new DeliveryOptions().setSendTimeout(10_000);
  private static final Ballot BT = new Ballot(30, 2);

  @TempDir
  Path dir;

  private Vertx vertx;
  private String deployment;

  @BeforeEach
  void deploy() throws Exception {
    vertx = Vertx.vertx();
    deployAcceptor();
  }

  private void deployAcceptor() throws Exception {
    FileAcceptorStore store = new FileAcceptorStore(vertx, StoreOptions.defaults(dir.toString()));
    deployment = vertx.deployVerticle(new AcceptorVerticle(1, store)).await(30, TimeUnit.SECONDS);
  }

  @AfterEach
  void close() throws Exception {
    vertx.close().await(30, TimeUnit.SECONDS);
  }

  private AcceptorReply vote(AcceptorRequest request) throws Exception {
    Buffer reply = vertx.eventBus().<Buffer>request(Addresses.DEFAULT.acceptor(1), Wire.encode(request), TIMEOUT)
        .await(30, TimeUnit.SECONDS).body();
    return Wire.decodeReply(reply);
  }

  /** Accepts {@code value} (null = a tombstone) at {@code b} with the 1-RTT promise of b's successor. */
  private void accept(String key, Ballot b, String value, long version) throws Exception {
    RegisterState s = value == null ? new RegisterState(null, version) : RegisterState.of(value, version);
    assertInstanceOf(AcceptorReply.Accepted.class, vote(new AcceptorRequest.Accept(key, b, s, b.successor())));
  }

  private JsonObject admin(Object body) throws Exception {
    return admin(Addresses.DEFAULT.acceptorAdmin(1), body);
  }

  private JsonObject admin(String address, Object body) throws Exception {
    return vertx.eventBus().<JsonObject>request(address, body, TIMEOUT).await(30, TimeUnit.SECONDS).body();
  }

  private ReplyException adminFails(String address, Object body) {
    try {
      vertx.eventBus().request(address, body, TIMEOUT).await(30, TimeUnit.SECONDS);
    } catch (ReplyException e) {
      return e;
    } catch (Exception e) {
      throw new AssertionError("expected a ReplyException, got " + e, e);
    }
    throw new AssertionError("expected a failure for " + body);
  }

  private static List<String> strings(JsonArray a) {
    List<String> out = new ArrayList<>();
    for (Object o : a) out.add((String) o);
    return out;
  }

  @Test
  void keysArePagedInCodePointOrderWithNextTotalAndTombstoneCount() throws Exception {
    List<String> keys = new ArrayList<>();
    for (int i = 0; i < 23; i++) keys.add(String.format("key-%02d", i));
    keys.add("\uD83D\uDE00-emoji");
    keys.add("\uFFFD-replacement");
    for (int i = 0; i < keys.size(); i++) accept(keys.get(i), BT, i % 5 == 0 ? null : "v" + i, 1);
    List<String> expected = new ArrayList<>(keys);
    Collections.sort(expected, AcceptorStore.KEY_ORDER);
    assertEquals("\uFFFD-replacement", expected.get(23), "U+FFFD sorts before U+1F600");

    List<String> all = new ArrayList<>();
    String after = null;
    int pages = 0;
    while (true) {
      JsonObject page = admin(Wire.adminKeys(after, 10));
      assertEquals(25, page.getInteger("total"));
      assertEquals(5, page.getInteger("tombstones"));
      List<String> got = strings(page.getJsonArray("keys"));
      all.addAll(got);
      pages++;
      after = page.getString("next");
      if (got.size() == 10) assertEquals(got.get(9), after, "a full page names its last key as next");
      else assertNull(after, "a short page ends the listing");
      if (after == null) break;
    }
    assertEquals(expected, all);
    assertEquals(3, pages);
    JsonObject byDefault = admin(new JsonObject().put("op", "keys"));
    assertEquals(expected, strings(byDefault.getJsonArray("keys")), "default limit 1000, from the start");
    assertNull(byDefault.getString("next"));
  }

  @Test
  void peekReportsBallotsVersionPresenceAndValuesOnlyWhenAsked() throws Exception {
    accept("live", BT, "hello", 4);
    accept("tomb", BT, null, 6);
    JsonObject reply = admin(Wire.adminPeek(List.of("live", "tomb", "unknown"), false));
    List<Wire.AdminState> states = Wire.adminStates(reply);
    assertEquals("live", states.get(0).key());
    assertEquals(BT.successor(), states.get(0).promised());
    assertEquals(BT, states.get(0).accepted());
    assertEquals(4, states.get(0).version());
    assertTrue(states.get(0).present());
    assertNull(states.get(0).value());
    assertEquals(BT.successor(), states.get(1).promised());
    assertEquals(BT, states.get(1).accepted());
    assertEquals(6, states.get(1).version());
    assertFalse(states.get(1).present());
    assertEquals(Ballot.ZERO, states.get(2).promised());
    assertEquals(0, states.get(2).version());
    assertFalse(reply.getJsonArray("states").getJsonObject(0).containsKey("value"), "no value unless asked");
    List<Wire.AdminState> withValues = Wire.adminStates(admin(Wire.adminPeek(List.of("live", "tomb"), true)));
    assertEquals("hello", new String(withValues.get(0).value(), StandardCharsets.UTF_8));
    assertNull(withValues.get(1).value(), "a tombstone has no value");
  }

  @Test
  void removeForgetsOnlyTheCollectableEmptyStateAndSurvivesARestart() throws Exception {
    accept("live", BT, "v", 1);
    accept("tomb", BT, null, 0); // what Change.Forget leaves of a tombstone: (absent, v0) at BT
    accept("tombstone", BT, null, 2);
    accept("other-ballot", new Ballot(29, 2), null, 0);
    assertFalse(admin(Wire.adminRemove("live", BT, 0)).getBoolean("removed"));
    assertFalse(admin(Wire.adminRemove("tombstone", BT, 0)).getBoolean("removed"), "not forgotten yet");
    assertFalse(admin(Wire.adminRemove("other-ballot", BT, 0)).getBoolean("removed"));
    assertTrue(admin(Wire.adminRemove("tomb", BT, 0)).getBoolean("removed"));
    assertTrue(admin(Wire.adminRemove("tomb", BT, 0)).getBoolean("removed"), "absent counts as removed");
    JsonObject page = admin(Wire.adminKeys(null, 100));
    assertEquals(List.of("live", "other-ballot", "tombstone"), strings(page.getJsonArray("keys")));
    assertEquals(3, page.getInteger("total"));
    assertEquals(1, page.getInteger("tombstones"));

    vertx.undeploy(deployment).await(30, TimeUnit.SECONDS);
    deployAcceptor();
    assertEquals(List.of("live", "other-ballot", "tombstone"),
        strings(admin(Wire.adminKeys(null, 100)).getJsonArray("keys")),
        "the removal is durable");
    // a new round on the removed key starts from nothing
    AcceptorReply.Promise p = assertInstanceOf(AcceptorReply.Promise.class,
        vote(new AcceptorRequest.Prepare("tomb", new Ballot(40, 1))));
    assertEquals(Ballot.ZERO, p.accepted());
    assertEquals(RegisterState.EMPTY, p.state());
  }

  @Test
  void aRemoveFromAnOlderEpochIsRefusedWith409() throws Exception {
    MemoryAcceptorStore store = new MemoryAcceptorStore();
    store.put("tomb", new io.kshaka.core.AcceptorState(BT.successor(), BT, RegisterState.EMPTY));
    AcceptorAdmin admin = new AcceptorAdmin(7, store, () -> 5L);
    String address = Addresses.DEFAULT.acceptorAdmin(7);
    vertx.eventBus().consumer(address, admin::handle).completion().await(30, TimeUnit.SECONDS);
    ReplyException e = adminFails(address, Wire.adminRemove("tomb", BT, 4));
    assertEquals(409, e.failureCode());
    JsonObject body = new JsonObject(e.getMessage());
    assertEquals("stale_epoch", body.getString("error"));
    assertEquals(5, body.getLong("epoch"));
    assertEquals(1, store.size(), "nothing removed");
    assertTrue(admin(address, Wire.adminRemove("tomb", BT, 5)).getBoolean("removed"));
    assertEquals(0, store.size());
  }

  @Test
  void badInputIsRefusedWith400AndAJsonBodyNamingTheProblem() {
    JsonObject ballot = Wire.ballotJson(BT);
    JsonArray tooMany = new JsonArray();
    for (int i = 0; i <= Wire.ADMIN_MAX_KEYS; i++) tooMany.add("k" + i);
    List<Object> bad = List.of(
        "not json",
        new JsonObject(),
        new JsonObject().put("op", 3),
        new JsonObject().put("op", "drop"),
        new JsonObject().put("op", "keys").put("limit", 0),
        new JsonObject().put("op", "keys").put("limit", 10_001),
        new JsonObject().put("op", "keys").put("limit", "ten"),
        new JsonObject().put("op", "keys").put("limit", 1.5),
        new JsonObject().put("op", "keys").put("after", 5),
        new JsonObject().put("op", "peek"),
        new JsonObject().put("op", "peek").put("keys", "k"),
        new JsonObject().put("op", "peek").put("keys", new JsonArray().add(1)),
        new JsonObject().put("op", "peek").put("keys", tooMany),
        new JsonObject().put("op", "peek").put("keys", new JsonArray()).put("values", "yes"),
        new JsonObject().put("op", "remove").put("ballot", ballot).put("epoch", 0),
        new JsonObject().put("op", "remove").put("key", "k").put("epoch", 0),
        new JsonObject().put("op", "remove").put("key", "k").put("ballot", "30.2").put("epoch", 0),
        new JsonObject().put("op", "remove").put("key", "k").put("ballot", ballot.copy().put("counter", -1)).put("epoch", 0),
        new JsonObject().put("op", "remove").put("key", "k").put("ballot", ballot.copy().put("node", 1L << 40)).put("epoch", 0),
        new JsonObject().put("op", "remove").put("key", "k").put("ballot", ballot.copy().putNull("node")).put("epoch", 0),
        new JsonObject().put("op", "remove").put("key", "k").put("ballot", ballot),
        new JsonObject().put("op", "remove").put("key", "k").put("ballot", ballot).put("epoch", -1));
    for (Object body : bad) {
      ReplyException e = adminFails(Addresses.DEFAULT.acceptorAdmin(1), body);
      assertEquals(400, e.failureCode(), String.valueOf(body));
      JsonObject error = new JsonObject(e.getMessage());
      assertEquals("bad_request", error.getString("error"), String.valueOf(body));
      assertTrue(error.getString("message").length() > 5, error.encode());
    }
  }
}
