package io.kshaka.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/** The detector's rules, on an injected clock (no sleeps). */
class FailureDetectorTest {
  private long now = 1_000;
  private final List<String> events = new ArrayList<>();

  private FailureDetector detector(long pingIntervalMs, long suspectAfterMs) {
    FailureDetector d = new FailureDetector(Set.of(2, 3), new FailureDetector.Options(pingIntervalMs, suspectAfterMs),
        () -> now);
    d.addListener(new FailureDetector.Listener() {
      @Override
      public void suspected(int node) {
        events.add("suspect " + node);
      }

      @Override
      public void alive(int node) {
        events.add("alive " + node);
      }
    });
    return d;
  }

  /** Time passes with the ticks every 10 ms that {@link PeerMonitor} makes. */
  private void advance(FailureDetector d, long ms) {
    for (long t = 0; t < ms; t += 10) {
      now += 10;
      d.tick();
    }
  }

  private static Set<Integer> sorted(List<Integer> nodes) {
    return new TreeSet<>(nodes);
  }

  @Test
  void aPeerIsPingedOnlyAfterPingIntervalWithoutSignOfLife() {
    FailureDetector d = detector(100, 400);
    now += 99;
    assertTrue(d.tick().isEmpty());
    now += 1;
    assertEquals(Set.of(2, 3), sorted(d.tick()));
    now += 50;
    assertTrue(d.tick().isEmpty(), "pinged 50 ms ago: not again yet");
    d.alive(2);
    now += 50;
    assertEquals(Set.of(3), sorted(d.tick()), "node 2 answered 50 ms ago: not idle");
  }

  @Test
  void aSilentPeerIsSuspectedAfterSuspectAfterMsAndOnlyThen() {
    FailureDetector d = detector(100, 400);
    for (int i = 0; i < 39; i++) {
      now += 10;
      d.tick();
      d.alive(3);
    }
    assertFalse(d.suspect(2));
    now += 10; // 400 ms without a sign of life from node 2
    d.tick();
    assertTrue(d.suspect(2));
    assertFalse(d.suspect(3));
    assertEquals(List.of("suspect 2"), events);
    advance(d, 1_000);
    assertEquals(List.of("suspect 2", "suspect 3"), events, "each suspicion is told once");
  }

  @Test
  void aSuspectPeerIsStillPingedAndASuccessClearsSuspicion() {
    FailureDetector d = detector(100, 400);
    advance(d, 400);
    assertTrue(d.suspect(2));
    now += 100;
    assertTrue(d.tick().contains(2), "a suspect is pinged so that its return is seen");
    d.alive(2);
    assertFalse(d.suspect(2));
    assertEquals("alive 2", events.get(events.size() - 1));
    d.alive(2);
    assertEquals(1, events.stream().filter("alive 2"::equals).count(), "alive is told only after a suspicion");
  }

  @Test
  void aStallOfThisNodeDoesNotCountAsThePeersSilence() {
    FailureDetector d = detector(100, 400);
    now += 50;
    d.tick();
    now += 2_000; // this node's event loop or JVM stalled: pongs queued behind this tick
    d.tick();
    assertFalse(d.suspect(2), "the stall is not the peer's silence");
    assertTrue(events.isEmpty());
    for (int i = 0; i < 40; i++) {
      now += 10;
      d.tick();
    }
    assertTrue(d.suspect(2), "silence after the stall still counts");
  }

  @Test
  void noHandlerOrALeftMemberIsImmediateSuspicion() {
    FailureDetector d = detector(100, 400);
    d.alive(2);
    d.lost(2);
    assertTrue(d.suspect(2));
    d.lost(2);
    assertEquals(List.of("suspect 2"), events);
    assertFalse(d.heardWithin(2, 1_000), "a suspect has not answered for routing purposes");
    d.alive(2);
    assertTrue(d.heardWithin(2, 1));
  }

