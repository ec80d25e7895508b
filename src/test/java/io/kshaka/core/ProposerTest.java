package io.kshaka.core;

import static io.kshaka.core.ProposerHarness.accepts;
import static io.kshaka.core.ProposerHarness.prepares;
import static io.kshaka.core.ProposerHarness.to;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kshaka.core.ChangeResult.Status;
import io.kshaka.core.ProposerHarness.Acceptors;
import io.kshaka.core.ProposerHarness.Node;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** the protocol rules (README, "How it works"), the proposer: driven by hand against real acceptor rules (see {@link ProposerHarness}). */
class ProposerTest {
  private static final String K = "k";
  private static final Proposer.Options DEFAULTS = Proposer.Options.defaults();
  private static final Proposer.Options NO_1RTT = DEFAULTS.withOneRtt(false);

  private static Change put(String v) {
    return new Change.Put(v.getBytes(StandardCharsets.UTF_8));
  }

  private static Ballot ballotOf(ProposerEffect.Send s) {
    return s.request().ballot();
  }

  private static void assertApplied(ProposerResult r, RegisterState expected) {
    assertEquals(Outcome.APPLIED, r.outcome(), r.toString());
    assertEquals(expected, withoutIds(r.result().state()));
  }

  /** The value and version of a state (these tests check values; request ids have tests of their own). */
  static RegisterState withoutIds(RegisterState s) {
    return new RegisterState(s.value(), s.version());
  }

  private static void assertEveryAcceptorHolds(Acceptors acc, RegisterState expected) {
    for (int n : acc.ids()) assertEquals(expected, withoutIds(acc.state(n, K).state()), "acceptor " + n);
  }

  @Test
  void oneChangeCompletesApplied() {
    Acceptors acc = new Acceptors(1, 2, 3);
    Node a = new Node(acc, 1, DEFAULTS, 0);
    a.submit(K, put("x"), "t");
    a.run();
    ProposerResult r = a.result("t");
    assertApplied(r, RegisterState.of("x", 1));
    assertEquals(Status.OK, r.result().status());
    assertEquals(3, a.sentCount(prepares()));
    assertEquals(3, a.sentCount(accepts()));
    assertEveryAcceptorHolds(acc, RegisterState.of("x", 1));
    assertEquals(0, a.proposer.activeKeys());
  }

  @Test
  void secondChangeOnTheSameKeySkipsPrepareWhileTheCacheHolds() {
    Acceptors acc = new Acceptors(1, 2, 3);
    Node a = new Node(acc, 1, DEFAULTS, 0);
    a.submit(K, put("x"), "t1");
    a.run();
    Ballot first = ballotOf(a.sent.get(0));
    long preparesBefore = a.sentCount(prepares());

    a.submit(K, put("y"), "t2");
    assertEquals(3, a.inFlight.size());
    for (ProposerEffect.Send s : a.inFlight) {
      AcceptorRequest.Accept accept = assertInstanceOf(AcceptorRequest.Accept.class, s.request());
      assertEquals(first.successor(), accept.ballot(), "1-RTT uses the promised next ballot");
      assertEquals(first.successor().successor(), accept.next());
      assertEquals(RegisterState.of("y", 2), withoutIds(accept.state()));
    }
    a.run();
    assertApplied(a.result("t2"), RegisterState.of("y", 2));

    a.submit(K, put("z"), "t3");
    a.run();
    assertApplied(a.result("t3"), RegisterState.of("z", 3));
    assertEquals(preparesBefore, a.sentCount(prepares()), "no prepare after the first round");
    assertEveryAcceptorHolds(acc, RegisterState.of("z", 3));
  }

  @Test
  void secondChangeRunsAFullRoundWithoutOneRtt() {
    Acceptors acc = new Acceptors(1, 2, 3);
    Node a = new Node(acc, 1, NO_1RTT, 0);
    a.submit(K, put("x"), "t1");
    a.run();
    a.submit(K, put("y"), "t2");
    assertEquals(3, a.inFlight.size());
    assertTrue(a.inFlight.stream().allMatch(ProposerHarness::isPrepare));
    a.run();
    assertApplied(a.result("t2"), RegisterState.of("y", 2));
    assertEquals(6, a.sentCount(prepares()));
  }

