package io.kshaka.core;

import static io.kshaka.core.ProposerHarness.accepts;
import static io.kshaka.core.ProposerHarness.prepares;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kshaka.core.ProposerHarness.Acceptors;
import io.kshaka.core.ProposerHarness.Node;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Configuration epochs and the ballot floor: the acceptor's fence, and how the proposer follows a new config. */
class EpochTest {
  private static final String K = "k";
  private static final Proposer.Options DEFAULTS = Proposer.Options.defaults();
  private static final AcceptorState HELD =
      new AcceptorState(new Ballot(5, 1), new Ballot(5, 1), RegisterState.of("v", 1));

  private static Change put(String v) {
    return new Change.Put(v.getBytes(StandardCharsets.UTF_8));
  }

  @Test
  void acceptorRefusesRequestsOfAnOlderEpochAndChangesNothing() {
    Acceptor.Fence fence = new Acceptor.Fence(7, 0);
    Acceptor.Transition prepare = Acceptor.handle(HELD, new AcceptorRequest.Prepare(K, new Ballot(9, 2), 6), fence);
    assertNull(prepare.next());
    assertEquals(new AcceptorReply.StaleEpoch(7), prepare.reply());
    Acceptor.Transition accept = Acceptor.handle(HELD,
        new AcceptorRequest.Accept(K, new Ballot(9, 2), RegisterState.of("w", 2), null, 6), fence);
    assertNull(accept.next());
    assertEquals(new AcceptorReply.StaleEpoch(7), accept.reply());
  }

  @Test
  void acceptorTakesRequestsOfItsEpochOrANewerOne() {
    Acceptor.Fence fence = new Acceptor.Fence(7, 0);
    for (long epoch : new long[] {7, 8, 100}) {
      Acceptor.Transition t = Acceptor.handle(HELD, new AcceptorRequest.Prepare(K, new Ballot(9, 2), epoch), fence);
      assertInstanceOf(AcceptorReply.Promise.class, t.reply(), "epoch " + epoch);
      assertEquals(new Ballot(9, 2), t.next().promised());
    }
  }

  @Test
  void acceptorAnswersBallotsAtOrBelowTheFloorWithAConflictAboveIt() {
    Acceptor.Fence fence = new Acceptor.Fence(1, 40);
    for (Ballot b : new Ballot[] {new Ballot(40, 3), new Ballot(40, Integer.MAX_VALUE - 1), new Ballot(12, 1)}) {
      Acceptor.Transition t = Acceptor.handle(AcceptorState.INITIAL, new AcceptorRequest.Prepare(K, b, 1), fence);
      assertNull(t.next(), "nothing changes for " + b);
      AcceptorReply.Conflict c = assertInstanceOf(AcceptorReply.Conflict.class, t.reply());
      assertTrue(c.higher().isAbove(b), c.higher() + " above " + b);
      assertTrue(c.higher().counter() >= 40);
    }
    Acceptor.Transition above =
        Acceptor.handle(AcceptorState.INITIAL, new AcceptorRequest.Prepare(K, new Ballot(41, 1), 1), fence);
    assertInstanceOf(AcceptorReply.Promise.class, above.reply());
  }

  @Test
  void roundsCarryTheEpochTheyStartedUnder() {
    Acceptors acc = new Acceptors(1, 2, 3);
    Node a = new Node(acc, 1, DEFAULTS, 0);
    a.proposer.configure(3, QuorumSpec.majority(Set.of(1, 2, 3)), 0, 0);
    a.submit(K, put("x"), "w");
    ProposerEffect.Send first = a.inFlight.get(0);
    assertEquals(3, first.request().epoch());
    a.proposer.configure(4, QuorumSpec.majority(Set.of(1, 2, 3)), 0, 0);
    a.run();
    for (ProposerEffect.Send s : a.sent) assertEquals(3, s.request().epoch(), "the round began under epoch 3");
    a.submit(K, put("y"), "w2");
    assertEquals(4, a.inFlight.get(0).request().epoch());
    a.run();
  }

