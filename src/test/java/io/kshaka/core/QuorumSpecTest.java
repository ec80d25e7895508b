package io.kshaka.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** the protocol rules (README, "How it works"): prepare and accept quorums are separate settings that must intersect. */
class QuorumSpecTest {
  private static final int UNIVERSE = 5;

  @ParameterizedTest(name = "{0} nodes -> quorum {1}")
  @CsvSource({"1,1", "2,2", "3,2", "4,3", "5,3", "6,4", "7,4"})
  void majorityQuorumIsMoreThanHalf(int n, int quorum) {
    List<Integer> nodes = new ArrayList<>();
    for (int i = 1; i <= n; i++) nodes.add(i);
    QuorumSpec spec = QuorumSpec.majority(nodes);
    assertEquals(quorum, spec.prepareQuorum());
    assertEquals(quorum, spec.acceptQuorum());
    assertEquals(Set.copyOf(nodes), spec.prepareNodes());
    assertEquals(Set.copyOf(nodes), spec.acceptNodes());
    assertEquals(Set.copyOf(nodes), spec.allNodes());
    assertEquals(n - quorum, spec.prepareTolerance());
    assertEquals(n - quorum, spec.acceptTolerance());
  }

  /**
   * For every P, A ⊆ {1..5} (non-empty) and every quorum size in range, the constructor accepts exactly when every
   * prepare quorum (a subset of P of size qp) intersects every accept quorum (a subset of A of size qa), found by
   * enumerating the subsets.
   */
  @Test
  void quorumsAreAcceptedIffEveryPrepareQuorumIntersectsEveryAcceptQuorum() {
    int accepted = 0;
    int rejected = 0;
    for (int p = 1; p < (1 << UNIVERSE); p++) {
      Set<Integer> prepareNodes = set(p);
      for (int a = 1; a < (1 << UNIVERSE); a++) {
        Set<Integer> acceptNodes = set(a);
        Set<Integer> union = set(p | a);
        for (int qp = 1; qp <= Integer.bitCount(p); qp++) {
          for (int qa = 1; qa <= Integer.bitCount(a); qa++) {
            boolean intersect = everyQuorumIntersects(p, qp, a, qa);
            boolean built;
            try {
              QuorumSpec spec = new QuorumSpec(prepareNodes, qp, acceptNodes, qa);
              assertEquals(union, spec.allNodes());
              assertEquals(Integer.bitCount(p) - qp, spec.prepareTolerance());
              assertEquals(Integer.bitCount(a) - qa, spec.acceptTolerance());
              built = true;
            } catch (IllegalArgumentException e) {
              built = false;
            }
            if (built != intersect) {
              fail("P=" + prepareNodes + " q=" + qp + " A=" + acceptNodes + " q=" + qa + ": intersect=" + intersect
                  + " but constructor " + (built ? "accepted" : "rejected"));
            }
            if (built) accepted++; else rejected++;
          }
        }
      }
    }
    // the enumeration really covered both sides
    assertEquals(true, accepted > 1000 && rejected > 1000, accepted + " accepted, " + rejected + " rejected");
  }

  @Test
  void separateSetsFromTheMembershipChangeAreAccepted() {
    // growing 3 -> 4: accept on all four with quorum 3, prepare still on the old three with quorum 2
    QuorumSpec spec = new QuorumSpec(Set.of(1, 2, 3), 2, Set.of(1, 2, 3, 4), 3);
    assertEquals(Set.of(1, 2, 3, 4), spec.allNodes());
    assertEquals(1, spec.prepareTolerance());
    assertEquals(1, spec.acceptTolerance());
    // the same with accept quorum 2 would let {1,2} promise and {3,4} accept
    assertThrows(IllegalArgumentException.class, () -> new QuorumSpec(Set.of(1, 2, 3), 2, Set.of(1, 2, 3, 4), 2));
  }

  @Test
  void invalidQuorumSizesAreRejected() {
    Set<Integer> three = Set.of(1, 2, 3);
    for (int bad : new int[] {-1, 0, 4, 5, Integer.MAX_VALUE, Integer.MIN_VALUE}) {
      assertThrows(IllegalArgumentException.class, () -> new QuorumSpec(three, bad, three, 3), "prepare " + bad);
      assertThrows(IllegalArgumentException.class, () -> new QuorumSpec(three, 3, three, bad), "accept " + bad);
    }
  }

  @Test
  void emptyNodeSetsAreRejected() {
    assertThrows(IllegalArgumentException.class, () -> new QuorumSpec(Set.of(), 1, Set.of(1), 1));
    assertThrows(IllegalArgumentException.class, () -> new QuorumSpec(Set.of(1), 1, Set.of(), 1));
    assertThrows(IllegalArgumentException.class, () -> new QuorumSpec(Set.of(), 0, Set.of(), 0));
  }

  @Test
  void specDoesNotAliasTheCallersSets() {
    TreeSet<Integer> nodes = new TreeSet<>(Set.of(1, 2, 3));
    QuorumSpec spec = new QuorumSpec(nodes, 2, nodes, 2);
    nodes.add(4);
    assertEquals(Set.of(1, 2, 3), spec.prepareNodes());
    assertEquals(Set.of(1, 2, 3), spec.acceptNodes());
  }

  private static boolean everyQuorumIntersects(int p, int qp, int a, int qa) {
    for (int sp = p; sp != 0; sp = (sp - 1) & p) {
      if (Integer.bitCount(sp) != qp) continue;
      for (int sa = a; sa != 0; sa = (sa - 1) & a) {
        if (Integer.bitCount(sa) == qa && (sp & sa) == 0) return false;
      }
    }
    return true;
  }

  private static Set<Integer> set(int mask) {
    Set<Integer> s = new TreeSet<>();
    for (int i = 0; i < UNIVERSE; i++) if ((mask & (1 << i)) != 0) s.add(i + 1);
    return s;
  }
}