  @ParameterizedTest(name = "oneRtt={0}")
  @ValueSource(booleans = {true, false})
  void changesQueuedDuringARoundGoTogetherInTheNextRoundAndEachCallerGetsItsOwnState(boolean oneRtt) {
    Acceptors acc = new Acceptors(1, 2, 3);
    Node a = new Node(acc, 1, DEFAULTS.withOneRtt(oneRtt), 0);
    a.submit(K, new Change.Add(1), 1);
    int sends = a.sent.size();
    for (int i = 2; i <= 5; i++) {
      a.submit(K, new Change.Add(1), i);
      assertEquals(sends, a.sent.size(), "a change queued behind a round in flight sends nothing");
    }
    a.run();
    assertEquals(List.of(1, 2, 3, 4, 5), List.copyOf(a.results.keySet()), "completed in queue order");
    for (int i = 1; i <= 5; i++) assertApplied(a.result(i), RegisterState.of(Integer.toString(i), i));
    Set<Ballot> ballots = a.sent.stream().map(ProposerTest::ballotOf).collect(Collectors.toSet());
    assertEquals(2, ballots.size(), "one round for the first change, one for the four queued: " + ballots);
    assertEveryAcceptorHolds(acc, RegisterState.of("5", 5));
  }

  @Test
  void conflictDropsTheCacheAndTheRetryUsesABallotAboveTheConflict() {
    Acceptors acc = new Acceptors(1, 2, 3);
    Node a = new Node(acc, 1, DEFAULTS, 0);
    Node b = new Node(acc, 2, DEFAULTS, 100);
    a.submit(K, put("a1"), "a1");
    a.run();
    b.submit(K, put("b"), "b");
    b.run();
    assertApplied(b.result("b"), RegisterState.of("b", 2));
    Ballot conflicting = acc.state(1, K).promised();

    a.submit(K, put("a2"), "a2");
    assertTrue(a.inFlight.stream().allMatch(ProposerHarness::isAccept), "cache still valid as far as a knows");
    a.deliverAll();
    assertFalse(a.results.containsKey("a2"));
    assertEquals(1, a.wakes.size(), "backs off after the conflict");
    assertTrue(a.proposer.counter() >= conflicting.counter(), "counter fast-forwarded past " + conflicting);

    assertTrue(a.fireWake());
    assertEquals(3, a.inFlight.size());
    for (ProposerEffect.Send s : a.inFlight) {
      assertTrue(ProposerHarness.isPrepare(s), "cache dropped: the retry prepares: " + s);
      assertTrue(ballotOf(s).isAbove(conflicting), ballotOf(s) + " above " + conflicting);
    }
    a.run();
    // The fast accept of (a2, v2) went out and b's (b, v2) is chosen above it: same version, other value, so
    // (a2, v2) was never chosen and never can be; a2 is retried as a new change on top of b.
    assertApplied(a.result("a2"), RegisterState.of("a2", 3));
    assertEveryAcceptorHolds(acc, RegisterState.of("a2", 3));
  }

  @Test
  void prepareConflictRetriesAboveTheConflictingBallotAndApplies() {
    Acceptors acc = new Acceptors(1, 2, 3);
    Node a = new Node(acc, 1, NO_1RTT, 0);
    Node b = new Node(acc, 2, NO_1RTT, 100);
    a.submit(K, put("a1"), "a1");
    a.run();
    b.submit(K, Change.Read.INSTANCE, "read"); // promises b's high ballot everywhere
    b.run();
    Ballot conflicting = acc.state(2, K).promised();
    assertEquals(2, conflicting.nodeId());

    a.submit(K, put("a2"), "a2");
    Ballot firstTry = ballotOf(a.inFlight.get(0));
    assertTrue(firstTry.isBelow(conflicting));
    a.deliverAll();
    assertEquals(0, a.sentCount(accepts().and(s -> ballotOf(s).equals(firstTry))));
    assertTrue(a.fireWake());
    Ballot retry = ballotOf(a.inFlight.get(0));
    assertTrue(retry.isAbove(conflicting), retry + " above " + conflicting);
    a.run();
    assertApplied(a.result("a2"), RegisterState.of("a2", 2));
    assertEveryAcceptorHolds(acc, RegisterState.of("a2", 2));
  }

  @Test
  void reserveComesFirstAndNothingIsSentUntilTheFloorIsStored() {
    Acceptors acc = new Acceptors(1, 2, 3);
    Node a = new Node(acc, 1, DEFAULTS, 0);
    a.autoReserve = false;
    a.submit(K, put("x"), "t");
    assertEquals(1, a.reserveRequests.size());
    assertTrue(a.inFlight.isEmpty());
    a.submit("other", put("y"), "u");
    assertEquals(1, a.reserveRequests.size(), "one reservation at a time");
    assertTrue(a.inFlight.isEmpty());
    assertTrue(a.results.isEmpty());
    a.reserved(a.reserveRequests.get(0)); // the harness checks every send is below it
    assertEquals(6, a.inFlight.size());
    a.run();
    assertApplied(a.result("t"), RegisterState.of("x", 1));
    assertApplied(a.result("u"), RegisterState.of("y", 1));
  }

