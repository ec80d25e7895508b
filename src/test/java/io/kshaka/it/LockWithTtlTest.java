package io.kshaka.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kshaka.client.KshakaClient;
import io.kshaka.client.KshakaException;
import io.kshaka.client.Versioned;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The README's lock and leader election, built from create-only + TTL + refresh, on three real nodes: a holder takes
 * the lock with a create-only put with a TTL and refreshes it with a compare-and-set that keeps the value; when it
 * dies (stops refreshing) another takes it once the TTL has passed; never two holders at once. A holder counts
 * itself holder only until (when it SENT its last successful create or refresh) + TTL: the node stamps the expiry
 * at or after that instant, so nobody else can create the key before the holder has stopped counting itself holder
 * (README, "List and TTL": the clock assumption).
 */
class LockWithTtlTest {
  private static final long TTL_MS = 1_500;
  private static final long TICK_MS = 200;

  @TempDir
  static Path dir;

  static TestCluster cluster;

  @BeforeAll
  static void start() {
    cluster = TestCluster.start(dir, 3, new JsonObject().put("requestTimeoutMs", 10_000));
  }

  @AfterAll
  static void stop() {
    if (cluster != null) cluster.close();
  }

  /** The README recipe: a lease on {@code key}, taken with create-only + TTL, kept with CAS + TTL. */
  static final class TtlLock {
    final String key;
    final String me;
    final KshakaClient client;
    long version = -1;
    /** This holder's own bound: when it sent its last successful create or refresh, + TTL. */
    long validUntil;
    /** When the current holding began (its create's answer arrived). */
    long heldSince;
    boolean dead;

    TtlLock(String key, String me, KshakaClient client) {
      this.key = key;
      this.me = me;
      this.client = client;
    }

    boolean holds(long now) {
      return version >= 0 && now < validUntil;
    }

    /** One step: refresh while holding, else try to take it. Completes with true while this one holds it. */
    Future<Boolean> step() {
      long sent = System.currentTimeMillis();
      if (version >= 0) {
        return client.compareAndSet(key, version, me, TTL_MS).map(v -> {
          version = v.version();
          validUntil = sent + TTL_MS;
          return true;
        }).recover(e -> lost(e));
      }
      return client.putIfAbsent(key, me, TTL_MS).map(v -> {
        version = v.version();
        validUntil = sent + TTL_MS;
        heldSince = System.currentTimeMillis();
        return true;
      }).recover(e -> lost(e));
    }

    private Future<Boolean> lost(Throwable e) {
      if (!(e instanceof KshakaException k) || (k.status() != 412 && k.status() != 504 && k.status() != 503)) {
        return Future.failedFuture(e);
      }
      version = -1; // 412: someone else holds it (or it expired); 503/504: not sure, stop counting on it
      return Future.succeededFuture(false);
    }
  }

  /** One holding: who, from when it began until its holder's own bound ran out (or it released). */
  record Holding(String who, long from, long until) {}

