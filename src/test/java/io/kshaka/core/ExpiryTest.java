package io.kshaka.core;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kshaka.core.ChangeResult.Status;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * TTL (README, "List and TTL"): a write with a TTL stamps the applying proposer's clock + ttl; from that instant on
 * every change and read treats the value as absent, at its version.
 */
class ExpiryTest {
  private static final long T0 = 1_764_547_200_000L;
  /** "lease" at version 5, expiring at T0 + 10 s. */
  private static final RegisterState LEASE = new RegisterState(bytes("lease"), 5, RequestLog.EMPTY, T0 + 10_000);

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  @Test
  void valueIsLiveUntilItsExpiryAndExpiredFromIt() {
    assertTrue(LEASE.live(T0 + 9_999));
    assertFalse(LEASE.expired(T0 + 9_999));
    assertTrue(LEASE.expired(T0 + 10_000));
    assertFalse(LEASE.live(T0 + 10_000));
    assertFalse(RegisterState.of("forever", 1).expired(Long.MAX_VALUE), "no TTL: never expires");
  }

  @Test
  void readOfExpiredKeyAnswersAbsentWithItsVersion() {
    ChangeResult before = Change.Read.INSTANCE.apply(LEASE, T0 + 9_999);
    assertArrayEquals(bytes("lease"), before.state().value());
    assertEquals(T0 + 10_000, before.state().expiresAt());
    ChangeResult after = Change.Read.INSTANCE.apply(LEASE, T0 + 10_000);
    assertEquals(Status.OK, after.status());
    assertNull(after.state().value());
    assertEquals(5, after.state().version());
    assertEquals(RegisterState.NO_EXPIRY, after.state().expiresAt());
  }

  @Test
  void writeWithTtlStampsNowPlusTtl() {
    for (Change c : List.of(new Change.Put(bytes("v"), 30_000), new Change.PutIfAbsent(bytes("v"), 30_000))) {
      RegisterState s = c.apply(RegisterState.EMPTY, T0).state();
      assertEquals(1, s.version());
      assertEquals(T0 + 30_000, s.expiresAt(), c.toString());
    }
    RegisterState s = new Change.CompareAndSet(5, bytes("v"), 30_000).apply(LEASE, T0).state();
    assertEquals(T0 + 30_000, s.expiresAt());
  }

  @Test
  void writeWithoutTtlClearsTheTtl() {
    assertEquals(RegisterState.NO_EXPIRY, new Change.Put(bytes("v")).apply(LEASE, T0).state().expiresAt());
    assertEquals(RegisterState.NO_EXPIRY, new Change.CompareAndSet(5, bytes("v")).apply(LEASE, T0).state().expiresAt());
    assertEquals(RegisterState.NO_EXPIRY, new Change.Add(1).apply(RegisterState.of("1", 1), T0).state().expiresAt());
  }

  @Test
  void casThatKeepsTheValueRefreshesTheTtl() {
    ChangeResult r = new Change.CompareAndSet(5, bytes("lease"), 10_000).apply(LEASE, T0 + 5_000);
    assertEquals(Status.OK, r.status());
    assertEquals(6, r.state().version());
    assertArrayEquals(bytes("lease"), r.state().value());
    assertEquals(T0 + 15_000, r.state().expiresAt());
    assertTrue(r.state().live(T0 + 14_999));
  }

  @Test
  void casOnExpiredKeyFailsAsOnAbsent() {
    ChangeResult r = new Change.CompareAndSet(5, bytes("lease"), 10_000).apply(LEASE, T0 + 10_000);
    assertEquals(Status.VERSION_MISMATCH, r.status());
    assertNull(r.state().value(), "reported as absent");
    assertEquals(5, r.state().version());
  }

  @Test
  void createOnlyOnExpiredKeySucceedsAndOnLiveKeyFails() {
    ChangeResult live = new Change.PutIfAbsent(bytes("mine"), 10_000).apply(LEASE, T0 + 9_999);
    assertEquals(Status.VERSION_MISMATCH, live.status());
    ChangeResult expired = new Change.PutIfAbsent(bytes("mine"), 10_000).apply(LEASE, T0 + 10_000);
    assertEquals(Status.OK, expired.status());
    assertEquals(6, expired.state().version(), "the version goes on from the expired value's");
    assertArrayEquals(bytes("mine"), expired.state().value());
    assertEquals(T0 + 20_000, expired.state().expiresAt());
  }

