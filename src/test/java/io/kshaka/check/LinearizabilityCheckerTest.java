package io.kshaka.check;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class LinearizabilityCheckerTest {

  private static final Duration T = Duration.ofSeconds(10);

  private static Operation op(String key, Input in, long call, long ret, Output out) {
    return Operation.completed(key, in, call, ret, out);
  }

  private static Verdict verdict(Operation... ops) {
    return Checker.check(List.of(ops), T).verdict();
  }

  @Test
  void emptyHistoryIsLinearizable() {
    CheckResult r = Checker.check(List.of(), T);
    assertEquals(Verdict.LINEARIZABLE, r.verdict());
    assertTrue(r.keys().isEmpty());
  }

  @Test
  void sequentialHistoryFollowingTheModelIsLinearizable() {
    assertEquals(
        Verdict.LINEARIZABLE,
        verdict(
            op("k", Input.put("a"), 0, 1, Output.written(1)),
            op("k", Input.get(), 2, 3, Output.value("a", 1)),
            op("k", Input.cas(1, "b"), 4, 5, Output.cas(true, 2)),
            op("k", Input.add(1), 6, 7, Output.refused(Output.NOT_INTEGER, 2)),
            op("k", Input.delete(), 8, 9, Output.written(3)),
            op("k", Input.add(4), 10, 11, Output.value("4", 4))));
  }

  @Test
  void staleReadAfterWriteReturnedIsNotLinearizable() {
    assertEquals(
        Verdict.NOT_LINEARIZABLE,
        verdict(
            op("k", Input.put("a"), 0, 10, Output.written(1)),
            op("k", Input.get(), 11, 12, Output.value(null, 0))));
  }

  @Test
  void readConcurrentWithWriteMaySeeEitherValue() {
    Operation put = op("k", Input.put("a"), 0, 10, Output.written(1));
    assertEquals(Verdict.LINEARIZABLE, verdict(put, op("k", Input.get(), 5, 6, Output.value(null, 0))));
    assertEquals(Verdict.LINEARIZABLE, verdict(put, op("k", Input.get(), 5, 6, Output.value("a", 1))));
  }

  @Test
  void readsMustNotGoBackInTime() {
    assertEquals(
        Verdict.NOT_LINEARIZABLE,
        verdict(
            op("k", Input.put("a"), 0, 100, Output.written(1)),
            op("k", Input.get(), 10, 20, Output.value("a", 1)),
            op("k", Input.get(), 30, 40, Output.value(null, 0))));
  }

  @Test
  void touchingIntervalsAreConcurrent() {
    // The get is called at the instant the put returns: they overlap, so the get may come first.
    assertEquals(
        Verdict.LINEARIZABLE,
        verdict(
            op("k", Input.put("a"), 0, 10, Output.written(1)),
            op("k", Input.get(), 10, 20, Output.value(null, 0))));
    assertEquals(
        Verdict.NOT_LINEARIZABLE,
        verdict(
            op("k", Input.put("a"), 0, 10, Output.written(1)),
            op("k", Input.get(), 11, 20, Output.value(null, 0))));
  }

  @Test
  void unknownChangeMayTakeEffectLongAfterItsCall() {
    assertEquals(
        Verdict.LINEARIZABLE,
        verdict(
            Operation.unknown("k", Input.put("a"), 0),
            op("k", Input.get(), 10, 20, Output.value(null, 0)),
            op("k", Input.get(), 30, 40, Output.value("a", 1))));
  }

  @Test
  void unknownChangeMayNeverTakeEffect() {
    assertEquals(
        Verdict.LINEARIZABLE,
        verdict(Operation.unknown("k", Input.put("a"), 0), op("k", Input.get(), 30, 40, Output.value(null, 0))));
  }

  @Test
  void unknownChangeCannotTakeEffectBeforeItsCall() {
    assertEquals(
        Verdict.NOT_LINEARIZABLE,
        verdict(
            op("k", Input.get(), 0, 10, Output.value("a", 1)), Operation.unknown("k", Input.put("a"), 20)));
  }

  @Test
  void unknownChangeTakesEffectAtMostOnce() {
    assertEquals(
        Verdict.NOT_LINEARIZABLE,
        verdict(
            Operation.unknown("k", Input.add(1), 0),
            op("k", Input.get(), 10, 11, Output.value("1", 1)),
            op("k", Input.get(), 12, 13, Output.value("2", 2))));
  }

  @Test
  void refusedChangeIsLinearizedWhereItSawTheVersion() {
    // The failed cas saw version 1, so it comes after the put: the get that returns after it cannot see version 0.
    assertEquals(
        Verdict.NOT_LINEARIZABLE,
        verdict(
            op("k", Input.put("a"), 0, 50, Output.written(1)),
            op("k", Input.cas(0, "b"), 10, 20, Output.cas(false, 1)),
            op("k", Input.get(), 30, 40, Output.value(null, 0))));
  }

  @Test
  void twoWritersCannotBothWinTheSameVersion() {
    assertEquals(
        Verdict.NOT_LINEARIZABLE,
        verdict(
            op("k", Input.cas(0, "a"), 0, 10, Output.cas(true, 1)),
            op("k", Input.cas(0, "b"), 0, 10, Output.cas(true, 1))));
  }

  @Test
  void keysAreCheckedSeparately() {
    List<Operation> history = new ArrayList<>();
    for (int k = 0; k < 5; k++) {
      String key = "key-" + k;
      history.add(op(key, Input.put("v" + k), 0, 10, Output.written(1)));
      history.add(op(key, Input.get(), 5, 6, Output.value(k == 3 ? "wrong" : "v" + k, 1)));
    }
    CheckResult r = Checker.check(history, T);
    assertEquals(Verdict.NOT_LINEARIZABLE, r.verdict(), r.report());
    assertEquals(5, r.keys().size());
    for (KeyResult k : r.keys()) {
      assertEquals(k.key().equals("key-3") ? Verdict.NOT_LINEARIZABLE : Verdict.LINEARIZABLE, k.verdict(), k.key());
      assertEquals(2, k.operations());
    }
    assertTrue(r.summary().startsWith("NOT_LINEARIZABLE: 5 keys (4 linearizable, 1 not linearizable, 0 unknown)"));
  }

  @Test
  void linearizableResultCarriesALinearization() {
    Operation put = op("k", Input.put("a"), 0, 10, Output.written(1));
    Operation get = op("k", Input.get(), 2, 3, Output.value(null, 0));
    KeyResult k = Checker.check(List.of(put, get), T).key("k");
    assertEquals(List.of(get, put), k.longestPrefix());
    assertTrue(k.unplaced().isEmpty());
  }

  @Test
  void failureReportNamesKeyPrefixAndOperationsThatCouldNotBePlaced() {
    Operation put1 = op("acct", Input.put("a"), 0, 10, Output.written(1));
    Operation put2 = op("acct", Input.put("b"), 20, 30, Output.written(2));
    Operation bad = op("acct", Input.get(), 40, 50, Output.value("a", 1));
    CheckResult r = Checker.check(List.of(put1, put2, bad), T);
    KeyResult k = r.key("acct");
    assertEquals(Verdict.NOT_LINEARIZABLE, k.verdict());
    assertEquals(List.of(put1, put2), k.longestPrefix());
    assertEquals(List.of(bad), k.unplaced());
    String report = r.report();
    System.out.println(report);
    assertTrue(report.contains("key \"acct\": NOT_LINEARIZABLE"), report);
    assertTrue(report.contains("longest linearizable prefix found: 2 of 3 operations"), report);
    assertTrue(report.contains("put \"b\" -> v2   => \"b\" v2"), report);
    assertTrue(report.contains("operations that could not be placed next:"), report);
    assertTrue(
        report.contains("[40, 50] get -> \"a\" v1   (the model rejects this output in this state and every later one)"),
        report);
    assertTrue(report.contains("violation found without search: versions never decrease"), report);
    assertTrue(report.trim().endsWith(r.summary()), report);
  }

  @Test
  void searchFindsViolationThatVersionsAloneDoNotShow() {
    // Version 2 comes from the unknown put, whose value is "b": no version shows the read is wrong, the search does.
    Operation put1 = op("k", Input.put("a"), 0, 10, Output.written(1));
    Operation put2 = Operation.unknown("k", Input.put("b"), 20);
    Operation bad = op("k", Input.get(), 40, 50, Output.value("c", 2));
    CheckResult r = Checker.check(List.of(put1, put2, bad), T);
    String report = r.report();
    assertEquals(Verdict.NOT_LINEARIZABLE, r.verdict(), report);
    assertTrue(!report.contains("without search"), report);
    assertTrue(report.contains("[40, 50] get -> \"c\" v2   (the model rejects this output in this state)"), report);
  }

  @Test
  void readContradictingTheChangeThatProducedItsVersionIsRefutedWithoutSearch() {
    Operation put1 = op("k", Input.put("a"), 0, 10, Output.written(1));
    Operation put2 = op("k", Input.put("b"), 20, 30, Output.written(2));
    Operation bad = op("k", Input.get(), 15, 50, Output.value("c", 2));
    CheckResult r = Checker.check(List.of(put1, put2, bad), T);
    assertEquals(Verdict.NOT_LINEARIZABLE, r.verdict());
    assertTrue(
        r.report().contains("the first operation left the register \"b\" at version 2, which the second contradicts"),
        r.report());
  }

  @Test
  void outputTheInputCanNeverGiveIsRefutedWithoutSearch() {
    CheckResult r =
        Checker.check(List.of(op("k", Input.put("a"), 0, 10, Output.refused(Output.VERSION_MISMATCH, 0))), T);
    assertEquals(Verdict.NOT_LINEARIZABLE, r.verdict());
    assertTrue(r.report().contains("this operation can never return this output"), r.report());
  }

  @Test
  void twoChangesCannotProduceTheSameVersion() {
    Operation a = op("k", Input.put("a"), 0, 10, Output.written(1));
    Operation b = op("k", Input.put("b"), 5, 15, Output.written(1));
    CheckResult r = Checker.check(List.of(a, b), T);
    assertEquals(Verdict.NOT_LINEARIZABLE, r.verdict());
    assertTrue(r.report().contains("two operations both applied a change that produced version 1"), r.report());
  }

  @Test
  void timeoutGivesUnknownWhichIsNotAPass() {
    // 20 concurrent writes of unknown outcome, then a read of a value nobody wrote, at version 10: refuting it takes
    // far more than the 1024 steps after which the search first looks at the clock.
    List<Operation> history = hardHistory("k", 20);
    CheckResult r = Checker.check(history, Duration.ZERO);
    assertEquals(Verdict.UNKNOWN, r.verdict(), r.report());
    assertTrue(!r.linearizable());
    assertTrue(r.report().contains("this is not a pass"), r.report());
  }

  @Test
  void unknownKeyDoesNotHideAFailingOne() {
    List<Operation> history = new ArrayList<>(hardHistory("slow", 20));
    history.add(op("fast", Input.get(), 0, 1, Output.value("x", 1)));
    CheckResult r = Checker.check(history, Duration.ZERO);
    assertEquals(Verdict.NOT_LINEARIZABLE, r.verdict(), r.report());
    assertEquals(Verdict.UNKNOWN, r.key("slow").verdict());
  }

  static List<Operation> hardHistory(String key, int writers) {
    List<Operation> history = new ArrayList<>();
    for (int i = 0; i < writers; i++) history.add(Operation.unknown(key, Input.put("v" + i), i));
    // Which half of the writes took effect, and in which order? Millions of configurations to rule out.
    history.add(op(key, Input.get(), 100, 101, Output.value("nobody", writers / 2)));
    return history;
  }

  @Test
  void rejectsOperationReturningBeforeItsCall() {
    assertThrows(IllegalArgumentException.class, () -> op("k", Input.get(), 10, 9, Output.value(null, 0)));
    EtcdModel.Operation bad = new EtcdModel.Operation(1, new EtcdModel.Read(), 10, 9L, new EtcdModel.ReadOk(null));
    assertThrows(
        IllegalArgumentException.class,
        () -> LinearizabilityChecker.check(EtcdModel.INSTANCE, List.of(bad), T));
  }

  @Test
  void genericCheckerRunsAnotherModel() {
    List<EtcdModel.Operation> history =
        List.of(
            new EtcdModel.Operation(0, new EtcdModel.Write(1), 0, 10L, new EtcdModel.WriteOk()),
            new EtcdModel.Operation(1, new EtcdModel.Cas(1, 2), 11, 20L, new EtcdModel.CasDone(true)),
            new EtcdModel.Operation(2, new EtcdModel.Read(), 21, 30L, new EtcdModel.ReadOk(2)));
    assertEquals(Verdict.LINEARIZABLE, LinearizabilityChecker.check(EtcdModel.INSTANCE, history, T).verdict());
    List<EtcdModel.Operation> bad = new ArrayList<>(history);
    bad.set(2, new EtcdModel.Operation(2, new EtcdModel.Read(), 21, 30L, new EtcdModel.ReadOk(1)));
    CheckResult r = LinearizabilityChecker.check(EtcdModel.INSTANCE, bad, T);
    assertEquals(Verdict.NOT_LINEARIZABLE, r.verdict());
    assertTrue(r.report().contains("read -> 1"), r.report());
  }
}
