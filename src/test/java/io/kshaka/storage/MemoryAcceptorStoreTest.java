package io.kshaka.storage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kshaka.core.AcceptorState;
import io.kshaka.core.Ballot;
import io.kshaka.core.RegisterState;
import io.vertx.core.Future;
import java.io.IOException;
import org.junit.jupiter.api.Test;

class MemoryAcceptorStoreTest {
  private static final AcceptorState A = new AcceptorState(new Ballot(1, 1), new Ballot(1, 1), RegisterState.of("a", 1));
  private static final AcceptorState B = new AcceptorState(new Ballot(2, 1), new Ballot(2, 1), RegisterState.of("b", 2));

  @Test
  void putIsDurableAtOnceByDefault() {
    MemoryAcceptorStore store = new MemoryAcceptorStore();
    assertTrue(store.open().succeeded());
    assertSame(AcceptorState.INITIAL, store.get("k"));
    assertTrue(store.put("k", A).succeeded());
    assertEquals(A, store.get("k"));
    assertEquals(1, store.size());
    assertTrue(store.barrier().succeeded());
    assertEquals(A, store.crashCopy().get("k"));
  }

  @Test
  void manualSyncHoldsPutsUntilSync() {
    MemoryAcceptorStore store = MemoryAcceptorStore.manualSync();
    Future<Void> first = store.put("k", A);
    assertEquals(A, store.get("k"), "memory is updated at once");
    assertFalse(first.isComplete());
    assertEquals(1, store.sync());
    assertTrue(first.succeeded());
    Future<Void> second = store.put("k", B);
    Future<Void> barrier = store.barrier();
    assertFalse(barrier.isComplete());
    assertEquals(A, store.crashCopy().get("k"), "a crash loses the unsynced put");
    store.sync();
    assertTrue(second.succeeded());
    assertTrue(barrier.succeeded());
    assertEquals(B, store.crashCopy().get("k"));
  }

  @Test
  void failedStoreFailsPendingAndLaterPuts() {
    MemoryAcceptorStore store = MemoryAcceptorStore.manualSync();
    Future<Void> pending = store.put("k", A);
    store.fail(new IOException("injected fsync failure"));
    assertTrue(store.failed());
    assertInstanceOf(StoreFailedException.class, pending.cause());
    assertInstanceOf(StoreFailedException.class, store.put("k", B).cause());
    assertInstanceOf(StoreFailedException.class, store.barrier().cause());
  }

  private static final Ballot BT = new Ballot(7, 2);
  private static final AcceptorState TOMB = new AcceptorState(BT.successor(), BT, new RegisterState(null, 3));

  @Test
  void keysAreListedInCodePointOrderFromAfter() {
    MemoryAcceptorStore store = new MemoryAcceptorStore();
    for (String k : java.util.List.of("b", "\uD83D\uDE00", "\uFFFD", "a", "\u00E9")) store.put(k, A);
    store.put("t", TOMB);
    assertEquals(java.util.List.of("a", "b", "t", "\u00E9", "\uFFFD", "\uD83D\uDE00"), store.keys(null, 10));
    assertEquals(java.util.List.of("t", "\u00E9"), store.keys("b", 2));
    assertEquals(1, store.tombstones());
  }

  @Test
  void removeForgetsOnlyACollectableTombstone() {
    MemoryAcceptorStore store = new MemoryAcceptorStore();
    store.put("live", new AcceptorState(BT, BT, RegisterState.of("v", 3)));
    store.put("tomb", TOMB);
    assertFalse(store.remove("live", BT).result());
    assertFalse(store.remove("tomb", new Ballot(6, 2)).result());
    assertTrue(store.remove("tomb", BT).result());
    assertSame(AcceptorState.INITIAL, store.get("tomb"));
    assertEquals(1, store.size());
    assertEquals(0, store.tombstones());
    assertEquals(java.util.List.of("live"), store.keys(null, 10));
    assertTrue(store.remove("tomb", BT).result(), "already absent");
  }

  @Test
  void anUnsyncedRemovalIsUndoneByACrash() {
    MemoryAcceptorStore store = MemoryAcceptorStore.manualSync();
    store.put("tomb", TOMB);
    store.sync();
    Future<Boolean> removed = store.remove("tomb", BT);
    assertFalse(removed.isComplete());
    assertEquals(0, store.size());
    MemoryAcceptorStore crashed = store.crashCopy();
    assertEquals(TOMB, crashed.get("tomb"), "a crash before the sync keeps the tombstone");
    assertEquals(1, crashed.tombstones());
    assertEquals(java.util.List.of("tomb"), crashed.keys(null, 10));
    store.sync();
    assertTrue(removed.result());
    assertSame(AcceptorState.INITIAL, store.crashCopy().get("tomb"));
    assertEquals(0, store.crashCopy().size());
  }
}
