package io.kshaka.membership;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kshaka.cluster.NodeConfig;
import io.kshaka.core.Acceptor;
import io.kshaka.core.AcceptorState;
import io.kshaka.core.Ballot;
import io.kshaka.core.Change;
import io.kshaka.core.ClusterConfig;
import io.kshaka.core.QuorumSpec;
import io.kshaka.core.RegisterState;
import io.kshaka.membership.GcJob.Outcome;
import io.kshaka.membership.GcJob.Peeked;
import io.kshaka.membership.GcJob.Run;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/** GcJob's rules against a fake cluster of three acceptors (no Vert.x: every future completes at once). */
class GcJobTest {
  private static final NodeConfig.Gc OPTIONS = new NodeConfig.Gc(1_000, 5_000, 100, 4);

  /** Three acceptors, the register, clocks and faults, as the job sees them through its ports. */
  static final class FakeCluster implements GcJob.Ports {
    final int self;
    final Map<Integer, TreeMap<String, AcceptorState>> acceptors = new TreeMap<>();
    final Map<Integer, Long> epochs = new TreeMap<>();
    ClusterConfig installed = ClusterConfig.bootstrap("c1", QuorumSpec.majority(List.of(1, 2, 3)));
    long registerVersion;
    ConfigRegister.Value register;
    final Set<Integer> down = new HashSet<>();
    final Set<Integer> suspected = new HashSet<>();
    final Set<Integer> missPush = new HashSet<>();
    long wall = 1_000_000;
    long mono = 0;
    long counter = 100;
    /** Keys touched or forgotten, in order. */
    final List<String> touched = new ArrayList<>();
    /** Keys forgotten ({@code Change.Forget}), in order. */
    final List<String> forgets = new ArrayList<>();
    int removes;
    Runnable afterPeek = () -> {};

    FakeCluster(int self) {
      this.self = self;
      for (int n = 1; n <= 3; n++) {
        acceptors.put(n, new TreeMap<>());
        epochs.put(n, 1L);
      }
      register = new ConfigRegister.Value(installed, null, null);
    }

    /** A key deleted long ago: tombstone (absent, version) accepted at one ballot on every acceptor. */
    void tombstone(String key, long version) {
      tombstone(key, version, 1, 2, 3);
    }

    void tombstone(String key, long version, int... on) {
      Ballot b = new Ballot(++counter, 2);
      for (int n : on) acceptors.get(n).put(key, new AcceptorState(b, b, new RegisterState(null, version)));
    }

    /** A put at a higher ballot on the given acceptors. */
    void put(String key, String value, long version, int... on) {
      Ballot b = new Ballot(++counter, 3);
      for (int n : on) {
        acceptors.get(n).put(key, new AcceptorState(b, b,
            new RegisterState(value.getBytes(StandardCharsets.UTF_8), version)));
      }
    }

    /** A put with a TTL (expiring at {@code expiresAt}, wall ms) at a higher ballot on the given acceptors. */
    void putExpiring(String key, String value, long version, long expiresAt, int... on) {
      Ballot b = new Ballot(++counter, 3);
      for (int n : on) {
        acceptors.get(n).put(key, new AcceptorState(b, b,
            new RegisterState(value.getBytes(StandardCharsets.UTF_8), version, io.kshaka.core.RequestLog.EMPTY,
                expiresAt)));
      }
    }

    /** Keys expired ({@code Change.Expire}), in order. */
    final List<String> expires = new ArrayList<>();

    @Override
    public Future<List<String>> localExpired(long expiredBefore, int max) {
      List<String> out = new ArrayList<>();
      acceptors.get(self).forEach((k, s) -> {
        if (s.state().expiring() && s.state().expiresAt() <= expiredBefore && out.size() < max) out.add(k);
      });
      return Future.succeededFuture(out);
    }

    @Override
    public Future<JsonObject> expire(String key) {
      expires.add(key);
      return propose(key, Change.Expire.INSTANCE);
    }

    @Override
    public int nodeId() {
      return self;
    }

    @Override
    public ClusterConfig installed() {
      return installed;
    }

    @Override
    public boolean suspect(int node) {
      return suspected.contains(node);
    }

    @Override
    public long wallMillis() {
      return wall;
    }

    @Override
    public long monoMillis() {
      return mono;
    }

    @Override
    public Future<ConfigRegister.Snapshot> read() {
      return Future.succeededFuture(new ConfigRegister.Snapshot(registerVersion, register));
    }

    @Override
    public Future<ConfigRegister.Snapshot> compareAndSet(long expectedVersion, ConfigRegister.Value next) {
      if (expectedVersion != registerVersion) return Future.failedFuture("version is " + registerVersion);
      registerVersion++;
      register = next;
      return read();
    }

