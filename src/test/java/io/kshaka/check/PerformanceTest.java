package io.kshaka.check;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Histories of the size the fault tests record (thousands of operations, 16 concurrent clients, a few keys, some
 * unknown outcomes) are decided in seconds. Seeded: {@code -Dkshaka.check.seed=N}.
 */
class PerformanceTest {

  private static final Duration PER_KEY = Duration.ofSeconds(30);

  private static long seed() {
    long seed = Long.getLong("kshaka.check.seed", 0x5EEDC0FFEEL);
    System.out.println("PerformanceTest seed=" + seed + " (rerun with -Dkshaka.check.seed=" + seed + ")");
    return seed;
  }

  @Test
  void fourThousandOperationsOnFourKeysBySixteenClients() {
    Random rnd = new Random(seed());
    List<Operation> history = RandomHistories.clients(rnd, 16, 250, List.of("a", "b", "c", "d"), 20, 0.01);
    CheckResult ok = timed("16 clients x 250 ops, 4 keys, 1% unknown", history);
    assertEquals(Verdict.LINEARIZABLE, ok.verdict(), ok.report());

    List<Operation> corrupted = corruptOneRead(rnd, history);
    CheckResult bad = timed("same, one read corrupted", corrupted);
    assertEquals(Verdict.NOT_LINEARIZABLE, bad.verdict(), bad.report());
    assertEquals(1, bad.keys().stream().filter(k -> k.verdict() == Verdict.NOT_LINEARIZABLE).count());

    CheckResult searched =
        timed("same, one read corrupted, search only", corrupted, CrossCheckTest.SEARCH_ONLY);
    assertEquals(Verdict.NOT_LINEARIZABLE, searched.verdict(), searched.report());
  }

  @Test
  void threeThousandOperationsOnOneKeyBySixteenClients() {
    Random rnd = new Random(seed());
    List<Operation> history = RandomHistories.clients(rnd, 16, 200, List.of("hot"), 20, 0.0);
    CheckResult ok = timed("16 clients x 200 ops, 1 key", history);
    assertEquals(Verdict.LINEARIZABLE, ok.verdict(), ok.report());

    List<Operation> corrupted = corruptOneRead(rnd, history);
    CheckResult bad = timed("same, one read corrupted", corrupted);
    assertEquals(Verdict.NOT_LINEARIZABLE, bad.verdict(), bad.report());

    CheckResult searched =
        timed("same, one read corrupted, search only", corrupted, CrossCheckTest.SEARCH_ONLY);
    assertEquals(Verdict.NOT_LINEARIZABLE, searched.verdict(), searched.report());
  }

  /** Makes a completed get, near the middle of the history, return a value nobody wrote. */
  private static List<Operation> corruptOneRead(Random rnd, List<Operation> history) {
    List<Operation> copy = new ArrayList<>(history);
    int start = history.size() / 2 + rnd.nextInt(history.size() / 4);
    for (int i = start; ; i = (i + 1) % history.size()) {
      Operation op = history.get(i);
      if (op.input() instanceof Input.Get && op.ret() != null) {
        copy.set(i, new Operation(op.key(), op.input(), op.call(), op.ret(), Output.value("nobody wrote this", 1)));
        return copy;
      }
    }
  }

  private static CheckResult timed(String what, List<Operation> history) {
    return timed(what, history, RegisterModel.INSTANCE);
  }

  private static CheckResult timed(
      String what, List<Operation> history, Model<RegisterModel.State, Input, Output> model) {
    CheckResult r = LinearizabilityChecker.check(model, history, PER_KEY);
    System.out.printf(
        Locale.ROOT, "PerformanceTest %s: %d operations, %s in %.3f s%n", what, history.size(), r.verdict(),
        r.elapsed().toNanos() / 1e9);
    for (KeyResult k : r.keys()) System.out.println("  " + k.line());
    return r;
  }
}
