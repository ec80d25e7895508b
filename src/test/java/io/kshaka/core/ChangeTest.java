package io.kshaka.core;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kshaka.core.ChangeResult.Status;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** the protocol rules (README, "How it works"): a read changes nothing; every change that applies adds exactly 1 to the version. */
class ChangeTest {
  private static final RegisterState ABSENT = RegisterState.EMPTY;
  private static final RegisterState TOMBSTONE = RegisterState.of(null, 4);
  private static final RegisterState PRESENT = RegisterState.of("hello", 7);

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  private static void assertApplied(ChangeResult r, RegisterState before, String value) {
    assertEquals(Status.OK, r.status());
    assertEquals(before.version() + 1, r.state().version(), "version +1 exactly");
    assertEquals(RegisterState.of(value, before.version() + 1), r.state());
  }

  private static void assertUnchanged(ChangeResult r, RegisterState before, Status status) {
    assertEquals(status, r.status());
    assertEquals(before, r.state());
  }

  @Test
  void readChangesNothing() {
    for (RegisterState s : List.of(ABSENT, TOMBSTONE, PRESENT)) {
      ChangeResult r = Change.Read.INSTANCE.apply(s);
      assertUnchanged(r, s, Status.OK);
      assertSame(s, r.state());
    }
    assertTrue(Change.Read.INSTANCE.readOnly());
  }

  @Test
  void writesAreNotReadOnly() {
    for (Change c : List.of(new Change.Put(bytes("x")), new Change.CompareAndSet(1, bytes("x")),
        new Change.PutIfAbsent(bytes("x")), Change.Delete.UNCONDITIONAL, new Change.Add(1),
        new Change.Custom(v -> v))) {
      assertFalse(c.readOnly(), c.toString());
    }
  }

  @Test
  void putWritesAndBumpsTheVersionByOne() {
    for (RegisterState s : List.of(ABSENT, TOMBSTONE, PRESENT)) {
      assertApplied(new Change.Put(bytes("new")).apply(s), s, "new");
    }
  }

  @Test
  void compareAndSetWritesOnlyOnMatchingVersion() {
    assertApplied(new Change.CompareAndSet(7, bytes("new")).apply(PRESENT), PRESENT, "new");
    assertApplied(new Change.CompareAndSet(0, bytes("new")).apply(ABSENT), ABSENT, "new");
    assertApplied(new Change.CompareAndSet(4, bytes("new")).apply(TOMBSTONE), TOMBSTONE, "new");
  }

  @Test
  void compareAndSetMismatchChangesNothing() {
    for (long v : new long[] {0, 6, 8, -1}) {
      assertUnchanged(new Change.CompareAndSet(v, bytes("new")).apply(PRESENT), PRESENT, Status.VERSION_MISMATCH);
    }
    assertUnchanged(new Change.CompareAndSet(1, bytes("new")).apply(ABSENT), ABSENT, Status.VERSION_MISMATCH);
  }

  @Test
  void putIfAbsentWritesOnAbsentIncludingTombstone() {
    assertApplied(new Change.PutIfAbsent(bytes("new")).apply(ABSENT), ABSENT, "new");
    assertApplied(new Change.PutIfAbsent(bytes("new")).apply(TOMBSTONE), TOMBSTONE, "new");
  }

  @Test
  void putIfAbsentOnPresentIsAVersionMismatch() {
    assertUnchanged(new Change.PutIfAbsent(bytes("new")).apply(PRESENT), PRESENT, Status.VERSION_MISMATCH);
  }

  @Test
  void deleteOnPresentLeavesTombstoneAtNextVersion() {
    ChangeResult r = Change.Delete.UNCONDITIONAL.apply(PRESENT);
    assertApplied(r, PRESENT, null);
    assertFalse(r.state().present());
    assertEquals(8, r.state().version());
  }

  @Test
  void deleteOnAbsentChangesNothing() {
    assertUnchanged(Change.Delete.UNCONDITIONAL.apply(ABSENT), ABSENT, Status.OK);
    assertUnchanged(Change.Delete.UNCONDITIONAL.apply(TOMBSTONE), TOMBSTONE, Status.OK);
  }

