package io.kshaka.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** the protocol rules (README, "How it works"): ballots ordered by counter, then nodeId; ZERO below every real ballot; one compareTo. */
class BallotTest {
  /** Every ballot with counter 0..4 and nodeId 0..3 (ZERO included). */
  private static List<Ballot> small() {
    List<Ballot> all = new ArrayList<>();
    for (long c = 0; c <= 4; c++) {
      for (int n = 0; n <= 3; n++) all.add(new Ballot(c, n));
    }
    return all;
  }

  private static int expectedOrder(Ballot a, Ballot b) {
    if (a.counter() != b.counter()) return a.counter() < b.counter() ? -1 : 1;
    return Integer.compare(a.nodeId(), b.nodeId());
  }

  @Test
  void orderIsByCounterThenNodeId() {
    for (Ballot a : small()) {
      for (Ballot b : small()) {
        assertEquals(expectedOrder(a, b), Integer.signum(a.compareTo(b)), a + " vs " + b);
        assertEquals(a.compareTo(b) > 0, a.isAbove(b), a + " isAbove " + b);
        assertEquals(a.compareTo(b) < 0, a.isBelow(b), a + " isBelow " + b);
      }
    }
  }

  @Test
  void orderIsTotalAndAntisymmetric() {
    for (Ballot a : small()) {
      for (Ballot b : small()) {
        int ab = Integer.signum(a.compareTo(b));
        int ba = Integer.signum(b.compareTo(a));
        assertEquals(-ab, ba, "antisymmetry " + a + " " + b);
        // totality: exactly one of a<b, a=b, a>b
        int holds = (a.isBelow(b) ? 1 : 0) + (a.compareTo(b) == 0 ? 1 : 0) + (a.isAbove(b) ? 1 : 0);
        assertEquals(1, holds, "trichotomy " + a + " " + b);
      }
    }
  }

  @Test
  void orderIsTransitive() {
    List<Ballot> all = small();
    for (Ballot a : all) {
      for (Ballot b : all) {
        for (Ballot c : all) {
          if (a.compareTo(b) <= 0 && b.compareTo(c) <= 0) {
            assertTrue(a.compareTo(c) <= 0, a + " <= " + b + " <= " + c);
          }
          if (a.isBelow(b) && b.isBelow(c)) assertTrue(a.isBelow(c), a + " < " + b + " < " + c);
        }
      }
    }
  }

  @Test
  void orderIsConsistentWithEquals() {
    for (Ballot a : small()) {
      for (Ballot b : small()) {
        assertEquals(a.compareTo(b) == 0, a.equals(b), a + " vs " + b);
        if (a.equals(b)) assertEquals(a.hashCode(), b.hashCode());
      }
      Ballot copy = new Ballot(a.counter(), a.nodeId());
      assertEquals(0, a.compareTo(copy));
      assertEquals(a, copy);
    }
  }

  @Test
  void zeroIsBelowEveryRealBallot() {
    assertEquals(new Ballot(0, 0), Ballot.ZERO);
    for (Ballot b : small()) {
      if (b.equals(Ballot.ZERO)) continue;
      assertTrue(Ballot.ZERO.isBelow(b), "ZERO below " + b);
      assertTrue(b.isAbove(Ballot.ZERO), b + " above ZERO");
    }
  }

  @Test
  void successorIsAboveAndKeepsNodeId() {
    for (Ballot b : small()) {
      Ballot s = b.successor();
      assertTrue(s.isAbove(b), s + " above " + b);
      assertEquals(b.counter() + 1, s.counter());
      assertEquals(b.nodeId(), s.nodeId());
      // above every ballot of b's counter, whatever the node
      for (int n = 0; n <= 3; n++) assertTrue(s.isAbove(new Ballot(b.counter(), n)));
    }
  }

  @Test
  void maxPicksTheHigherBallot() {
    for (Ballot a : small()) {
      for (Ballot b : small()) {
        Ballot m = Ballot.max(a, b);
        assertFalse(m.isBelow(a));
        assertFalse(m.isBelow(b));
        assertTrue(m == a || m == b);
      }
      assertSame(a, Ballot.max(a, a));
    }
  }

  @Test
  void ballotRejectsNegativeCounter() {
    assertThrows(IllegalArgumentException.class, () -> new Ballot(-1, 1));
  }

  @Test
  void differentNodesWithTheSameCounterAreDifferentBallots() {
    assertNotEquals(new Ballot(3, 1), new Ballot(3, 2));
    assertTrue(new Ballot(3, 2).isAbove(new Ballot(3, 1)));
    assertTrue(new Ballot(4, 0).isAbove(new Ballot(3, Integer.MAX_VALUE)));
  }
}
