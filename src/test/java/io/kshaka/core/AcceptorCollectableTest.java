package io.kshaka.core;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** {@link Acceptor#collectable}: GC forgets a key only where it holds exactly the tombstone chosen at bt. */
class AcceptorCollectableTest {
  private static final Ballot BT = new Ballot(10, 2);
  private static final RegisterState TOMBSTONE = new RegisterState(null, 3);

  @Test
  void theTombstoneAcceptedAtBtIsCollectable() {
    assertTrue(Acceptor.collectable(new AcceptorState(BT, BT, TOMBSTONE), BT));
  }

  @Test
  void thePromiseOfTheChoosingRoundItselfDoesNotBlockCollection() {
    assertTrue(Acceptor.collectable(new AcceptorState(BT.successor(), BT, TOMBSTONE), BT));
  }

  @Test
  void aPromiseAboveBtsSuccessorBlocksCollection() {
    assertFalse(Acceptor.collectable(new AcceptorState(new Ballot(11, 3), BT, TOMBSTONE), BT));
    assertFalse(Acceptor.collectable(new AcceptorState(new Ballot(12, 0), BT, TOMBSTONE), BT));
  }

  @Test
  void aTombstoneAcceptedAtAnotherBallotIsNotCollectable() {
    assertFalse(Acceptor.collectable(new AcceptorState(BT, new Ballot(9, 2), TOMBSTONE), BT));
    assertFalse(Acceptor.collectable(new AcceptorState(new Ballot(11, 2), new Ballot(11, 2), TOMBSTONE), BT));
  }

  @Test
  void aPresentValueOrANeverWrittenStateIsNotCollectable() {
    assertFalse(Acceptor.collectable(new AcceptorState(BT, BT, RegisterState.of("v", 3)), BT));
    assertFalse(Acceptor.collectable(new AcceptorState(BT, BT, RegisterState.EMPTY), BT));
    assertFalse(Acceptor.collectable(AcceptorState.INITIAL, BT));
  }
}
