package io.kshaka.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Issue 9 in the simulator: membership changes (MembershipPlan steps, epochs installed on blocking sets, rescans),
 * a lost disk and its replace, and garbage collection of tombstones, interleaved with every fault and the client
 * workload; every invariant and the linearizability checker on (a collected key may read absent at version 0
 * again). Negative controls: each broken membership variant must be caught within {@link #MAX_SEEDS} seeds.
 * {@code -Dkshaka.sim.seeds=N} runs a longer campaign, {@code -Dkshaka.sim.seed=S} one seed.
 */
class MembershipSimulationTest {
  static final int CI_SEEDS = Integer.getInteger("kshaka.sim.membershipSeeds", 600);
  static final int MAX_SEEDS = 1_000;

  @Test
  void membershipChangesLostDisksAndGcStayLinearizableWithThreeAcceptors() {
    campaign(SimConfig.membership(3));
  }

  @Test
  void membershipChangesLostDisksAndGcStayLinearizableWithFiveAcceptors() {
    campaign(SimConfig.membership(5));
  }

  static void campaign(SimConfig config) {
    SimRunner.Campaign c = SimRunner.campaign(config, SimRunner.seeds(CI_SEEDS), System.out::println);
    System.out.println(c.summary());
    assertTrue(c.failures.isEmpty(), () -> c.failures.size() + " failing seeds, first: seed "
        + c.failures.get(0).seed() + ": " + c.failures.get(0).failure());
    if (!SimRunner.singleSeed()) {
      assertTrue(c.stats.membershipSteps > 0 && c.stats.rescans > 0 && c.stats.gcKeys > 0 && c.stats.wipes > 0,
          () -> "the campaign must exercise every part: " + c.stats.membership());
    }
  }

  @ParameterizedTest
  @EnumSource(value = Variant.class, names = {"SKIP_RESCAN", "PREPARE_BEFORE_ACCEPT", "GC_WITHOUT_FENCE",
      "GC_REMOVE_UNCONDITIONAL", "AMNESIAC_VOTES"})
  void brokenMembershipVariantIsCaught(Variant variant) {
    SimConfig config = SimConfig.membership(3).withVariant(variant);
    long base = Long.getLong("kshaka.sim.base", 0L);
    long t0 = System.nanoTime();
    SimResult caught = null;
    int tried = 0;
    for (long seed = base; seed < base + MAX_SEEDS; seed++) {
      tried++;
      SimResult r = Simulation.run(config, seed);
      if (!r.ok()) {
        caught = r;
        break;
      }
    }
    double secs = (System.nanoTime() - t0) / 1e9;
    assertNotNull(caught, variant + " was not caught within " + MAX_SEEDS + " seeds");
    System.out.printf("negative control %s: caught after %d seed(s) (seed %d, %.1f s): %s%n", variant, tried,
        caught.seed(), secs, NegativeControlTest.firstLine(caught.failure()));
    SimResult again = Simulation.run(config, caught.seed());
    assertEquals(caught.traceHash(), again.traceHash(), "the catching seed must reproduce");
  }
}