  @Test
  void thisNodeAndUnknownNodesAreNeverSuspect() {
    FailureDetector d = detector(100, 400);
    advance(d, 1_000);
    d.lost(1);
    assertFalse(d.suspect(1));
    assertFalse(d.suspect(7));
  }

  @Test
  void pingAllPingsEveryPeerAndCountsItAsAPing() {
    FailureDetector d = detector(100, 400);
    now += 100;
    assertEquals(Set.of(2, 3), sorted(d.pingAll()));
    assertTrue(d.tick().isEmpty());
  }

  @Test
  void suspectAfterMustExceedThePingInterval() {
    assertThrows(IllegalArgumentException.class, () -> new FailureDetector.Options(100, 100));
    assertThrows(IllegalArgumentException.class, () -> new FailureDetector.Options(0, 100));
  }

  @Test
  void aPeerIsSteadyOnlyIfNothingKeptItApartDuringTheWindow() {
    FailureDetector d = detector(100, 400);
    d.alive(2);
    assertTrue(d.steady(2, 1_000));
    d.lost(2);
    assertFalse(d.steady(2, 1_000), "suspect now");
    now += 50;
    d.tick();
    d.alive(2);
    assertFalse(d.steady(2, 1_000), "suspect 0 ms ago: its messages may have waited out a partition");
    for (int i = 0; i < 10; i++) {
      now += 100;
      d.tick();
      d.alive(2);
      d.alive(3);
    }
    assertTrue(d.steady(2, 1_000));
    assertTrue(d.steady(3, 1_000));
    assertTrue(d.steady(1, 1_000), "this node is always steady with itself");
  }

  /**
   * A node outside the watched peers (one outside the configuration, which only routes) is not watched: its
   * requests cannot be judged steady (the proposer then treats them as possible repeats), whatever steady() says.
   */
  @Test
  void onlyConfiguredPeersAreWatched() {
    FailureDetector d = detector(100, 400);
    assertTrue(d.watches(2));
    assertTrue(d.watches(3));
    assertFalse(d.watches(1), "not itself");
    assertFalse(d.watches(5), "not a node outside the configuration");
    d.setPeers(java.util.Set.of(2, 3, 5));
    assertTrue(d.watches(5));
  }

  @Test
  void nothingIsSteadyRightAfterThisNodeStalledOrWhileItsChecksAreOverdue() {
    FailureDetector d = detector(100, 400);
    now += 350; // checks overdue: this node is stalled right now (say, its process was stopped)
    assertFalse(d.steady(2, 1_000));
    d.tick(); // the stall is noticed
    d.alive(2);
    assertFalse(d.steady(2, 1_000), "stalled 0 ms ago");
    for (int i = 0; i < 10; i++) {
      now += 100;
      d.tick();
      d.alive(2);
    }
    assertTrue(d.steady(2, 1_000));
  }

  @Test
  void keysGoBackToAPeerOnlyOnceItHasAnsweredForRejoinAfterMs() {
    FailureDetector d = new FailureDetector(Set.of(2, 3), new FailureDetector.Options(100, 400, 2_000), () -> now);
    d.alive(2);
    assertTrue(d.settled(2));
    d.lost(2);
    assertFalse(d.settled(2));
    now += 50;
    d.alive(2);
    assertFalse(d.suspect(2));
    assertFalse(d.settled(2), "answering again, but only for 0 ms");
    now += 1_999;
    assertFalse(d.settled(2));
    now += 1;
    assertTrue(d.settled(2));
    assertTrue(d.settled(3), "never suspect");
    assertTrue(d.settled(1), "this node");
  }

  @Test
  void aPeerSuspectedBeforeItWasEverHeardFromIsNotABreak() {
    FailureDetector d = detector(100, 400);
    d.lost(2); // not started yet: no exchange with it was interrupted, no message of it waited in a buffer
    d.alive(2);
    assertTrue(d.steady(2, 1_000));
    assertTrue(d.settled(2));
  }
}
