package io.kshaka.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Negative controls: each deliberately broken variant (built in the simulator, never in production code) must be
 * caught (an invariant violation, a non-linearizable history, or a lost write) within {@link #MAX_SEEDS} seeds. If
 * a control stops being caught, the simulator has lost its teeth and this test fails.
 */
class NegativeControlTest {
  static final int MAX_SEEDS = 2_000;

  @ParameterizedTest
  @EnumSource(value = Variant.class, names = {"CORRECT", "SKIP_RESCAN", "PREPARE_BEFORE_ACCEPT", "GC_WITHOUT_FENCE",
      "GC_REMOVE_UNCONDITIONAL", "AMNESIAC_VOTES"}, mode = EnumSource.Mode.EXCLUDE)
  void brokenVariantIsCaught(Variant variant) {
    SimConfig config = SimConfig.of(3).withVariant(variant);
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
        caught.seed(), secs, firstLine(caught.failure()));
    SimResult again = Simulation.run(config, caught.seed());
    assertEquals(caught.traceHash(), again.traceHash(), "the catching seed must reproduce");
    assertEquals(DeterminismTest.withoutTimes(caught.failure()), DeterminismTest.withoutTimes(again.failure()),
        "the catching seed must reproduce");
  }

  static String firstLine(String s) {
    int nl = s.indexOf('\n');
    return nl < 0 ? s : s.substring(0, nl) + " ...";
  }
}
