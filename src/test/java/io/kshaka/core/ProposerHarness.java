package io.kshaka.core;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Predicate;

/**
 * A tiny hand-driven network for {@link Proposer} tests: real {@link Acceptor} transitions over per-node maps, and
 * one I/O loop per proposer that carries out its effects. No Vert.x, no threads, no clock: tests decide which
 * message is delivered, lost or answered late, and when time passes.
 */
final class ProposerHarness {
  private ProposerHarness() {}

  /** The acceptors: per node, per key, the state the real acceptor rules produced. */
  static final class Acceptors {
    final Map<Integer, Map<String, AcceptorState>> nodes = new TreeMap<>();

    Acceptors(int... ids) {
      for (int id : ids) nodes.put(id, new HashMap<>());
    }

    Set<Integer> ids() {
      return nodes.keySet();
    }

    AcceptorState state(int node, String key) {
      return nodes.get(node).getOrDefault(key, AcceptorState.INITIAL);
    }

    void set(int node, String key, AcceptorState s) {
      nodes.get(node).put(key, s);
    }

    /** Per key and ballot, the one state ever proposed at it (the protocol rules (README, "How it works"): one ballot, one value, ever). */
    final Map<String, Map<Ballot, RegisterState>> proposals = new HashMap<>();

    void checkOneValuePerBallot(AcceptorRequest request) {
      if (!(request instanceof AcceptorRequest.Accept a)) return;
      RegisterState before =
          proposals.computeIfAbsent(a.key(), k -> new HashMap<>()).putIfAbsent(a.ballot(), a.state());
      if (before != null && !before.equals(a.state())) {
        fail("ballot " + a.ballot() + " on " + a.key() + " proposed " + before + " and then " + a.state());
      }
    }

    /** Per node, what its configuration demands of requests (none unless a test sets one). */
    final Map<Integer, Acceptor.Fence> fences = new HashMap<>();

    AcceptorReply handle(int to, AcceptorRequest request) {
      Acceptor.Transition t = Acceptor.handle(state(to, request.key()), request,
          fences.getOrDefault(to, Acceptor.Fence.NONE));
      if (t.next() != null) set(to, request.key(), t.next()); // "persist", then reply
      return t.reply();
    }
  }

  /** One proposer and its I/O shell. */
  static final class Node {
    final Acceptors acceptors;
    final int id;
    final QuorumSpec quorums;
    final Proposer.Options options;
    final Proposer proposer;
    long now;
    /** The floor the shell has stored durably. */
    long durableFloor;
    /** Store every requested floor at once; when false, tests call {@link #reserved} themselves. */
    boolean autoReserve = true;
    final List<Long> reserveRequests = new ArrayList<>();
    /** Sends not yet delivered nor lost, in the order they were emitted (ascending node within one batch). */
    final List<ProposerEffect.Send> inFlight = new ArrayList<>();
    /** Every send ever emitted. */
    final List<ProposerEffect.Send> sent = new ArrayList<>();
    final Map<Object, ProposerResult> results = new LinkedHashMap<>();
    final List<ProposerEffect.Wake> wakes = new ArrayList<>();
    final List<ProposerEffect.StaleConfig> staleConfigs = new ArrayList<>();
    /** Acceptors this node cannot reach: its messages to them time out. */
    final Set<Integer> unreachable = new HashSet<>();
    /** A crashed proposer's sends may still reach acceptors, but nothing comes back to it. */
    boolean crashed;

    Node(Acceptors acceptors, int id, Proposer.Options options, long floor) {
      this(acceptors, id, QuorumSpec.majority(acceptors.ids()), options, floor);
    }

    Node(Acceptors acceptors, int id, QuorumSpec quorums, Proposer.Options options, long floor) {
      this.acceptors = acceptors;
      this.id = id;
      this.quorums = quorums;
      this.options = options;
      this.durableFloor = floor;
      // Seeded by the floor too: a restarted proposer must not draw the request ids of its previous run again.
      this.proposer = new Proposer(id, quorums, options, new Random(id * 1_000_003L + floor), floor);
    }

    void submit(String key, Change change, Object token) {
      feed(proposer.submit(now, key, change, token));
    }

    void submit(String key, Change change, RequestId id, boolean fresh, Object token) {
      feed(proposer.submit(now, key, change, id, fresh, token));
    }

    void submit(String key, Change change, RequestId id, long freshUntil, Object token) {
      feed(proposer.submit(now, key, change, id, freshUntil, token));
    }

    /** Carries out the effects: queue sends, record completions and wakes, store floors. */
    void feed(List<ProposerEffect> effects) {
      List<ProposerEffect.Send> batch = new ArrayList<>();
      for (ProposerEffect e : effects) {
        if (e instanceof ProposerEffect.Send s) {
          assertFalse(crashed, "a crashed proposer sends nothing");
          checkBelowDurableFloor(s);
          acceptors.checkOneValuePerBallot(s.request());
          batch.add(s);
          sent.add(s);
        } else if (e instanceof ProposerEffect.Complete c) {
          assertFalse(results.containsKey(c.token()), "token " + c.token() + " completed twice");
          assertNotNull(c.result());
          results.put(c.token(), c.result());
        } else if (e instanceof ProposerEffect.Wake w) {
          wakes.add(w);
        } else if (e instanceof ProposerEffect.StaleConfig c) {
          staleConfigs.add(c);
        } else if (e instanceof ProposerEffect.Reserve r) {
          reserveRequests.add(r.floor());
          if (autoReserve) reserved(r.floor());
        } else {
          fail("unknown effect " + e);
        }
      }
      batch.sort(Comparator.comparingInt(ProposerEffect.Send::to));
      inFlight.addAll(batch);
    }

