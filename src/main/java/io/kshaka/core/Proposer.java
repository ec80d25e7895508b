package io.kshaka.core;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.random.RandomGenerator;

/**
 * A node's proposer as a pure, single-threaded state machine: per-key queues, batching, rounds, the 1-RTT cache,
 * retries with randomised bounded backoff, deadlines, and the durable ballot counter floor. Time and randomness
 * come in as arguments; every input returns the effects the I/O shell must carry out (see {@link ProposerEffect}).
 *
 * <p>Rules it keeps (design.md §1):
 * <ul>
 *   <li>Ballot = (max counter seen or used + 1, nodeId); no counter at or above the durable floor is used until a
 *       higher floor is stored, so a restarted node never reuses a ballot.</li>
 *   <li>Changes queued on a key while a round is in flight go together in the next round, applied in queue order;
 *       each caller gets the state after its own change.</li>
 *   <li>Exact outcomes: a change whose accept was never sent is NOT_APPLIED when it gives up. Once an accept carrying
 *       it was sent without reaching quorum, the batch is <em>in doubt</em>: the next round's prepare either finds
 *       that very accept as the highest accepted (then it completes it, applying the changes exactly once) or finds
 *       another, and then the batch's writes are UNKNOWN (never re-applied: that could apply them twice).</li>
 *   <li>1-RTT: an accept promises the next ballot; while that promise holds the next change skips prepare. Any
 *       failure drops the cache.</li>
 * </ul>
 */
public final class Proposer {
  /** Tuning; times in milliseconds. */
  public record Options(long backoffMinMillis, long backoffMaxMillis, long requestTimeoutMillis, int batchMax,
      long counterBlock, int cacheLimit, boolean oneRtt) {
    public static Options defaults() {
      return new Options(1, 50, 5_000, 256, 10_000, 100_000, true);
    }

    public Options withOneRtt(boolean on) {
      return new Options(backoffMinMillis, backoffMaxMillis, requestTimeoutMillis, batchMax, counterBlock,
          cacheLimit, on);
    }
  }

  private final int nodeId;
  private final QuorumSpec quorums;
  private final Options options;
  private final RandomGenerator random;
  private long counter;
  private long floor;
  private boolean reserving;
  private final Set<String> waitingForCounter = new HashSet<>();
  private final Map<String, KeyState> keys = new HashMap<>();
  private final Map<Long, KeyState> rounds = new HashMap<>();
  private final LinkedHashMap<String, Cached> cache;
  private long nextRoundId = 1;
  private final Stats stats = new Stats();

  /** Running totals, for metrics. Read from any thread (values may lag). */
  public static final class Stats {
    public volatile long fullRounds;
    public volatile long fastRounds;
    public volatile long acceptsSkipped;
    public volatile long conflicts;
    public volatile long retries;
    public volatile long changes;
  }

  private record Pending(Object token, Change change, long deadline) {}

  private record Cached(Ballot next, RegisterState state) {}

  /** The batch at the head of a key's queue, with what it computed the last time it was sent. */
  private static final class Batch {
    final List<Pending> items;
    List<ChangeResult> results;
    RegisterState before;
    RegisterState after;
    /** Ballots at which an accept of {@code after} was sent without being confirmed chosen. */
    final Set<Ballot> inDoubt = new HashSet<>();

    Batch(List<Pending> items) {
      this.items = items;
    }

    boolean writes(int i) {
      RegisterState prev = i == 0 ? before : results.get(i - 1).state();
      return results.get(i).state().version() != prev.version();
    }
  }

  private static final class KeyState {
    final String key;
    final ArrayDeque<Pending> queue = new ArrayDeque<>();
    Batch batch;
    ProposerRound round;
    long roundId;
    int attempts;
    boolean sleeping;

    KeyState(String key) {
      this.key = key;
    }

    boolean idle() {
      return queue.isEmpty() && batch == null && round == null && !sleeping;
    }
  }

  /**
   * @param counterFloor the floor stored durably by the last run (0 on first start): every counter used before is
   *     below it
   */
  public Proposer(int nodeId, QuorumSpec quorums, Options options, RandomGenerator random, long counterFloor) {
    this.nodeId = nodeId;
    this.quorums = quorums;
    this.options = options;
    this.random = random;
    this.counter = counterFloor;
    this.floor = counterFloor;
    this.cache = new LinkedHashMap<>(16, 0.75f, true);
  }