  @ParameterizedTest(name = "oneRtt={0}")
  @ValueSource(booleans = {true, false})
  void counterBlocksAreReservedAgainBeforeTheyRunOut(boolean oneRtt) {
    Acceptors acc = new Acceptors(1, 2, 3);
    Proposer.Options smallBlocks = new Proposer.Options(1, 50, 5_000, 256, 3, 100_000, oneRtt, 2_000, 4, 1 << 20);
    Node a = new Node(acc, 1, smallBlocks, 0);
    a.autoReserve = false;
    for (int i = 1; i <= 12; i++) {
      int reservesBefore = a.reserveRequests.size();
      a.submit(K, new Change.Add(1), i);
      if (a.inFlight.isEmpty()) {
        assertEquals(reservesBefore + 1, a.reserveRequests.size(), "change " + i + " waits for a reservation");
        a.reserved(a.reserveRequests.get(a.reserveRequests.size() - 1));
      }
      a.run();
      assertApplied(a.result(i), RegisterState.of(Integer.toString(i), i));
    }
    assertTrue(a.reserveRequests.size() >= 3, "reservations: " + a.reserveRequests);
  }

  @Test
  void restartedProposerUsesBallotsAboveEveryBallotUsedBefore() {
    Acceptors acc = new Acceptors(1, 2, 3);
    Proposer.Options smallBlocks = new Proposer.Options(1, 50, 5_000, 256, 4, 100_000, true, 2_000, 4, 1 << 20);
    Node a = new Node(acc, 1, smallBlocks, 0);
    Node b = new Node(acc, 2, smallBlocks, 40);
    for (int i = 0; i < 5; i++) {
      a.submit(K, new Change.Add(1), "a" + i);
      a.run();
    }
    b.submit(K, new Change.Add(1), "b"); // a will see b's higher ballot and jump past it
    b.run();
    for (int i = 5; i < 8; i++) {
      a.submit(K, new Change.Add(1), "a" + i);
      a.submit("other" + i, new Change.Add(1), "o" + i);
      a.run();
    }
    long highestUsed = 0;
    for (ProposerEffect.Send s : a.sent) {
      highestUsed = Math.max(highestUsed, s.request().ballot().counter());
      if (s.request() instanceof AcceptorRequest.Accept x && x.next() != null) {
        highestUsed = Math.max(highestUsed, x.next().counter());
      }
    }
    assertTrue(highestUsed > 40, "a used b's range too: " + highestUsed);

    // crash: everything in memory is lost; the stored floor survives
    Node restarted = new Node(acc, 1, smallBlocks, a.durableFloor);
    restarted.submit(K, new Change.Add(1), "after");
    restarted.submit("other5", new Change.Add(1), "after-other");
    restarted.run();
    for (ProposerEffect.Send s : restarted.sent) {
      assertTrue(s.request().ballot().counter() > highestUsed, s.request() + " not above " + highestUsed);
    }
    assertEquals(Outcome.APPLIED, restarted.result("after").outcome());
    assertApplied(restarted.result("after-other"), RegisterState.of("2", 2));
  }

  @Test
  void prepareFailingUntilTheDeadlineIsNotApplied() {
    Acceptors acc = new Acceptors(1, 2, 3);
    Node a = new Node(acc, 1, DEFAULTS, 0);
    a.unreachable.addAll(Set.of(2, 3));
    a.submit(K, put("x"), "t");
    a.run();
    ProposerResult r = a.result("t");
    assertEquals(Outcome.NOT_APPLIED, r.outcome(), r.toString());
    assertTrue(a.now >= DEFAULTS.requestTimeoutMillis(), "gave up at the deadline, not before: " + a.now);
    assertTrue(a.sentCount(prepares()) > 3, "retried");
    assertEquals(0, a.sentCount(accepts()));
    assertEquals(RegisterState.EMPTY, withoutIds(acc.state(1, K).state()));
  }

  @Test
  void acceptSentToAMinorityThenNoQuorumUntilTheDeadlineIsUnknown() {
    Acceptors acc = new Acceptors(1, 2, 3);
    Node a = new Node(acc, 1, DEFAULTS, 0);
    a.submit(K, put("x"), "t");
    a.deliverWhile(prepares());
    assertEquals(3, a.inFlight(accepts()).size());
    assertTrue(a.deliverFirst(accepts().and(to(1))));
    a.unreachable.addAll(Set.of(2, 3));
    a.run();
    ProposerResult r = a.result("t");
    assertEquals(Outcome.UNKNOWN, r.outcome(), r.toString());
    assertTrue(a.now >= DEFAULTS.requestTimeoutMillis());
    assertEquals(RegisterState.of("x", 1), withoutIds(acc.state(1, K).state()), "the minority did accept");
  }

