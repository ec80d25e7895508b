package io.kshaka.check;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The checker, with and without the model's search-free refutation, agrees with {@link BruteForceChecker} on random small histories, linearizable ones (from a simulated
 * register) and corrupted ones. Rerun with another seed: {@code -Dkshaka.check.seed=N}; more histories:
 * {@code -Dkshaka.check.histories=N}; larger ones: {@code -Dkshaka.check.maxops=N} (up to 16); more unknown outcomes:
 * {@code -Dkshaka.check.punknown=P}.
 */
class CrossCheckTest {

  @Test
  void searchAgreesWithBruteForceOnRandomSmallHistories() {
    long seed = Long.getLong("kshaka.check.seed", 0x5EEDC0FFEEL);
    int count = Integer.getInteger("kshaka.check.histories", 10_000);
    int maxOps = Integer.getInteger("kshaka.check.maxops", 8);
    double pUnknown = Double.parseDouble(System.getProperty("kshaka.check.punknown", "0.15"));
    System.out.println("CrossCheckTest seed=" + seed + " (rerun with -Dkshaka.check.seed=" + seed + ")");
    Random rnd = new Random(seed);
    int linearizable = 0;
    int corrupted = 0;
    int withUnknown = 0;
    long start = System.nanoTime();
    for (int h = 0; h < count; h++) {
      int n = 1 + rnd.nextInt(maxOps);
      List<String> keys = rnd.nextInt(4) == 0 ? List.of("a", "b") : List.of("a");
      int horizon = 1 + rnd.nextInt(3 * n);
      int maxLength = rnd.nextInt(2 * n + 1);
      List<Operation> history = RandomHistories.linearizable(rnd, n, keys, horizon, maxLength, pUnknown);
      boolean corrupt = rnd.nextInt(10) < 4;
      if (corrupt) {
        history = RandomHistories.corrupt(rnd, history);
        corrupted++;
      }
      if (history.stream().anyMatch(op -> op.ret() == null)) withUnknown++;
      boolean brute = BruteForceChecker.linearizable(RegisterModel.INSTANCE, history);
      CheckResult result = Checker.check(history, Duration.ofSeconds(10));
      String context = "seed " + seed + ", history #" + h + ":\n" + dump(history) + result.report();
      if (!corrupt) assertTrue(brute, "simulated history judged not linearizable by brute force; " + context);
      Verdict expected = brute ? Verdict.LINEARIZABLE : Verdict.NOT_LINEARIZABLE;
      assertEquals(expected, result.verdict(), context);
      CheckResult searched = LinearizabilityChecker.check(SEARCH_ONLY, history, Duration.ofSeconds(10));
      assertEquals(expected, searched.verdict(), "search without refute; " + context + searched.report());
      if (brute) linearizable++;
    }
    double seconds = (System.nanoTime() - start) / 1e9;
    System.out.printf(
        Locale.ROOT,
        "CrossCheckTest: %d histories (%d corrupted, %d with unknown outcomes): %d linearizable, %d not; agreed on"
            + " all in %.3f s%n",
        count,
        corrupted,
        withUnknown,
        linearizable,
        count - linearizable,
        seconds);
    assertTrue(count - linearizable > count / 5, "too few non-linearizable histories to be a test");
    assertTrue(linearizable > count / 5, "too few linearizable histories to be a test");
  }

  /** The register model without its search-free refutation, so that the search alone decides. */
  static final Model<RegisterModel.State, Input, Output> SEARCH_ONLY =
      new Model<>() {
        @Override
        public RegisterModel.State init() {
          return RegisterModel.INSTANCE.init();
        }

        @Override
        public RegisterModel.State step(RegisterModel.State state, Input input, Output output) {
          return RegisterModel.INSTANCE.step(state, input, output);
        }

        @Override
        public boolean isReadOnly(Input input) {
          return RegisterModel.INSTANCE.isReadOnly(input);
        }

        @Override
        public boolean preservesState(Input input, Output output) {
          return RegisterModel.INSTANCE.preservesState(input, output);
        }

        @Override
        public boolean mayBecomeLegal(RegisterModel.State state, Input input, Output output) {
          return RegisterModel.INSTANCE.mayBecomeLegal(state, input, output);
        }
      };

  static String dump(List<Operation> history) {
    StringBuilder b = new StringBuilder();
    for (Operation op : history) b.append("  ").append(op.toJson()).append('\n');
    return b.toString();
  }
}
