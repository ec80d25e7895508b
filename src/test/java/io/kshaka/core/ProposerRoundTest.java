package io.kshaka.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kshaka.core.ProposerRound.Chosen;
import io.kshaka.core.ProposerRound.Failed;
import io.kshaka.core.ProposerRound.Phase;
import io.kshaka.core.ProposerRound.Promised;
import io.kshaka.core.ProposerRound.Step;
import io.kshaka.core.ProposerRound.Waiting;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** the protocol rules (README, "How it works"), proposer steps 2-4: one round decided reply by reply. */
class ProposerRoundTest {
  private static final Ballot B = new Ballot(10, 1);
  private static final Ballot NEXT = B.successor();
  private static final QuorumSpec THREE = QuorumSpec.majority(List.of(1, 2, 3));
  private static final QuorumSpec FIVE = QuorumSpec.majority(List.of(1, 2, 3, 4, 5));
  /** Growing 3 -> 4 (the protocol rules (README, "How it works"), membership change): prepare on the old three, accept on all four. */
  private static final QuorumSpec GROWING = new QuorumSpec(Set.of(1, 2, 3), 2, Set.of(1, 2, 3, 4), 3);

  private static AcceptorReply.Promise promise(Ballot accepted, String value) {
    return new AcceptorReply.Promise(accepted, RegisterState.of(value, accepted.counter()));
  }

  private static AcceptorReply.Promise nothingAccepted() {
    return new AcceptorReply.Promise(Ballot.ZERO, RegisterState.EMPTY);
  }

  private static final AcceptorReply ACCEPTED = AcceptorReply.Accepted.INSTANCE;

  private static AcceptorReply conflict(Ballot higher) {
    return new AcceptorReply.Conflict(higher);
  }

  /** A round already in its accept phase (after a prepare quorum on {@code spec}). */
  private static ProposerRound inAccept(QuorumSpec spec, Ballot next) {
    ProposerRound r = ProposerRound.full(B, next, spec);
    List<Integer> nodes = new ArrayList<>(new java.util.TreeSet<>(spec.prepareNodes()));
    Step s = Waiting.INSTANCE;
    for (int i = 0; i < spec.prepareQuorum(); i++) s = r.onReply(nodes.get(i), nothingAccepted());
    assertInstanceOf(Promised.class, s);
    r.beginAccept(RegisterState.of("new", 1));
    return r;
  }

  @Test
  void promisedAsSoonAsAPrepareQuorumPromisedNotAfterAllAnswered() {
    ProposerRound r = ProposerRound.full(B, NEXT, FIVE);
    assertEquals(Phase.PREPARE, r.phase());
    assertEquals(FIVE.prepareNodes(), r.targets());
    assertEquals(Waiting.INSTANCE, r.onReply(4, nothingAccepted()));
    assertEquals(Waiting.INSTANCE, r.onNoVote(1));
    assertEquals(Waiting.INSTANCE, r.onReply(2, nothingAccepted()));
    Step s = r.onReply(5, nothingAccepted());
    assertEquals(new Promised(Ballot.ZERO, RegisterState.EMPTY, true), s);
  }

  @Test
  void promisedPicksTheStateWithTheHighestAcceptedBallotWhateverTheOrder() {
    List<AcceptorReply.Promise> replies = List.of(promise(new Ballot(1, 3), "a"), promise(new Ballot(3, 1), "c"),
        promise(new Ballot(2, 9), "b"), nothingAccepted(), promise(new Ballot(3, 0), "c0"));
    // every order of the five replies: the quorum of 3 is the first three fed
    for (List<Integer> order : permutations(List.of(0, 1, 2, 3, 4))) {
      ProposerRound r = ProposerRound.full(B, NEXT, FIVE);
      Step s = Waiting.INSTANCE;
      Ballot expected = Ballot.ZERO;
      for (int i = 0; i < 3; i++) {
        AcceptorReply.Promise p = replies.get(order.get(i));
        expected = Ballot.max(expected, p.accepted());
        s = r.onReply(i + 1, p);
      }
      Promised promised = assertInstanceOf(Promised.class, s, order.toString());
      assertEquals(expected, promised.highestAccepted(), order.toString());
      assertEquals(expected.equals(Ballot.ZERO) ? RegisterState.EMPTY
          : RegisterState.of(valueAt(replies, expected), expected.counter()), promised.state(), order.toString());
      assertFalse(promised.chosen(), order + ": no accept quorum at one ballot");
    }
  }