  @Test
  void conditionalDeleteHonoursTheVersion() {
    assertApplied(new Change.Delete(7L).apply(PRESENT), PRESENT, null);
    assertUnchanged(new Change.Delete(6L).apply(PRESENT), PRESENT, Status.VERSION_MISMATCH);
    assertUnchanged(new Change.Delete(0L).apply(TOMBSTONE), TOMBSTONE, Status.VERSION_MISMATCH);
    assertUnchanged(new Change.Delete(4L).apply(TOMBSTONE), TOMBSTONE, Status.OK);
  }

  @Test
  void addCountsAbsentAsZero() {
    assertApplied(new Change.Add(5).apply(ABSENT), ABSENT, "5");
    assertApplied(new Change.Add(5).apply(TOMBSTONE), TOMBSTONE, "5");
    assertApplied(new Change.Add(0).apply(ABSENT), ABSENT, "0");
  }

  @Test
  void addHandlesNegativeDeltas() {
    RegisterState ten = RegisterState.of("10", 3);
    assertApplied(new Change.Add(-15).apply(ten), ten, "-5");
    RegisterState minus = RegisterState.of("-5", 4);
    assertApplied(new Change.Add(-1).apply(minus), minus, "-6");
    assertApplied(new Change.Add(Long.MIN_VALUE).apply(ABSENT), ABSENT, Long.toString(Long.MIN_VALUE));
  }

  @Test
  void addRefusesNonIntegerValues() {
    for (String bad : List.of("hello", "1.5", "", " 1", "1e3", "99999999999999999999")) {
      RegisterState s = RegisterState.of(bad, 2);
      ChangeResult r = new Change.Add(1).apply(s);
      assertUnchanged(r, s, Status.NOT_INTEGER);
      assertNotNull(r.message());
    }
  }

  @Test
  void addRefusesOverflow() {
    RegisterState max = RegisterState.of(Long.toString(Long.MAX_VALUE), 2);
    assertUnchanged(new Change.Add(1).apply(max), max, Status.NOT_INTEGER);
    RegisterState min = RegisterState.of(Long.toString(Long.MIN_VALUE), 2);
    assertUnchanged(new Change.Add(-1).apply(min), min, Status.NOT_INTEGER);
    assertApplied(new Change.Add(0).apply(max), max, Long.toString(Long.MAX_VALUE));
  }

  @Test
  void customAppliesTheFunction() {
    Change.Custom upper = new Change.Custom(v -> v == null ? bytes("none") : new String(v, StandardCharsets.UTF_8)
        .toUpperCase().getBytes(StandardCharsets.UTF_8));
    assertApplied(upper.apply(PRESENT), PRESENT, "HELLO");
    assertApplied(upper.apply(ABSENT), ABSENT, "none");
  }

  @Test
  void customSeesNullForAbsent() {
    byte[][] seen = new byte[1][];
    boolean[] called = {false};
    new Change.Custom(v -> {
      called[0] = true;
      seen[0] = v;
      return v;
    }).apply(TOMBSTONE);
    assertTrue(called[0]);
    assertNull(seen[0]);
    new Change.Custom(v -> {
      seen[0] = v;
      return v;
    }).apply(PRESENT);
    assertArrayEquals(bytes("hello"), seen[0]);
  }

  @Test
  void customReturningNullOnAbsentChangesNothing() {
    assertUnchanged(new Change.Custom(v -> null).apply(ABSENT), ABSENT, Status.OK);
    assertUnchanged(new Change.Custom(v -> null).apply(TOMBSTONE), TOMBSTONE, Status.OK);
  }

  @Test
  void customReturningNullOnPresentDeletes() {
    assertApplied(new Change.Custom(v -> null).apply(PRESENT), PRESENT, null);
  }

  @Test
  void customThatThrowsIsRejectedAndChangesNothing() {
    ChangeResult r = new Change.Custom(v -> {
      throw new IllegalStateException("nope");
    }).apply(PRESENT);
    assertUnchanged(r, PRESENT, Status.REJECTED);
    assertEquals("nope", r.message());
  }

  @Test
  void registerStateEqualityIsByContent() {
    assertEquals(RegisterState.of("a", 1), new RegisterState(bytes("a"), 1));
    assertEquals(RegisterState.of("a", 1).hashCode(), new RegisterState(bytes("a"), 1).hashCode());
    assertFalse(RegisterState.of("a", 1).equals(RegisterState.of("a", 2)));
    assertFalse(RegisterState.of("a", 1).equals(RegisterState.of(null, 1)));
    assertFalse(RegisterState.EMPTY.present());
    assertEquals(0, RegisterState.EMPTY.version());
  }
}