    /** The shell stored {@code floor} durably. */
    void reserved(long floor) {
      durableFloor = floor;
      feed(proposer.onCounterReserved(now, floor));
    }

    /** the protocol rules (README, "How it works"): no ballot at or above the durable floor is ever sent, nor promised as "next". */
    private void checkBelowDurableFloor(ProposerEffect.Send s) {
      assertTrue(s.request().ballot().counter() < durableFloor,
          "sent " + s.request() + " at or above the durable floor " + durableFloor);
      if (s.request() instanceof AcceptorRequest.Accept a && a.next() != null) {
        assertTrue(a.next().counter() < durableFloor,
            "promised next " + a.next() + " at or above the durable floor " + durableFloor);
      }
    }

    /** Delivers one send: the acceptor handles it and its reply comes back (or it times out if unreachable). */
    void deliver(ProposerEffect.Send s) {
      assertTrue(inFlight.remove(s));
      if (crashed) {
        acceptors.handle(s.to(), s.request());
      } else if (unreachable.contains(s.to())) {
        feed(proposer.onNoVote(now, s.roundId(), s.to()));
      } else {
        AcceptorReply reply = acceptors.handle(s.to(), s.request());
        feed(proposer.onReply(now, s.roundId(), s.to(), reply));
      }
    }

    /** The send is lost: it never reaches the acceptor and times out. */
    void lose(ProposerEffect.Send s) {
      assertTrue(inFlight.remove(s));
      if (!crashed) feed(proposer.onNoVote(now, s.roundId(), s.to()));
    }

    /** The network duplicates the send: a copy is handled and answered now, the original stays in flight. */
    void deliverCopy(ProposerEffect.Send s) {
      assertTrue(inFlight.contains(s));
      AcceptorReply reply = acceptors.handle(s.to(), s.request());
      if (!crashed) feed(proposer.onReply(now, s.roundId(), s.to(), reply));
    }

    /** The proposer crashes: its state in memory is gone; what it sent is still in the network. */
    void crash() {
      crashed = true;
      wakes.clear();
    }

    /** The acceptor handles the send, but its reply is lost: the proposer sees a timeout. */
    void deliverLosingReply(ProposerEffect.Send s) {
      assertTrue(inFlight.remove(s));
      acceptors.handle(s.to(), s.request());
      feed(proposer.onNoVote(now, s.roundId(), s.to()));
    }

    /** Delivers the first in-flight send matching {@code which}; false if there is none. */
    boolean deliverFirst(Predicate<ProposerEffect.Send> which) {
      for (ProposerEffect.Send s : inFlight) {
        if (which.test(s)) {
          deliver(s);
          return true;
        }
      }
      return false;
    }

    /** Delivers matching sends (including ones emitted meanwhile) until none is left. */
    void deliverWhile(Predicate<ProposerEffect.Send> which) {
      while (deliverFirst(which)) {
        // keep going
      }
    }

    /** Loses every in-flight send matching {@code which} (not the ones emitted as a result). */
    void loseAll(Predicate<ProposerEffect.Send> which) {
      for (ProposerEffect.Send s : new ArrayList<>(inFlight)) {
        if (which.test(s) && inFlight.contains(s)) lose(s);
      }
    }

    void deliverAll() {
      deliverWhile(s -> true);
    }

    /** Fires the earliest pending wake (time jumps to it). False if none is pending. */
    boolean fireWake() {
      if (wakes.isEmpty()) return false;
      ProposerEffect.Wake w = wakes.stream().min(Comparator.comparingLong(ProposerEffect.Wake::atMillis)).get();
      wakes.remove(w);
      now = Math.max(now, w.atMillis());
      feed(proposer.onWake(now, w.key()));
      return true;
    }

    /** Delivers everything and fires wakes until the node is quiet. */
    void run() {
      for (int i = 0; i < 100_000; i++) {
        if (!inFlight.isEmpty()) {
          deliver(inFlight.get(0));
        } else if (!fireWake()) {
          return;
        }
      }
      fail("node " + id + " did not settle");
    }

    ProposerResult result(Object token) {
      ProposerResult r = results.get(token);
      assertNotNull(r, "no result for " + token + "; results: " + results);
      return r;
    }

    List<ProposerEffect.Send> inFlight(Predicate<ProposerEffect.Send> which) {
      return inFlight.stream().filter(which).toList();
    }

    long sentCount(Predicate<ProposerEffect.Send> which) {
      return sent.stream().filter(which).count();
    }
  }

  static boolean isPrepare(ProposerEffect.Send s) {
    return s.request() instanceof AcceptorRequest.Prepare;
  }

  static boolean isAccept(ProposerEffect.Send s) {
    return s.request() instanceof AcceptorRequest.Accept;
  }

  static Predicate<ProposerEffect.Send> to(int... nodes) {
    return s -> {
      for (int n : nodes) if (s.to() == n) return true;
      return false;
    };
  }

  static Predicate<ProposerEffect.Send> prepares() {
    return ProposerHarness::isPrepare;
  }

  static Predicate<ProposerEffect.Send> accepts() {
    return ProposerHarness::isAccept;
  }
}