  @Test
  void inDoubtBatchFoundAsTheHighestAcceptedIsCompletedExactlyOnce() {
    Acceptors acc = new Acceptors(1, 2, 3);
    Node a = new Node(acc, 1, DEFAULTS, 0);
    a.submit(K, put("10"), "put");
    a.run();
    a.submit(K, new Change.Add(1), "add"); // 1-RTT accept of ("11", 2)
    assertTrue(a.deliverFirst(accepts().and(to(1))));
    a.loseAll(accepts());
    assertFalse(a.results.containsKey("add"));
    assertEquals(RegisterState.of("11", 2), withoutIds(acc.state(1, K).state()));

    assertTrue(a.fireWake());
    assertTrue(a.inFlight.stream().allMatch(ProposerHarness::isPrepare), "an in-doubt batch needs a full round");
    a.run(); // prepares reach 1 and 2 first: the highest accepted is a's own in-doubt accept
    assertApplied(a.result("add"), RegisterState.of("11", 2));
    assertEveryAcceptorHolds(acc, RegisterState.of("11", 2));
    for (ProposerEffect.Send s : a.sent) {
      if (s.request() instanceof AcceptorRequest.Accept x && x.key().equals(K)) {
        assertFalse(x.state().equals(RegisterState.of("12", 3)), "the add was applied twice: " + x);
      }
    }
  }

  /** The in-doubt accept did reach a quorum (only the replies were lost): the next prepare shows it chosen. */
  @Test
  void inDoubtBatchAlreadyChosenCompletesWithoutAnotherAccept() {
    Acceptors acc = new Acceptors(1, 2, 3);
    Node a = new Node(acc, 1, NO_1RTT, 0);
    a.submit(K, new Change.Add(5), "add");
    a.deliverWhile(prepares());
    a.deliverLosingReply(a.inFlight(accepts().and(to(1))).get(0));
    a.deliverLosingReply(a.inFlight(accepts().and(to(2))).get(0));
    a.loseAll(accepts());
    assertFalse(a.results.containsKey("add"));
    long acceptsBefore = a.sentCount(accepts());
    a.run();
    assertApplied(a.result("add"), RegisterState.of("5", 1));
    assertEquals(acceptsBefore, a.sentCount(accepts()), "the replies show the batch chosen: no accept needed");
    assertEquals(RegisterState.of("5", 1), withoutIds(acc.state(1, K).state()));
    assertEquals(RegisterState.of("5", 1), withoutIds(acc.state(2, K).state()));
  }

  /**
   * A change that may have been proposed before and is refused on a state found chosen still sends an accept: an
   * older accept that carried it (here on acceptor 1 only) must be fenced, or a later round that sees acceptor 1
   * adopts it and the change is applied after it was answered as refused (found by the simulator, issue 8).
   */
  @Test
  void refusedRetryOfAChangeFencesItsLingeringAccept() {
    Acceptors acc = new Acceptors(1, 2, 3);
    Ballot chosen = new Ballot(0, 8);
    Ballot lingering = new Ballot(0, 9);
    RegisterState text = RegisterState.of("x", 1);
    acc.set(2, K, new AcceptorState(chosen, chosen, text));
    acc.set(3, K, new AcceptorState(chosen, chosen, text));
    acc.set(1, K, new AcceptorState(lingering, lingering, RegisterState.of("7", 2)));  // a crashed proposer's
    Node a = new Node(acc, 1, NO_1RTT, 0);
    a.submit(K, new Change.Add(1), new RequestId(42, 0), false, "add");
    a.deliverWhile(prepares().and(to(1, 2)));  // adopts ("7", v2) from acceptor 1 and adds: ("8", v3)
    a.loseAll(prepares());
    assertTrue(a.deliverFirst(accepts().and(to(1))));
    a.loseAll(accepts());
    a.unreachable.add(1);
    a.run();  // 2 and 3 show ("x", v1) chosen: the add is refused
    assertEquals(Status.NOT_INTEGER, a.result("add").result().status());
    assertTrue(acc.state(2, K).accepted().isAbove(acc.state(1, K).accepted()),
        "no accept fenced acceptor 1's ballot " + acc.state(1, K).accepted());
    Node b = new Node(acc, 2, NO_1RTT, 0);
    b.unreachable.add(3);
    b.submit(K, Change.Read.INSTANCE, "read");
    b.run();
    assertEquals(text, withoutIds(b.result("read").result().state()), "the refused add was applied later");
  }