  public int nodeId() {
    return nodeId;
  }

  public QuorumSpec quorums() {
    return quorums;
  }

  /** The highest ballot counter seen or used. */
  public long counter() {
    return counter;
  }

  public Stats stats() {
    return stats;
  }

  /** Number of keys with queued or in-flight work. */
  public int activeKeys() {
    return keys.size();
  }

  /** Submits a change on {@code key}; {@code token} comes back in the {@link ProposerEffect.Complete} effect. */
  public List<ProposerEffect> submit(long now, String key, Change change, Object token) {
    List<ProposerEffect> out = new ArrayList<>();
    KeyState ks = keys.computeIfAbsent(key, KeyState::new);
    ks.queue.add(new Pending(token, change, now + options.requestTimeoutMillis()));
    stats.changes++;
    startRound(now, ks, out);
    return out;
  }

  /** Feeds an acceptor's reply to the round {@code roundId}. Replies of finished rounds are ignored. */
  public List<ProposerEffect> onReply(long now, long roundId, int from, AcceptorReply reply) {
    if (reply instanceof AcceptorReply.Promise p) observe(p.accepted());
    if (reply instanceof AcceptorReply.Conflict c) observe(c.higher());
    KeyState ks = rounds.get(roundId);
    List<ProposerEffect> out = new ArrayList<>();
    if (ks == null) return out;
    handle(now, ks, ks.round.onReply(from, reply), out);
    return out;
  }

  /** The message to {@code from} of round {@code roundId} timed out or could not be delivered. */
  public List<ProposerEffect> onNoVote(long now, long roundId, int from) {
    KeyState ks = rounds.get(roundId);
    List<ProposerEffect> out = new ArrayList<>();
    if (ks == null) return out;
    handle(now, ks, ks.round.onNoVote(from), out);
    return out;
  }

  /** A {@link ProposerEffect.Wake} is due. */
  public List<ProposerEffect> onWake(long now, String key) {
    List<ProposerEffect> out = new ArrayList<>();
    KeyState ks = keys.get(key);
    if (ks == null || !ks.sleeping) return out;
    ks.sleeping = false;
    startRound(now, ks, out);
    return out;
  }

  /** The floor asked for by {@link ProposerEffect.Reserve} is durable. */
  public List<ProposerEffect> onCounterReserved(long now, long newFloor) {
    floor = Math.max(floor, newFloor);
    reserving = false;
    List<ProposerEffect> out = new ArrayList<>();
    List<String> waiting = new ArrayList<>(waitingForCounter);
    waitingForCounter.clear();
    for (String key : waiting) {
      KeyState ks = keys.get(key);
      if (ks != null) startRound(now, ks, out);
    }
    return out;
  }

  /** Storing the floor failed: every change waiting for it gives up, with its exact outcome. */
  public List<ProposerEffect> onCounterReserveFailed(long now, String reason) {
    reserving = false;
    List<ProposerEffect> out = new ArrayList<>();
    for (String key : new ArrayList<>(waitingForCounter)) {
      KeyState ks = keys.get(key);
      if (ks == null) continue;
      if (ks.batch != null) giveUp(ks.batch, "cannot store the ballot counter: " + reason, out);
      ks.batch = null;
      for (Pending p : ks.queue) {
        out.add(new ProposerEffect.Complete(p.token(),
            ProposerResult.failed(Outcome.NOT_APPLIED, "cannot store the ballot counter: " + reason)));
      }
      ks.queue.clear();
      forgetIfIdle(ks);
    }
    waitingForCounter.clear();
    return out;
  }

  private void observe(Ballot b) {
    if (b.counter() > counter) counter = b.counter();
  }

