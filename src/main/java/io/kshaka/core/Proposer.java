package io.kshaka.core;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.nio.charset.StandardCharsets;
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
 * <p>Rules it keeps (README, "How it works"):
 * <ul>
 *   <li>Ballot = (max counter seen or used + 1, nodeId); no counter at or above the durable floor is used until a
 *       higher floor is stored, so a restarted node never reuses a ballot.</li>
 *   <li>Changes queued on a key while a round is in flight go together in the next round, applied in queue order;
 *       each caller gets the state after its own change.</li>
 *   <li>Exactly once: every write carries a {@link RequestId}, and the register remembers the ids of its latest
 *       writes ({@link RequestLog}). Each round applies a change to the state its prepare found only if that state
 *       does not hold the change's id already; a successful prepare fences every lower ballot, so a change retried
 *       here, or taken over from another proposer, or repeated by a client, applies at most once. A change whose id
 *       may have been forgotten (see {@link RequestLog#mayHaveForgotten}) is answered UNKNOWN.</li>
 *   <li>Exact outcomes: a change given up on is NOT_APPLIED when no accept ever carried it and no other proposer
 *       may hold it (it was submitted {@code fresh}); else UNKNOWN. Conflicts are not doubt: a round that lost is
 *       run again with the same ids, and its prepare tells exactly whether each change was applied. (A ballot
 *       refused by more acceptors than the quorum tolerates is never chosen, but the state it carried may still
 *       be: an acceptor that accepted it shows it to a later prepare, which adopts it.)</li>
 *   <li>1-RTT: an accept promises the next ballot; while that promise holds the next change skips prepare. Any
 *       failure drops the key's entry, and entries expire after {@link Options#cacheTtlMillis()}. Safety never
 *       depends on the expiry: an entry made stale by another proposer (a stand-in while this one was paused or
 *       cut off) costs one refused accept, after which the key takes a full round. Changes that may have been
 *       proposed elsewhere always take a full round.</li>
 * </ul>
 */
public final class Proposer {
  /**
   * Tuning; times in milliseconds. {@code requestLogBound} is how many ids a register remembers;
   * {@code maxValueBytes} the largest value a change may leave (a bigger one is refused before any accept).
   */
  public record Options(long backoffMinMillis, long backoffMaxMillis, long requestTimeoutMillis, int batchMax,
      long counterBlock, int cacheLimit, boolean oneRtt, long cacheTtlMillis, int requestLogBound,
      int maxValueBytes) {
    public static Options defaults() {
      return new Options(1, 50, 5_000, 256, 10_000, 100_000, true, 2_000, RequestLog.DEFAULT_BOUND, 1 << 20);
    }

    public Options withOneRtt(boolean on) {
      return new Options(backoffMinMillis, backoffMaxMillis, requestTimeoutMillis, batchMax, counterBlock,
          cacheLimit, on, cacheTtlMillis, requestLogBound, maxValueBytes);
    }
  }

  private final int nodeId;
  private QuorumSpec quorums;
  /** The configuration epoch new rounds run under (their messages carry it); 0 before {@link #configure}. */
  private long epoch;
  /** Request ids stamped before this may have been forgotten with a garbage-collected key. */
  private long forgottenBefore;
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
  /**
   * How long after its stamp a fresh change counts as fresh. A router that dispatched it fresh takes it over only
   * later (its own window adds a margin for clock differences): until then nobody else can have proposed it, and
   * after it, it is treated as possibly proposed elsewhere, so a delayed round can never apply it twice.
   */
  public static final long FRESH_MILLIS = 500;
  /** Smoothed time a phase takes (send to quorum), in milliseconds: the least a competing round needs. */
  private long phaseMillis;
  private final Stats stats = new Stats();
  /**
   * The wall clock (epoch ms) at which changes are applied, from the monotonic {@code now} every input carries:
   * TTLs are stamped and expiries judged with it. The identity by default (simulator, tests).
   */
  private java.util.function.LongUnaryOperator wallClock = java.util.function.LongUnaryOperator.identity();

  /** Running totals, for metrics. Read from any thread (values may lag). */
  public static final class Stats {
    public volatile long fullRounds;
    public volatile long fastRounds;
    public volatile long acceptsSkipped;
    public volatile long conflicts;
    public volatile long retries;
    public volatile long changes;
    /** Changes found applied already (a retry, a takeover, a repeated request id). */
    public volatile long duplicates;
    /** Changes answered UNKNOWN because the register may have forgotten their id. */
    public volatile long forgotten;
  }

  /**
   * One submitted change. {@code fresh}: nobody else can have proposed it (its id was made for this submission).
   * {@code sent}: an accept carrying it went out from here. Either way a round must look for its id.
   */
  private static final class Pending {
    final Object token;
    final Change change;
    final long deadline;
    final RequestId id;
    /** Cleared for good once the wall clock passes {@link #freshUntil} (see {@link #expireFreshness}). */
    boolean fresh;
    long freshUntil = Long.MAX_VALUE;
    boolean sent;
    /** The version this change's write had in each accept sent with it (empty when it never wrote in one). */
    long[] sentVersions = new long[0];

    Pending(Object token, Change change, long deadline, RequestId id, boolean fresh) {
      this.token = token;
      this.change = change;
      this.deadline = deadline;
      this.id = id;
      this.fresh = fresh;
    }

    /** May this change have been applied without this proposer knowing? */
    boolean seenElsewhere() {
      return !change.readOnly() && (!fresh || sent);
    }
  }

  private record Cached(Ballot next, RegisterState state, long at) {}

  /** The batch at the head of a key's queue, with what it computed the last time it was sent. */
  private static final class Batch {
    final List<Pending> items;
    List<ChangeResult> results;
    /** Which items {@link #results} applied (a new version carrying the item's id). */
    boolean[] wrote;
    RegisterState before;
    RegisterState after;
    /** An accept carrying this batch went out: from then on its writes may be applied at any time. */
    boolean sent;
    /**
     * A change that may have been proposed before (sent from here, taken over, retried) writes nothing this time
     * (refused, a no-op delete) and its id is not in the state found. Even if that state is chosen, the batch
     * needs an accept at this ballot: an older accept that carried the change may linger on a minority and be
     * adopted by a later round, applying the change after it was answered as not written. This ballot's accept on
     * a quorum fences it for good.
     */
    boolean unfenced;

    Batch(List<Pending> items) {
      this.items = items;
    }

    boolean needsFullRound() {
      for (Pending p : items) if (p.seenElsewhere()) return true;
      return false;
    }

    boolean forcesAccept() {
      for (Pending p : items) if (p.change.forcesAccept()) return true;
      return false;
    }
  }

  private static final class KeyState {
    final String key;
    final ArrayDeque<Pending> queue = new ArrayDeque<>();
    Batch batch;
    ProposerRound round;
    long roundId;
    long phaseStart;
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

  /**
   * Sets the wall clock changes are applied at (see {@link Change}): given the monotonic {@code now} of an input,
   * the epoch milliseconds to stamp TTLs with and judge expiries by. The shell passes its system clock.
   */
  public Proposer wallClock(java.util.function.LongUnaryOperator clock) {
    this.wallClock = java.util.Objects.requireNonNull(clock, "clock");
    return this;
  }

  public QuorumSpec quorums() {
    return quorums;
  }

  /** The configuration epoch new rounds run under. */
  public long epoch() {
    return epoch;
  }

  /**
   * Takes a newer configuration: rounds started from now on use {@code quorums} and carry {@code epoch}; rounds in
   * flight keep theirs (acceptors at the newer epoch refuse them, and they run again). The 1-RTT cache is dropped:
   * a promise gathered under other quorums proves nothing under these. The ballot counter moves above
   * {@code ballotFloor}. An older or equal epoch is ignored.
   */
  public void configure(long epoch, QuorumSpec quorums, long ballotFloor, long forgottenBefore) {
    if (epoch <= this.epoch) return;
    this.epoch = epoch;
    this.quorums = quorums;
    this.forgottenBefore = Math.max(this.forgottenBefore, forgottenBefore);
    cache.clear();
    counter = Math.max(counter, ballotFloor);
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

  /** Submits a fresh change with an id of its own, stamped {@code now}. */
  public List<ProposerEffect> submit(long now, String key, Change change, Object token) {
    return submit(now, key, change, new RequestId(random.nextLong(), Math.max(0, now)), true, token);
  }

  /**
   * Submits a change on {@code key}; {@code token} comes back in the {@link ProposerEffect.Complete} effect.
   *
   * @param id the change's identity, the same on every retry or takeover of it
   * @param fresh true only when no other proposer can have been given this id (it was made for this submission);
   *     false for takeovers and client retries: the change then takes a full round and is never NOT_APPLIED
   */
  public List<ProposerEffect> submit(long now, String key, Change change, RequestId id, boolean fresh, Object token) {
    return submit(now, key, change, id, fresh ? Long.MAX_VALUE : Long.MIN_VALUE, token);
  }

  /**
   * As {@link #submit(long, String, Change, RequestId, boolean, Object)}, fresh only until the wall-clock time
   * {@code freshUntil}: a change another node's router dispatched here fresh, which that router may take over once
   * the window has passed ({@link #FRESH_MILLIS} after its stamp). {@code Long.MIN_VALUE}: not fresh at all.
   */
  public List<ProposerEffect> submit(long now, String key, Change change, RequestId id, long freshUntil,
      Object token) {
    List<ProposerEffect> out = new ArrayList<>();
    KeyState ks = keys.computeIfAbsent(key, KeyState::new);
    Pending pending = new Pending(token, change, now + options.requestTimeoutMillis(), id, freshUntil != Long.MIN_VALUE);
    pending.freshUntil = freshUntil;
    ks.queue.add(pending);
    stats.changes++;
    startRound(now, ks, out);
    return out;
  }

  /** Feeds an acceptor's reply to the round {@code roundId}. Replies of finished rounds are ignored. */
  public List<ProposerEffect> onReply(long now, long roundId, int from, AcceptorReply reply) {
    if (reply instanceof AcceptorReply.Promise p) observe(p.accepted());
    if (reply instanceof AcceptorReply.Conflict c) observe(c.higher());
    List<ProposerEffect> out = new ArrayList<>();
    if (reply instanceof AcceptorReply.StaleEpoch s && s.current() > epoch) {
      out.add(new ProposerEffect.StaleConfig(s.current(), from));
    }
    KeyState ks = rounds.get(roundId);
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

  /**
   * Storing the floor failed or took too long: every change waiting for it gives up, with its exact outcome (a
   * change no accept carried, and that no other proposer holds, is NOT_APPLIED).
   */
  public List<ProposerEffect> onCounterReserveFailed(long now, String reason) {
    reserving = false;
    List<ProposerEffect> out = new ArrayList<>();
    for (String key : new ArrayList<>(waitingForCounter)) {
      KeyState ks = keys.get(key);
      if (ks == null) continue;
      String why = "cannot store the ballot counter: " + reason;
      if (ks.batch != null) giveUp(ks.batch, why, out);
      ks.batch = null;
      for (Pending p : ks.queue) fail(p, why, out);
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
    long wallNow = wallClock.applyAsLong(now);
    for (Pending p : ks.batch.items) expireFreshness(p, wallNow); // before the choice of a 1-RTT round
    Cached cached = options.oneRtt() && !ks.batch.needsFullRound()
        ? cache.get(ks.key) : null;
    if (cached != null && now - cached.at() > options.cacheTtlMillis()) {
      cache.remove(ks.key);
      cached = null;
    }
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
      compute(ks.batch, cached.state(), wallNow);
      ks.round = ProposerRound.fast(ballot, next, quorums, epoch, ks.batch.after);
      ks.phaseStart = now;
      sendAccepts(ks, out);
    } else {
      stats.fullRounds++;
      ks.round = ProposerRound.full(ballot, next, quorums, epoch);
      ks.phaseStart = now;
      for (int to : ks.round.targets()) {
        out.add(new ProposerEffect.Send(ks.roundId, to, ks.round.prepareRequest(ks.key)));
      }
    }
  }

  private void handle(long now, KeyState ks, ProposerRound.Step step, List<ProposerEffect> out) {
    if (step instanceof ProposerRound.Promised || step instanceof ProposerRound.Chosen) {
      phaseMillis += (now - ks.phaseStart - phaseMillis) / 8;
    }
    if (step instanceof ProposerRound.Promised p) {
      onPromised(now, ks, p, out);
    } else if (step instanceof ProposerRound.Chosen c) {
      Batch batch = ks.batch;
      for (int i = 0; i < batch.items.size(); i++) {
        out.add(new ProposerEffect.Complete(batch.items.get(i).token, ProposerResult.applied(batch.results.get(i))));
      }
      if (c.cacheable() && options.oneRtt()) remember(ks.key, new Cached(ks.round.next(), batch.after, now));
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
      // At least one phase's time: a competitor whose prepare just won gets to send its accept before this
      // proposer prepares again (retrying at once would pre-empt it, and duelling proposers would starve).
      long delay = Math.min(phaseMillis, options.backoffMaxMillis()) + (options.backoffMinMillis() >= ceiling
          ? ceiling : random.nextLong(options.backoffMinMillis(), ceiling + 1));
      out.add(new ProposerEffect.Wake(ks.key, now + delay));
    }
  }

  private void onPromised(long now, KeyState ks, ProposerRound.Promised p, List<ProposerEffect> out) {
    // The prepare quorum fenced every lower ballot: a write of this batch that an earlier accept carried is in the
    // state found (by its id), or was not chosen (a later round may still adopt that accept, and then the id check
    // of every later change sees it).
    compute(ks.batch, p.state(), wallClock.applyAsLong(now));
    dropForgotten(ks, out);
    if (ks.batch.items.isEmpty()) {
      endRound(ks);
      ks.batch = null;
      startRound(now, ks, out);
      return;
    }
    acceptOrFinish(now, ks, p.chosen() && ks.batch.after.equals(ks.batch.before) && !ks.batch.unfenced
        && !ks.batch.forcesAccept(), out);
  }

  /** Answers UNKNOWN the changes whose id the register may have forgotten, and takes them out of the batch. */
  private void dropForgotten(KeyState ks, List<ProposerEffect> out) {
    Batch batch = ks.batch;
    if (!batch.results.contains(null)) return;
    List<Pending> keep = new ArrayList<>();
    List<ChangeResult> results = new ArrayList<>();
    boolean[] wrote = new boolean[batch.items.size()];
    for (int i = 0; i < batch.items.size(); i++) {
      Pending p = batch.items.get(i);
      if (batch.results.get(i) != null) {
        wrote[keep.size()] = batch.wrote[i];
        keep.add(p);
        results.add(batch.results.get(i));
        continue;
      }
      stats.forgotten++;
      out.add(new ProposerEffect.Complete(p.token, ProposerResult.failed(Outcome.UNKNOWN,
          "the register may have forgotten this request id (more than " + options.requestLogBound()
              + " later changes): it may have been applied")));
    }
    Batch left = new Batch(keep);
    left.results = results;
    left.wrote = Arrays.copyOf(wrote, keep.size());
    left.sent = batch.sent;
    left.unfenced = batch.unfenced;
    left.before = batch.before;
    left.after = batch.after;
    ks.batch = left;
  }

  private void acceptOrFinish(long now, KeyState ks, boolean alreadyChosen, List<ProposerEffect> out) {
    if (alreadyChosen) {
      stats.acceptsSkipped++;
      ks.round.finishWithoutAccept();
      handle(now, ks, new ProposerRound.Chosen(false), out);
      return;
    }
    ks.round.beginAccept(ks.batch.after);
    ks.phaseStart = now;
    // The accept phase gets its own round id: a prepare's late reply or timeout must not count as a vote on the
    // accept (a slow acceptor's prepare timeout would otherwise void its accept and fail a chosen round).
    rounds.remove(ks.roundId);
    ks.roundId = nextRoundId++;
    rounds.put(ks.roundId, ks);
    sendAccepts(ks, out);
  }

  private void sendAccepts(KeyState ks, List<ProposerEffect> out) {
    Batch batch = ks.batch;
    batch.sent = true;
    for (int i = 0; i < batch.items.size(); i++) {
      Pending p = batch.items.get(i);
      p.sent = true;
      if (batch.wrote[i]) {
        p.sentVersions = Arrays.copyOf(p.sentVersions, p.sentVersions.length + 1);
        p.sentVersions[p.sentVersions.length - 1] = batch.results.get(i).state().version();
      }
    }
    for (int to : ks.round.targets()) {
      out.add(new ProposerEffect.Send(ks.roundId, to, ks.round.acceptRequest(ks.key)));
    }
  }

  /**
   * Applies the batch's changes in order to {@code current}. A change whose id the state holds was applied
   * already: its result is the remembered one and it changes nothing. A change that may have been applied where
   * the state no longer remembers gets a null result (answered UNKNOWN by {@link #dropForgotten}). Changes apply
   * at {@code wallNow} (expiries, TTL stamps).
   */
  private void compute(Batch batch, RegisterState current, long wallNow) {
    for (Pending p : batch.items) expireFreshness(p, wallNow);
    batch.before = current;
    batch.results = new ArrayList<>(batch.items.size());
    batch.wrote = new boolean[batch.items.size()];
    batch.unfenced = false;
    RegisterState state = current;
    int writes = 0;
    for (int i = 0; i < batch.items.size(); i++) {
      Pending p = batch.items.get(i);
      if (p.change.readOnly()) {
        batch.results.add(p.change.apply(state, wallNow));
        continue;
      }
      if (p.change instanceof Change.Forget) {
        // Idempotent and no client's: no id check and no id recorded. It forgets only a tombstone whose every id is
        // stamped before forgottenBefore: a repeat of one is then UNKNOWN on every proposer that can see the
        // forgotten state (all run at this epoch or later), where neverApplied's version inference, which the
        // forget breaks, would re-apply it (simulator seed 48, 3 acceptors: a delete answered "v0").
        ChangeResult r = state.requests().newestStamp() < forgottenBefore ? p.change.apply(state, wallNow)
            : ChangeResult.ok(state);
        if (!r.state().equals(state)) {
          state = r.state();
          batch.wrote[i] = true;
        }
        batch.results.add(r);
        continue;
      }
      RequestLog.Entry done = state.requests().find(p.id);
      if (done != null) {
        stats.duplicates++;
        byte[] answered = answeredValue(p, done, state);
        batch.results.add(ChangeResult.ok(new RegisterState(answered, done.version(), RequestLog.EMPTY,
            answered != null && done.version() == state.version() ? state.expiresAt() : RegisterState.NO_EXPIRY)));
        continue;
      }
      // A key collected since the id was stamped restarts at version 0, so neverApplied's reasoning (an accept at
      // a version above the state's cannot be its ancestor) does not hold for it: found by the simulator (seed
      // 1081 of MembershipSimulationTest, 3 acceptors: a delete whose tombstone was collected answered v0).
      if (p.seenElsewhere() && ((state.requests().mayHaveForgotten(p.id) && !neverApplied(p, state))
          || p.id.stamp() < forgottenBefore)) {
        batch.results.add(null);
        continue;
      }
      ChangeResult r = p.change.apply(state, wallNow);
      if (r.state().version() != state.version()) {
        byte[] v = r.state().value();
        if (v != null && v.length > options.maxValueBytes()) {
          r = ChangeResult.refused(state, ChangeResult.Status.TOO_LARGE, "the change leaves a value of "
              + v.length + " bytes, over the limit of " + options.maxValueBytes());
        } else {
          // The log keeps every id of this batch, however many: an accept's writes never push each other out.
          state = r.state().recording(p.id, p.change instanceof Change.Add ? sum(v) : 0,
              Math.max(options.requestLogBound(), ++writes));
          r = ChangeResult.ok(state);
          batch.wrote[i] = true;
        }
      }
      if (!batch.wrote[i] && p.seenElsewhere()) batch.unfenced = true;
      batch.results.add(r);
    }
    batch.after = state;
  }

  /**
   * A change dispatched here fresh by another node's router stays fresh only until its window ends: that router
   * may take it over once the window (plus a margin) has passed, and a round here that ran later could otherwise
   * apply it a second time (fault seed 269037353158244447: a put queued behind slow rounds for 2.5 s ran as fresh
   * after its router had taken it over and four more writes had pushed its id out of the register's log).
   */
  private static void expireFreshness(Pending p, long wallNow) {
    if (p.fresh && wallNow > p.freshUntil) p.fresh = false;
  }

  /**
   * True when none of the accepts that carried this fresh change can be an ancestor of {@code state}: for each,
   * the version it gave the change is above the state's, or the state's log shows another write at that version.
   * (A fresh change was only ever sent from here, so if it was applied, one of these accepts is in the history.)
   */
  private static boolean neverApplied(Pending p, RegisterState state) {
    if (!p.fresh) return false;
    for (long v : p.sentVersions) {
      if (v <= state.version()) {
        Long hash = state.requests().hashAt(v);
        if (hash == null || hash == p.id.hash()) return false;
      }
    }
    return true;
  }

  /** The value a repeat of an applied change is answered with: the register's if still at that version. */
  private static byte[] answeredValue(Pending p, RequestLog.Entry done, RegisterState state) {
    if (p.change instanceof Change.Add) return Long.toString(done.sum()).getBytes(StandardCharsets.UTF_8);
    return done.version() == state.version() ? state.value() : null;
  }

  private static long sum(byte[] decimal) {
    return Long.parseLong(new String(decimal, StandardCharsets.UTF_8));
  }

  /** Gives up on a batch whose deadline passed, with the exact outcome of each change. */
  private void expireBatch(long now, KeyState ks, List<ProposerEffect> out) {
    Batch batch = ks.batch;
    if (!batch.sent) {
      List<Pending> live = new ArrayList<>();
      for (Pending p : batch.items) {
        if (p.deadline <= now) {
          fail(p, "no quorum before the deadline", out);
        } else {
          live.add(p);
        }
      }
      ks.batch = live.isEmpty() ? null : new Batch(live);
      return;
    }
    boolean expired = false;
    for (Pending p : batch.items) expired |= p.deadline <= now;
    if (!expired) return;
    giveUp(batch, "no quorum before the deadline", out);
    ks.batch = null;
  }

  /** Fails every change of a batch with its exact outcome. */
  private void giveUp(Batch batch, String reason, List<ProposerEffect> out) {
    for (Pending p : batch.items) fail(p, reason, out);
  }

  /** Fails one change: UNKNOWN when it may have been applied (an accept carried it, or another proposer holds it). */
  private static void fail(Pending p, String reason, List<ProposerEffect> out) {
    out.add(new ProposerEffect.Complete(p.token, !p.seenElsewhere()
        ? ProposerResult.failed(Outcome.NOT_APPLIED, reason)
        : ProposerResult.failed(Outcome.UNKNOWN, (p.sent ? "an accept was sent but not confirmed: "
            : "another proposer may have applied it: ") + reason)));
  }

  private void expireQueue(long now, KeyState ks, List<ProposerEffect> out) {
    for (Iterator<Pending> it = ks.queue.iterator(); it.hasNext(); ) {
      Pending p = it.next();
      if (p.deadline <= now) {
        it.remove();
        fail(p, "no quorum before the deadline", out);
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