  @Test
  void deleteOfExpiredKeyChangesNothing() {
    ChangeResult r = Change.Delete.UNCONDITIONAL.apply(LEASE, T0 + 10_000);
    assertEquals(Status.OK, r.status());
    assertEquals(5, r.state().version());
    assertNull(r.state().value());
    ChangeResult live = Change.Delete.UNCONDITIONAL.apply(LEASE, T0);
    assertEquals(6, live.state().version());
  }

  @Test
  void addAndCustomSeeAnExpiredValueAsAbsent() {
    RegisterState counter = new RegisterState(bytes("41"), 3, RequestLog.EMPTY, T0);
    assertEquals("1", new String(new Change.Add(1).apply(counter, T0).state().value(), StandardCharsets.UTF_8));
    assertEquals("42", new String(new Change.Add(1).apply(counter, T0 - 1).state().value(), StandardCharsets.UTF_8));
    byte[][] seen = new byte[1][];
    new Change.Custom(v -> {
      seen[0] = v;
      return bytes("x");
    }).apply(LEASE, T0 + 10_000);
    assertNull(seen[0]);
  }

  @Test
  void expireDeletesOnlyWhileStillExpired() {
    assertEquals(LEASE, Change.Expire.INSTANCE.apply(LEASE, T0 + 9_999).state(), "not yet expired: unchanged");
    RegisterState tomb = Change.Expire.INSTANCE.apply(LEASE, T0 + 10_000).state();
    assertNull(tomb.value());
    assertEquals(6, tomb.version(), "a tombstone, collected like any other");
    RegisterState refreshed = new Change.CompareAndSet(5, bytes("lease"), 10_000).apply(LEASE, T0 + 9_000).state();
    assertEquals(refreshed, Change.Expire.INSTANCE.apply(refreshed, T0 + 10_000).state(), "refreshed: left alone");
    RegisterState plain = RegisterState.of("plain", 2);
    assertEquals(plain, Change.Expire.INSTANCE.apply(plain, Long.MAX_VALUE).state(), "no TTL: left alone");
    assertFalse(Change.Expire.INSTANCE.readOnly());
  }

  /**
   * Random states, TTLs and times: on an expired value every change but compare-and-set answers exactly as on the
   * absent state at the same version (compare-and-set always fails), and a read never shows an expired value.
   */
  @Test
  void expiredValueBehavesAsAbsentForEveryChange() {
    long seed = System.nanoTime();
    System.out.println("ExpiryTest seed " + seed);
    SplittableRandom r = new SplittableRandom(seed);
    for (int i = 0; i < 2_000; i++) {
      long version = 1 + r.nextInt(100);
      long expiresAt = 1 + r.nextLong(1L << 42);
      RegisterState s = new RegisterState(bytes("v" + i), version, RequestLog.EMPTY, expiresAt);
      long now = r.nextBoolean() ? expiresAt + r.nextLong(1_000_000) : Math.max(0, expiresAt - 1 - r.nextLong(1_000));
      RegisterState absent = new RegisterState(null, version);
      long ttl = r.nextBoolean() ? 0 : 1_000 + r.nextLong(100_000);
      List<Change> changes = List.of(Change.Read.INSTANCE, new Change.Put(bytes("p"), ttl),
          new Change.PutIfAbsent(bytes("c"), ttl), Change.Delete.UNCONDITIONAL, new Change.Delete(version),
          new Change.Add(3), new Change.Custom(v -> v == null ? bytes("n") : null), Change.Expire.INSTANCE);
      String where = "seed " + seed + " step " + i + " state " + s + " now " + now;
      if (s.expired(now)) {
        for (Change c : changes) {
          ChangeResult onExpired = c.apply(s, now);
          ChangeResult onAbsent = c instanceof Change.Expire ? Change.Delete.UNCONDITIONAL.apply(s, 0)
              : c.apply(absent, now);
          assertEquals(onAbsent.status(), onExpired.status(), c + " " + where);
          assertEquals(onAbsent.state(), onExpired.state(), c + " " + where);
        }
        assertEquals(Status.VERSION_MISMATCH, new Change.CompareAndSet(version, bytes("x"), ttl).apply(s, now).status(),
            where);
      } else {
        assertEquals(s, Change.Read.INSTANCE.apply(s, now).state(), where);
        assertEquals(Status.OK, new Change.CompareAndSet(version, bytes("x"), ttl).apply(s, now).status(), where);
      }
    }
  }
}
