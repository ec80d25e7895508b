package io.kshaka.membership;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kshaka.core.ClusterConfig;
import io.kshaka.core.QuorumSpec;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The driver's logic against an in-memory cluster ({@link FakeClusterPorts}). */
class MembershipDriverTest {
  static final long SEED = Long.getLong("seed", System.nanoTime());
  static final MembershipDriver.Options FAST = new MembershipDriver.Options(100, 64, 5, 1, 5, 1_000, 200);

  Vertx vertx;

  @BeforeEach
  void setUp() {
    System.out.println("MembershipDriverTest seed " + SEED + " (rerun with -Dseed=" + SEED + ")");
    vertx = Vertx.vertx();
  }

  @AfterEach
  void tearDown() {
    await(vertx.close());
  }

  MembershipDriver driver(FakeClusterPorts c, int node) {
    return new MembershipDriver(vertx, c.node(node), FAST, System::currentTimeMillis);
  }

  static <T> T await(Future<T> f) {
    try {
      return f.toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  static FakeClusterPorts watched;

  static void waitFor(String what, BooleanSupplier condition) {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("timed out waiting for " + what + (watched == null ? "" : ": "
            + watched.value.toJson().encode()));
      }
      try {
        Thread.sleep(5);
      } catch (InterruptedException e) {
        throw new IllegalStateException(e);
      }
    }
  }

  static boolean finished(FakeClusterPorts c) {
    synchronized (c) {
      ChangeRecord r = c.record();
      return r != null && !r.running();
    }
  }

  static void assertSteady(FakeClusterPorts c, Set<Integer> nodes) {
    synchronized (c) {
      assertEquals(QuorumSpec.majority(nodes), c.config().quorums());
      assertEquals(ChangeRecord.DONE, c.record().state(), c.record().toJson().encodePrettily());
    }
  }

  /** What the rescan guarantees: every key sits on an accept quorum of the final configuration. */
  static void assertEveryKeyOnAnAcceptQuorum(FakeClusterPorts c) {
    QuorumSpec q = c.config().quorums();
    for (String k : c.allKeys()) {
      int holders = 0;
      for (int n : q.acceptNodes()) if (c.keys.get(n).contains(k)) holders++;
      assertTrue(holders >= q.acceptQuorum(), MembershipDriver.printable(k) + " on " + holders + " acceptors");
    }
  }

  @Test
  void growThreeToFourWalksThePlanAndTheNewAcceptorHoldsEveryKey() {
    FakeClusterPorts c = new FakeClusterPorts(3);
    c.load(1_234, 3, SEED);
    MembershipDriver.Answer a = await(driver(c, 1).change(List.of(1, 2, 3, 4)));
    assertEquals(202, a.status(), a.body().encode());
    assertEquals(ChangeRecord.RUNNING, a.body().getString("state"));
    waitFor("change done", () -> finished(c));
    assertSteady(c, Set.of(1, 2, 3, 4));
    assertEquals(3, c.config().epoch(), "two steps: widen accept, then prepare");
    assertTrue(c.keys.get(4).containsAll(c.allKeys()), "node 4 holds every key after the rescan");
    assertTrue(c.maxInFlight <= 64, "at most 64 touches in flight, saw " + c.maxInFlight);
    assertTrue(c.maxInFlight > 1, "touches overlap");
    assertEquals(c.allKeys().size(), c.record().rescanned());
    assertTrue(c.pushedEpochs.contains(2L) && c.pushedEpochs.contains(3L));
  }

  @Test
  void shrinkFourToThreeRescansAfterTheRemoval() {
    FakeClusterPorts c = new FakeClusterPorts(4);
    c.load(500, 4, SEED);
    assertEquals(202, await(driver(c, 1).change(List.of(1, 2, 3))).status());
    waitFor("change done", () -> finished(c));
    assertSteady(c, Set.of(1, 2, 3));
    // 4 → 3 (even → odd) needs no rescan; the record says so
    assertEquals(500, c.allKeys().size());
  }