    @Override
    public Future<List<String>> localTombstones() {
      List<String> out = new ArrayList<>();
      acceptors.get(self).forEach((k, s) -> {
        if (!s.state().present()) out.add(k);
      });
      return Future.succeededFuture(out);
    }

    @Override
    public Future<JsonObject> touch(String key) {
      return propose(key, Change.Touch.INSTANCE);
    }

    @Override
    public Future<JsonObject> forget(String key) {
      forgets.add(key);
      return propose(key, Change.Forget.INSTANCE);
    }

    /** A forced-accept round on every acceptor up: the highest accepted state, changed, at a new ballot. */
    private Future<JsonObject> propose(String key, Change change) {
      touched.add(key);
      AcceptorState best = AcceptorState.INITIAL;
      for (int n : acceptors.keySet()) {
        if (down.contains(n)) continue;
        AcceptorState s = acceptors.get(n).getOrDefault(key, AcceptorState.INITIAL);
        if (s.accepted().isAbove(best.accepted())) best = s;
      }
      RegisterState next = change.apply(best.state(), wall).state();
      Ballot b = new Ballot(++counter, self);
      for (int n : acceptors.keySet()) {
        if (!down.contains(n)) acceptors.get(n).put(key, new AcceptorState(b.successor(), b, next));
      }
      JsonObject reply = new JsonObject().put("version", next.version());
      if (next.present()) reply.put("value", "x");
      return Future.succeededFuture(reply);
    }

    @Override
    public Future<List<Peeked>> peek(int acceptor, List<String> keys) {
      if (down.contains(acceptor)) return Future.failedFuture("acceptor " + acceptor + " timed out");
      List<Peeked> out = new ArrayList<>();
      for (String k : keys) {
        AcceptorState s = acceptors.get(acceptor).getOrDefault(k, AcceptorState.INITIAL);
        out.add(new Peeked(k, s.promised(), s.accepted(), s.state().version(), s.state().present()));
      }
      if (acceptor == 3) { // the last peek of a batch
        afterPeek.run();
        afterPeek = () -> {};
      }
      return Future.succeededFuture(out);
    }

    @Override
    public Future<Boolean> remove(int acceptor, String key, Ballot bt, long epoch) {
      if (down.contains(acceptor)) return Future.failedFuture("acceptor " + acceptor + " timed out");
      if (epoch < epochs.get(acceptor)) return Future.failedFuture("stale epoch");
      removes++;
      AcceptorState s = acceptors.get(acceptor).get(key);
      if (s == null) return Future.succeededFuture(true);
      boolean collectable = Acceptor.collectable(s, bt); // exactly EMPTY at bt, no promise above its successor
      if (collectable) acceptors.get(acceptor).remove(key);
      return Future.succeededFuture(collectable);
    }

    @Override
    public Future<Set<Integer>> pushAll(ClusterConfig config, long timeoutMs) {
      Set<Integer> persisted = new HashSet<>();
      for (int n : config.members()) {
        if (down.contains(n) || missPush.contains(n)) continue;
        epochs.put(n, Math.max(epochs.get(n), config.epoch()));
        persisted.add(n);
      }
      if (persisted.contains(self)) installed = config;
      return Future.succeededFuture(persisted);
    }

    boolean heldAnywhere(String key) {
      return acceptors.values().stream().anyMatch(a -> a.containsKey(key));
    }
  }

  private static Run run(GcJob job) {
    Future<Run> f = job.runOnce();
    assertTrue(f.isComplete(), "the fake completes every future at once");
    return f.result();
  }

  @Test
  void tombstonesLeaveEveryAcceptorOnceAgedUnderAFencedEpoch() {
    FakeCluster c = new FakeCluster(1);
    c.tombstone("a", 2);
    c.tombstone("b", 1);
    c.put("live", "v", 1, 1, 2, 3);
    GcJob job = new GcJob(OPTIONS, 1 << 20, c);
    assertEquals(Outcome.IDLE, run(job).outcome(), "first seen now: not aged yet");
    c.mono += 4_999;
    assertEquals(Outcome.IDLE, run(job).outcome());
    c.mono += 1;
    assertEquals(new Run(Outcome.COLLECTED, 2), run(job));
    assertEquals(List.of("a", "b"), c.forgets, "each tombstone is forgotten (Change.Forget) before removal");
    assertFalse(c.heldAnywhere("a") || c.heldAnywhere("b"));
    assertTrue(c.heldAnywhere("live"));
    assertNull(c.register.gc());
    ClusterConfig fenced = c.register.config();
    assertEquals(2, fenced.epoch());
    assertEquals(c.counter, fenced.ballotFloor(), "the floor is the highest forget's ballot");
    assertEquals(c.wall - OPTIONS.tombstoneAgeMs(), fenced.forgottenBefore());
    assertEquals(Map.of(1, 2L, 2, 2L, 3, 2L), c.epochs, "every node persisted the fence before any removal");
    assertEquals(2, job.collected());
    assertEquals(1, job.batches());
    assertEquals(0, job.backlog());
  }

