package io.kshaka.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/**
 * The read optimisation (no accept phase when the promises already show the state chosen) and 1-RTT (no prepare
 * while the previous accept's promise of the next ballot holds) are on by default in the core; the campaigns run
 * with both. Here: both are really exercised and the checker still passes, and a slice with 1-RTT off passes too.
 */
class OptimisationsTest {
  static final int SEEDS = 300;

  @Test
  void readOptimisationAndOneRttKeepHistoriesLinearizable() {
    SimRunner.Campaign c = SimRunner.campaign(SimConfig.of(3), SimRunner.seeds(SEEDS), System.out::println);
    System.out.println(c.summary());
    assertTrue(c.failures.isEmpty(), () -> "seed " + c.failures.get(0).seed() + ": " + c.failures.get(0).failure());
    assertTrue(c.stats.completedWithoutAccept > 0, "no change completed without an accept phase");
    assertTrue(c.stats.completedWithoutPrepare > 0, "no change completed by a 1-RTT round");
  }

  @Test
  void withoutOneRttHistoriesStayLinearizable() {
    for (int acceptors : new int[] {3, 5}) {
      SimConfig config = SimConfig.of(acceptors).withOneRtt(false);
      SimRunner.Campaign c = SimRunner.campaign(config, SimRunner.seeds(SEEDS / 2), System.out::println);
      System.out.println(c.summary());
      assertTrue(c.failures.isEmpty(), () -> "seed " + c.failures.get(0).seed() + ": " + c.failures.get(0).failure());
      assertEquals(0, c.stats.completedWithoutPrepare, "a round skipped prepare with 1-RTT off");
      assertEquals(0, c.stats.unknownWithoutFaults, "a write was lost track of without any fault");
      assertTrue(c.stats.completedWithoutAccept > 0, "no change completed without an accept phase");
    }
  }
}