  /** Two rounds in a row end in doubt; the third finds the second's accept and completes the batch once. */
  @Test
  void batchInDoubtTwiceIsStillAppliedOnce() {
    Acceptors acc = new Acceptors(1, 2, 3);
    Node a = new Node(acc, 1, DEFAULTS, 0);
    a.submit(K, new Change.Add(1), "add");
    a.deliverWhile(prepares());
    assertTrue(a.deliverFirst(accepts().and(to(1))));
    a.loseAll(accepts());
    assertTrue(a.fireWake());
    a.deliverWhile(prepares()); // 1 and 2 promise: 1 shows the in-doubt accept
    assertTrue(a.deliverFirst(accepts().and(to(2))));
    a.loseAll(accepts());
    assertFalse(a.results.containsKey("add"));
    a.unreachable.add(1);
    a.run(); // prepares: 1 times out, 2 and 3 promise; 2 shows the second in-doubt accept
    assertApplied(a.result("add"), RegisterState.of("1", 1));
    assertEquals(RegisterState.of("1", 1), withoutIds(acc.state(2, K).state()));
    assertEquals(RegisterState.of("1", 1), withoutIds(acc.state(3, K).state()));
  }

  /** the protocol rules (README, "How it works"), membership change: prepare on {1,2,3} (quorum 2), accept on {1,2,3,4} (quorum 3). */
  @Test
  void proposerRunsWithSeparatePrepareAndAcceptSets() {
    Acceptors acc = new Acceptors(1, 2, 3, 4);
    QuorumSpec growing = new QuorumSpec(Set.of(1, 2, 3), 2, Set.of(1, 2, 3, 4), 3);
    Node a = new Node(acc, 1, growing, DEFAULTS, 0);
    a.submit(K, put("x"), "t1");
    a.run();
    assertApplied(a.result("t1"), RegisterState.of("x", 1));
    assertEquals(Set.of(1, 2, 3), a.sent.stream().filter(ProposerHarness::isPrepare).map(ProposerEffect.Send::to)
        .collect(Collectors.toSet()));
    assertEquals(Set.of(1, 2, 3, 4), a.sent.stream().filter(ProposerHarness::isAccept)
        .map(ProposerEffect.Send::to).collect(Collectors.toSet()));
    assertEquals(RegisterState.of("x", 1), withoutIds(acc.state(4, K).state()));

    // acceptor 4 down: accept quorum 3 of 4 still reachable, and 1-RTT still holds (1,2,3 promised next)
    a.unreachable.add(4);
    a.submit(K, put("y"), "t2");
    assertTrue(a.inFlight.stream().allMatch(ProposerHarness::isAccept));
    a.run();
    assertApplied(a.result("t2"), RegisterState.of("y", 2));

    // two acceptors of the accept set down: no accept quorum
    a.unreachable.add(3);
    a.submit(K, put("z"), "t3");
    a.run();
    assertEquals(Outcome.UNKNOWN, a.result("t3").outcome());
  }

  @Test
  void inDoubtBatchSupersededByAnotherProposerIsReappliedExactlyOnceByItsRequestId() {
    Acceptors acc = new Acceptors(1, 2, 3);
    Node a = new Node(acc, 1, DEFAULTS, 0);
    Node b = new Node(acc, 2, DEFAULTS, 100);
    a.submit(K, put("x"), "x");
    Ballot firstRound = ballotOf(a.inFlight.get(0));
    a.submit(K, put("a"), "a"); // queued: goes with the read in the next round
    a.submit(K, Change.Read.INSTANCE, "r");
    while (!a.results.containsKey("x")) a.deliver(a.inFlight.get(0));
    a.deliverWhile(s -> ballotOf(s).equals(firstRound)); // the first round's last accept
    assertEquals(3, a.inFlight(accepts()).size(), "the batch [put a, read] goes out as a 1-RTT accept");
    assertTrue(a.deliverFirst(accepts().and(to(1))));
    a.loseAll(accepts());
    assertEquals(RegisterState.of("a", 2), withoutIds(acc.state(1, K).state()));

    b.unreachable.add(1);
    b.submit(K, put("b"), "b");
    b.run();
    assertApplied(b.result("b"), RegisterState.of("b", 2));

    a.run();
    // The prepare fenced the in-doubt accept and found a state without the put's id: it was never chosen and can
    // never be, so the put is applied now, once, on top of b.
    assertApplied(a.result("a"), RegisterState.of("a", 3));
    assertApplied(a.result("r"), RegisterState.of("a", 3));
    assertEveryAcceptorHolds(acc, RegisterState.of("a", 3));
  }

