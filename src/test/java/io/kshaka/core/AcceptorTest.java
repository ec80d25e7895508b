package io.kshaka.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

/**
 * the protocol rules (README, "How it works"), the acceptor's rules, checked exhaustively over every state (promised, accepted <= promised) and
 * every request with ballots of counter 0..3 and nodeId 0..2.
 */
class AcceptorTest {
  private static final String KEY = "k";
  private static final RegisterState OTHER = RegisterState.of("other", 42);

  private static List<Ballot> ballots() {
    List<Ballot> all = new ArrayList<>();
    for (long c = 0; c <= 3; c++) {
      for (int n = 0; n <= 2; n++) all.add(new Ballot(c, n));
    }
    return all;
  }

  /** Ballots a proposer may send (ZERO is not a real ballot). */
  private static List<Ballot> realBallots() {
    List<Ballot> all = ballots();
    all.remove(Ballot.ZERO);
    return all;
  }

  /** One ballot, one value: the state a proposer sent at ballot b. */
  private static RegisterState stateAt(Ballot b) {
    return b.equals(Ballot.ZERO) ? RegisterState.EMPTY : RegisterState.of("v" + b, b.counter());
  }

  /** Every acceptor state with accepted <= promised, each accepted ballot holding its value. */
  private static List<AcceptorState> states() {
    List<AcceptorState> all = new ArrayList<>();
    for (Ballot promised : ballots()) {
      for (Ballot accepted : ballots()) {
        if (accepted.isAbove(promised)) continue;
        all.add(new AcceptorState(promised, accepted, stateAt(accepted)));
      }
    }
    return all;
  }

  private static List<Ballot> nextsFor(Ballot b) {
    List<Ballot> nexts = new ArrayList<>();
    nexts.add(null);
    for (Ballot n : ballots()) if (n.isAbove(b)) nexts.add(n);
    nexts.add(b.successor());
    return nexts;
  }

  @Test
  void prepareFollowsTheRuleExhaustively() {
    int cases = 0;
    for (AcceptorState s : states()) {
      for (Ballot b : ballots()) {
        Supplier<String> ctx = () -> s + " prepare(" + b + ")";
        Acceptor.Transition t = Acceptor.prepare(s, b);
        assertEquals(t, Acceptor.handle(s, new AcceptorRequest.Prepare(KEY, b)), () -> ctx.get() + " via handle");
        boolean conflict = s.promised().isAbove(b) || s.accepted().isAbove(b);
        if (conflict) {
          assertEquals(new AcceptorReply.Conflict(Ballot.max(s.promised(), s.accepted())), t.reply(), ctx);
          assertNull(t.next(), () -> ctx.get() + ": nothing to persist on conflict");
        } else {
          assertEquals(new AcceptorReply.Promise(s.accepted(), s.state()), t.reply(), ctx);
          AcceptorState expected = new AcceptorState(b, s.accepted(), s.state());
          checkPersisted(s, expected, t, ctx);
        }
        checkPromiseNeverDecreases(s, t, ctx);
        cases++;
      }
    }
    assertTrue(cases > 500, "cases: " + cases);
  }

  @Test
  void acceptFollowsTheRuleExhaustively() {
    int cases = 0;
    for (AcceptorState s : states()) {
      for (Ballot b : realBallots()) {
        for (RegisterState value : List.of(stateAt(b), OTHER)) {
          for (Ballot next : nextsFor(b)) {
            Supplier<String> ctx = () -> s + " accept(" + b + ", " + value + ", next " + next + ")";
            Acceptor.Transition t = Acceptor.accept(s, b, value, next);
            assertEquals(t, Acceptor.handle(s, new AcceptorRequest.Accept(KEY, b, value, next)),
                () -> ctx.get() + " via handle");
            boolean repeat = s.accepted().equals(b) && s.state().equals(value);
            boolean conflict = !repeat && (s.promised().isAbove(b) || s.accepted().isAbove(b));
            if (repeat) {
              assertEquals(AcceptorReply.Accepted.INSTANCE, t.reply(),
                  () -> ctx.get() + ": repeated accept is answered again");
              assertNull(t.next(), () -> ctx.get() + ": repeated accept changes nothing");
            } else if (conflict) {
              assertEquals(new AcceptorReply.Conflict(Ballot.max(s.promised(), s.accepted())), t.reply(), ctx);
              assertNull(t.next(), () -> ctx.get() + ": nothing to persist on conflict");
            } else {
              assertEquals(AcceptorReply.Accepted.INSTANCE, t.reply(), ctx);
              AcceptorState expected = new AcceptorState(next != null ? next : b, b, value);
              checkPersisted(s, expected, t, ctx);
            }
            checkPromiseNeverDecreases(s, t, ctx);
            cases++;
          }
        }
      }
    }
    assertTrue(cases > 5000, "cases: " + cases);
  }