  @Test
  void staleEpochIsNoVoteAndAsksTheShellToRefreshThenTheRetryRunsUnderTheNewConfig() {
    Acceptors acc = new Acceptors(1, 2, 3, 4);
    for (int n : acc.ids()) acc.fences.put(n, new Acceptor.Fence(2, 0));
    Node a = new Node(acc, 1, DEFAULTS, 0);
    a.proposer.configure(1, QuorumSpec.majority(Set.of(1, 2, 3)), 0, 0);
    a.submit(K, put("x"), "w");
    a.deliverAll();
    assertFalse(a.staleConfigs.isEmpty(), "the shell is asked to refresh");
    assertEquals(2, a.staleConfigs.get(0).epoch());
    assertTrue(a.results.isEmpty(), "a refused round is retried, not answered");
    QuorumSpec four = new QuorumSpec(Set.of(1, 2, 3, 4), 3, Set.of(1, 2, 3, 4), 3);
    a.proposer.configure(2, four, 0, 0);
    a.run();
    assertEquals(Outcome.APPLIED, a.result("w").outcome());
    for (int n : acc.ids()) assertEquals(RegisterState.of("x", 1), ProposerTest.withoutIds(acc.state(n, K).state()));
  }

  @Test
  void configureDropsTheOneRttCache() {
    Acceptors acc = new Acceptors(1, 2, 3);
    Node a = new Node(acc, 1, DEFAULTS, 0);
    a.proposer.configure(1, QuorumSpec.majority(Set.of(1, 2, 3)), 0, 0);
    a.submit(K, put("x"), "w1");
    a.run();
    long prepares = a.sentCount(prepares());
    a.proposer.configure(2, QuorumSpec.majority(Set.of(1, 2, 3)), 0, 0);
    a.submit(K, put("y"), "w2");
    a.run();
    assertEquals(prepares + 3, a.sentCount(prepares()), "a full round after the new configuration");
  }

  @Test
  void configureMovesTheCounterAboveTheFloorAndIgnoresOlderEpochs() {
    Acceptors acc = new Acceptors(1, 2, 3);
    Node a = new Node(acc, 1, DEFAULTS, 0);
    a.proposer.configure(2, QuorumSpec.majority(Set.of(1, 2, 3)), 500, 0);
    assertEquals(500, a.proposer.counter());
    a.proposer.configure(1, QuorumSpec.majority(Set.of(1, 2)), 0, 0);
    assertEquals(2, a.proposer.epoch());
    assertEquals(Set.of(1, 2, 3), a.proposer.quorums().allNodes());
    for (int n : acc.ids()) acc.fences.put(n, new Acceptor.Fence(2, 500));
    a.submit(K, put("x"), "w");
    a.run();
    assertEquals(Outcome.APPLIED, a.result("w").outcome());
    assertTrue(acc.state(1, K).accepted().counter() > 500);
  }

  @Test
  void touchAcceptsAgainEvenWhenThePrepareShowsTheStateChosen() {
    Acceptors acc = new Acceptors(1, 2, 3);
    Node writer = new Node(acc, 1, DEFAULTS, 0);
    writer.submit(K, put("x"), "w");
    writer.run();
    Ballot before = acc.state(1, K).accepted();
    Node toucher = new Node(acc, 2, DEFAULTS, 0);
    toucher.submit(K, Change.Read.INSTANCE, "read");
    toucher.run();
    assertEquals(0, toucher.sentCount(accepts()), "a read of a chosen state sends no accept");
    toucher.submit(K, Change.Touch.INSTANCE, "touch");
    toucher.run();
    assertEquals(Outcome.APPLIED, toucher.result("touch").outcome());
    assertEquals(RegisterState.of("x", 1), ProposerTest.withoutIds(toucher.result("touch").result().state()));
    assertEquals(3, toucher.sentCount(accepts()));
    for (int n : acc.ids()) {
      assertTrue(acc.state(n, K).accepted().isAbove(before), "acceptor " + n + " accepted the state again");
      assertEquals(RegisterState.of("x", 1), ProposerTest.withoutIds(acc.state(n, K).state()));
    }
  }

