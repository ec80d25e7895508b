package io.kshaka.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The fault mode's timeline and summary arithmetic, on made-up series (100 ms slots, 10 per second). */
class FaultSummaryTest {
  private static final long SLOT = 100_000_000L;
  private static final int S = FaultSeries.SURVIVING;
  private static final int F = FaultSeries.FAULTED;

  /** 30 measured seconds plus 2 s of tail, every slot of the surviving clients holding {@code perSlot} answers. */
  private static FaultSeries steady(long perSlot) {
    FaultSeries s = FaultSeries.empty(SLOT, 300, 320);
    for (int i = 0; i < 300; i++) {
      s.answers()[S][i] = perSlot;
      s.answers()[F][i] = perSlot / 2;
      s.maxLatencyUs()[S][i] = 5_000;
    }
    s.slowestUs()[S] = 5_000;
    s.slowestOutcome()[S] = OpOutcome.OK;
    return s;
  }

  private static void stall(FaultSeries s, int fromSlot, int toSlot) {
    for (int i = fromSlot; i < toSlot; i++) s.answers()[S][i] = 0;
  }

  @Test
  void aSteadyRunMeetsEveryTargetAndRecoversAtOnce() {
    FaultSummary sum = FaultSummary.of(steady(10), 5, 15);
    assertEquals(100.0, sum.baselineOpsPerSec(), 1e-9);
    assertEquals(0, sum.errors());
    assertEquals(List.of(), sum.zeroSeconds());
    assertEquals(0.0, sum.recoveryAfterFault());
    assertEquals(0.0, sum.recoveryAfterReturn());
    assertEquals(0.0, sum.stableAfterFault());
    assertEquals(0.0, sum.stableAfterReturn());
    assertEquals(100.0, sum.lowestSecondPct(), 1e-9);
    assertEquals(30, sum.seconds().size());
    assertTrue(sum.targetsMet());
  }

  @Test
  void aStallAfterTheFaultCountsItsWholeSecondsAndItsRecoveryTime() {
    FaultSeries s = steady(10);
    stall(s, 50, 80); // nothing answered from 5.0 s to 8.0 s
    FaultSummary sum = FaultSummary.of(s, 5, 15);
    assertEquals(List.of(5, 6, 7), sum.zeroSeconds());
    // the first window that holds 80% again: [7.8, 8.8) has 0.2 s of stall = exactly 80%
    assertEquals(2.8, sum.recoveryAfterFault(), 1e-9);
    assertEquals(2.8, sum.stableAfterFault(), 1e-9);
    assertEquals(0.0, sum.recoveryAfterReturn());
    assertEquals(0.0, sum.lowestSecondPct(), 1e-9);
    assertFalse(sum.targetsMet());
  }

  @Test
  void aLateDipInAPhaseCountsUntilItsEndNotJustTheFirstRecovery() {
    FaultSeries s = steady(10);
    // after the return at 15 s: fine for 4 s, then a 1.5 s stall when the node rejoins
    stall(s, 190, 205);
    FaultSummary sum = FaultSummary.of(s, 5, 15);
    assertEquals(0.0, sum.recoveryAfterFault());
    assertEquals(5.3, sum.stableAfterReturn(), 1e-9); // window [20.3, 21.3) holds 0.2 s of stall
    // back to 80% after the first dip: [19.0, 20.0) is the first low window, [20.3, 21.3) the next good one
    assertEquals(5.3, sum.recoveryAfterReturn(), 1e-9);
    assertEquals(List.of(19), sum.zeroSeconds()); // 20-21 holds 0.5 s of answers: not a zero second
  }