  private void startRound(long now, KeyState ks, List<ProposerEffect> out) {
    if (ks.round != null || ks.sleeping || waitingForCounter.contains(ks.key)) return;
    if (ks.batch != null) expireBatch(now, ks, out);
    if (ks.batch == null) {
      expireQueue(now, ks, out);
      if (ks.queue.isEmpty()) {
        forgetIfIdle(ks);
        return;
      }
      List<Pending> items = new ArrayList<>();
      while (!ks.queue.isEmpty() && items.size() < options.batchMax()) items.add(ks.queue.poll());
      ks.batch = new Batch(items);
    }
    Cached cached = ks.batch.inDoubt.isEmpty() && options.oneRtt() ? cache.get(ks.key) : null;
    Ballot ballot = cached != null ? cached.next() : new Ballot(counter + 1, nodeId);
    Ballot next = ballot.successor();
    if (next.counter() >= floor) {
      waitingForCounter.add(ks.key);
      if (!reserving) {
        reserving = true;
        out.add(new ProposerEffect.Reserve(Math.max(next.counter(), counter) + options.counterBlock()));
      }
      return;
    }
    counter = Math.max(counter, next.counter());
    cache.remove(ks.key);
    ks.roundId = nextRoundId++;
    rounds.put(ks.roundId, ks);
    if (ks.attempts > 0) stats.retries++;
    if (cached != null) {
      stats.fastRounds++;
      compute(ks.batch, cached.state());
      ks.round = ProposerRound.fast(ballot, next, quorums, ks.batch.after);
      sendAccepts(ks, out);
    } else {
      stats.fullRounds++;
      ks.round = ProposerRound.full(ballot, next, quorums);
      for (int to : ks.round.targets()) {
        out.add(new ProposerEffect.Send(ks.roundId, to, ks.round.prepareRequest(ks.key)));
      }
    }
  }

  private void handle(long now, KeyState ks, ProposerRound.Step step, List<ProposerEffect> out) {
    if (step instanceof ProposerRound.Promised p) {
      onPromised(now, ks, p, out);
    } else if (step instanceof ProposerRound.Chosen c) {
      Batch batch = ks.batch;
      for (int i = 0; i < batch.items.size(); i++) {
        out.add(new ProposerEffect.Complete(batch.items.get(i).token(), ProposerResult.applied(batch.results.get(i))));
      }
      if (c.cacheable() && options.oneRtt()) remember(ks.key, new Cached(ks.round.next(), batch.after));
      endRound(ks);
      ks.batch = null;
      ks.attempts = 0;
      startRound(now, ks, out);
    } else if (step instanceof ProposerRound.Failed f) {
      if (f.highestConflict() != null) {
        observe(f.highestConflict());
        stats.conflicts++;
      }
      endRound(ks);
      ks.attempts++;
      ks.sleeping = true;
      long ceiling = Math.min(options.backoffMaxMillis(),
          options.backoffMinMillis() << Math.min(ks.attempts, 20));
      long delay = options.backoffMinMillis() >= ceiling
          ? ceiling : random.nextLong(options.backoffMinMillis(), ceiling + 1);
      out.add(new ProposerEffect.Wake(ks.key, now + delay));
    }
  }

  private void onPromised(long now, KeyState ks, ProposerRound.Promised p, List<ProposerEffect> out) {
    Batch batch = ks.batch;
    if (!batch.inDoubt.isEmpty() && neverApplied(batch, p)) batch.inDoubt.clear();
    if (!batch.inDoubt.isEmpty()) {
      if (batch.inDoubt.contains(p.highestAccepted())) {
        // Our own accept is the latest: finish it with this ballot; the changes apply exactly once.
        acceptOrFinish(now, ks, p.chosen(), out);
        return;
      }
      // Someone else's accept is later: our writes may or may not have been folded into it.
      List<Pending> retry = new ArrayList<>();
      for (int i = 0; i < batch.items.size(); i++) {
        if (batch.writes(i)) {
          out.add(new ProposerEffect.Complete(batch.items.get(i).token(), ProposerResult.failed(Outcome.UNKNOWN,
              "an accept was sent but a competing change won the round")));
        } else {
          retry.add(batch.items.get(i));
        }
      }
      if (retry.isEmpty()) {
        endRound(ks);
        ks.batch = null;
        startRound(now, ks, out);
        return;
      }
      ks.batch = batch = new Batch(retry);
    }
    compute(batch, p.state());
    acceptOrFinish(now, ks, p.chosen() && batch.after.equals(batch.before), out);
  }