  @Test
  void chosenWhenAnAcceptQuorumOfRepliesCarryTheHighestBallot() {
    Ballot b = new Ballot(4, 2);
    ProposerRound r = ProposerRound.full(B, NEXT, THREE);
    r.onReply(3, promise(b, "x"));
    assertEquals(new Promised(b, RegisterState.of("x", 4), true), r.onReply(1, promise(b, "x")));
  }

  @Test
  void notChosenWhenOnlySomeRepliesCarryTheHighestBallot() {
    Ballot low = new Ballot(3, 2);
    Ballot high = new Ballot(4, 2);
    ProposerRound r = ProposerRound.full(B, NEXT, THREE);
    r.onReply(1, promise(low, "w"));
    assertEquals(new Promised(high, RegisterState.of("x", 4), false), r.onReply(2, promise(high, "x")));

    // five acceptors: two at the highest, reached after two at a lower ballot
    ProposerRound r5 = ProposerRound.full(B, NEXT, FIVE);
    r5.onReply(1, promise(low, "w"));
    r5.onReply(2, promise(high, "x"));
    Promised p5 = assertInstanceOf(Promised.class, r5.onReply(3, promise(high, "x")));
    assertFalse(p5.chosen());

    // a higher ballot arriving last resets the count
    ProposerRound r5b = ProposerRound.full(B, NEXT, FIVE);
    r5b.onReply(1, promise(low, "w"));
    r5b.onReply(2, promise(low, "w"));
    Promised p5b = assertInstanceOf(Promised.class, r5b.onReply(3, promise(high, "x")));
    assertEquals(high, p5b.highestAccepted());
    assertFalse(p5b.chosen());

    // three at the same ballot on five: an accept quorum
    ProposerRound r5c = ProposerRound.full(B, NEXT, FIVE);
    r5c.onReply(5, promise(high, "x"));
    r5c.onReply(2, promise(high, "x"));
    assertTrue(assertInstanceOf(Promised.class, r5c.onReply(4, promise(high, "x"))).chosen());
  }

  /** Only acceptors of the accept set count towards "chosen". */
  @Test
  void chosenCountsOnlyRepliesFromTheAcceptSet() {
    Ballot b = new Ballot(4, 2);
    QuorumSpec shrinking = new QuorumSpec(Set.of(1, 2, 3, 4), 3, Set.of(1, 2, 3), 2);
    ProposerRound r = ProposerRound.full(B, NEXT, shrinking);
    r.onReply(4, promise(b, "x"));
    r.onReply(1, promise(b, "x"));
    assertFalse(assertInstanceOf(Promised.class, r.onReply(2, promise(new Ballot(3, 1), "w"))).chosen());

    ProposerRound r2 = ProposerRound.full(B, NEXT, shrinking);
    r2.onReply(4, promise(new Ballot(3, 1), "w"));
    r2.onReply(1, promise(b, "x"));
    assertTrue(assertInstanceOf(Promised.class, r2.onReply(2, promise(b, "x"))).chosen());
  }

  @Test
  void prepareFailsAsSoonAsConflictsAndNoVotesExceedTheTolerance() {
    ProposerRound r = ProposerRound.full(B, NEXT, FIVE);
    assertEquals(Waiting.INSTANCE, r.onReply(1, conflict(new Ballot(12, 3))));
    assertEquals(Waiting.INSTANCE, r.onReply(2, nothingAccepted()));
    assertEquals(Waiting.INSTANCE, r.onNoVote(3));
    Step s = r.onReply(4, conflict(new Ballot(11, 7)));
    assertEquals(new Failed(Phase.PREPARE, new Ballot(12, 3), false), s);
    assertEquals(Phase.DONE, r.phase());
    // nothing after the decision counts
    assertEquals(Waiting.INSTANCE, r.onReply(5, nothingAccepted()));
  }

