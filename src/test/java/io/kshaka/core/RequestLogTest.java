package io.kshaka.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class RequestLogTest {
  @Test
  void remembersTheLatestIdsUpToTheBoundAndTheHighestStampItDropped() {
    RequestLog log = RequestLog.EMPTY;
    for (int i = 1; i <= 6; i++) log = log.with(new RequestId(i, 100 + (7 - i) * 10), i, 0, 4);
    assertEquals(4, log.size());
    assertNull(log.find(new RequestId(1, 0)));
    assertNull(log.find(new RequestId(2, 0)));
    assertEquals(3, log.find(new RequestId(3, 0)).version());
    assertEquals(6, log.entry(3).version());
    // dropped: id 1 stamped 160, id 2 stamped 150
    assertEquals(160, log.forgottenStamp());
    assertTrue(log.mayHaveForgotten(new RequestId(99, 160)));
    assertFalse(log.mayHaveForgotten(new RequestId(99, 161)), "stamped above every dropped id: never dropped");
  }

  @Test
  void aLogThatNeverDroppedAnIdHasForgottenNothing() {
    RequestLog log = RequestLog.EMPTY.with(new RequestId(1, 5), 1, 0, 4);
    assertEquals(RequestLog.NONE, log.forgottenStamp());
    assertFalse(log.mayHaveForgotten(new RequestId(2, 0)));
  }

  @Test
  void theVersionAndSumOfAWriteAreKeptWithItsId() {
    RequestLog log = RequestLog.EMPTY.with(new RequestId(7, 1), 3, -42, 4);
    assertEquals(new RequestLog.Entry(7, 1, 3, -42), log.find(new RequestId(7, 999)));
    assertEquals(7L, log.hashAt(3));
    assertNull(log.hashAt(2));
  }

  @Test
  void statesDifferingOnlyInTheirIdsAreDifferentStates() {
    RegisterState a = RegisterState.of("x", 1).recording(new RequestId(1, 0), 0, 4);
    RegisterState b = RegisterState.of("x", 1).recording(new RequestId(2, 0), 0, 4);
    assertNotEquals(a, b);
    assertEquals(a, RegisterState.of("x", 1).recording(new RequestId(1, 0), 0, 4));
  }

  @Test
  void aClientIdHashesTheSameEveryTime() {
    assertEquals(RequestId.of("order-17", 5).hash(), RequestId.of("order-17", 9).hash());
    assertNotEquals(RequestId.of("order-17", 5).hash(), RequestId.of("order-18", 5).hash());
  }
}
