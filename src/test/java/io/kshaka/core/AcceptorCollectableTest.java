package io.kshaka.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/**
 * {@link Acceptor#collectable}: GC removes a key only where it holds exactly {@link RegisterState#EMPTY} (what
 * {@link Change.Forget} leaves of a tombstone) accepted at bc.
 */
class AcceptorCollectableTest {
  private static final Ballot BC = new Ballot(10, 2);
  private static final RegisterState TOMBSTONE = new RegisterState(null, 3);
  private static final RegisterState EMPTY = RegisterState.EMPTY;

  @Test
  void emptyAcceptedAtBcIsCollectable() {
    assertTrue(Acceptor.collectable(new AcceptorState(BC, BC, EMPTY), BC));
  }

  @Test
  void whatAForgetLeavesOfATombstoneWithIdsIsCollectable() {
    RegisterState tombstone = new RegisterState(null, 3, RequestLog.EMPTY.with(new RequestId(1, 2), 3, 0, 8));
    RegisterState forgotten = Change.Forget.INSTANCE.apply(tombstone).state();
    assertEquals(2, forgotten.requests().forgottenStamp(), "the dropped id's stamp is kept as forgotten");
    assertTrue(Acceptor.collectable(new AcceptorState(BC, BC, forgotten), BC));
  }

  @Test
  void thePromiseOfTheChoosingRoundItselfDoesNotBlockCollection() {
    assertTrue(Acceptor.collectable(new AcceptorState(BC.successor(), BC, EMPTY), BC));
  }

  @Test
  void aPromiseAboveBcsSuccessorBlocksCollection() {
    assertFalse(Acceptor.collectable(new AcceptorState(new Ballot(11, 3), BC, EMPTY), BC));
    assertFalse(Acceptor.collectable(new AcceptorState(new Ballot(12, 0), BC, EMPTY), BC));
  }

  @Test
  void emptyAcceptedAtAnotherBallotIsNotCollectable() {
    assertFalse(Acceptor.collectable(new AcceptorState(BC, new Ballot(9, 2), EMPTY), BC));
    assertFalse(Acceptor.collectable(new AcceptorState(new Ballot(11, 2), new Ballot(11, 2), EMPTY), BC));
    assertFalse(Acceptor.collectable(AcceptorState.INITIAL, BC), "never accepted: nothing at bc");
  }

  @Test
  void aTombstoneOrAPresentValueIsNotCollectable() {
    assertFalse(Acceptor.collectable(new AcceptorState(BC, BC, TOMBSTONE), BC), "forget it first");
    assertFalse(Acceptor.collectable(new AcceptorState(BC, BC, RegisterState.of("v", 3)), BC));
    assertFalse(Acceptor.collectable(new AcceptorState(BC, BC, RegisterState.of("v", 0)), BC));
  }

  @Test
  void anAbsentStateAtVersionZeroThatStillHoldsRequestIdsIsNotCollectable() {
    RegisterState withIds = new RegisterState(null, 0, RequestLog.EMPTY.with(new RequestId(1, 2), 0, 0, 8));
    assertFalse(Acceptor.collectable(new AcceptorState(BC, BC, withIds), BC));
  }
}