  /**
   * True when the prepare proves the batch's in-doubt accepts were never chosen and never can be: the highest
   * accepted ballot H is chosen and above every in-doubt ballot, and H's state cannot descend from the batch's
   * state (every chosen state descends from the chosen states below it; a descendant has a higher version, or the
   * same version and the same value). This is what a stale 1-RTT cache looks like after another proposer wrote.
   */
  private static boolean neverApplied(Batch batch, ProposerRound.Promised p) {
    if (!p.chosen()) return false;
    for (Ballot b : batch.inDoubt) if (!p.highestAccepted().isAbove(b)) return false;
    RegisterState theirs = p.state();
    return theirs.version() < batch.after.version()
        || (theirs.version() == batch.after.version() && !theirs.equals(batch.after));
  }

  private void acceptOrFinish(long now, KeyState ks, boolean alreadyChosen, List<ProposerEffect> out) {
    if (alreadyChosen) {
      stats.acceptsSkipped++;
      ks.round.finishWithoutAccept();
      handle(now, ks, new ProposerRound.Chosen(false), out);
      return;
    }
    ks.round.beginAccept(ks.batch.after);
    // The accept phase gets its own round id: a prepare's late reply or timeout must not count as a vote on the
    // accept (a slow acceptor's prepare timeout would otherwise void its accept and fail a chosen round).
    rounds.remove(ks.roundId);
    ks.roundId = nextRoundId++;
    rounds.put(ks.roundId, ks);
    sendAccepts(ks, out);
  }

  private void sendAccepts(KeyState ks, List<ProposerEffect> out) {
    ks.batch.inDoubt.add(ks.round.ballot());
    for (int to : ks.round.targets()) {
      out.add(new ProposerEffect.Send(ks.roundId, to, ks.round.acceptRequest(ks.key)));
    }
  }

  private static void compute(Batch batch, RegisterState current) {
    batch.before = current;
    batch.results = new ArrayList<>(batch.items.size());
    RegisterState state = current;
    for (Pending p : batch.items) {
      ChangeResult r = p.change().apply(state);
      batch.results.add(r);
      state = r.state();
    }
    batch.after = state;
  }

  /** Gives up on a batch whose deadline passed, with the exact outcome of each change. */
  private void expireBatch(long now, KeyState ks, List<ProposerEffect> out) {
    Batch batch = ks.batch;
    if (batch.inDoubt.isEmpty()) {
      List<Pending> live = new ArrayList<>();
      for (Pending p : batch.items) {
        if (p.deadline() <= now) {
          out.add(new ProposerEffect.Complete(p.token(), ProposerResult.failed(Outcome.NOT_APPLIED,
              "no quorum before the deadline")));
        } else {
          live.add(p);
        }
      }
      ks.batch = live.isEmpty() ? null : new Batch(live);
      return;
    }
    boolean expired = false;
    for (Pending p : batch.items) expired |= p.deadline() <= now;
    if (!expired) return;
    giveUp(batch, "no quorum before the deadline", out);
    ks.batch = null;
  }

  /** Fails every change of a batch: writes whose accept went out are UNKNOWN, the rest NOT_APPLIED. */
  private static void giveUp(Batch batch, String reason, List<ProposerEffect> out) {
    for (int i = 0; i < batch.items.size(); i++) {
      boolean unknown = !batch.inDoubt.isEmpty() && batch.writes(i);
      out.add(new ProposerEffect.Complete(batch.items.get(i).token(), unknown
          ? ProposerResult.failed(Outcome.UNKNOWN, "an accept was sent but not confirmed: " + reason)
          : ProposerResult.failed(Outcome.NOT_APPLIED, reason)));
    }
  }

  private void expireQueue(long now, KeyState ks, List<ProposerEffect> out) {
    for (Iterator<Pending> it = ks.queue.iterator(); it.hasNext(); ) {
      Pending p = it.next();
      if (p.deadline() <= now) {
        it.remove();
        out.add(new ProposerEffect.Complete(p.token(), ProposerResult.failed(Outcome.NOT_APPLIED,
            "no quorum before the deadline")));
      }
    }
  }

  private void endRound(KeyState ks) {
    rounds.remove(ks.roundId);
    ks.round = null;
  }

  private void remember(String key, Cached c) {
    cache.put(key, c);
    if (cache.size() > options.cacheLimit()) {
      Iterator<String> eldest = cache.keySet().iterator();
      eldest.next();
      eldest.remove();
    }
  }

  private void forgetIfIdle(KeyState ks) {
    if (ks.idle()) keys.remove(ks.key);
  }
}