  @Test
  void aValueExpiredForTheAgeBecomesATombstoneAndIsThenCollected() {
    FakeCluster c = new FakeCluster(1);
    c.putExpiring("lease", "holder", 3, c.wall + 2_000, 1, 2, 3);
    c.putExpiring("refreshed", "holder", 4, c.wall + 2_000, 1); // acceptor 1 missed the refresh below
    c.putExpiring("refreshed", "holder", 5, c.wall + 600_000, 2, 3);
    c.put("plain", "v", 1, 1, 2, 3);
    GcJob job = new GcJob(OPTIONS, 1 << 20, c);
    assertEquals(Outcome.IDLE, run(job).outcome());
    c.wall += 2_000 + OPTIONS.tombstoneAgeMs() - 1;
    run(job);
    assertEquals(List.of(), c.expires, "expired, but not for the age yet");
    c.wall += 1;
    assertEquals(Outcome.IDLE, run(job).outcome(), "now a tombstone, first seen now");
    assertEquals(List.of("lease", "refreshed"), c.expires);
    RegisterState tomb = c.acceptors.get(2).get("lease").state();
    assertFalse(tomb.present());
    assertEquals(4, tomb.version(), "deleted by a change: one version up");
    assertTrue(c.acceptors.get(2).get("refreshed").state().present(), "a refreshed value is left alone");
    assertEquals(1, job.expired());
    c.mono += OPTIONS.tombstoneAgeMs();
    assertEquals(new Run(Outcome.COLLECTED, 1), run(job));
    assertFalse(c.heldAnywhere("lease"));
    assertTrue(c.heldAnywhere("refreshed") && c.heldAnywhere("plain"));
  }

  @Test
  void anAcceptorThatDoesNotAnswerPostponesTheWholeBatch() {
    FakeCluster c = new FakeCluster(1);
    c.tombstone("a", 2);
    GcJob job = new GcJob(OPTIONS, 1 << 20, c);
    run(job);
    c.mono += 10_000;
    c.down.add(3);
    assertEquals(Outcome.POSTPONED, run(job).outcome());
    assertEquals(0, c.registerVersion, "nothing decided");
    assertEquals(0, c.removes);
    assertTrue(c.acceptors.get(1).containsKey("a") && c.acceptors.get(2).containsKey("a"));
    c.down.clear();
    c.suspected.add(3);
    int touches = c.touched.size();
    assertEquals(Outcome.POSTPONED, run(job).outcome());
    assertEquals(touches, c.touched.size(), "a suspected acceptor postpones before any touch");
    c.suspected.clear();
    assertEquals(new Run(Outcome.COLLECTED, 1), run(job));
    assertFalse(c.heldAnywhere("a"));
  }

  @Test
  void aRunningMembershipChangeMakesGcWait() {
    FakeCluster c = new FakeCluster(1);
    c.tombstone("a", 2);
    c.register = c.register.withChange(new JsonObject().put("state", "running"));
    c.registerVersion = 3;
    GcJob job = new GcJob(OPTIONS, 1 << 20, c);
    run(job);
    c.mono += 10_000;
    assertEquals(Outcome.CHANGE_RUNNING, run(job).outcome());
    assertTrue(c.touched.isEmpty());
    assertEquals(3, c.registerVersion);
    c.register = c.register.withChange(new JsonObject().put("state", "done"));
    assertEquals(new Run(Outcome.COLLECTED, 1), run(job));
  }

  @Test
  void aPendingBatchIsResumedWithoutTouchingAgain() {
    FakeCluster c = new FakeCluster(1);
    c.tombstone("a", 2);
    c.tombstone("b", 4);
    GcJob job = new GcJob(OPTIONS, 1 << 20, c);
    run(job);
    c.mono += 10_000;
    c.missPush.add(3);
    assertEquals(Outcome.PUSH_INCOMPLETE, run(job).outcome());
    assertNotNull(c.register.gc(), "the batch stays pending in the register");
    assertEquals(0, c.removes, "no removal before every node holds the fence");
    assertTrue(c.heldAnywhere("a"));
    // another node (a new leader after a restart) finds the pending batch and finishes it
    c.missPush.clear();
    int touches = c.touched.size();
    GcJob other = new GcJob(OPTIONS, 1 << 20, c);
    assertEquals(new Run(Outcome.COLLECTED, 2), run(other));
    assertEquals(touches, c.touched.size());
    assertFalse(c.heldAnywhere("a") || c.heldAnywhere("b"));
    assertNull(c.register.gc());
  }