  @Test
  void failureWithOnlyMissingVotesReportsNoConflict() {
    ProposerRound r = ProposerRound.full(B, NEXT, THREE);
    assertEquals(Waiting.INSTANCE, r.onNoVote(2));
    assertEquals(new Failed(Phase.PREPARE, null, false), r.onNoVote(3));
  }

  @Test
  void acceptFailsAsSoonAsConflictsAndNoVotesExceedTheToleranceWithAcceptSent() {
    ProposerRound r = inAccept(FIVE, NEXT);
    assertEquals(Phase.ACCEPT, r.phase());
    assertEquals(Waiting.INSTANCE, r.onReply(1, ACCEPTED));
    assertEquals(Waiting.INSTANCE, r.onNoVote(2));
    assertEquals(Waiting.INSTANCE, r.onReply(3, conflict(new Ballot(20, 2))));
    assertEquals(new Failed(Phase.ACCEPT, new Ballot(20, 2), true), r.onReply(4, conflict(new Ballot(15, 5))));
  }

  @Test
  void fastRoundStartsInAcceptAndItsFailureHasAcceptSent() {
    ProposerRound r = ProposerRound.fast(B, NEXT, THREE, RegisterState.of("x", 3));
    assertEquals(Phase.ACCEPT, r.phase());
    assertEquals(THREE.acceptNodes(), r.targets());
    assertEquals(new AcceptorRequest.Accept("k", B, RegisterState.of("x", 3), NEXT), r.acceptRequest("k"));
    r.onReply(1, conflict(new Ballot(30, 2)));
    assertEquals(new Failed(Phase.ACCEPT, new Ballot(30, 2), true), r.onNoVote(2));
  }

  @Test
  void chosenAsSoonAsAnAcceptQuorumAccepted() {
    ProposerRound r = inAccept(FIVE, NEXT);
    assertEquals(Waiting.INSTANCE, r.onReply(5, ACCEPTED));
    assertEquals(Waiting.INSTANCE, r.onNoVote(1));
    assertEquals(Waiting.INSTANCE, r.onReply(3, ACCEPTED));
    assertEquals(new Chosen(true), r.onReply(2, ACCEPTED));
    assertEquals(Phase.DONE, r.phase());
    assertEquals(Waiting.INSTANCE, r.onReply(4, ACCEPTED));
  }

  @Test
  void duplicateRepliesFromOneNodeCountOnce() {
    ProposerRound r = ProposerRound.full(B, NEXT, THREE);
    assertEquals(Waiting.INSTANCE, r.onReply(1, nothingAccepted()));
    assertEquals(Waiting.INSTANCE, r.onReply(1, nothingAccepted()));
    assertEquals(Waiting.INSTANCE, r.onReply(1, conflict(new Ballot(99, 9))));
    assertEquals(Waiting.INSTANCE, r.onNoVote(1));
    assertEquals(Phase.PREPARE, r.phase());

    ProposerRound c = ProposerRound.full(B, NEXT, THREE);
    assertEquals(Waiting.INSTANCE, c.onReply(2, conflict(new Ballot(11, 1))));
    assertEquals(Waiting.INSTANCE, c.onReply(2, conflict(new Ballot(11, 1))));
    assertEquals(Waiting.INSTANCE, c.onNoVote(2));
    assertEquals(Waiting.INSTANCE, c.onReply(1, nothingAccepted()));
    assertInstanceOf(Promised.class, c.onReply(3, nothingAccepted()));

    ProposerRound a = inAccept(THREE, NEXT);
    assertEquals(Waiting.INSTANCE, a.onReply(3, ACCEPTED));
    assertEquals(Waiting.INSTANCE, a.onReply(3, ACCEPTED));
    assertEquals(Waiting.INSTANCE, a.onNoVote(1));
    assertEquals(Waiting.INSTANCE, a.onNoVote(1));
    assertEquals(Phase.ACCEPT, a.phase());
    assertEquals(new Chosen(true), a.onReply(2, ACCEPTED));
  }