  @Test
  void resumesFromEveryRegisterWriteWhenTheDriverDies() {
    for (int budget = 1; budget <= 40; budget++) {
      for (boolean lands : new boolean[] {false, true}) {
        FakeClusterPorts c = new FakeClusterPorts(3);
        c.load(350, 3, SEED + budget);
        c.casBudget = budget;
        c.applyLastWrite = lands;
        MembershipDriver first = driver(c, 1);
        c.onDeath = n -> first.stop();
        MembershipDriver.Answer a = await(first.change(List.of(1, 2, 3, 4, 5)));
        if (a.status() != 202) {
          // died on the very first write: the change may not even have started
          if (c.record() == null) {
            c.casBudget = -1;
            assertEquals(202, await(driver(c, 1).change(List.of(1, 2, 3, 4, 5))).status());
          }
        }
        waitFor("first driver stops or finishes", () -> !first.driving() && (c.deaths.get() > 0 || finished(c)));
        c.casBudget = -1;
        MembershipDriver restarted = driver(c, 1);
        restarted.resumeIfMine();
        int b = budget;
        waitFor("resumed change done (budget " + b + ", lands " + lands + ")", () -> finished(c));
        assertSteady(c, Set.of(1, 2, 3, 4, 5));
        assertEquals(5, c.config().epoch());
        assertEveryKeyOnAnAcceptQuorum(c);
        await(restarted.idle());
      }
    }
  }

  @Test
  void theSameTargetPostedOnAnotherNodeTakesTheChangeOver() {
    FakeClusterPorts c = new FakeClusterPorts(3);
    c.load(800, 3, SEED);
    c.casBudget = 3; // node 1 dies during the first rescan
    MembershipDriver one = driver(c, 1);
    c.onDeath = n -> one.stop();
    assertEquals(202, await(one.change(List.of(1, 2, 3, 4))).status());
    waitFor("node 1 stops", () -> !one.driving() && c.deaths.get() > 0);
    assertEquals(1, c.record().driver());
    assertTrue(c.record().running());
    c.casBudget = -1;
    MembershipDriver.Answer other = await(driver(c, 2).change(List.of(4, 3, 2, 1)));
    assertEquals(202, other.status(), other.body().encode());
    assertEquals(2, other.body().getInteger("driver"));
    waitFor("change done", () -> finished(c));
    assertSteady(c, Set.of(1, 2, 3, 4));
    assertTrue(c.keys.get(4).containsAll(c.allKeys()));
  }

  @Test
  void aWatcherTakesOverAChangeWhoseDriverStoppedMoving() {
    FakeClusterPorts c = new FakeClusterPorts(3);
    c.load(400, 3, SEED);
    c.casBudget = 3;
    MembershipDriver one = driver(c, 1);
    c.onDeath = n -> one.stop();
    assertEquals(202, await(one.change(List.of(1, 2, 3, 4))).status());
    waitFor("node 1 stops", () -> !one.driving() && c.deaths.get() > 0);
    c.casBudget = -1;
    MembershipDriver two = driver(c, 2);
    two.watch(() -> true, 20, 300);
    waitFor("node 2 takes over and finishes", () -> finished(c));
    assertEquals(2, c.record().driver());
    assertSteady(c, Set.of(1, 2, 3, 4));
    two.stop();
  }

  @Test
  void aWatcherDoesNotTakeOverALiveDriverThatWaits() {
    FakeClusterPorts c = new FakeClusterPorts(3);
    c.down.add(4);
    MembershipDriver one = driver(c, 1);
    assertEquals(202, await(one.change(List.of(1, 2, 3, 4))).status());
    MembershipDriver two = driver(c, 2);
    two.watch(() -> true, 20, 600);
    long until = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(2_000);
    while (System.nanoTime() < until) {
      synchronized (c) {
        assertEquals(1, c.record().driver(), "the driver heartbeats while it waits for node 4");
      }
      Thread.yield();
    }
    synchronized (c) {
      c.down.remove(4);
    }
    waitFor("change done", () -> finished(c));
    assertEquals(1, c.record().driver());
    two.stop();
  }