  @Test
  void aKeyWrittenAfterItsTouchIsNeverRemovedWhereTheWriteLanded() {
    FakeCluster c = new FakeCluster(1);
    c.tombstone("a", 2);
    c.tombstone("b", 2);
    GcJob job = new GcJob(OPTIONS, 1 << 20, c);
    run(job);
    c.mono += 10_000;
    // between the peek and the removals, a client puts "a" on acceptors 1 and 2 (an accept quorum)
    c.afterPeek = () -> c.put("a", "new", 3, 1, 2);
    Run r = run(job);
    assertEquals(new Run(Outcome.COLLECTED, 1), r, "only b left every acceptor");
    assertTrue(c.acceptors.get(1).get("a").state().present());
    assertTrue(c.acceptors.get(2).get("a").state().present());
    assertFalse(c.heldAnywhere("b"));
    // the next batch finds "a" live: it touches it and leaves it
    Run next = run(job);
    assertTrue(next.outcome() == Outcome.IDLE || next.outcome() == Outcome.NOTHING_AGREED, next.toString());
    assertTrue(c.acceptors.get(1).get("a").state().present());
  }

  @Test
  void aKeyARoundPromisedDuringTheBatchIsTouchedAgainUntilItLeavesEveryAcceptor() {
    FakeCluster c = new FakeCluster(1);
    c.tombstone("a", 2);
    GcJob job = new GcJob(OPTIONS, 1 << 20, c);
    run(job);
    c.mono += 10_000;
    // a read prepares "a" on acceptor 3 after the peek: acceptor 3 must keep it, the others remove it
    c.afterPeek = () -> {
      AcceptorState s = c.acceptors.get(3).get("a");
      c.acceptors.get(3).put("a", new AcceptorState(new Ballot(c.counter + 10, 2), s.accepted(), s.state()));
    };
    assertEquals(new Run(Outcome.COLLECTED, 0), run(job));
    assertTrue(c.acceptors.get(3).containsKey("a"));
    assertFalse(c.acceptors.get(1).containsKey("a"));
    assertEquals(1, job.backlog(), "the straggler is remembered");
    c.counter += 20;
    assertEquals(new Run(Outcome.COLLECTED, 1), run(job), "touched again at once, without another age");
    assertFalse(c.heldAnywhere("a"));
  }

  @Test
  void aRemovalThatDidNotReachEveryAcceptorLeavesEmptyWhereItDidNot() {
    FakeCluster c = new FakeCluster(1);
    c.tombstone("a", 5);
    GcJob job = new GcJob(OPTIONS, 1 << 20, c);
    run(job);
    c.mono += 10_000;
    c.afterPeek = () -> { // a read's prepare on acceptor 2 after the peek: acceptor 2 keeps the key
      AcceptorState s = c.acceptors.get(2).get("a");
      c.acceptors.get(2).put("a", new AcceptorState(new Ballot(c.counter + 10, 3), s.accepted(), s.state()));
    };
    assertEquals(new Run(Outcome.COLLECTED, 0), run(job));
    assertEquals(RegisterState.EMPTY, c.acceptors.get(2).get("a").state(),
        "what is left tells (absent, 0), the same as the acceptors that removed it: never the tombstone's v5");
    assertFalse(c.acceptors.get(1).containsKey("a") || c.acceptors.get(3).containsKey("a"));
  }

  @Test
  void emptyEntriesLeftByReadsOfAbsentKeysAreCollectedToo() {
    FakeCluster c = new FakeCluster(1);
    Ballot b = new Ballot(++c.counter, 2);
    for (int n : List.of(1, 2)) c.acceptors.get(n).put("e", new AcceptorState(b.successor(), b, RegisterState.EMPTY));
    c.acceptors.get(3).put("p", new AcceptorState(b, Ballot.ZERO, RegisterState.EMPTY)); // promised only
    c.acceptors.get(1).put("p", new AcceptorState(b, Ballot.ZERO, RegisterState.EMPTY));
    GcJob job = new GcJob(OPTIONS, 1 << 20, c);
    assertEquals(Outcome.IDLE, run(job).outcome(), "not aged yet");
    c.mono += 10_000;
    assertEquals(new Run(Outcome.COLLECTED, 2), run(job));
    assertFalse(c.heldAnywhere("e") || c.heldAnywhere("p"));
  }

