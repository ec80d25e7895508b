package io.kshaka.core;

import static io.kshaka.core.ProposerHarness.accepts;
import static io.kshaka.core.ProposerHarness.prepares;
import static io.kshaka.core.ProposerHarness.to;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.kshaka.core.ProposerHarness.Acceptors;
import io.kshaka.core.ProposerHarness.Node;
import java.nio.charset.StandardCharsets;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * Garbage collection (issue 9) restarts a collected key at version 0, so "my accept carried version 3 and the
 * register is at version 0, so it was never applied" no longer holds: a change stamped before the collection fence
 * ({@code forgottenBefore}) whose accept went out is answered UNKNOWN, never applied or answered again. Found by the
 * simulator (membership runs, seed 1081, 3 acceptors): a delete whose tombstone was collected while its round was
 * being retried answered "deleted at v0".
 */
class CollectedKeyRepeatTest {
  private static final String K = "k";
  private static final Proposer.Options NO_1RTT = Proposer.Options.defaults().withOneRtt(false);

  @Test
  void aChangeWhoseAcceptWentOutBeforeItsKeyWasCollectedIsUnknown() {
    Acceptors acc = new Acceptors(1, 2, 3);
    Node a = new Node(acc, 1, NO_1RTT, 0);
    a.proposer.configure(1, QuorumSpec.majority(Set.of(1, 2, 3)), 0, 0);
    a.submit(K, new Change.Put("x".getBytes(StandardCharsets.UTF_8)), "put");
    a.run();
    assertEquals(Outcome.APPLIED, a.result("put").outcome());

    // The delete (fresh, stamped at 10) reaches acceptor 1 only: the tombstone v2 is not chosen yet.
    a.now = 10;
    a.submit(K, new Change.Delete(null), new RequestId(42, 10), true, "delete");
    a.deliverWhile(prepares());
    a.deliverFirst(accepts().and(to(1)));
    a.loseAll(accepts());
    // Another proposer's round adopts and completes the tombstone; GC then collects the key on every acceptor and
    // fences everything stamped before 20.
    for (int n : acc.ids()) acc.set(n, K, AcceptorState.INITIAL);
    a.proposer.configure(2, QuorumSpec.majority(Set.of(1, 2, 3)), 100, 20);
    a.run();
    assertEquals(Outcome.UNKNOWN, a.result("delete").outcome(),
        "the delete may have applied before the key was collected: " + a.result("delete"));
  }
}