  @Test
  void aPartialDropAboveEightyPercentIsNoDrop() {
    FaultSeries s = steady(10);
    for (int i = 50; i < 150; i++) s.answers()[S][i] = 8; // 80%: back to 80% means at least 80%
    FaultSummary sum = FaultSummary.of(s, 5, 15);
    assertEquals(0.0, sum.recoveryAfterFault());
    assertEquals(80.0, sum.lowestSecondPct(), 1e-9);
    for (int i = 50; i < 150; i++) s.answers()[S][i] = 7; // 70% up to the return: not recovered in the phase
    assertNull(FaultSummary.of(s, 5, 15).recoveryAfterFault());
    assertNull(FaultSummary.of(s, 5, 15).stableAfterFault());
    for (int i = 140; i < 150; i++) s.answers()[S][i] = 10; // back to 100% at 14.0 s
    // [13.3, 14.3) holds 7*7 + 3*10 = 79 < 80; [13.4, 14.4) holds 6*7 + 4*10 = 82
    assertEquals(8.4, FaultSummary.of(s, 5, 15).recoveryAfterFault(), 1e-9);
    assertEquals(8.4, FaultSummary.of(s, 5, 15).stableAfterFault(), 1e-9);
  }

  @Test
  void throughputStillLowAtTheEndOfAPhaseIsNotRecovered() {
    FaultSeries s = steady(10);
    stall(s, 295, 300); // the last half second of the run
    FaultSummary sum = FaultSummary.of(s, 5, 15);
    assertNull(sum.recoveryAfterReturn());
    assertNull(sum.stableAfterReturn());
    assertFalse(sum.targetsMet());
    assertTrue(sum.text().contains("not within the phase"), sum.text());
  }

  @Test
  void backOnceAndBackToStayDifferWhenADipComesBack() {
    FaultSeries s = steady(10);
    stall(s, 50, 60); // 1 s stall right after the fault, fine again, then 2 s of stall from 10 s
    stall(s, 100, 120);
    FaultSummary sum = FaultSummary.of(s, 5, 15);
    assertEquals(0.8, sum.recoveryAfterFault(), 1e-9); // [5.8, 6.8) holds 80% again
    assertEquals(6.8, sum.stableAfterFault(), 1e-9); // [11.8, 12.8) and every later window hold 80%
    assertEquals(List.of(5, 10, 11), sum.zeroSeconds());
    assertTrue(sum.text().contains("0.8 s (to stay: 6.8 s)"), sum.text());
  }

  @Test
  void aDropThatStartsLateIsMeasuredFromTheFault() {
    FaultSeries s = steady(10);
    stall(s, 58, 70); // the stall starts 0.8 s after the fault: the window [5.0, 6.0) still holds 80%
    FaultSummary sum = FaultSummary.of(s, 5, 15);
    assertEquals(1.8, sum.recoveryAfterFault(), 1e-9); // [6.8, 7.8) holds 80% again
  }

  @Test
  void onlySurvivingClientsCountAndErrorsIncludeTheTail() {
    FaultSeries s = steady(10);
    s.errors()[S][OpOutcome.OUTCOME_UNKNOWN.ordinal()][110] = 3; // at 11 s
    s.errors()[S][OpOutcome.TIMEOUT.ordinal()][310] = 1; // ended after the measured phase
    s.errors()[F][OpOutcome.CONNECTION.ordinal()][60] = 40; // the faulted node's own clients
    s.maxLatencyUs()[S][110] = 6_050_000;
    s.slowestUs()[S] = 6_050_000;
    s.slowestOutcome()[S] = OpOutcome.OUTCOME_UNKNOWN;
    s.slowestUs()[F] = 9_999_000;
    FaultSummary sum = FaultSummary.of(s, 5, 15);
    assertEquals(4, sum.errors());
    assertEquals(3L, sum.errorsByKind().get("504"));
    assertEquals(1L, sum.errorsByKind().get("timeout"));
    assertEquals(0L, sum.errorsByKind().get("connection"));
    assertEquals(40, sum.faultedClientErrors());
    assertEquals(6_050_000, sum.slowestUs());
    assertEquals("504", sum.slowestOutcome());
    FaultSummary.Second eleven = sum.seconds().get(11);
    assertEquals(Map.of("504", 3L), eleven.errors());
    assertEquals(6_050_000, eleven.maxLatencyUs());
    assertEquals(40, sum.seconds().get(6).faultedErrors());
    assertEquals(50, sum.seconds().get(6).faultedAnswers());

    JsonObject json = sum.toJson();
    assertEquals(4L, json.getLong("errors"));
    assertEquals(6050.0, json.getDouble("slowestRequestMs"));
    assertEquals(0, json.getInteger("zeroSeconds"));
    assertEquals(30, json.getJsonArray("timeline").size());
    assertFalse(json.getBoolean("targetsMet"));
  }