  @Test
  void repliesFromNodesOutsideThePhaseSetAreIgnored() {
    ProposerRound r = ProposerRound.full(B, NEXT, GROWING);
    assertEquals(Set.of(1, 2, 3), r.targets());
    // 4 is only in the accept set, 9 in neither
    assertEquals(Waiting.INSTANCE, r.onReply(4, nothingAccepted()));
    assertEquals(Waiting.INSTANCE, r.onReply(9, nothingAccepted()));
    assertEquals(Waiting.INSTANCE, r.onReply(4, conflict(new Ballot(50, 4))));
    assertEquals(Waiting.INSTANCE, r.onNoVote(9));
    assertEquals(Waiting.INSTANCE, r.onNoVote(4));
    assertEquals(Phase.PREPARE, r.phase());
    assertEquals(Waiting.INSTANCE, r.onReply(1, nothingAccepted()));
    assertInstanceOf(Promised.class, r.onReply(3, nothingAccepted()));
    r.beginAccept(RegisterState.of("v", 1));
    assertEquals(Set.of(1, 2, 3, 4), r.targets());
    assertEquals(Waiting.INSTANCE, r.onReply(9, ACCEPTED));
    assertEquals(Waiting.INSTANCE, r.onNoVote(7));
    assertEquals(Waiting.INSTANCE, r.onReply(4, ACCEPTED));
    assertEquals(Waiting.INSTANCE, r.onReply(2, ACCEPTED));
    assertEquals(new Chosen(true), r.onReply(1, ACCEPTED));
  }

  @Test
  void repliesOfTheOtherPhaseAreIgnored() {
    ProposerRound r = ProposerRound.full(B, NEXT, THREE);
    assertEquals(Waiting.INSTANCE, r.onReply(1, ACCEPTED));
    assertEquals(Waiting.INSTANCE, r.onReply(2, ACCEPTED));
    assertEquals(Phase.PREPARE, r.phase());
    // 1 and 2 may still promise
    r.onReply(1, nothingAccepted());
    assertInstanceOf(Promised.class, r.onReply(2, nothingAccepted()));

    ProposerRound a = inAccept(THREE, NEXT);
    assertEquals(Waiting.INSTANCE, a.onReply(1, nothingAccepted()));
    assertEquals(Waiting.INSTANCE, a.onReply(2, nothingAccepted()));
    assertEquals(Waiting.INSTANCE, a.onReply(1, ACCEPTED));
    assertEquals(new Chosen(true), a.onReply(2, ACCEPTED));
  }

  @Test
  void acceptPhaseStartsWithFreshCounts() {
    // 3 did not answer the prepare; the accept phase still tolerates one missing vote and counts 3's accept
    ProposerRound r = ProposerRound.full(B, NEXT, THREE);
    r.onNoVote(3);
    r.onReply(1, nothingAccepted());
    assertInstanceOf(Promised.class, r.onReply(2, nothingAccepted()));
    r.beginAccept(RegisterState.of("v", 1));
    assertEquals(RegisterState.of("v", 1), r.proposed());
    assertEquals(Waiting.INSTANCE, r.onNoVote(1));
    assertEquals(Waiting.INSTANCE, r.onReply(3, ACCEPTED));
    assertEquals(new Chosen(true), r.onReply(2, ACCEPTED));
  }

  @Test
  void chosenIsCacheableOnlyWhenAPrepareQuorumOfTheAcceptsPromisedNext() {
    ProposerRound noNext = inAccept(THREE, null);
    noNext.onReply(1, ACCEPTED);
    assertEquals(new Chosen(false), noNext.onReply(2, ACCEPTED));

    // prepare on all three of {1,2,3}, accept on any three of five: 1, 4, 5 is an accept quorum but 1 is only one
    // of the three acceptors the next prepare would need
    QuorumSpec wide = new QuorumSpec(Set.of(1, 2, 3), 3, Set.of(1, 2, 3, 4, 5), 3);
    ProposerRound r = ProposerRound.full(B, NEXT, wide);
    r.onReply(1, nothingAccepted());
    r.onReply(2, nothingAccepted());
    assertInstanceOf(Promised.class, r.onReply(3, nothingAccepted()));
    r.beginAccept(RegisterState.of("v", 1));
    r.onReply(1, ACCEPTED);
    r.onReply(4, ACCEPTED);
    assertEquals(new Chosen(false), r.onReply(5, ACCEPTED));

    ProposerRound r2 = ProposerRound.fast(B, NEXT, wide, RegisterState.of("v", 1));
    r2.onReply(3, ACCEPTED);
    r2.onReply(1, ACCEPTED);
    assertEquals(new Chosen(true), r2.onReply(2, ACCEPTED));
  }