  @Test
  void readWhosePrepareRepliesShowTheValueChosenSendsNoAccept() {
    Acceptors acc = new Acceptors(1, 2, 3);
    Node a = new Node(acc, 1, DEFAULTS, 0);
    a.submit(K, put("x"), "w");
    a.run();
    Node reader = new Node(acc, 2, DEFAULTS, 0);
    reader.submit(K, Change.Read.INSTANCE, "r");
    reader.submit("absent", Change.Read.INSTANCE, "r-absent");
    reader.run();
    assertApplied(reader.result("r"), RegisterState.of("x", 1));
    assertApplied(reader.result("r-absent"), RegisterState.EMPTY);
    assertEquals(0, reader.sentCount(accepts()));

    // a change that decides not to change is the same as a read
    reader.submit(K, new Change.CompareAndSet(7, "nope".getBytes(StandardCharsets.UTF_8)), "cas");
    reader.run();
    ProposerResult cas = reader.result("cas");
    assertApplied(cas, RegisterState.of("x", 1));
    assertEquals(Status.VERSION_MISMATCH, cas.result().status());
    assertEquals(0, reader.sentCount(accepts()));
  }

  @Test
  void readWhosePrepareRepliesDoNotShowTheValueChosenSendsAccept() {
    Acceptors acc = new Acceptors(1, 2, 3);
    Ballot older = new Ballot(4, 3);
    Ballot newer = new Ballot(5, 3);
    acc.set(1, K, new AcceptorState(newer, newer, RegisterState.of("z", 3)));
    acc.set(2, K, new AcceptorState(older, older, RegisterState.of("y", 2)));
    acc.set(3, K, new AcceptorState(older, older, RegisterState.of("y", 2)));
    Node reader = new Node(acc, 2, DEFAULTS, 10);
    reader.submit(K, Change.Read.INSTANCE, "r");
    reader.run();
    assertApplied(reader.result("r"), RegisterState.of("z", 3));
    assertEquals(3, reader.sentCount(accepts()));
    assertEveryAcceptorHolds(acc, RegisterState.of("z", 3));
  }

  /** A prepare's timeout that fires during the accept phase is not a vote in the accept phase. */
  @Test
  void latePrepareTimeoutDoesNotCountAgainstTheAcceptPhase() {
    Acceptors acc = new Acceptors(1, 2, 3);
    Node a = new Node(acc, 1, DEFAULTS, 0);
    a.submit(K, put("x"), "t");
    ProposerEffect.Send slowPrepare = a.inFlight(prepares().and(to(3))).get(0);
    assertTrue(a.deliverFirst(prepares().and(to(1))));
    assertTrue(a.deliverFirst(prepares().and(to(2))));
    assertEquals(3, a.inFlight(accepts()).size());
    a.lose(slowPrepare); // acceptor 3 was slow: its prepare times out now
    assertTrue(a.deliverFirst(accepts().and(to(3))));
    a.loseAll(accepts().and(to(1)));
    assertTrue(a.deliverFirst(accepts().and(to(2))));
    // acceptors 2 and 3 accepted: the value is chosen and the caller is answered now
    assertEquals(RegisterState.of("x", 1), withoutIds(acc.state(2, K).state()));
    assertEquals(RegisterState.of("x", 1), withoutIds(acc.state(3, K).state()));
    assertTrue(a.results.containsKey("t"), "chosen by 2 and 3, but the round did not see it");
    assertApplied(a.result("t"), RegisterState.of("x", 1));
    assertTrue(a.wakes.isEmpty());
  }

  @Test
  void duplicatedAndLateRepliesChangeNothing() {
    Acceptors acc = new Acceptors(1, 2, 3);
    Node a = new Node(acc, 1, DEFAULTS, 0);
    a.submit(K, put("x"), "t");
    a.deliverWhile(prepares());
    ProposerEffect.Send first = a.inFlight(accepts()).get(0);
    a.deliver(first);
    // the same Accepted delivered again does not make a quorum
    a.feed(a.proposer.onReply(a.now, first.roundId(), first.to(), AcceptorReply.Accepted.INSTANCE));
    assertFalse(a.results.containsKey("t"));
    a.deliverFirst(accepts());
    assertApplied(a.result("t"), RegisterState.of("x", 1));
    // the round is over: its last reply produces nothing
    int sent = a.sent.size();
    a.deliverAll();
    assertEquals(sent, a.sent.size());
    assertEquals(1, a.results.size());
    assertEquals(List.of(), a.proposer.onNoVote(a.now, first.roundId(), 2));
  }