  /** Equal ballots are not conflicts: every message delivered twice is answered the same way twice. */
  @Test
  void duplicatedMessagesAreAnsweredTheSameWayTwice() {
    for (AcceptorState s : states()) {
      for (Ballot b : ballots()) {
        Acceptor.Transition first = Acceptor.prepare(s, b);
        AcceptorState after = first.next() != null ? first.next() : s;
        Acceptor.Transition second = Acceptor.prepare(after, b);
        assertEquals(first.reply(), second.reply(), () -> s + " prepare(" + b + ") twice");
        assertNull(second.next(), () -> s + " prepare(" + b + ") twice changes nothing the second time");
      }
      for (Ballot b : realBallots()) {
        for (Ballot next : nextsFor(b)) {
          Acceptor.Transition first = Acceptor.accept(s, b, stateAt(b), next);
          AcceptorState after = first.next() != null ? first.next() : s;
          Acceptor.Transition second = Acceptor.accept(after, b, stateAt(b), next);
          Supplier<String> ctx = () -> s + " accept(" + b + ", next " + next + ") twice";
          assertEquals(first.reply(), second.reply(), ctx);
          assertNull(second.next(), () -> ctx.get() + " changes nothing the second time");
        }
      }
    }
  }

  @Test
  void prepareAtThePromisedBallotIsNotAConflict() {
    AcceptorState s = new AcceptorState(new Ballot(3, 1), new Ballot(2, 1), RegisterState.of("x", 1));
    Acceptor.Transition t = Acceptor.prepare(s, new Ballot(3, 1));
    assertEquals(new AcceptorReply.Promise(new Ballot(2, 1), RegisterState.of("x", 1)), t.reply());
    assertNull(t.next());
  }

  @Test
  void prepareRejectsBallotBelowPromise() {
    AcceptorState s = new AcceptorState(new Ballot(3, 2), Ballot.ZERO, RegisterState.EMPTY);
    Acceptor.Transition t = Acceptor.prepare(s, new Ballot(3, 1));
    assertEquals(new AcceptorReply.Conflict(new Ballot(3, 2)), t.reply());
    assertNull(t.next());
  }

  @Test
  void acceptRejectsBallotBelowPromise() {
    AcceptorState s = new AcceptorState(new Ballot(5, 1), new Ballot(2, 1), RegisterState.of("x", 1));
    Acceptor.Transition t = Acceptor.accept(s, new Ballot(4, 3), RegisterState.of("y", 2), null);
    assertEquals(new AcceptorReply.Conflict(new Ballot(5, 1)), t.reply());
    assertNull(t.next());
  }

  @Test
  void acceptAtThePromisedBallotIsAcceptedAndPromisesNext() {
    AcceptorState s = new AcceptorState(new Ballot(3, 1), new Ballot(2, 1), RegisterState.of("x", 1));
    Acceptor.Transition t = Acceptor.accept(s, new Ballot(3, 1), RegisterState.of("y", 2), new Ballot(4, 1));
    assertEquals(AcceptorReply.Accepted.INSTANCE, t.reply());
    assertEquals(new AcceptorState(new Ballot(4, 1), new Ballot(3, 1), RegisterState.of("y", 2)), t.next());
  }

  /** A repeated accept whose own next is now promised is still answered Accepted (the 1-RTT retry). */
  @Test
  void repeatedAcceptBelowItsOwnNextPromiseIsAcceptedAgain() {
    Ballot b = new Ballot(3, 1);
    AcceptorState after = Acceptor.accept(AcceptorState.INITIAL, b, RegisterState.of("y", 1), b.successor()).next();
    assertEquals(b.successor(), after.promised());
    Acceptor.Transition again = Acceptor.accept(after, b, RegisterState.of("y", 1), b.successor());
    assertEquals(AcceptorReply.Accepted.INSTANCE, again.reply());
    assertNull(again.next());
  }

  @Test
  void firstPrepareOnAFreshKeyPromisesAndReportsNothingAccepted() {
    Ballot b = new Ballot(1, 1);
    Acceptor.Transition t = Acceptor.prepare(AcceptorState.INITIAL, b);
    assertEquals(new AcceptorReply.Promise(Ballot.ZERO, RegisterState.EMPTY), t.reply());
    assertEquals(new AcceptorState(b, Ballot.ZERO, RegisterState.EMPTY), t.next());
  }

  @Test
  void acceptorStateRejectsAcceptedAbovePromised() {
    assertThrows(IllegalArgumentException.class,
        () -> new AcceptorState(new Ballot(1, 1), new Ballot(2, 1), RegisterState.EMPTY));
  }

  @Test
  void acceptRequestRejectsNextNotAboveBallot() {
    Ballot b = new Ballot(2, 1);
    assertThrows(IllegalArgumentException.class, () -> new AcceptorRequest.Accept(KEY, b, RegisterState.EMPTY, b));
    assertThrows(IllegalArgumentException.class,
        () -> new AcceptorRequest.Accept(KEY, b, RegisterState.EMPTY, new Ballot(1, 9)));
  }

  /** Transition.next() is null exactly when nothing changed; otherwise it is the expected new state. */
  private static void checkPersisted(AcceptorState before, AcceptorState expected, Acceptor.Transition t,
      Supplier<String> ctx) {
    if (expected.equals(before)) {
      assertNull(t.next(), () -> ctx.get() + ": unchanged state must not be persisted");
    } else {
      assertEquals(expected, t.next(), ctx);
      assertNotEquals(before, t.next(), ctx);
    }
  }

  private static void checkPromiseNeverDecreases(AcceptorState before, Acceptor.Transition t, Supplier<String> ctx) {
    if (t.next() == null) return;
    assertFalse(t.next().promised().isBelow(before.promised()), () -> ctx.get() + ": promise decreased");
    assertFalse(t.next().accepted().isBelow(before.accepted()), () -> ctx.get() + ": accepted ballot decreased");
    assertFalse(t.next().accepted().isAbove(t.next().promised()), () -> ctx.get() + ": accepted above promised");
  }
}