  @Test
  void separatePrepareAndAcceptSetsRunARound() {
    ProposerRound r = ProposerRound.full(B, NEXT, GROWING);
    assertEquals(new AcceptorRequest.Prepare("k", B), r.prepareRequest("k"));
    r.onReply(2, promise(new Ballot(3, 2), "old"));
    Promised p = assertInstanceOf(Promised.class, r.onReply(3, promise(new Ballot(3, 2), "old")));
    // two replies at the same ballot are not an accept quorum of 3 on {1,2,3,4}
    assertEquals(new Promised(new Ballot(3, 2), RegisterState.of("old", 3), false), p);
    r.beginAccept(RegisterState.of("new", 4));
    assertEquals(new AcceptorRequest.Accept("k", B, RegisterState.of("new", 4), NEXT), r.acceptRequest("k"));
    assertEquals(Waiting.INSTANCE, r.onReply(4, ACCEPTED));
    assertEquals(Waiting.INSTANCE, r.onReply(3, ACCEPTED));
    // 3 and 1 are a prepare quorum of {1,2,3}: cacheable
    assertEquals(new Chosen(true), r.onReply(1, ACCEPTED));

    // accept tolerance is 1 of 4, prepare tolerance 1 of 3
    ProposerRound f = ProposerRound.full(B, NEXT, GROWING);
    assertEquals(Waiting.INSTANCE, f.onNoVote(1));
    assertEquals(new Failed(Phase.PREPARE, null, false), f.onNoVote(2));
    ProposerRound g = inAccept(GROWING, NEXT);
    assertEquals(Waiting.INSTANCE, g.onNoVote(4));
    assertEquals(new Failed(Phase.ACCEPT, null, true), g.onNoVote(1));
  }

  @Test
  void finishWithoutAcceptEndsTheRound() {
    ProposerRound r = ProposerRound.full(B, NEXT, THREE);
    r.onReply(1, nothingAccepted());
    r.onReply(2, nothingAccepted());
    r.finishWithoutAccept();
    assertEquals(Phase.DONE, r.phase());
    assertEquals(Waiting.INSTANCE, r.onReply(3, nothingAccepted()));
    assertEquals(Waiting.INSTANCE, r.onNoVote(3));
  }

  @Test
  void beginAcceptOutsideThePreparePhaseIsRefused() {
    ProposerRound r = ProposerRound.fast(B, NEXT, THREE, RegisterState.EMPTY);
    assertThrows(IllegalStateException.class, () -> r.beginAccept(RegisterState.EMPTY));
  }

  @Test
  void nextMustBeAboveTheBallot() {
    assertThrows(IllegalArgumentException.class, () -> ProposerRound.full(B, B, THREE));
    assertThrows(IllegalArgumentException.class, () -> ProposerRound.fast(B, new Ballot(9, 9), THREE,
        RegisterState.EMPTY));
    assertNull(ProposerRound.full(B, null, THREE).next());
  }

  private static String valueAt(List<AcceptorReply.Promise> replies, Ballot b) {
    for (AcceptorReply.Promise p : replies) {
      if (p.accepted().equals(b)) return new String(p.state().value(), java.nio.charset.StandardCharsets.UTF_8);
    }
    throw new AssertionError("no reply at " + b);
  }

  private static List<List<Integer>> permutations(List<Integer> items) {
    if (items.isEmpty()) return List.of(List.of());
    List<List<Integer>> out = new ArrayList<>();
    for (int i = 0; i < items.size(); i++) {
      List<Integer> rest = new ArrayList<>(items);
      Integer head = rest.remove(i);
      for (List<Integer> tail : permutations(rest)) {
        List<Integer> p = new ArrayList<>();
        p.add(head);
        p.addAll(tail);
        out.add(p);
      }
    }
    return out;
  }
}