  @Test
  void refusedChangeIsAnsweredWithItsVerdictAndChangesNothing() {
    Acceptors acc = new Acceptors(1, 2, 3);
    Node a = new Node(acc, 1, DEFAULTS, 0);
    a.submit(K, put("x"), "put");
    a.submit(K, new Change.CompareAndSet(0, "late".getBytes(StandardCharsets.UTF_8)), "cas-stale");
    a.submit(K, new Change.CompareAndSet(1, "y".getBytes(StandardCharsets.UTF_8)), "cas-ok");
    a.submit(K, new Change.Add(1), "add-not-integer");
    a.run();
    assertApplied(a.result("put"), RegisterState.of("x", 1));
    assertEquals(Status.VERSION_MISMATCH, a.result("cas-stale").result().status());
    assertApplied(a.result("cas-stale"), RegisterState.of("x", 1));
    assertApplied(a.result("cas-ok"), RegisterState.of("y", 2));
    assertEquals(Status.NOT_INTEGER, a.result("add-not-integer").result().status());
    assertApplied(a.result("add-not-integer"), RegisterState.of("y", 2));
    assertEveryAcceptorHolds(acc, RegisterState.of("y", 2));
  }

  // ---- request ids: exactly once (README, "How it works")

  @Test
  void takeoverOfAChangeTheLostHomeGotChosenAnswersItWithoutApplyingItAgain() {
    Acceptors acc = new Acceptors(1, 2, 3);
    Node home = new Node(acc, 1, NO_1RTT, 0);
    RequestId id = new RequestId(77, 1_000);
    home.submit(K, new Change.Add(5), id, true, "home");
    home.deliverWhile(prepares());
    home.deliverLosingReply(home.inFlight(accepts().and(to(1))).get(0));
    home.deliverLosingReply(home.inFlight(accepts().and(to(2))).get(0));
    home.crash(); // the home is lost with the add chosen and nobody told

    Node other = new Node(acc, 2, NO_1RTT, 100);
    other.submit(K, new Change.Add(5), id, false, "takeover");
    other.run();
    assertApplied(other.result("takeover"), RegisterState.of("5", 1));
    assertEquals(RegisterState.of("5", 1), withoutIds(acc.state(1, K).state()));
    assertEquals(RegisterState.of("5", 1), withoutIds(acc.state(2, K).state()));
    assertEquals(1, other.proposer.stats().duplicates, "found applied, not applied again");
  }

  @Test
  void takeoverOfAChangeTheLostHomeNeverSentAppliesItOnce() {
    Acceptors acc = new Acceptors(1, 2, 3);
    Node home = new Node(acc, 1, NO_1RTT, 0);
    RequestId id = new RequestId(78, 1_000);
    home.submit(K, new Change.Add(5), id, true, "home");
    home.crash(); // lost before its prepare went anywhere

    Node other = new Node(acc, 2, NO_1RTT, 100);
    other.submit(K, new Change.Add(5), id, false, "takeover");
    other.run();
    assertApplied(other.result("takeover"), RegisterState.of("5", 1));
    assertEquals(0, other.proposer.stats().duplicates);
  }

  @Test
  void clientRetryOfAnAppliedAddGetsTheFirstAnswerEvenAfterLaterChanges() {
    Acceptors acc = new Acceptors(1, 2, 3);
    Node a = new Node(acc, 1, DEFAULTS, 0);
    RequestId id = RequestId.of("client-add-1", 500);
    a.submit(K, new Change.Add(10), id, false, "first");
    a.run();
    a.submit(K, new Change.Add(1), "later");
    a.run();
    a.submit(K, new Change.Add(10), id, false, "retry");
    a.run();
    assertApplied(a.result("retry"), RegisterState.of("10", 1));
    assertEveryAcceptorHolds(acc, RegisterState.of("11", 2));
  }

  @Test
  void retryWhoseIdTheRegisterMayHaveForgottenIsUnknownAndCounted() {
    Acceptors acc = new Acceptors(1, 2, 3);
    Node a = new Node(acc, 1, DEFAULTS, 0);
    RequestId id = new RequestId(5, 500);
    a.submit(K, put("first"), id, false, "first");
    a.run();
    for (int i = 0; i < RequestLog.DEFAULT_BOUND; i++) {
      a.submit(K, put("w" + i), new RequestId(100 + i, 600 + i), true, "w" + i);
      a.run();
    }
    a.submit(K, put("first"), id, false, "retry");
    a.run();
    assertEquals(Outcome.UNKNOWN, a.result("retry").outcome(), a.result("retry").toString());
    assertEquals(1, a.proposer.stats().forgotten);
    assertEveryAcceptorHolds(acc, RegisterState.of("w3", 5));
  }

