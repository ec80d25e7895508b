package io.kshaka.check;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kshaka.check.RegisterModel.State;
import org.junit.jupiter.api.Test;

class RegisterModelTest {

  private static final RegisterModel M = RegisterModel.INSTANCE;
  private static final State ABSENT = State.INITIAL;
  private static final State A3 = new State("a", 3);

  @Test
  void initialStateIsAbsentAtVersionZero() {
    assertEquals(new State(null, 0), M.init());
  }

  @Test
  void getReturnsValueAndVersionAndChangesNothing() {
    assertEquals(A3, M.step(A3, Input.get(), Output.value("a", 3)));
    assertNull(M.step(A3, Input.get(), Output.value("a", 2)));
    assertNull(M.step(A3, Input.get(), Output.value("b", 3)));
    assertNull(M.step(A3, Input.get(), Output.value(null, 3)));
    assertEquals(ABSENT, M.step(ABSENT, Input.get(), Output.value(null, 0)));
  }

  @Test
  void putSetsValueAndBumpsVersion() {
    assertEquals(new State("b", 4), M.step(A3, Input.put("b"), Output.written(4)));
    assertNull(M.step(A3, Input.put("b"), Output.written(3)));
    assertNull(M.step(A3, Input.put("b"), Output.written(5)));
  }

  @Test
  void casAppliesOnlyAtExpectedVersion() {
    assertEquals(new State("b", 4), M.step(A3, Input.cas(3, "b"), Output.cas(true, 4)));
    assertNull(M.step(A3, Input.cas(3, "b"), Output.cas(false, 3)));
    assertEquals(A3, M.step(A3, Input.cas(2, "b"), Output.cas(false, 3)));
    assertNull(M.step(A3, Input.cas(2, "b"), Output.cas(true, 4)));
    assertNull(M.step(A3, Input.cas(2, "b"), Output.cas(false, 2)), "a refusal reports the version it saw");
  }

  @Test
  void casRefusalMayBeWrittenAsVersionMismatch() {
    assertEquals(A3, M.step(A3, Input.cas(2, "b"), Output.refused(Output.VERSION_MISMATCH, 3)));
    assertNull(M.step(A3, Input.cas(3, "b"), Output.refused(Output.VERSION_MISMATCH, 3)));
  }

  @Test
  void deleteLeavesTombstoneWithNextVersion() {
    assertEquals(new State(null, 4), M.step(A3, Input.delete(), Output.written(4)));
    assertNull(M.step(A3, Input.delete(), Output.written(3)));
  }

  @Test
  void deleteOfAbsentChangesNothing() {
    State tomb = new State(null, 4);
    assertEquals(tomb, M.step(tomb, Input.delete(), Output.written(4)));
    assertNull(M.step(tomb, Input.delete(), Output.written(5)));
    assertEquals(tomb, M.step(tomb, Input.delete(4), Output.written(4)));
  }

  @Test
  void conditionalDeleteRefusesOtherVersion() {
    assertEquals(A3, M.step(A3, Input.delete(2), Output.refused(Output.VERSION_MISMATCH, 3)));
    assertNull(M.step(A3, Input.delete(2), Output.written(4)));
    assertEquals(new State(null, 4), M.step(A3, Input.delete(3), Output.written(4)));
    assertNull(M.step(ABSENT, Input.delete(1), Output.written(0)));
  }

  @Test
  void addTreatsAbsentAsZero() {
    assertEquals(new State("5", 1), M.step(ABSENT, Input.add(5), Output.value("5", 1)));
    assertEquals(new State("-2", 5), M.step(new State(null, 4), Input.add(-2), Output.value("-2", 5)));
  }

  @Test
  void addSumsDecimalLongs() {
    assertEquals(new State("10", 8), M.step(new State("7", 7), Input.add(3), Output.value("10", 8)));
    assertNull(M.step(new State("7", 7), Input.add(3), Output.value("11", 8)));
  }

  @Test
  void addRefusesNonIntegerAndOverflow() {
    assertEquals(A3, M.step(A3, Input.add(1), Output.refused(Output.NOT_INTEGER, 3)));
    assertNull(M.step(A3, Input.add(1), Output.value("1", 4)));
    State max = new State(Long.toString(Long.MAX_VALUE), 2);
    assertEquals(max, M.step(max, Input.add(1), Output.refused(Output.NOT_INTEGER, 2)));
    State huge = new State("99999999999999999999", 2);
    assertEquals(huge, M.step(huge, Input.add(1), Output.refused(Output.NOT_INTEGER, 2)));
    State spaced = new State(" 1", 2);
    assertEquals(spaced, M.step(spaced, Input.add(1), Output.refused(Output.NOT_INTEGER, 2)));
  }

  @Test
  void createAppliesOnlyWhenAbsent() {
    assertEquals(new State("c", 1), M.step(ABSENT, Input.create("c"), Output.written(1)));
    assertEquals(A3, M.step(A3, Input.create("c"), Output.refused(Output.VERSION_MISMATCH, 3)));
    assertNull(M.step(A3, Input.create("c"), Output.written(4)));
  }

  @Test
  void unknownOutcomeIsAlwaysLegalAndTakesEffect() {
    assertEquals(new State("b", 4), M.step(A3, Input.put("b"), null));
    assertEquals(A3, M.step(A3, Input.cas(1, "b"), null));
    assertEquals(new State(null, 4), M.step(A3, Input.delete(), null));
    assertEquals(A3, M.step(A3, Input.add(1), null));
  }

  @Test
  void onlyReadsAndRefusalsPreserveState() {
    assertTrue(M.preservesState(Input.get(), Output.value("a", 3)));
    assertTrue(M.preservesState(Input.cas(1, "b"), Output.cas(false, 3)));
    assertTrue(M.preservesState(Input.add(1), Output.refused(Output.NOT_INTEGER, 3)));
    assertTrue(M.preservesState(Input.delete(1), Output.refused(Output.VERSION_MISMATCH, 3)));
    assertFalse(M.preservesState(Input.cas(3, "b"), Output.cas(true, 4)));
    assertFalse(M.preservesState(Input.delete(), Output.written(4)), "a delete may or may not change the state");
    assertFalse(M.preservesState(Input.put("b"), Output.written(4)));
    assertTrue(M.isReadOnly(Input.get()));
    assertFalse(M.isReadOnly(Input.cas(1, "b")));
  }

  @Test
  void describesOperationsAndStates() {
    assertEquals("cas if v3 \"b\" -> ok v4", M.describeOperation(Input.cas(3, "b"), Output.cas(true, 4)));
    assertEquals("get -> absent v0", M.describeOperation(Input.get(), Output.value(null, 0)));
    assertEquals("put \"b\" -> ? (outcome unknown)", M.describeOperation(Input.put("b"), null));
    assertEquals("\"a\" v3", M.describeState(A3));
  }
}