  /**
   * Three contenders, one per node, step every {@value #TICK_MS} ms together. The holder dies after a random time
   * (seeded); the next holder must begin only after the dead one's bound. Ends after {@code rounds} holders.
   */
  List<Holding> contend(String key, int rounds, long seed) throws Exception {
    SplittableRandom random = new SplittableRandom(seed);
    List<TtlLock> locks = new ArrayList<>();
    for (int n = 1; n <= 3; n++) locks.add(new TtlLock(key, "node-" + n, KshakaClient.create(cluster.vertx(n))));
    List<Holding> holdings = new ArrayList<>();
    TtlLock holder = null;
    long dieAt = 0;
    long deadline = System.currentTimeMillis() + 90_000;
    while (holdings.size() < rounds) {
      assertTrue(System.currentTimeMillis() < deadline, "seed " + seed + ": only " + holdings + " in 90 s");
      long now = System.currentTimeMillis();
      if (holder != null && now >= dieAt && !holder.dead) {
        holder.dead = true; // it stops refreshing: its lease runs out on its own
        holdings.add(new Holding(holder.me, holder.heldSince, holder.validUntil));
      }
      List<Future<Boolean>> steps = new ArrayList<>();
      for (TtlLock l : locks) steps.add(l.dead ? Future.succeededFuture(false) : l.step());
      for (int i = 0; i < locks.size(); i++) {
        TtlLock l = locks.get(i);
        boolean holds = TestCluster.await(steps.get(i));
        if (!holds || l.dead) continue;
        long t = System.currentTimeMillis();
        for (TtlLock other : locks) {
          assertTrue(other == l || !other.holds(t) || other.dead,
              "seed " + seed + ": " + l.me + " and " + other.me + " both hold the lock");
        }
        if (holder != l) {
          if (holder != null) {
            assertTrue(holder.dead, "seed " + seed + ": " + l.me + " took the lock from a live holder " + holder.me);
            assertTrue(l.heldSince >= holder.validUntil, "seed " + seed + ": " + l.me + " took the lock at "
                + l.heldSince + ", before " + holder.me + "'s lease ended at " + holder.validUntil);
          }
          holder = l;
          dieAt = t + 500 + random.nextLong(1_500);
        }
      }
      Thread.sleep(TICK_MS);
      if (locks.stream().allMatch(l -> l.dead)) break;
    }
    return holdings;
  }

  @Test
  void lockHasOneHolderAtATimeAndPassesToAnotherAfterTheHolderDies() throws Exception {
    long seed = System.nanoTime();
    System.out.println("LockWithTtlTest seed " + seed);
    List<Holding> holdings = contend("locks/job-42", 3, seed);
    assertEquals(3, holdings.size(), holdings.toString());
    for (int i = 1; i < holdings.size(); i++) {
      assertNotEquals(holdings.get(i - 1).who(), holdings.get(i).who(), "a dead holder never holds again");
      assertTrue(holdings.get(i).from() >= holdings.get(i - 1).until(), "seed " + seed + ": overlap " + holdings);
    }
  }

  @Test
  void leaderElectionElectsAnotherCandidateWhenTheLeaderStopsRefreshing() throws Exception {
    String key = "election/leader";
    List<TtlLock> candidates = new ArrayList<>();
    for (int n = 1; n <= 3; n++) candidates.add(new TtlLock(key, "node-" + n, KshakaClient.create(cluster.vertx(n))));
    // campaign: everyone tries; exactly one wins
    List<Future<Boolean>> campaign = new ArrayList<>();
    for (TtlLock c : candidates) campaign.add(c.step());
    List<TtlLock> won = new ArrayList<>();
    for (int i = 0; i < 3; i++) if (TestCluster.await(campaign.get(i))) won.add(candidates.get(i));
    assertEquals(1, won.size(), "one leader");
    TtlLock leader = won.get(0);
    // everyone learns the leader by reading the key
    for (int n = 1; n <= 3; n++) {
      assertEquals(leader.me, TestCluster.await(KshakaClient.create(cluster.vertx(n)).get(key)).asString());
    }
    // the leader dies: it stops refreshing; the others keep campaigning every tick until one wins
    leader.dead = true;
    TtlLock next = null;
    long deadline = System.currentTimeMillis() + 60_000;
    while (next == null) {
      assertTrue(System.currentTimeMillis() < deadline, "no new leader within 60 s");
      Thread.sleep(TICK_MS);
      for (TtlLock c : candidates) {
        if (c.dead) continue;
        if (TestCluster.await(c.step()) && next == null) next = c;
      }
    }
    assertNotEquals(leader.me, next.me);
    assertTrue(next.heldSince >= leader.validUntil, "the new leader began after the old one's lease ended");
    Versioned seen = TestCluster.await(KshakaClient.create(cluster.vertx(1)).get(key));
    assertEquals(next.me, seen.asString(), "followers read the new leader");
    assertTrue(seen.expiresAt() > 0, "the leadership key carries its expiry");
  }
}