  /**
   * A router took over a put it had dispatched fresh to this home (its window passed); the takeover applied it, and
   * four more writes pushed its id out. The home's own copy, run only now, must not apply it again as fresh.
   */
  @Test
  void aFreshDispatchRunAfterItsWindowIsTreatedAsProposedElsewhere() {
    Acceptors acc = new Acceptors(1, 2, 3);
    Node router = new Node(acc, 2, DEFAULTS, 0);
    Node home = new Node(acc, 1, DEFAULTS, 0);
    RequestId id = new RequestId(5, 500);
    router.submit(K, put("once"), id, false, "takeover");
    router.run();
    for (int i = 0; i < RequestLog.DEFAULT_BOUND; i++) {
      router.submit(K, put("w" + i), new RequestId(100 + i, 600 + i), true, "w" + i);
      router.run();
    }
    home.now = 500 + Proposer.FRESH_MILLIS + 1; // the wall clock, past the dispatch's fresh window
    home.submit(K, put("once"), id, 500 + Proposer.FRESH_MILLIS, "late");
    home.run();
    assertEquals(Outcome.UNKNOWN, home.result("late").outcome(), home.result("late").toString());
    assertEveryAcceptorHolds(acc, RegisterState.of("w3", 5));
    // inside its window the same dispatch is fresh: applied, and 1-RTT-eligible
    home.submit(K, put("in-time"), new RequestId(7, home.now), home.now + Proposer.FRESH_MILLIS, "in-time");
    home.run();
    assertApplied(home.result("in-time"), RegisterState.of("in-time", 6));
  }

  @Test
  void retryStampedAboveEveryForgottenIdIsKnownNewAndApplied() {
    Acceptors acc = new Acceptors(1, 2, 3);
    Node a = new Node(acc, 1, DEFAULTS, 0);
    for (int i = 0; i < RequestLog.DEFAULT_BOUND + 2; i++) {
      a.submit(K, put("w" + i), new RequestId(100 + i, 600 + i), true, "w" + i);
      a.run();
    }
    a.submit(K, put("new"), new RequestId(5, 10_000), false, "retry");
    a.run();
    assertApplied(a.result("retry"), RegisterState.of("new", RequestLog.DEFAULT_BOUND + 3));
  }

  @Test
  void takeoverThatFindsNoQuorumIsUnknownNeverNotApplied() {
    Acceptors acc = new Acceptors(1, 2, 3);
    Node a = new Node(acc, 1, DEFAULTS, 0);
    a.unreachable.addAll(List.of(1, 2));
    a.submit(K, put("x"), new RequestId(9, 1), false, "takeover");
    a.submit("other", put("y"), "fresh");
    a.run();
    // The lost home may still apply the first: only a change nobody else holds is "not applied".
    assertEquals(Outcome.UNKNOWN, a.result("takeover").outcome());
    assertEquals(Outcome.NOT_APPLIED, a.result("fresh").outcome());
  }

  @Test
  void changeLeavingAValueOverTheLimitIsRefusedBeforeAnyAccept() {
    Acceptors acc = new Acceptors(1, 2, 3);
    Proposer.Options small = new Proposer.Options(1, 50, 5_000, 256, 10_000, 100_000, true, 2_000, 4, 8);
    Node a = new Node(acc, 1, small, 0);
    a.submit(K, put("12345678"), "fits");
    a.submit(K, new Change.Custom(v -> "123456789".getBytes(StandardCharsets.UTF_8)), "too big");
    a.run();
    assertApplied(a.result("fits"), RegisterState.of("12345678", 1));
    assertEquals(ChangeResult.Status.TOO_LARGE, a.result("too big").result().status());
    assertEveryAcceptorHolds(acc, RegisterState.of("12345678", 1));
  }

  @Test
  void changeFunctionsGetACopyOfTheRegistersBytes() {
    Acceptors acc = new Acceptors(1, 2, 3);
    Node a = new Node(acc, 1, DEFAULTS, 0);
    a.submit(K, put("abc"), "put");
    a.run();
    a.submit(K, new Change.Custom(v -> {
      v[0] = 'Y'; // scribbles on its argument, then refuses: the register must be untouched
      throw new IllegalStateException("no");
    }), "refused");
    a.run();
    assertEquals(Status.REJECTED, a.result("refused").result().status());
    assertEveryAcceptorHolds(acc, RegisterState.of("abc", 1));
  }

}