  @Test
  void anotherTargetWhileAChangeRunsIs409() {
    FakeClusterPorts c = new FakeClusterPorts(3);
    c.down.add(4); // the change waits for node 4 to answer
    MembershipDriver d = driver(c, 1);
    assertEquals(202, await(d.change(List.of(1, 2, 3, 4))).status());
    MembershipDriver.Answer refused = await(driver(c, 2).change(List.of(1, 2, 3, 5)));
    assertEquals(409, refused.status());
    assertEquals("change_running", refused.body().getString("error"));
    assertNotNull(refused.body().getJsonObject("change"));
    waitFor("the wait is recorded", () -> {
      synchronized (c) {
        String e = c.record().lastError();
        return e != null && e.contains("node 4 does not answer");
      }
    });
    assertEquals(1, c.config().epoch(), "nothing decided while node 4 is down");
    synchronized (c) {
      c.down.remove(4);
    }
    waitFor("change done once node 4 answers", () -> finished(c));
    assertSteady(c, Set.of(1, 2, 3, 4));
  }

  @Test
  void invalidTargetsAre400() {
    FakeClusterPorts c = new FakeClusterPorts(3);
    MembershipDriver d = driver(c, 1);
    for (List<Integer> bad : List.of(List.<Integer>of(), List.of(0, 1, 2), List.of(1, 2, 3), List.of(-4))) {
      MembershipDriver.Answer a = await(d.change(bad));
      assertEquals(400, a.status(), bad + " -> " + a.body().encode());
      assertEquals("invalid_target", a.body().getString("error"));
      assertNotNull(a.body().getString("message"));
    }
    MembershipDriver.Answer notMember = await(d.replace(7));
    assertEquals(400, notMember.status());
    assertTrue(notMember.body().getString("message").contains("not an acceptor"));
    assertEquals(1, c.version, "nothing written");
  }

  @Test
  void aNodeThatHoldsAStoreIsNotAddedUntilItIsEmpty() {
    FakeClusterPorts c = new FakeClusterPorts(3);
    c.identities.put(4, new JsonObject().put("clusterId", "old").put("incarnation", 3));
    assertEquals(202, await(driver(c, 1).change(List.of(1, 2, 3, 4))).status());
    waitFor("the refusal is recorded", () -> {
      synchronized (c) {
        String e = c.record().lastError();
        return e != null && e.contains("holds a store");
      }
    });
    assertEquals(1, c.config().epoch());
    synchronized (c) {
      c.identities.remove(4);
    }
    waitFor("change done", () -> finished(c));
    assertSteady(c, Set.of(1, 2, 3, 4));
  }

  @Test
  void replaceBringsTheNodeBackAsANewIncarnation() {
    FakeClusterPorts c = new FakeClusterPorts(3);
    c.load(300, 3, SEED);
    synchronized (c) {
      c.identities.remove(2); // its disk was lost
      c.lost.put(2, 1L);
      c.keys.get(2).clear();
    }
    watched = c;
    MembershipDriver.Answer a = await(driver(c, 1).replace(2));
    assertEquals(202, a.status(), a.body().encode());
    assertEquals(2, a.body().getInteger("replace"));
    waitFor("replace done", () -> finished(c));
    assertSteady(c, Set.of(1, 2, 3));
    assertEquals(2L, c.config().incarnation(2));
    assertEquals(1L, c.config().incarnation(1));
    assertEveryKeyOnAnAcceptQuorum(c);
  }

  @Test
  void aTouchThatKeepsFailingFailsTheChangeAndTheSameTargetResumesIt() {
    FakeClusterPorts c = new FakeClusterPorts(3);
    c.load(200, 3, SEED);
    String victim = c.allKeys().iterator().next();
    c.failTouches.put(victim, 1_000);
    assertEquals(202, await(driver(c, 1).change(List.of(1, 2, 3, 4))).status());
    waitFor("change failed", () -> finished(c));
    ChangeRecord failed = c.record();
    assertEquals(ChangeRecord.FAILED, failed.state());
    assertTrue(failed.lastError().contains("touch of key"), failed.lastError());
    assertEquals(2, c.config().epoch(), "the widened accept set stays installed");
    synchronized (c) {
      c.failTouches.clear();
    }
    MembershipDriver.Answer again = await(driver(c, 2).change(List.of(1, 2, 3, 4)));
    assertEquals(202, again.status(), again.body().encode());
    waitFor("change done", () -> finished(c));
    assertSteady(c, Set.of(1, 2, 3, 4));
    assertTrue(c.keys.get(4).containsAll(c.allKeys()));
  }