  @Test
  void forgetOfATombstoneLeavesAbsentV0WithoutIdsAtANewBallotOnEveryAcceptor() {
    Acceptors acc = new Acceptors(1, 2, 3);
    Node writer = new Node(acc, 1, DEFAULTS, 0);
    writer.submit(K, put("x"), "w");
    writer.run();
    writer.submit(K, Change.Delete.UNCONDITIONAL, "d");
    writer.run();
    assertEquals(RegisterState.of(null, 2), ProposerTest.withoutIds(acc.state(1, K).state()));
    Ballot before = acc.state(1, K).accepted();
    Node gc = fencedGcNode(acc);
    gc.submit(K, Change.Forget.INSTANCE, "forget");
    gc.run();
    assertEquals(Outcome.APPLIED, gc.result("forget").outcome());
    assertEquals(3, gc.sentCount(accepts()), "the tombstone was chosen, yet the forget accepts on every acceptor");
    Ballot bc = acc.state(1, K).accepted();
    assertTrue(bc.isAbove(before));
    for (int n : acc.ids()) {
      RegisterState s = acc.state(n, K).state();
      assertEquals(bc, acc.state(n, K).accepted(), "acceptor " + n + " holds (absent, 0) at the forget's ballot");
      assertEquals(RegisterState.EMPTY, ProposerTest.withoutIds(s));
      assertEquals(0, s.requests().size(), "no request id left: acceptor " + n);
      assertTrue(Acceptor.collectable(acc.state(n, K), bc));
    }
  }

  /** Found by the simulator (seed 48, 3 acceptors): a repeat of the tombstone's delete was answered "v0". */
  @Test
  void aRepeatOfAWriteWhoseIdTheForgetDroppedIsUnknownNotAppliedAtVersionZero() {
    Acceptors acc = new Acceptors(1, 2, 3);
    Node writer = new Node(acc, 1, DEFAULTS, 0);
    writer.submit(K, put("x"), "w");
    writer.run();
    writer.submit(K, Change.Delete.UNCONDITIONAL, new RequestId(55, 10), false, "d");
    writer.run();
    assertEquals(Outcome.APPLIED, writer.result("d").outcome());
    Node gc = fencedGcNode(acc);
    gc.submit(K, Change.Forget.INSTANCE, "forget");
    gc.run();
    assertEquals(0, acc.state(1, K).state().version());
    assertTrue(acc.state(1, K).state().requests().mayHaveForgotten(new RequestId(55, 10)));
    Node retry = new Node(acc, 3, DEFAULTS, 0); // any proposer that reaches the acceptors runs under the fence
    retry.proposer.configure(2, QuorumSpec.majority(Set.of(1, 2, 3)), 0, 1_000);
    retry.submit(K, Change.Delete.UNCONDITIONAL, new RequestId(55, 10), false, "again");
    retry.run();
    assertEquals(Outcome.UNKNOWN, retry.result("again").outcome());
  }

  @Test
  void forgetKeepsATombstoneWhoseIdsAreNotOlderThanTheProposersForgottenBefore() {
    Acceptors acc = new Acceptors(1, 2, 3);
    Node writer = new Node(acc, 1, DEFAULTS, 0);
    writer.submit(K, Change.Delete.UNCONDITIONAL, new RequestId(1, 5), false, "w0"); // absent: no write, no id
    writer.submit(K, put("x"), new RequestId(56, 2_000), false, "w");
    writer.run();
    writer.submit(K, Change.Delete.UNCONDITIONAL, new RequestId(57, 2_001), false, "d");
    writer.run();
    RegisterState tombstone = acc.state(1, K).state();
    Node gc = fencedGcNode(acc); // forgottenBefore 1,000: below the ids' stamps
    gc.submit(K, Change.Forget.INSTANCE, "forget");
    gc.run();
    assertEquals(Outcome.APPLIED, gc.result("forget").outcome());
    for (int n : acc.ids()) assertEquals(tombstone, acc.state(n, K).state(), "acceptor " + n + " keeps the tombstone");
  }

