package io.kshaka.sim;

import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/**
 * The CI campaign: the real core under faults, with 3 and 5 acceptors. Each run checks the invariants after every
 * step, the history with the linearizability checker, and liveness after the heal. {@code -Dkshaka.sim.seeds=N}
 * runs a longer campaign, {@code -Dkshaka.sim.seed=S} one seed.
 */
class SimulationTest {
  static final int CI_SEEDS = 2_000;

  @Test
  void threeAcceptorsStayLinearizableUnderFaults() {
    campaign(SimConfig.of(3));
  }

  @Test
  void fiveAcceptorsStayLinearizableUnderFaults() {
    campaign(SimConfig.of(5));
  }

  static void campaign(SimConfig config) {
    SimRunner.Campaign c = SimRunner.campaign(config, SimRunner.seeds(CI_SEEDS), System.out::println);
    System.out.println(c.summary());
    assertTrue(c.failures.isEmpty(), () -> c.failures.size() + " failing seeds, first: seed "
        + c.failures.get(0).seed() + ": " + c.failures.get(0).failure());
  }
}