  @Test
  void theFaultSlotIsTheOneHoldingTheFaultTime() {
    FaultSeries s = steady(10);
    stall(s, 50, 52);
    // the fault made a little late (5.03 s): the baseline is the first 5 s, the phase starts in slot 50
    FaultSummary sum = FaultSummary.of(s, 5.03, 15.01);
    assertEquals(100.0, sum.baselineOpsPerSec(), 1e-9);
    assertEquals(0.0, sum.recoveryAfterFault()); // 0.2 s of stall leaves exactly 80% in [5.0, 6.0)
    stall(s, 52, 53); // 0.3 s: [5.0, 6.0) is low, [5.1, 6.1) holds 80%
    assertEquals(0.1, FaultSummary.of(s, 5.03, 15.01).recoveryAfterFault(), 1e-9);
  }

  @Test
  void theTimelineMarksEventsOnTheirSecond() {
    FaultSeries s = steady(10);
    s.errors()[S][OpOutcome.OUTCOME_UNKNOWN.ordinal()][72] = 2;
    String text = FaultSummary.of(s, 5, 15).timelineText(Map.of(5.01, "kill -9 node 3", 15.0, "restart node 3"));
    List<String> lines = text.lines().toList();
    assertEquals(31, lines.size());
    assertTrue(lines.get(6).startsWith("  5-6"), lines.get(6));
    assertTrue(lines.get(6).endsWith("<- kill -9 node 3"), lines.get(6));
    assertTrue(lines.get(8).contains("504 x2"), lines.get(8));
    assertTrue(lines.get(16).endsWith("<- restart node 3"), lines.get(16));
  }

  @Test
  void theRecorderSplitsClientsByEntryNodeAndSlotsOpsByTheirEnd() {
    FaultRecorder r = new FaultRecorder(3, Set.of(2), 10, 5, 5);
    Timeline t = new Timeline(0, 0, 10);
    r.starting(t);
    r.op(0, true, OpOutcome.OK, 1_000_000, 250_000_000L); // client 0 -> node 1, slot 2
    r.op(5, true, OpOutcome.CONNECTION, 1_000, 250_000_000L); // client 5 -> node 3 (faulted)
    r.op(4, true, OpOutcome.OUTCOME_UNKNOWN, 6_000_000_000L, 7_050_000_000L); // slot 70
    r.op(1, false, OpOutcome.OK, 1_000, 100L); // warm-up: not recorded
    r.op(1, true, OpOutcome.OK, 1_000, 99_000_000_000L); // far past the end: the last slot
    FaultSeries s = r.series();
    assertEquals(100, s.measuredSlots());
    assertEquals(1, s.answers()[S][2]);
    assertEquals(1, s.errors()[F][OpOutcome.CONNECTION.ordinal()][2]);
    assertEquals(1, s.errors()[S][OpOutcome.OUTCOME_UNKNOWN.ordinal()][70]);
    assertEquals(1, s.answers()[S][s.slots() - 1]);
    assertEquals(6_000_000, s.slowestUs()[S]);
    assertEquals(OpOutcome.OUTCOME_UNKNOWN, s.slowestOutcome()[S]);
    assertEquals(1, r.preFaultLatency().getTotalCount()); // measured answers that ended before the fault at 5 s
  }
}