  /** A GC node under epoch 2 with forgottenBefore 1,000 (the harness stamps ids with time 0). */
  private static Node fencedGcNode(Acceptors acc) {
    Node gc = new Node(acc, 2, DEFAULTS, 0);
    gc.proposer.configure(2, QuorumSpec.majority(Set.of(1, 2, 3)), 0, 1_000);
    return gc;
  }

  @Test
  void forgetOfALiveValueChangesNothing() {
    Acceptors acc = new Acceptors(1, 2, 3);
    Node writer = new Node(acc, 1, DEFAULTS, 0);
    writer.submit(K, put("x"), "w");
    writer.run();
    RegisterState held = acc.state(1, K).state();
    Node gc = new Node(acc, 2, DEFAULTS, 0);
    gc.submit(K, Change.Forget.INSTANCE, "forget");
    gc.run();
    assertEquals(Outcome.APPLIED, gc.result("forget").outcome());
    for (int n : acc.ids()) assertEquals(held, acc.state(n, K).state(), "acceptor " + n + " still holds the value");
    assertEquals(Change.Forget.INSTANCE.apply(RegisterState.EMPTY).state(), RegisterState.EMPTY);
  }

  @Test
  void aPutBatchedAfterAForgetBuildsOnEmpty() {
    Acceptors acc = new Acceptors(1, 2, 3);
    Node a = new Node(acc, 1, DEFAULTS, 0);
    a.submit(K, put("x"), "w");
    a.run();
    a.submit(K, Change.Delete.UNCONDITIONAL, "d");
    a.run();
    a.proposer.configure(2, QuorumSpec.majority(Set.of(1, 2, 3)), 0, 1_000);
    a.submit(K, Change.Read.INSTANCE, "read"); // a round in flight: the next two queue into one batch
    a.submit(K, Change.Forget.INSTANCE, "forget");
    a.submit(K, put("y"), "put");
    a.run();
    assertEquals(Outcome.APPLIED, a.result("forget").outcome());
    assertEquals(Outcome.APPLIED, a.result("put").outcome());
    assertEquals(RegisterState.of("y", 1), ProposerTest.withoutIds(a.result("put").result().state()));
    for (int n : acc.ids()) {
      assertEquals(RegisterState.of("y", 1), ProposerTest.withoutIds(acc.state(n, K).state()));
      assertEquals(1, acc.state(n, K).state().requests().size(), "only the put's id: the forget records none");
    }
  }

  @Test
  void repeatOfARequestStampedBeforeTheForgottenFenceIsUnknownNotAppliedAgain() {
    Acceptors acc = new Acceptors(1, 2, 3);
    Node a = new Node(acc, 1, DEFAULTS, 0);
    a.proposer.configure(2, QuorumSpec.majority(Set.of(1, 2, 3)), 0, 1_000);
    a.submit(K, put("again"), new RequestId(77, 999), false, "old");
    a.submit("k2", put("new"), new RequestId(78, 1_000), false, "recent");
    a.run();
    assertEquals(Outcome.UNKNOWN, a.result("old").outcome());
    assertEquals(RegisterState.EMPTY, acc.state(1, K).state());
    assertEquals(Outcome.APPLIED, a.result("recent").outcome());
  }

  @Test
  void clusterConfigNamesEveryAcceptorsIncarnationAndStepsEpochs() {
    QuorumSpec three = QuorumSpec.majority(Set.of(1, 2, 3));
    ClusterConfig c1 = ClusterConfig.bootstrap("c", three);
    assertEquals(1, c1.epoch());
    assertEquals(Map.of(1, 1L, 2, 1L, 3, 1L), c1.incarnations());
    ClusterConfig c2 = c1.next(QuorumSpec.majority(Set.of(1, 2, 3, 4)), Map.of(4, 1L));
    assertEquals(2, c2.epoch());
    assertEquals(1, c2.incarnation(4));
    assertEquals(0, c2.incarnation(5));
    ClusterConfig c3 = c2.fenced(90, 1234);
    assertEquals(new Acceptor.Fence(3, 90), c3.fence());
    assertEquals(c2.quorums(), c3.quorums());
    org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
        () -> new ClusterConfig("c", 1, three, Map.of(1, 1L, 2, 1L), 0, 0));
  }
}
