package io.kshaka.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.kshaka.core.Acceptor;
import io.kshaka.core.AcceptorState;
import io.kshaka.core.Change;
import io.kshaka.core.Outcome;
import io.kshaka.core.Proposer;
import io.kshaka.core.ProposerEffect;
import io.kshaka.core.ProposerResult;
import io.kshaka.core.QuorumSpec;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.List;
import java.util.SplittableRandom;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/**
 * Regression test for a finding of the simulator: with 1-RTT on, a write through a proposer whose cached next
 * ballot went stale (another proposer wrote the key since) came back UNKNOWN although nothing failed. Its fast
 * accept is refused by every acceptor and the batch is in doubt; the full round that follows finds the other
 * proposer's chosen state, which cannot descend from the in-doubt state (same version, other value), so the
 * in-doubt accept was never chosen and never can be: the write is retried as new and applied.
 *
 * <p>Here on a perfect network (every message delivered at once, in order): P1 writes, P2 writes, P1 writes again.
 */
class StaleOneRttCacheTest {

  /** The behaviour the protocol rules (README, "How it works") asks for ("any conflict drops the cache and falls back to the full round"). */
  @Test
  void writeThroughAProposerWithAStaleCacheIsApplied() {
    assertEquals(Outcome.APPLIED, thirdWrite(true));
  }

  @Test
  void withoutOneRttTheSameWriteIsApplied() {
    assertEquals(Outcome.APPLIED, thirdWrite(false));
  }

  /** P1 puts, then P2 puts, then P1 puts again; returns the outcome of the third put. */
  private static Outcome thirdWrite(boolean oneRtt) {
    Cluster c = new Cluster(oneRtt);
    assertEquals(Outcome.APPLIED, c.put(c.p1, "a").outcome());
    assertEquals(Outcome.APPLIED, c.put(c.p2, "b").outcome());
    return c.put(c.p1, "c").outcome();
  }

  /** Three acceptors and two proposers on one key; every effect is carried out at once. */
  private static final class Cluster {
    final TreeMap<Integer, AcceptorState> acceptors = new TreeMap<>();
    final Proposer p1;
    final Proposer p2;
    long now;

    Cluster(boolean oneRtt) {
      QuorumSpec q = QuorumSpec.majority(List.of(1, 2, 3));
      Proposer.Options o = Proposer.Options.defaults().withOneRtt(oneRtt);
      p1 = new Proposer(1, q, o, new SplittableRandom(1), 0);
      p2 = new Proposer(2, q, o, new SplittableRandom(2), 0);
      for (int a = 1; a <= 3; a++) acceptors.put(a, AcceptorState.INITIAL);
    }

    ProposerResult put(Proposer p, String value) {
      ProposerResult[] result = new ProposerResult[1];
      ArrayDeque<ProposerEffect> work = new ArrayDeque<>(
          p.submit(now, "k", new Change.Put(value.getBytes(StandardCharsets.UTF_8)), value));
      while (!work.isEmpty() && result[0] == null) {
        ProposerEffect e = work.poll();
        if (e instanceof ProposerEffect.Send s) {
          Acceptor.Transition t = Acceptor.handle(acceptors.get(s.to()), s.request());
          if (t.next() != null) acceptors.put(s.to(), t.next());
          work.addAll(p.onReply(now, s.roundId(), s.to(), t.reply()));
        } else if (e instanceof ProposerEffect.Complete done) {
          result[0] = done.result();
        } else if (e instanceof ProposerEffect.Wake w) {
          now = Math.max(now, w.atMillis());
          work.addAll(p.onWake(now, w.key()));
        } else if (e instanceof ProposerEffect.Reserve r) {
          work.addAll(p.onCounterReserved(now, r.floor()));
        }
      }
      return result[0];
    }
  }
}