  @Test
  void reservedKeysAreNeverCollected() {
    FakeCluster c = new FakeCluster(1);
    c.tombstone(ConfigRegister.KEY, 3);
    c.tombstone("\u0000kshaka/membership", 1);
    GcJob job = new GcJob(OPTIONS, 1 << 20, c);
    run(job);
    c.mono += 60_000;
    assertEquals(Outcome.IDLE, run(job).outcome());
    assertTrue(c.touched.isEmpty());
    assertTrue(c.acceptors.get(2).containsKey(ConfigRegister.KEY));
  }

  @Test
  void onlyTheLowestAcceptorNotSuspectedLeads() {
    FakeCluster c = new FakeCluster(2);
    c.tombstone("a", 2);
    GcJob job = new GcJob(OPTIONS, 1 << 20, c);
    run(job);
    c.mono += 10_000;
    assertEquals(Outcome.NOT_LEADER, run(job).outcome());
    assertTrue(c.touched.isEmpty());
    c.suspected.add(1);
    assertEquals(Outcome.POSTPONED, run(job).outcome(), "node 2 leads, but a down acceptor postpones");
    c.installed = ClusterConfig.bootstrap("c1", QuorumSpec.majority(List.of(1, 3)));
    assertEquals(Outcome.NOT_MEMBER, run(job).outcome());
  }

  @Test
  void aNonLeaderTouchesAgedTombstonesTheLeadersAcceptorMissed() {
    FakeCluster c = new FakeCluster(2);
    c.put("a", "old", 1, 1, 2, 3);
    c.tombstone("a", 2, 2, 3); // acceptor 1 (the leader's) missed the delete: it still holds the old value
    c.tombstone("b", 2);
    c.tombstone("c", 2, 2, 3); // acceptor 1 holds nothing of "c" (it was down for all its writes)
    c.register = c.register.withGc(new JsonObject().put("epoch", 2).put("keys", new io.vertx.core.json.JsonArray()));
    GcJob job = new GcJob(OPTIONS, 1 << 20, c);
    run(job);
    c.mono += OPTIONS.tombstoneAgeMs() + 2 * OPTIONS.intervalMs();
    assertEquals(Outcome.NOT_LEADER, run(job).outcome());
    assertTrue(c.touched.isEmpty(), "nothing while a batch is pending: the leader may be collecting these keys");
    c.register = c.register.withGc(null);
    c.mono += OPTIONS.tombstoneAgeMs() + 2 * OPTIONS.intervalMs();
    assertEquals(Outcome.NOT_LEADER, run(job).outcome());
    assertEquals(List.of("a", "c"), c.touched, "the keys the leader's acceptor missed, not \"b\" it holds");
    AcceptorState leaders = c.acceptors.get(1).get("a");
    assertFalse(leaders.state().present(), "the touch brought the tombstone to the leader's acceptor");
  }

  @Test
  void aBatchNeverRecordsMoreKeyBytesThanHalfTheRegisterMayHold() {
    FakeCluster c = new FakeCluster(1);
    String pad = "k".repeat(200);
    for (int i = 0; i < 20; i++) c.tombstone(pad + i, 1);
    GcJob job = new GcJob(OPTIONS, 4_000, c); // 2,000 bytes: 3 keys of about 500 bytes per batch
    run(job);
    c.mono += 10_000;
    Run first = run(job);
    assertEquals(Outcome.COLLECTED, first.outcome());
    assertTrue(first.keys() >= 1 && first.keys() * GcJob.entryBytes(pad + 10) <= 2_000, first.toString());
    for (int i = 0; i < 20 && job.collected() < 20; i++) run(job);
    assertEquals(20, job.collected());
  }

  @Test
  void boundedMapKeepsAtMostTheGivenNumberInFlight() {
    List<io.vertx.core.Promise<Integer>> pending = new ArrayList<>();
    Future<List<Integer>> all = GcJob.Bounded.map(List.of(1, 2, 3, 4, 5), 2, i -> {
      io.vertx.core.Promise<Integer> p = io.vertx.core.Promise.promise();
      pending.add(p);
      return p.future();
    });
    assertEquals(2, pending.size());
    pending.get(0).complete(10);
    assertEquals(3, pending.size());
    pending.get(1).fail("down");
    pending.get(2).complete(30);
    pending.get(3).complete(40);
    assertFalse(all.isComplete());
    pending.get(4).complete(50);
    assertEquals(java.util.Arrays.asList(10, null, 30, 40, 50), all.result());
  }
}