  @Test
  void aRescanPageWaitsForEnoughAnswersOfThePreviousAcceptSet() {
    FakeClusterPorts c = new FakeClusterPorts(3);
    c.load(150, 3, SEED);
    synchronized (c) {
      c.keysDown.add(2);
      c.keysDown.add(3); // only 1 of {1,2,3} lists its keys: 3 - 2 + 1 = 2 are needed
    }
    assertEquals(202, await(driver(c, 1).change(List.of(1, 2, 3, 4))).status());
    waitFor("the rescan waits", () -> {
      synchronized (c) {
        String e = c.record().lastError();
        return e != null && e.contains("rescan waits");
      }
    });
    assertEquals(0, c.touches.size(), "no key touched from an incomplete page");
    synchronized (c) {
      c.keysDown.remove(3);
    }
    waitFor("change done", () -> finished(c));
    assertSteady(c, Set.of(1, 2, 3, 4));
    assertTrue(c.keys.get(4).containsAll(c.allKeys()));
  }

  @Test
  void aSilentAcceptorDoesNotHoldUpTheRescanOnceEnoughAnswered() {
    FakeClusterPorts c = new FakeClusterPorts(3);
    c.load(2_000, 3, SEED);
    synchronized (c) {
      c.keysSilent.add(3);
    }
    long start = System.nanoTime();
    assertEquals(202, await(driver(c, 1).change(List.of(1, 2, 3, 4))).status());
    waitFor("change done", () -> finished(c));
    assertSteady(c, Set.of(1, 2, 3, 4));
    assertEveryKeyOnAnAcceptQuorum(c);
    // 20 pages of 100 keys, each waiting PAGE_GRACE_MS for node 3 at most
    assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(20), "pages do not wait for a timeout");
  }

  @Test
  void aDriverTwoEpochsBehindWaitsToLearnThePredecessorBeforeItPushes() {
    FakeClusterPorts c = new FakeClusterPorts(3);
    ClusterConfig e1 = c.config();
    ClusterConfig e2 = e1.next(new QuorumSpec(Set.of(1, 2, 3), 2, Set.of(1, 2, 3, 4), 3), java.util.Map.of());
    ClusterConfig e3 = e2.next(QuorumSpec.majority(Set.of(1, 2, 3, 4)), java.util.Map.of());
    long now = System.currentTimeMillis();
    ChangeRecord running = new ChangeRecord(Set.of(1, 2, 3, 4), 0, 0, 1, 2, 2, "add 4", ChangeRecord.RUNNING, null, 0,
        0, null, 1, now, now);
    synchronized (c) {
      c.value = new ConfigRegister.Value(e3, running.toJson(), null); // node 1 decided epoch 3 and died
      c.version = 9;
      c.installed.put(1, e3);
      c.installed.put(3, e2);
      c.installed.put(2, e1); // node 2 was away during epoch 2
    }
    assertEquals(202, await(driver(c, 2).change(List.of(1, 2, 3, 4))).status());
    waitFor("node 2 waits", () -> {
      synchronized (c) {
        String e = c.record().lastError();
        return e != null && e.contains("knows epoch 1 only");
      }
    });
    assertFalse(c.pushedEpochs.contains(3L), "no push of epoch 3 from a node that does not hold epoch 2");
    synchronized (c) {
      c.installed.put(2, e2); // gossip
    }
    waitFor("change done", () -> finished(c));
    assertSteady(c, Set.of(1, 2, 3, 4));
  }

  @Test
  void statusShowsEpochConfigAndChange() {
    FakeClusterPorts c = new FakeClusterPorts(3);
    MembershipDriver.Answer s = await(driver(c, 1).status());
    assertEquals(200, s.status());
    assertEquals(1, s.body().getLong("epoch"));
    assertEquals(ClusterConfig.bootstrap(c.clusterId, QuorumSpec.majority(Set.of(1, 2, 3))),
        ConfigJson.fromJson(s.body().getJsonObject("config")));
    assertTrue(s.body().containsKey("change"));
    assertFalse(s.body().getValue("change") != null);
  }
}
