package io.kshaka.sim;

import io.kshaka.core.Acceptor;
import io.kshaka.core.AcceptorReply;
import io.kshaka.core.AcceptorRequest;
import io.kshaka.core.RequestLog;
import io.kshaka.core.AcceptorState;
import io.kshaka.core.Ballot;
import io.kshaka.core.Outcome;
import io.kshaka.core.Proposer;
import io.kshaka.core.ProposerEffect;
import io.kshaka.core.ProposerResult;
import io.kshaka.core.QuorumSpec;
import io.kshaka.core.RegisterState;
import io.kshaka.core.RequestId;
import io.kshaka.core.ChangeResult;
import io.kshaka.core.Change;
import io.kshaka.core.ClusterConfig;
import io.kshaka.core.MembershipPlan;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Consumer;

/**
 * A deterministic simulation of a Kshaka cluster over the real protocol core: N proposers ({@link Proposer}, with
 * rounds, retries, backoff, batching and 1-RTT), M acceptors ({@link Acceptor} transitions over a volatile and a
 * durable store with group commit), K keys, and clients issuing random get, put, cas, delete, add and create.
 *
 * <p>Everything runs on one thread under a virtual clock ({@link EventQueue}); every random choice comes from a
 * {@link SplittableRandom} seeded with the run's seed, so one seed is one run, exactly. Time is in virtual
 * milliseconds.
 *
 * <p>A run has three phases:
 * <ol>
 *   <li><b>Faults.</b> Clients issue operations while messages are lost, duplicated and delayed (so reordered),
 *       links fail one way or both ways, and nodes crash and restart (at most F acceptors and N-1 proposers down at
 *       a time). A crashed acceptor loses its unflushed writes (but for a random prefix of its log) and the replies
 *       that waited for them; a crashed proposer loses all its memory (its clients learn "unknown") and restarts
 *       from its durable counter floor. A send with no reply within the send timeout is fed to
 *       {@link Proposer#onNoVote}, as the production shell does. Every client operation carries a
 *       {@link RequestId}; an attempt without an answer is taken over by another proposer (after a timeout, or at
 *       once when its proposer crashes), and an UNKNOWN answer is retried, always with the same id and not fresh.</li>
 *   <li><b>Heal.</b> Every node is restarted, every link repaired, loss and duplication stop.</li>
 *   <li><b>Liveness.</b> Once every earlier operation has ended, every proposer writes and then reads every key;
 *       each of these operations must be applied.</li>
 * </ol>
 * After every state change the invariants are checked: an acceptor's promise never decreases (also across a
 * restart from its durable state: no promise a reply has shown may be lost), accepted never exceeds promised, at
 * most one value per (key, ballot) is ever accepted or even sent, and no proposer sends a ballot at or above its
 * durable counter floor. At the end the history goes to the linearizability checker.
 */
public final class Simulation {
  /** Hard limits that turn a run that does not settle into a failure. */
  private static final long MAX_EVENTS = 5_000_000;
  private static final long MAX_VIRTUAL_MILLIS = 200_000;
  private static final long FAULT_PHASE_CAP = 6_000;
  private static final long LIVENESS_BUDGET = 30_000;
  /**
   * The most writes per key that are pending or ended with an unknown outcome before clients only read the key. An
   * unknown write may take effect at any time after its call or never, so the checker's search grows exponentially
   * with their number; this keeps every history checkable in well under a second.
   */
  private static final int UNKNOWN_WRITE_BUDGET = 6;
  /**
   * Whether half of the seeds take requests over early, while the first attempt still runs
   * ({@code -Dkshaka.sim.earlyTakeovers=true}). Off by default: the core does not remember refused changes, so a
   * change one attempt answered refused (or a no-op delete) may still be applied by another attempt that runs at the
   * same time, and the checker catches that (see package-info).
   */
  static final boolean EARLY_TAKEOVERS = Boolean.getBoolean("kshaka.sim.earlyTakeovers");

  private final SimConfig cfg;
  private final long seed;
  private final EventQueue queue = new EventQueue();
  private final Trace trace;
  private final SimResult.Stats stats = new SimResult.Stats();

  // independent random streams, split from the seed in a fixed order
  private final SplittableRandom netRandom;
  private final SplittableRandom faultRandom;
  private final SplittableRandom clientRandom;
  private final SplittableRandom diskRandom;
  private final SplittableRandom proposerRandom;

  // parameters drawn from the seed
  private final int proposerCount;
  /** F: how many acceptors may be down at once (the smaller tolerance of the two phases). */
  private final int maxAcceptorsDown;
  private final int maxOps;
  private final int keyCount;
  private final int clientCount;
  private final long maxDelay;
  private final double loss;
  private final double duplication;
  /** Share of messages delayed far beyond the usual (5 to 50 times the maximum delay): very late deliveries. */
  private final double lateShare;
  private final long healthySendTimeout;
  private long sendTimeout;
  private final long flushMax;
  private final long clientTimeout;
  /** How long a client waits for one attempt before it (or the node it reached) takes the request over elsewhere. */
  private final long takeoverAfter;
  /**
   * True: the takeover comes well before the attempt's deadline (a failure detector), while the first attempt may
   * still run and apply the change; the first attempt is then not fresh either (another proposer may be given its
   * id). False: the takeover comes only after the attempt's deadline and the last round it may have started, so the
   * first attempt is over (its accepts may linger) and is submitted fresh.
   */
  private final boolean earlyTakeover;
  /** How long a client keeps trying one operation (attempts, takeovers, retries) before it reports UNKNOWN. */
  private final long clientBudget;
  private final long thinkMax;
  private final long meanFaultGap;
  private final double homeBias;
  /** Chance that a proposer crashes right before sending one accept of a broadcast (so the rest is never sent). */
  private final double acceptCrashPoint;
  /** Chance that storing a proposer's counter floor fails (fed to {@link Proposer#onCounterReserveFailed}). */
  private final double floorWriteFailure;
  private final Proposer.Options options;
  private final String parameters;

  private final SimAcceptor[] acceptors;
  private final SimProposer[] proposers;
  private final String[] keys;
  /** blocked[from][to] > 0: the link is cut. Nodes: proposer p is p - 1, acceptor a is N + a - 1. */
  private final int[][] blocked;
  private final List<Partition> partitions = new ArrayList<>();
  private double currentLoss;
  private double currentDuplication;
  private double currentLate;

  private final List<SimOp> history = new ArrayList<>();
  private final Map<KeyBallot, RegisterState> valueAtBallot = new HashMap<>();
  /** Which round (proposer, incarnation, round id) used each (key, ballot): one round per ballot, ever. */
  private final Map<KeyBallot, RoundRef> roundAtBallot = new HashMap<>();
  private final long[] clientIds;
  private final Map<String, Long>[] clientSeenVersion;
  private long nextOpId = 1;
  private long nextSendId = 1;
  private int nextClientId;
  private int opsIssued;
  private boolean healed;
  private boolean livenessStarted;
  private long livenessStart;
  private String failure;

  private record KeyBallot(String key, Ballot ballot) {}

  /** Who sent a ballot: one proposer incarnation (its prepare and accept phases use different round ids). */
  private record RoundRef(int proposer, int incarnation) {
    @Override
    public String toString() {
      return "P" + proposer + "/incarnation " + incarnation;
    }
  }

  private static final class Partition {
    final List<int[]> links = new ArrayList<>();
    boolean active = true;
  }

  public static SimResult run(SimConfig cfg, long seed) {
    return new Simulation(cfg, seed, false).execute(true);
  }

  public static SimResult runTraced(SimConfig cfg, long seed) {
    return new Simulation(cfg, seed, true).execute(true);
  }

  /** The run without the final linearizability check (for replay tests: the trace is the same). */
  static SimResult runUnchecked(SimConfig cfg, long seed) {
    return new Simulation(cfg, seed, false).execute(false);
  }

  @SuppressWarnings("unchecked")
  private Simulation(SimConfig cfg, long seed, boolean keepTrace) {
    this.cfg = cfg;
    this.seed = seed;
    this.trace = new Trace(keepTrace);
    SplittableRandom root = new SplittableRandom(seed);
    SplittableRandom params = root.split();
    netRandom = root.split();
    faultRandom = root.split();
    clientRandom = root.split();
    diskRandom = root.split();
    proposerRandom = root.split();
    adminRandom = root.split();

    proposerCount = cfg.proposers() > 0 ? cfg.proposers() : 2 + params.nextInt(3);
    maxOps = cfg.maxOps() / 2 + params.nextInt(cfg.maxOps() + 1);
    // Membership runs: more keys (some stay idle for a while, which is what a lost rescan or a bad GC needs).
    keyCount = 1 + params.nextInt(3) + (cfg.membership() ? 2 : 0);
    clientCount = 2 + params.nextInt(4);
    maxDelay = 1 + params.nextInt(20);
    loss = cfg.faults() && params.nextInt(10) >= 3 ? params.nextDouble() * 0.15 : 0;
    duplication = cfg.faults() && params.nextBoolean() ? params.nextDouble() * 0.1 : 0;
    flushMax = 1 + params.nextInt(8);
    lateShare = cfg.faults() && params.nextBoolean() ? params.nextDouble() * 0.05 : 0;
    healthySendTimeout = 2 * maxDelay + flushMax + params.nextLong(1, 40);
    sendTimeout = cfg.faults() && params.nextInt(5) == 0
        ? 1 + params.nextLong(2 * maxDelay + flushMax)          // spurious timeouts, until the heal
        : healthySendTimeout;
    // Randomised backoff separates duelling proposers only if its range is not below a round trip (prepare, fsync,
    // reply); with a cap below it, four proposers on one key may duel until the deadline, even with no fault.
    long roundTrip = 2 * maxDelay + flushMax;
    long backoffMax = roundTrip + params.nextLong(3 * roundTrip + 20);
    // Deadlines in round trips, as in production (5 s against milliseconds): a duel of proposers that starts its
    // backoff at 2 ms needs several doublings to separate them when a round trip takes tens of milliseconds.
    long requestTimeout = Math.max(300, roundTrip * (15 + params.nextInt(30)));
    int batchMax = params.nextBoolean() ? 256 : 1 + params.nextInt(4);
    long counterBlock = 2 + params.nextInt(50);
    int cacheLimit = params.nextBoolean() ? 100_000 : 1 + params.nextInt(2);
    options = new Proposer.Options(1, backoffMax, requestTimeout, batchMax, counterBlock, cacheLimit, cfg.oneRtt(),
        2_000, RequestLog.DEFAULT_BOUND, 1 << 20);
    clientTimeout = requestTimeout + 50 + params.nextInt(300);
    thinkMax = params.nextInt(30);
    meanFaultGap = 20 + params.nextInt(150);
    homeBias = 0.5 + params.nextDouble() * 0.5;
    acceptCrashPoint = cfg.faults() && params.nextBoolean() ? params.nextDouble() * 0.02 : 0;
    floorWriteFailure = cfg.faults() && params.nextInt(4) == 0 ? params.nextDouble() * 0.2 : 0;
    // A takeover either well before the attempt's own deadline (a failure detector: the first attempt may still be
    // running, and may still apply the change, while the takeover runs) or only after it (and after the last round
    // the attempt may have started before its deadline: two phases of at most a send timeout each).
    boolean early = params.nextBoolean();
    earlyTakeover = early && EARLY_TAKEOVERS;
    takeoverAfter = earlyTakeover ? roundTrip * (2 + params.nextInt(10))
        : requestTimeout + 2 * healthySendTimeout + 1 + params.nextInt(100);
    clientBudget = clientTimeout + params.nextInt(3) * requestTimeout;
    currentLoss = loss;
    currentDuplication = duplication;
    currentLate = lateShare;
    parameters = String.format("proposers=%d ops=%d keys=%d clients=%d delay=1..%d late=%.3f loss=%.3f dup=%.3f "
            + "sendTimeout=%d(healed %d) flush<=%d backoff<=%d requestTimeout=%d batchMax=%d counterBlock=%d "
            + "cacheLimit=%d clientTimeout=%d takeoverAfter=%d%s clientBudget=%d think<=%d faultGap~%d homeBias=%.2f "
            + "acceptCrashPoint=%.4f floorWriteFailure=%.3f", proposerCount, maxOps, keyCount, clientCount, maxDelay, lateShare, loss,
        duplication,
        sendTimeout, healthySendTimeout, flushMax, backoffMax, requestTimeout, batchMax, counterBlock, cacheLimit,
        clientTimeout, takeoverAfter, earlyTakeover ? "(early)" : "", clientBudget, thinkMax, meanFaultGap, homeBias, acceptCrashPoint, floorWriteFailure);

    int universe = cfg.membership() ? cfg.acceptors() + SPARES : cfg.acceptors();
    acceptors = new SimAcceptor[universe];
    List<Integer> ids = new ArrayList<>();
    for (int a = 1; a <= universe; a++) {
      acceptors[a - 1] = new SimAcceptor(a);
      if (a <= cfg.acceptors()) ids.add(a);
    }
    QuorumSpec majority = cfg.quorums() != null ? cfg.quorums() : QuorumSpec.majority(ids);
    if (cfg.membership()) {
      maxAcceptorsDown = drawScenario(majority);
    } else {
      maxAcceptorsDown = Math.min(majority.prepareTolerance(), majority.acceptTolerance());
    }
    proposers = new SimProposer[proposerCount];
    for (int p = 1; p <= proposerCount; p++) {
      QuorumSpec q = majority;
      if (cfg.variant() == Variant.QUORUM_OF_ONE) {
        Integer only = ((p - 1) % cfg.acceptors()) + 1;
        q = new QuorumSpec(Set.of(only), 1, Set.of(only), 1);
      }
      proposers[p - 1] = new SimProposer(p, q);
    }
    keys = new String[keyCount];
    for (int k = 0; k < keyCount; k++) keys[k] = "k" + k;
    blocked = new int[proposerCount + universe][proposerCount + universe];
    if (cfg.membership()) bootstrap(majority);
    clientIds = new long[clientCount];
    clientSeenVersion = new Map[clientCount];
  }

  // ---------------------------------------------------------------------------------------------------------------
  // The run

  private SimResult execute(boolean checkHistory) {
    if (trace.keepsLines()) trace.line(0, "seed " + seed + " " + cfg + " " + parameters + " " + scenario);
    for (SimProposer p : proposers) p.core = newProposer(p, 0);
    for (int c = 0; c < clientCount; c++) {
      clientIds[c] = nextClientId++;
      clientSeenVersion[c] = new TreeMap<>();
      int slot = c;
      queue.after(clientRandom.nextLong(thinkMax + 1), () -> clientStep(slot));
    }
    if (cfg.faults()) queue.after(nextFaultGap(), this::fault);
    if (cfg.membership()) startAdmin();
    queue.at(FAULT_PHASE_CAP, this::heal);
    while (!queue.isEmpty() && failure == null) {
      queue.runNext();
      stats.events++;
      if (stats.events > MAX_EVENTS || queue.now() > MAX_VIRTUAL_MILLIS) {
        fail("liveness: the run did not settle (" + stats.events + " events, " + queue.now() + " virtual ms)");
      }
    }
    stats.virtualMillis = queue.now();
    for (SimProposer p : proposers) harvest(p);
    if (failure == null) finalChecks();
    String report = null;
    if (failure == null && checkHistory) {
      long t0 = System.nanoTime();
      report = HistoryCheck.check(history, forgets);
      stats.checkNanos = System.nanoTime() - t0;
      stats.maxCheckNanos = stats.checkNanos;
      stats.maxCheckSeed = seed;
      if (report != null) fail("linearizability: " + report);
    }
    for (SimOp op : history) {
      if (op.liveness) stats.livenessOps++;
      if (op.status == SimOp.Status.DONE) stats.applied++;
      if (op.status == SimOp.Status.NOT_APPLIED) stats.notApplied++;
      if (op.status == SimOp.Status.UNKNOWN) stats.unknown++;
      if (op.kind != SimOp.Kind.GET) stats.writes++;
    }
    stats.ops = history.size();
    return new SimResult(seed, cfg, failure, trace.hash(), parameters + (scenario.isEmpty() ? "" : " " + scenario),
        stats, List.copyOf(history),
        trace.lines(), report);
  }

  private void finalChecks() {
    for (SimOp op : history) {
      if (op.status == SimOp.Status.PENDING) {
        fail("liveness: operation never answered: " + op);
        return;
      }
    }
    if (!livenessStarted) {
      fail("liveness: the liveness phase never started (operations still pending after the heal)");
      return;
    }
    if (cfg.membership()) {
      finalMembershipChecks();
      if (failure != null) return;
    }
    for (SimOp op : history) {
      if (!op.liveness) continue;
      if (op.ret != null && op.ret - livenessStart > LIVENESS_BUDGET) {
        fail("liveness: after the heal an operation took too long: " + op);
        return;
      }
    }
    for (String key : keys) {
      boolean burstApplied = false;
      for (SimOp op : history) {
        burstApplied |= op.liveness && op.key.equals(key) && livenessSteps.get(op.id) == LivenessStep.BURST_PUT
            && op.status == SimOp.Status.DONE;
      }
      if (!burstApplied) {
        fail("liveness: no write of the burst on " + key + " was applied");
        return;
      }
      if (chainDone.getOrDefault(key, 0) < 4 * proposers.length) {
        fail("liveness: the sequential operations on " + key + " after the heal did not all finish");
        return;
      }
    }
  }

  private void fail(String why) {
    if (failure == null) {
      failure = why + " (at virtual time " + queue.now() + ")";
      if (trace.keepsLines()) trace.line(queue.now(), "FAILURE " + failure);
    }
  }

  private long now() {
    return queue.now();
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Clients

  private void clientStep(int slot) {
    if (healed || opsIssued >= maxOps) return;
    String key = keys[clientRandom.nextInt(keyCount)];
    SimProposer p = pickProposer(key);
    if (p == null) {
      queue.after(10, () -> clientStep(slot));
      return;
    }
    SimOp op = newOp(slot, key, p.id);
    opsIssued++;
    if (opsIssued == maxOps) queue.after(clientRandom.nextLong(200), this::heal);
    op.deadline = now() + clientBudget;
    nextAttempt(op, p, firstAttemptFresh(), false);
    queue.after(clientBudget, () -> clientDeadline(slot, op));
  }

  private SimProposer pickProposer(String key) {
    SimProposer home = home(key);
    if (home.up && clientRandom.nextDouble() < homeBias) return home;
    int upCount = 0;
    for (SimProposer p : proposers) if (p.up) upCount++;
    if (upCount == 0) return null;
    int pick = clientRandom.nextInt(upCount);
    for (SimProposer p : proposers) {
      if (p.up && pick-- == 0) return p;
    }
    throw new IllegalStateException();
  }

  private SimOp newOp(int slot, String key, int proposer) {
    long id = nextOpId++;
    int client = (int) clientIds[slot];
    long seen = clientSeenVersion[slot].getOrDefault(key, 0L);
    int r = clientRandom.nextInt(100);
    String intValue = Long.toString(id * 1000);
    String value = clientRandom.nextInt(10) < 6 ? intValue : "v" + id;
    SimOp.Kind kind;
    Long expected = null;
    long delta = 0;
    if (r >= 25 && openWrites(key) >= UNKNOWN_WRITE_BUDGET) {
      r = 0;
      stats.forcedReads++;
    }
    if (cfg.membership() && r >= 35 && r < 60) {
      r = 60 + (r - 35) % 10; // membership runs: deletes instead of some cas, so that GC has tombstones
    }
    if (r < 25) {
      kind = SimOp.Kind.GET;
      value = null;
    } else if (r < 45) {
      kind = SimOp.Kind.PUT;
    } else if (r < 60) {
      kind = SimOp.Kind.CAS;
      expected = clientRandom.nextInt(10) < 7 ? seen : Math.max(0, seen + clientRandom.nextInt(-1, 2));
    } else if (r < 70) {
      kind = SimOp.Kind.DELETE;
      value = null;
      if (clientRandom.nextInt(10) < 3) expected = seen;
    } else if (r < 90) {
      kind = SimOp.Kind.ADD;
      value = null;
      delta = clientRandom.nextInt(1, 10);
    } else {
      kind = SimOp.Kind.CREATE;
    }
    SimOp op = new SimOp(id, client, key, kind, value, expected, delta, now(), proposer, false, requestId(id));
    history.add(op);
    return op;
  }

  /** Writes on {@code key} that are pending or ended unknown. */
  private int openWrites(String key) {
    int n = 0;
    for (SimOp op : history) {
      if (op.key.equals(key) && op.kind != SimOp.Kind.GET
          && (op.status == SimOp.Status.PENDING || op.status == SimOp.Status.UNKNOWN)) {
        n++;
      }
    }
    return n;
  }

  /**
   * Whether a client's first attempt is submitted fresh. {@code fresh} promises the core that no other proposer can
   * be given the id; with early takeovers another can, while this attempt still runs.
   */
  private boolean firstAttemptFresh() {
    return !earlyTakeover;
  }

  /** The request id of operation {@code opId}: a bijective mix of the op id (unique in the run), stamped now. */
  private RequestId requestId(long opId) {
    long z = opId * 0x9E3779B97F4A7C15L;
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return new RequestId(z ^ (z >>> 31), now());
  }

  private void clientDeadline(int slot, SimOp op) {
    if (op.status != SimOp.Status.PENDING) return;
    op.giveUp("client deadline");
    op.liveAttempts = 0;
    trace.mix(7, op.id, now(), 0);
    if (trace.keepsLines()) trace.line(now(), "client c" + op.client + " gives up op" + op.id + ": unknown");
    clientContinues(slot, op);
  }

  /** After an answer: the client goes on (as a new client id after an unknown outcome). */
  private void clientContinues(int slot, SimOp op) {
    if (op.status == SimOp.Status.UNKNOWN) clientIds[slot] = nextClientId++;
    if (op.status == SimOp.Status.DONE) {
      clientSeenVersion[slot].put(op.key, op.result.state().version());
    }
    queue.after(clientRandom.nextLong(thinkMax + 1), () -> clientStep(slot));
  }

  private int slotOf(SimOp op) {
    for (int s = 0; s < clientCount; s++) if (clientIds[s] == op.client) return s;
    return -1;
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Proposers

  private Proposer newProposer(SimProposer p, long floor) {
    Proposer core = new Proposer(p.id, p.quorums, options, proposerRandom.split(), floor);
    if (p.config != null) {
      core.configure(p.config.epoch(), p.config.quorums(), p.config.ballotFloor(), p.config.forgottenBefore());
    }
    return core;
  }

  /**
   * Submits one attempt of {@code op} to {@code p}, with the op's request id: the first attempt is fresh, every
   * takeover and retry is not (as the I/O shell does).
   */
  private void submitAttempt(SimProposer p, SimOp op, boolean fresh, boolean takeover) {
    int attempt = op.attempts++;
    op.liveAttempts++;
    op.lastProposer = p.id;
    long token = op.token(attempt);
    p.inflight.put(token, op);
    RequestId rid = op.rid;
    if (takeover && cfg.variant() == Variant.UNFENCED_TAKEOVER && !unfencedCheckFinds(op)) {
      // The broken takeover: one acceptor's state (no prepare quorum, nothing fenced) does not show the id, so the
      // change is "not applied yet" and is applied now, as a new request.
      rid = new RequestId(~op.rid.hash() - attempt, op.rid.stamp());
    }
    trace.mix(1, token, p.id, now());
    if (trace.keepsLines()) {
      trace.line(now(), "P" + p.id + " <- op" + op.id + "#" + attempt + (fresh ? "" : " (not fresh)") + " c"
          + op.client + " " + op.describeCall() + " id " + rid);
    }
    apply(p, p.core.submit(now(), op.key, op.change(), rid, fresh, token), -1);
  }

  /** {@link Variant#UNFENCED_TAKEOVER}: does one random acceptor's current state remember the op's id? */
  private boolean unfencedCheckFinds(SimOp op) {
    SimAcceptor a = acceptors[clientRandom.nextInt(acceptors.length)];
    return a.state(op.key).state().requests().find(op.rid) != null;
  }

  /**
   * The client's attempt has run for {@link #takeoverAfter} without an answer: the request is taken over by another
   * proposer (same id, not fresh); the first attempt keeps running where it was.
   */
  private void maybeTakeOver(SimOp op, int attempt) {
    if (op.status != SimOp.Status.PENDING || op.attempts != attempt + 1 || op.liveAttempts == 0) return;
    if (op.attempts >= SimOp.MAX_ATTEMPTS || now() >= op.deadline) return;
    SimProposer q = pickOther(op.lastProposer);
    if (q == null) return;
    op.takeovers++;
    stats.takeovers++;
    if (trace.keepsLines()) trace.line(now(), "op" + op.id + " taken over by P" + q.id);
    submitAttempt(q, op, false, true);
    int next = op.attempts - 1;
    queue.after(takeoverAfter, () -> maybeTakeOver(op, next));
  }

  /** A proposer that is up, other than {@code not} if there is one. */
  private SimProposer pickOther(int not) {
    List<SimProposer> up = new ArrayList<>();
    for (SimProposer p : proposers) if (p.up && p.id != not) up.add(p);
    if (up.isEmpty()) return null;
    return up.get(clientRandom.nextInt(up.size()));
  }

  /** Submits the op's next attempt: the first one, a takeover, or a client retry after an unknown outcome. */
  private void nextAttempt(SimOp op, SimProposer p, boolean fresh, boolean takeover) {
    submitAttempt(p, op, fresh, takeover);
    if (op.liveness) return;
    int attempt = op.attempts - 1;
    queue.after(takeoverAfter, () -> maybeTakeOver(op, attempt));
  }

  /** An idempotent client retry after an unknown outcome: same id, not fresh, through any live proposer. */
  private void clientRetry(int slot, SimOp op) {
    if (op.status != SimOp.Status.PENDING || op.liveAttempts > 0) return;
    SimProposer q = pickProposer(op.key);
    if (q == null || now() >= op.deadline || op.attempts >= SimOp.MAX_ATTEMPTS) {
      endUnknown(slot, op, q == null ? "no proposer up for a retry" : op.reason);
      return;
    }
    op.retries++;
    stats.clientRetries++;
    nextAttempt(op, q, false, false);
  }

  private void endUnknown(int slot, SimOp op, String why) {
    op.giveUp(why);
    if (op.liveness) {
      livenessNext(op);
    } else if (slot >= 0) {
      clientContinues(slot, op);
    }
  }

  /**
   * Carries out a proposer's effects. Runs of sends are put in a fixed order first: the core's quorum sets are
   * immutable sets whose iteration order changes from one JVM to the next.
   */
  private void apply(SimProposer p, List<ProposerEffect> effects, long roundId) {
    List<ProposerEffect> ordered = new ArrayList<>(effects);
    sortSendRuns(ordered);
    int applied = 0;
    for (ProposerEffect e : ordered) {
      if (e instanceof ProposerEffect.Complete c && c.result().outcome() == Outcome.APPLIED) applied++;
    }
    if (applied >= 2) stats.batches++;
    int inc = p.incarnation;
    for (ProposerEffect e : ordered) {
      if (failure != null || !p.up || p.incarnation != inc) return;
      if (e instanceof ProposerEffect.Send s) {
        if (s.request() instanceof AcceptorRequest.Accept && acceptCrashPoint > 0 && !healed
            && faultRandom.nextDouble() < acceptCrashPoint && proposersDown() < proposers.length - 1) {
          crashProposer(p, 5 + faultRandom.nextLong(100));
          return;
        }
        send(p, s);
      } else if (e instanceof ProposerEffect.Complete c && c.token() instanceof AdminToken t) {
        adminComplete(t, c.result());
      } else if (e instanceof ProposerEffect.Complete c) {
        complete(p, c, roundId);
      } else if (e instanceof ProposerEffect.StaleConfig sc) {
        refresh(p, sc);
      } else if (e instanceof ProposerEffect.Wake w) {
        trace.mix(2, p.id, w.key().hashCode(), w.atMillis());
        queue.at(w.atMillis(), () -> {
          if (p.up && p.incarnation == inc) {
            trace.mix(3, p.id, w.key().hashCode(), now());
            apply(p, p.core.onWake(now(), w.key()), -1);
          }
        });
      } else if (e instanceof ProposerEffect.Reserve r) {
        reserve(p, r);
      }
    }
  }

  private static final Comparator<ProposerEffect.Send> SEND_ORDER =
      Comparator.comparingLong(ProposerEffect.Send::roundId).thenComparingInt(ProposerEffect.Send::to);

  private static void sortSendRuns(List<ProposerEffect> effects) {
    int i = 0;
    while (i < effects.size()) {
      if (!(effects.get(i) instanceof ProposerEffect.Send)) {
        i++;
        continue;
      }
      int j = i;
      while (j < effects.size() && effects.get(j) instanceof ProposerEffect.Send) j++;
      List<ProposerEffect.Send> run = new ArrayList<>();
      for (int k = i; k < j; k++) run.add((ProposerEffect.Send) effects.get(k));
      run.sort(SEND_ORDER);
      for (int k = i; k < j; k++) effects.set(k, run.get(k - i));
      i = j;
    }
  }

  private void send(SimProposer p, ProposerEffect.Send s) {
    AcceptorRequest req = s.request();
    checkSentBallot(p, s.roundId(), req);
    if (failure != null) return;
    long sendId = nextSendId++;
    int inc = p.incarnation;
    p.outstanding.put(sendId, s);
    Object keyBallot = new KeyBallot(req.key(), req.ballot());
    p.roundBallot.put(s.roundId(), keyBallot);
    p.roundPhases.merge(keyBallot,
        req instanceof AcceptorRequest.Accept ? SimProposer.ACCEPTED : SimProposer.PREPARED, (a, b) -> a | b);
    stats.messages++;
    trace.mix(4, sendId, s.to(), requestHash(req));
    if (trace.keepsLines()) trace.line(now(), "P" + p.id + " r" + s.roundId() + " -> A" + s.to() + " " + req);
    SimAcceptor a = acceptors[s.to() - 1];
    transmit(p.id - 1, proposers.length + a.id - 1, () -> acceptorReceives(a, p, inc, sendId, s));
    queue.after(sendTimeout, () -> sendTimedOut(p, inc, sendId));
  }

  private void sendTimedOut(SimProposer p, int inc, long sendId) {
    if (!p.up || p.incarnation != inc) return;
    ProposerEffect.Send s = p.outstanding.remove(sendId);
    if (s == null) return;
    stats.timeouts++;
    if (s.request() instanceof AcceptorRequest.Prepare
        && (p.roundPhases.getOrDefault(p.roundBallot.get(s.roundId()), 0) & SimProposer.ACCEPTED) != 0) {
      stats.prepareTimeoutsInAcceptPhase++;
    }
    trace.mix(5, sendId, now(), 0);
    if (trace.keepsLines()) trace.line(now(), "P" + p.id + " r" + s.roundId() + " timeout on A" + s.to());
    apply(p, p.core.onNoVote(now(), s.roundId(), s.to()), s.roundId());
  }

  private void replyArrives(SimProposer p, int inc, long sendId, ProposerEffect.Send s, int from,
      AcceptorReply reply) {
    if (!p.up || p.incarnation != inc) return;
    p.outstanding.remove(sendId);
    if (cfg.variant() == Variant.IGNORE_HIGHEST_ACCEPTED && reply instanceof AcceptorReply.Promise pr) {
      reply = new AcceptorReply.Promise(new Ballot(1, 0), pr.state());
    }
    if (cfg.variant() == Variant.DROP_REQUEST_LOG && reply instanceof AcceptorReply.Promise pr) {
      RegisterState st = pr.state();
      reply = new AcceptorReply.Promise(pr.accepted(), new RegisterState(st.value(), st.version()));
    }
    trace.mix(6, sendId, from, replyHash(reply));
    if (trace.keepsLines()) trace.line(now(), "P" + p.id + " r" + s.roundId() + " <- A" + from + " " + reply);
    apply(p, p.core.onReply(now(), s.roundId(), from, reply), s.roundId());
  }

  /**
   * One attempt's answer. The first APPLIED answer of any attempt is the operation's; a NOT_APPLIED answer is
   * definite only from the first attempt before any takeover (afterwards the takeover may apply the change); an
   * UNKNOWN (or a stale NOT_APPLIED) waits for the other live attempts, and when none is left the client retries
   * with the same id until its budget runs out. A second APPLIED answer must agree with the first (exactly once).
   */
  private void complete(SimProposer p, ProposerEffect.Complete c, long roundId) {
    long token = (Long) c.token();
    SimOp op = p.inflight.remove(token);
    if (op == null) return;
    int attempt = (int) (token % SimOp.MAX_ATTEMPTS);
    ProposerResult r = c.result();
    Outcome outcome = r.outcome();
    if (cfg.variant() == Variant.UNKNOWN_AS_NOT_APPLIED && outcome == Outcome.UNKNOWN && !op.liveness) {
      outcome = Outcome.NOT_APPLIED;
    }
    if (r.reason() != null && r.reason().startsWith(FORGOTTEN)) stats.forgottenAnswers++;
    if (op.status != SimOp.Status.PENDING) {
      if (trace.keepsLines()) trace.line(now(), "P" + p.id + " -> op" + op.id + "#" + attempt + " (late) " + outcome
          + " " + (r.result() == null ? r.reason() : r.result().status() + " " + r.result().state()));
      if (outcome == Outcome.APPLIED && op.status == SimOp.Status.DONE) sameAnswer(op, attempt, r.result());
      return;
    }
    op.liveAttempts--;
    trace.mix(8, token, outcome.ordinal(), r.result() == null ? 0 : r.result().state().hashCode());
    if (outcome != Outcome.APPLIED && !(outcome == Outcome.NOT_APPLIED && op.attempts == 1)) {
      op.reason = r.reason();
      if (trace.keepsLines()) trace.line(now(), "P" + p.id + " -> op" + op.id + "#" + attempt + " " + outcome + " "
          + r.reason() + (op.liveAttempts > 0 ? " (another attempt runs)" : ""));
      if (op.liveAttempts > 0) return;
      int slot = slotOf(op);
      if (op.liveness || r.reason() == null || r.reason().startsWith(FORGOTTEN)) {
        endUnknown(slot, op, r.reason());
      } else {
        queue.after(clientRandom.nextLong(thinkMax + 1), () -> clientRetry(slot, op));
      }
      return;
    }
    op.complete(now(), outcome, r.result(), r.reason());
    op.answeredBy = attempt;
    if (attempt > 0 && outcome == Outcome.APPLIED) stats.answeredByLaterAttempt++;
    if (outcome == Outcome.APPLIED && roundId >= 0) {
      int phases = p.roundPhases.getOrDefault(p.roundBallot.get(roundId), 0);
      if ((phases & SimProposer.ACCEPTED) == 0) stats.completedWithoutAccept++;
      if ((phases & SimProposer.PREPARED) == 0) stats.completedWithoutPrepare++;
    }
    if (trace.keepsLines()) {
      trace.line(now(), "P" + p.id + " -> op" + op.id + "#" + attempt + " " + outcome + " "
          + (r.result() == null ? r.reason() : r.result().status() + " " + r.result().state()));
    }
    if (op.liveness) {
      livenessNext(op);
    } else {
      int slot = slotOf(op);
      if (slot >= 0) clientContinues(slot, op);
    }
  }

  private static final String FORGOTTEN = "the register may have forgotten";

  /**
   * Exactly once: two attempts of one request id that both wrote (an OK put, cas, create or add) must report the same
   * write, the one application (and an add the same sum). Different versions mean the change was applied twice.
   */
  private void sameAnswer(SimOp op, int attempt, ChangeResult second) {
    stats.lateAnswers++;
    ChangeResult first = op.result;
    if (op.kind == SimOp.Kind.GET || op.kind == SimOp.Kind.DELETE) return;
    if (first.status() != ChangeResult.Status.OK || second.status() != ChangeResult.Status.OK) return;
    boolean same = first.state().version() == second.state().version()
        && (op.kind != SimOp.Kind.ADD || Arrays.equals(first.state().value(), second.state().value()));
    if (!same) {
      fail("exactly-once: attempt " + attempt + " of " + op + " wrote again: " + second.state() + " (the answer of "
          + "attempt " + op.answeredBy + " was " + first.state() + ")");
    }
  }

  private void reserve(SimProposer p, ProposerEffect.Reserve r) {
    int inc = p.incarnation;
    trace.mix(9, p.id, r.floor(), now());
    if (trace.keepsLines()) trace.line(now(), "P" + p.id + " reserves floor " + r.floor());
    long delay = 1 + diskRandom.nextLong(flushMax);
    stats.floorWrites++;
    if (floorWriteFailure > 0 && !healed && diskRandom.nextDouble() < floorWriteFailure) {
      queue.after(delay, () -> {
        if (!p.up || p.incarnation != inc) return;
        stats.floorWriteFailures++;
        trace.mix(21, p.id, r.floor(), now());
        if (trace.keepsLines()) trace.line(now(), "P" + p.id + " floor " + r.floor() + " write FAILED");
        apply(p, p.core.onCounterReserveFailed(now(), "simulated write failure"), -1);
      });
      return;
    }
    p.pendingFloors.add(r.floor());
    queue.after(delay, () -> {
      if (!p.up || p.incarnation != inc) return;
      p.pendingFloors.remove(Long.valueOf(r.floor()));
      p.durableFloor = Math.max(p.durableFloor, r.floor());
      trace.mix(10, p.id, r.floor(), now());
      if (trace.keepsLines()) trace.line(now(), "P" + p.id + " floor " + r.floor() + " durable");
      apply(p, p.core.onCounterReserved(now(), r.floor()), -1);
    });
  }

  /**
   * One ballot, one value, ever: a (key, ballot) belongs to one incarnation (a restarted node never
   * reuses a ballot it may have sent before), and carries one state; nothing is sent at or above the durable
   * counter floor.
   */
  private void checkSentBallot(SimProposer p, long roundId, AcceptorRequest req) {
    Ballot b = req.ballot();
    RoundRef round = new RoundRef(p.id, p.incarnation);
    RoundRef owner = roundAtBallot.putIfAbsent(new KeyBallot(req.key(), b), round);
    if (owner != null && !owner.equals(round)) {
      fail("invariant: ballot " + b + " of key " + req.key() + " reused: by " + owner + " and by " + round);
    }
    if (b.nodeId() != p.id) fail("invariant: P" + p.id + " sent a ballot of another node: " + req);
    if (b.counter() >= p.durableFloor) {
      fail("invariant: P" + p.id + " sent ballot " + b + " at or above its durable floor " + p.durableFloor);
    }
    if (req instanceof AcceptorRequest.Accept a) {
      if (a.next() != null && a.next().counter() >= p.durableFloor) {
        fail("invariant: P" + p.id + " promised next " + a.next() + " at or above its durable floor "
            + p.durableFloor);
      }
      recordValue(a.key(), b, a.state(), "sent by P" + p.id);
    }
  }

  private void recordValue(String key, Ballot b, RegisterState state, String where) {
    RegisterState before = valueAtBallot.putIfAbsent(new KeyBallot(key, b), state);
    if (before != null && !before.equals(state)) {
      fail("invariant: two values at ballot " + b + " of key " + key + ": " + before + " and " + state + " ("
          + where + ")");
    }
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Acceptors

  private void acceptorReceives(SimAcceptor a, SimProposer p, int pInc, long sendId, ProposerEffect.Send s) {
    if (!a.up) return;
    if (cfg.membership() && !votes(a)) {
      stats.notVoting++;
      if (trace.keepsLines()) trace.line(now(), "A" + a.id + " does not vote (" + whyNotVoting(a) + ")");
      return;
    }
    AcceptorRequest req = s.request();
    String key = req.key();
    AcceptorState current = a.state(key);
    Acceptor.Transition t;
    try {
      if (cfg.membership()) {
        t = Acceptor.handle(current, req, a.config.fence());
        if (t.reply() instanceof AcceptorReply.StaleEpoch) stats.staleEpochs++;
      } else {
        t = cfg.variant() == Variant.BALLOT_IGNORES_NODE_ID
            ? BrokenAcceptor.handle(current, req) : Acceptor.handle(current, req);
      }
    } catch (IllegalArgumentException e) {
      fail("invariant: A" + a.id + " key " + key + " from " + current + " on " + req + ": " + e.getMessage());
      return;
    }
    trace.mix(11, a.id, sendId, replyHash(t.reply()));
    if (t.next() != null) {
      checkTransition(a, key, current, t.next());
      if (failure != null) return;
      a.write(key, t.next());
      if (trace.keepsLines()) trace.line(now(), "A" + a.id + " " + key + " := " + describe(t.next()));
      if (!a.flushScheduled) {
        a.flushScheduled = true;
        int inc = a.incarnation;
        queue.after(diskRandom.nextLong(flushMax + 1), () -> flush(a, inc));
      }
    }
    AcceptorReply reply = t.reply();
    Runnable out = () -> {
      a.reveal(key);
      transmit(proposers.length + a.id - 1, p.id - 1, () -> replyArrives(p, pInc, sendId, s, a.id, reply));
    };
    if (cfg.variant() == Variant.REPLY_BEFORE_PERSIST || a.allDurable()) {
      out.run();
    } else {
      a.hold(out);
    }
  }

  private void flush(SimAcceptor a, int inc) {
    if (!a.up || a.incarnation != inc) return;
    trace.mix(12, a.id, a.unflushedCount(), now());
    if (trace.keepsLines()) trace.line(now(), "A" + a.id + " flush " + a.unflushedCount() + " writes");
    for (Runnable reply : a.flush()) reply.run();
  }

  /** An acceptor's promise never decreases; accepted never exceeds promised; one value per (key, ballot). */
  private void checkTransition(SimAcceptor a, String key, AcceptorState before, AcceptorState after) {
    if (after.promised().isBelow(before.promised())) {
      fail("invariant: A" + a.id + " key " + key + " promise decreased from " + before.promised() + " to "
          + after.promised());
    }
    if (after.accepted().isAbove(after.promised())) {
      fail("invariant: A" + a.id + " key " + key + " accepted " + after.accepted() + " above promised "
          + after.promised());
    }
    if (!after.accepted().equals(Ballot.ZERO)
        && (!after.accepted().equals(before.accepted()) || !after.state().equals(before.state()))) {
      recordValue(key, after.accepted(), after.state(), "accepted by A" + a.id);
    }
  }

  /** After a restart: no promise any reply has shown may be lost. */
  private void checkRestart(SimAcceptor a) {
    for (Map.Entry<String, Ballot> e : a.visiblePromise.entrySet()) {
      AcceptorState s = a.state(e.getKey());
      if (s.promised().isBelow(e.getValue())) {
        fail("invariant: A" + a.id + " restarted with promise " + s.promised() + " on key " + e.getKey()
            + " below the promise " + e.getValue() + " its replies had shown");
        return;
      }
      if (s.accepted().isAbove(s.promised())) {
        fail("invariant: A" + a.id + " restarted with accepted above promised on key " + e.getKey());
        return;
      }
    }
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Network

  private void transmit(int from, int to, Runnable deliver) {
    if (blocked[from][to] > 0 || (currentLoss > 0 && netRandom.nextDouble() < currentLoss)) {
      stats.dropped++;
      trace.mix(13, from, to, now());
      return;
    }
    queue.after(delay(), deliver);
    if (currentDuplication > 0 && netRandom.nextDouble() < currentDuplication) {
      stats.duplicated++;
      queue.after(delay(), deliver);
    }
  }

  private long delay() {
    if (currentLate > 0 && netRandom.nextDouble() < currentLate) {
      stats.late++;
      return maxDelay * (5 + netRandom.nextLong(46));
    }
    return 1 + netRandom.nextLong(maxDelay);
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Faults

  private long nextFaultGap() {
    return 1 + faultRandom.nextLong(2 * meanFaultGap);
  }

  private void fault() {
    if (healed) return;
    int kind = faultRandom.nextInt(10);
    long duration = 5 + faultRandom.nextLong(300);
    int f = maxAcceptorsDown;
    if (kind < 3) {
      int down = 0;
      for (SimAcceptor a : acceptors) if (!a.up || awaitingReplace(a)) down++;
      SimAcceptor a = acceptors[faultRandom.nextInt(acceptors.length)];
      if (a.up && down < f) crashAcceptor(a, duration);
    } else if (kind < 5) {
      SimProposer p = proposers[faultRandom.nextInt(proposers.length)];
      if (p.up && proposersDown() < proposers.length - 1) crashProposer(p, duration);
    } else if (kind < 7) {
      splitNetwork(duration);
    } else {
      cutLinks(duration);
    }
    queue.after(nextFaultGap(), this::fault);
  }

  private void crashAcceptor(SimAcceptor a, long downFor) {
    int survivors = diskRandom.nextInt(a.unflushedCount() + 1);
    trace.mix(14, a.id, survivors, now());
    if (trace.keepsLines()) {
      trace.line(now(), "CRASH A" + a.id + " (keeps " + survivors + " of " + a.unflushedCount()
          + " unflushed writes) for " + downFor);
    }
    a.crash(survivors);
    stats.acceptorCrashes++;
    int inc = a.incarnation;
    queue.after(downFor, () -> {
      if (!a.up && a.incarnation == inc) restartAcceptor(a);
    });
  }

  private void restartAcceptor(SimAcceptor a) {
    a.restart();
    trace.mix(15, a.id, now(), 0);
    if (trace.keepsLines()) trace.line(now(), "RESTART A" + a.id);
    checkRestart(a);
  }

  private int proposersDown() {
    int down = 0;
    for (SimProposer p : proposers) if (!p.up) down++;
    return down;
  }

  private void crashProposer(SimProposer p, long downFor) {
    trace.mix(16, p.id, now(), p.inflight.size());
    if (trace.keepsLines()) {
      trace.line(now(), "CRASH P" + p.id + " for " + downFor + " (loses " + p.inflight.size() + " requests)");
    }
    for (long floor : p.pendingFloors) {
      if (diskRandom.nextBoolean()) p.durableFloor = Math.max(p.durableFloor, floor);  // written, not acknowledged
    }
    p.pendingFloors.clear();
    p.up = false;
    p.incarnation++;
    harvest(p);
    p.core = null;
    p.outstanding.clear();
    p.roundPhases.clear();
    p.roundBallot.clear();
    stats.proposerCrashes++;
    List<SimOp> lost = new ArrayList<>(p.inflight.values());
    p.inflight.clear();
    for (SimOp op : lost) {
      if (op.status != SimOp.Status.PENDING) continue;
      op.liveAttempts--;
      if (op.liveness) {
        op.giveUp("proposer crashed");
        fail("liveness op lost to a crash after the heal: " + op);
      } else if (op.liveAttempts == 0) {
        // The node the client reached is gone: the request is taken over elsewhere (same id, not fresh).
        op.reason = "proposer crashed";
        queue.after(1, () -> takeOverFromCrashed(op));
      }
    }
    int inc = p.incarnation;
    queue.after(downFor, () -> {
      if (!p.up && p.incarnation == inc) restartProposer(p);
    });
  }

  private void takeOverFromCrashed(SimOp op) {
    if (op.status != SimOp.Status.PENDING || op.liveAttempts > 0) return;
    SimProposer q = pickOther(-1);
    int slot = slotOf(op);
    if (q == null || now() >= op.deadline || op.attempts >= SimOp.MAX_ATTEMPTS) {
      endUnknown(slot, op, "proposer crashed");
      return;
    }
    op.takeovers++;
    stats.takeovers++;
    if (trace.keepsLines()) trace.line(now(), "op" + op.id + " taken over by P" + q.id + " after a crash");
    nextAttempt(op, q, false, true);
  }

  /** Adds a proposer's running totals to the run's before its memory goes. */
  private void harvest(SimProposer p) {
    if (p.core == null) return;
    stats.coreDuplicates += p.core.stats().duplicates;
    stats.coreForgotten += p.core.stats().forgotten;
  }

  private void restartProposer(SimProposer p) {
    p.up = true;
    p.refreshing = false;
    p.incarnation++;
    long floor = cfg.variant() == Variant.FORGET_COUNTER ? 0 : p.durableFloor;
    p.core = newProposer(p, floor);
    trace.mix(17, p.id, floor, now());
    if (trace.keepsLines()) trace.line(now(), "RESTART P" + p.id + " from floor " + floor);
  }

  /** A two-way partition: a random side of the nodes cannot talk to the rest. */
  private void splitNetwork(long duration) {
    int n = blocked.length;
    boolean[] side = new boolean[n];
    for (int i = 0; i < n; i++) side[i] = faultRandom.nextBoolean();
    Partition part = new Partition();
    for (int i = 0; i < n; i++) {
      for (int j = 0; j < n; j++) {
        if (side[i] != side[j]) part.links.add(new int[] {i, j});
      }
    }
    startPartition(part, duration, "split " + Arrays.toString(side));
  }

  /** Some one-way cuts between proposers and acceptors. */
  private void cutLinks(long duration) {
    Partition part = new Partition();
    int count = 1 + faultRandom.nextInt(3);
    StringBuilder desc = new StringBuilder("one-way cuts");
    for (int c = 0; c < count; c++) {
      int p = faultRandom.nextInt(proposers.length);
      int a = proposers.length + faultRandom.nextInt(acceptors.length);
      boolean toAcceptor = faultRandom.nextBoolean();
      part.links.add(toAcceptor ? new int[] {p, a} : new int[] {a, p});
      desc.append(toAcceptor ? " P" + (p + 1) + "->A" + (a - proposers.length + 1)
          : " A" + (a - proposers.length + 1) + "->P" + (p + 1));
    }
    startPartition(part, duration, desc.toString());
  }

  private void startPartition(Partition part, long duration, String desc) {
    for (int[] l : part.links) blocked[l[0]][l[1]]++;
    partitions.add(part);
    stats.partitions++;
    trace.mix(18, part.links.size(), duration, now());
    if (trace.keepsLines()) trace.line(now(), "PARTITION " + desc + " for " + duration);
    queue.after(duration, () -> endPartition(part));
  }

  private void endPartition(Partition part) {
    if (!part.active) return;
    part.active = false;
    for (int[] l : part.links) blocked[l[0]][l[1]]--;
    partitions.remove(part);
    trace.mix(19, part.links.size(), now(), 0);
    if (trace.keepsLines()) trace.line(now(), "PARTITION ends");
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Heal and liveness

  private void heal() {
    if (healed) return;
    healed = true;
    trace.mix(20, now(), 0, 0);
    if (trace.keepsLines()) trace.line(now(), "HEAL");
    for (Partition part : new ArrayList<>(partitions)) endPartition(part);
    currentLoss = 0;
    currentDuplication = 0;
    currentLate = 0;
    sendTimeout = healthySendTimeout;
    for (SimAcceptor a : acceptors) if (!a.up) restartAcceptor(a);
    for (SimProposer p : proposers) if (!p.up) restartProposer(p);
    queue.after(1, this::maybeStartLiveness);
  }

  private void maybeStartLiveness() {
    if (failure != null) return;
    for (SimOp op : history) {
      if (op.status == SimOp.Status.PENDING) {
        queue.after(20, this::maybeStartLiveness);
        return;
      }
    }
    livenessStarted = true;
    livenessStart = now();
    if (trace.keepsLines()) trace.line(now(), "LIVENESS starts: a concurrent burst");
    for (String key : keys) {
      for (SimProposer p : proposers) {
        livenessOp(key, SimOp.Kind.PUT, p, LivenessStep.BURST_PUT, nextClientId++, false);
      }
    }
  }

  /**
   * The steps of the liveness phase. Every read must be applied; no operation may end NOT_APPLIED or run into a
   * deadline. A write may come back UNKNOWN only by the path that proves progress (its retry's prepare quorum
   * answered and showed another proposer's ballot), and only where the core may lose track of a write without any
   * fault: another write on the key raced it (the burst), or, with 1-RTT, its proposer's cached ballot went stale
   * while other proposers wrote the key, so its fast accept was refused. In the chains such a write is then retried
   * once through the same proposer (the stale cache is gone), and that retry must be applied.
   */
  private enum LivenessStep {
    /** Concurrent puts, one per proposer and key. */
    BURST_PUT,
    /** After each burst put, a read by the same client through the same proposer. */
    BURST_GET,
    /** Per key, one operation at a time: 2N through the key's home proposer, then 2N through each in turn. */
    CHAIN
  }

  private static final String LOST_TO_ANOTHER_BALLOT = "an accept was sent but a competing change won the round";
  private static final String DEADLINE = "no quorum before the deadline";

  private final Map<Long, LivenessStep> livenessSteps = new HashMap<>();
  private final Map<Long, Boolean> livenessRetries = new HashMap<>();
  private int burstOutstanding;
  private final TreeMap<String, Integer> chainDone = new TreeMap<>();

  private void livenessOp(String key, SimOp.Kind kind, SimProposer p, LivenessStep step, int client, boolean retry) {
    long id = nextOpId++;
    SimOp op = new SimOp(id, client, key, kind, kind == SimOp.Kind.GET ? null : "L" + id, null, 0, now(), p.id,
        true, requestId(id));
    op.deadline = Long.MAX_VALUE;
    history.add(op);
    livenessSteps.put(id, step);
    if (retry) livenessRetries.put(id, true);
    if (step != LivenessStep.CHAIN) burstOutstanding++;
    nextAttempt(op, p, true, false);
  }

  private SimProposer home(String key) {
    return proposers[Math.floorMod(key.hashCode(), proposers.length)];
  }

  private void livenessNext(SimOp op) {
    LivenessStep step = livenessSteps.get(op.id);
    boolean retry = livenessRetries.containsKey(op.id);
    boolean lostTrack = op.kind != SimOp.Kind.GET && op.status == SimOp.Status.UNKNOWN
        && LOST_TO_ANOTHER_BALLOT.equals(op.reason)
        && (step == LivenessStep.BURST_PUT || (step == LivenessStep.CHAIN && cfg.oneRtt() && !retry));
    // The burst is contention by design: N proposers on one key, with a backoff whose cap (drawn per seed, as low as
    // one round trip) may be below what N full rounds need to separate. CASPaxos promises no progress there, only
    // that it is likely; a burst operation may run into its deadline while it duels, if another burst write on the
    // key was applied (checked at the end). The chains that follow have no contention and must all be applied.
    boolean duelled = step != LivenessStep.CHAIN && op.status != SimOp.Status.DONE && op.reason != null
        && op.reason.endsWith(DEADLINE);
    if (duelled) stats.burstDeadlines++;
    if (op.status != SimOp.Status.DONE && !lostTrack && !duelled) {
      fail("liveness: after the heal an operation was not applied: " + op + " (" + step
          + (retry ? ", a retry" : "") + ")");
      return;
    }
    SimProposer p = proposers[op.proposer - 1];
    if (step == LivenessStep.BURST_PUT) livenessOp(op.key, SimOp.Kind.GET, p, LivenessStep.BURST_GET, op.client, false);
    if (step != LivenessStep.CHAIN && --burstOutstanding == 0) {
      if (trace.keepsLines()) {
        trace.line(now(), "LIVENESS: one operation at a time per key, through its home proposer, then all in turn");
      }
      for (String key : keys) livenessOp(key, SimOp.Kind.PUT, home(key), LivenessStep.CHAIN, nextClientId++, false);
    }
    if (step != LivenessStep.CHAIN) return;
    if (lostTrack) {
      stats.unknownWithoutFaults++;
      livenessOp(op.key, op.kind, p, LivenessStep.CHAIN, op.client, true);
      return;
    }
    int done = chainDone.merge(op.key, 1, Integer::sum);
    int n = proposers.length;
    if (done < 4 * n) {
      SimOp.Kind kind = done % 2 == 0 ? SimOp.Kind.PUT : SimOp.Kind.GET;
      SimProposer next = done < 2 * n ? home(op.key) : proposers[(done / 2) % n];
      livenessOp(op.key, kind, next, LivenessStep.CHAIN, op.client, false);
    }
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Hashing and printing

  private static long requestHash(AcceptorRequest r) {
    long h = r.key().hashCode() * 31L + r.ballot().counter() * 131L + r.ballot().nodeId();
    if (r instanceof AcceptorRequest.Accept a) {
      h = h * 31 + a.state().hashCode();
      if (a.next() != null) h = h * 31 + a.next().counter();
    }
    return h;
  }

  private static long replyHash(AcceptorReply r) {
    if (r instanceof AcceptorReply.Promise p) {
      return 1 + p.accepted().counter() * 131 + p.accepted().nodeId() * 7L + p.state().hashCode() * 31L;
    }
    if (r instanceof AcceptorReply.Conflict c) return 2 + c.higher().counter() * 131 + c.higher().nodeId();
    return 3;
  }

  private static String describe(AcceptorState s) {
    return "promised " + s.promised() + " accepted " + s.accepted() + " " + s.state();
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Membership (SimConfig.membership): configuration epochs on every node, an admin actor that walks MembershipPlan
  // steps, loses one acceptor's disk and replaces it, and garbage-collects tombstones; gossip of configurations.
  //
  // - Every acceptor keeps a durable configuration (ClusterConfig) and answers through Acceptor.handle with its fence:
  //   an older epoch gets StaleEpoch, a ballot at or below the floor a Conflict. It votes only while its identity
  //   (the incarnation its store was made for) is the configuration's incarnation for it.
  // - Proposers are configured from their node's durable configuration; StaleConfig makes them fetch the answering
  //   acceptor's configuration (one refresh at a time); pushes and gossip reach them too.
  // - The admin actor runs one job at a time: a membership change (MembershipPlan.plan), a replace of the lost disk
  //   (MembershipPlan.replace), or a garbage-collection batch. A step decides the next configuration, pushes it until
  //   a blocking set of the previous one has it (GC: every acceptor of it), then rescans with Change.Touch through a
  //   proposer if the step asks. The actor may crash after an install or in the middle of a rescan; it resumes from
  //   the latest decided configuration with MembershipPlan.resume (which rescans once first).
  // - GC of a tombstoned key: Touch; peek every acceptor of the configuration (durable states) until all hold the
  //   same tombstone at one ballot Bt; install epoch+1 with ballotFloor >= Bt.counter and forgottenBefore = the
  //   batch's start on every acceptor; then remove on each acceptor only if it still holds exactly that tombstone
  //   (collectable). The history gets a "forget" operation for the key (see HistoryCheck: a collected key reads
  //   (absent, 0) again).
  // - A removed acceptor is never added back in one run: its store is stale (see the report of issue 9).

  /** Spare acceptors beyond the M of the bootstrap configuration (they may join). */
  static final int SPARES = 2;
  private static final long ADMIN_ID_BASE = 1L << 40;

  private final SplittableRandom adminRandom;
  /** Every configuration decided, by epoch - 1. */
  private final List<ClusterConfig> configs = new ArrayList<>();
  /** The latest decided configuration (the driver's durable record). */
  private ClusterConfig decided;
  private final ArrayDeque<Job> jobs = new ArrayDeque<>();
  private Job job;
  private List<MembershipPlan.Step> steps;
  private int stepIndex;
  private long replaceIncarnation;
  /** Bumped when the admin actor crashes: callbacks of before are void. */
  private int adminGen;
  private boolean adminFinished;
  private boolean converged;
  private long adminStart;
  private long wipeAt;
  /** The acceptor whose disk was lost (0: none yet). */
  private int wipeNode;
  private double driverCrashChance;
  private long jobGap;
  private long pushInterval;
  private long gossipGap;
  private Set<Integer> finalTarget;
  private String scenario = "";
  private final List<HistoryCheck.Forget> forgets = new ArrayList<>();
  private final Map<AdminToken, Consumer<ProposerResult>> adminTouches = new HashMap<>();
  private long nextAdminSeq;

  /** The token of an admin Touch (told apart from client attempts' Long tokens). */
  record AdminToken(long seq) {}

  private enum JobKind { CHANGE, REPLACE, GC }

  private record Job(JobKind kind, Set<Integer> target, int node) {
    @Override
    public String toString() {
      return kind == JobKind.CHANGE ? "change to " + target : kind == JobKind.REPLACE ? "replace " + node : "gc";
    }
  }

  /** Draws the admin scenario; returns F, the most acceptors down (or not voting) at once over every config. */
  private int drawScenario(QuorumSpec start) {
    int m = cfg.acceptors();
    int u = m + SPARES;
    Set<Integer> startSet = start.acceptNodes();
    Set<Integer> t1;
    do {
      t1 = randomSet(u, 3, null);
    } while (t1.equals(startSet));
    List<Job> changes = new ArrayList<>();
    changes.add(new Job(JobKind.CHANGE, t1, 0));
    Set<Integer> t2 = null;
    if (adminRandom.nextBoolean()) {
      // Never a node the first change removed: its store is stale (it missed writes and collections).
      Set<Integer> allowed = new TreeSet<>(t1);
      for (int n = m + 1; n <= u; n++) allowed.add(n);
      Set<Integer> cand = randomSet(u, 3, allowed);
      if (cand != null && !cand.equals(t1)) {
        t2 = cand;
        changes.add(new Job(JobKind.CHANGE, t2, 0));
      }
    }
    int f = tolerance(startSet.size());
    f = Math.min(f, tolerance(t1.size()));
    if (t2 != null) f = Math.min(f, tolerance(t2.size()));
    finalTarget = t2 != null ? t2 : t1;
    int gcBatches = adminRandom.nextInt(4);
    List<Job> all = new ArrayList<>(changes);
    for (int i = 0; i < gcBatches; i++) all.add(adminRandom.nextInt(all.size() + 1), new Job(JobKind.GC, null, 0));
    jobs.addAll(all);
    wipeAt = f >= 1 && adminRandom.nextInt(3) > 0 ? 30 + adminRandom.nextLong(1500) : 0;
    driverCrashChance = adminRandom.nextBoolean() ? 0.25 : 0;
    adminStart = 20 + adminRandom.nextLong(600);
    jobGap = adminRandom.nextLong(300);
    pushInterval = 2 * maxDelay + flushMax + 5;
    gossipGap = 30 + adminRandom.nextLong(120);
    scenario = "scenario: " + startSet + " then " + all + " from " + adminStart + " ms"
        + (wipeAt > 0 ? ", a disk lost at " + wipeAt + " ms" : "")
        + (driverCrashChance > 0 ? ", driver crashes" : "") + ", F=" + f;
    return f;
  }

  private static int tolerance(int n) {
    return n - MembershipPlan.q(n);
  }

  /** A random set of at least {@code min} ids of 1..u (within {@code from} if given), or null if none can be. */
  private Set<Integer> randomSet(int u, int min, Set<Integer> from) {
    List<Integer> pool = new ArrayList<>();
    for (int n = 1; n <= u; n++) if (from == null || from.contains(n)) pool.add(n);
    if (pool.size() < min) return null;
    int size = min + adminRandom.nextInt(pool.size() - min + 1);
    Set<Integer> out = new TreeSet<>();
    while (out.size() < size) out.add(pool.get(adminRandom.nextInt(pool.size())));
    return out;
  }

  private void bootstrap(QuorumSpec start) {
    decided = ClusterConfig.bootstrap("sim-" + seed, start);
    configs.add(decided);
    for (int id : start.allNodes()) {
      acceptors[id - 1].config = decided;
      acceptors[id - 1].identity = 1;
    }
    for (SimProposer p : proposers) p.config = decided;
  }

  private void startAdmin() {
    queue.at(adminStart, this::nextJob);
    if (wipeAt > 0) queue.at(wipeAt, this::lostDisk);
    queue.after(gossipGap, this::gossip);
  }

  private boolean votes(SimAcceptor a) {
    return a.config != null && a.identity > 0 && a.identity == a.config.incarnation(a.id);
  }

  private String whyNotVoting(SimAcceptor a) {
    if (a.config == null) return a.lostIncarnation > 0 ? "its disk was lost; no configuration yet" : "no configuration";
    if (a.identity == 0) return a.lostIncarnation > 0 ? "amnesiac: incarnation " + a.lostIncarnation + " lost"
        : "not admitted";
    return "incarnation " + a.identity + " but the configuration says " + a.config.incarnation(a.id);
  }

  /** The lost disk's acceptor while it is a member that does not vote (it counts as down). */
  private boolean awaitingReplace(SimAcceptor a) {
    return cfg.membership() && a.id == wipeNode && !votes(a) && decided.members().contains(a.id);
  }

  private void decide(ClusterConfig c) {
    if (c.epoch() != decided.epoch() + 1) throw new IllegalStateException("epochs go one by one: " + c);
    decided = c;
    configs.add(c);
    trace.mix(30, c.epoch(), c.quorums().hashCode(), now());
    if (trace.keepsLines()) trace.line(now(), "ADMIN decides epoch " + c.epoch() + " " + describe(c));
  }

  private static String describe(ClusterConfig c) {
    QuorumSpec q = c.quorums();
    return "prepare " + q.prepareQuorum() + " of " + q.prepareNodes() + ", accept " + q.acceptQuorum() + " of "
        + q.acceptNodes() + " incarnations " + c.incarnations() + (c.ballotFloor() > 0 ? " floor " + c.ballotFloor()
        : "") + (c.forgottenBefore() > 0 ? " forgottenBefore " + c.forgottenBefore() : "");
  }

  private int driverNode() {
    return 0; // the admin actor runs beside proposer 1 (its messages cross that node's links)
  }

  private int acceptorNode(SimAcceptor a) {
    return proposers.length + a.id - 1;
  }

  // --- jobs

  private void nextJob() {
    if (failure != null) return;
    job = jobs.poll();
    if (job == null) {
      adminFinished = true;
      if (trace.keepsLines()) trace.line(now(), "ADMIN idle: every job done at epoch " + decided.epoch());
      return;
    }
    if (trace.keepsLines()) trace.line(now(), "ADMIN starts: " + job);
    stats.adminJobs++;
    switch (job.kind()) {
      case CHANGE -> {
        if (MembershipPlan.isSteady(decided.quorums()) && decided.members().equals(job.target())) {
          jobDone();
          return;
        }
        steps = MembershipPlan.plan(decided.quorums(), job.target());
        stepIndex = 0;
        runStep();
      }
      case REPLACE -> {
        int x = job.node();
        if (!decided.members().contains(x)) {
          jobDone(); // removed meanwhile: nothing to replace
          return;
        }
        replaceIncarnation = decided.incarnation(x) + 1;
        steps = MembershipPlan.replace(decided.quorums(), x);
        stepIndex = 0;
        runStep();
      }
      case GC -> gcJob();
    }
  }

  private void jobDone() {
    if (trace.keepsLines()) trace.line(now(), "ADMIN done: " + job + " at epoch " + decided.epoch());
    job = null;
    // A GC batch waits longer, so that clients have deleted some keys.
    boolean gcNext = !jobs.isEmpty() && jobs.peek().kind() == JobKind.GC;
    queue.after(1 + (gcNext ? adminRandom.nextLong(2000) : jobGap), this::nextJob);
  }

  private void runStep() {
    if (failure != null) return;
    if (stepIndex >= steps.size()) {
      jobDone();
      return;
    }
    MembershipPlan.Step step = steps.get(stepIndex);
    QuorumSpec spec = step.spec();
    if (cfg.variant() == Variant.PREPARE_BEFORE_ACCEPT && step.kind() != MembershipPlan.Kind.REMOVE
        && MembershipPlan.halfStepNode(spec) != null && !spec.prepareNodes().contains(step.node())) {
      spec = new QuorumSpec(spec.acceptNodes(), spec.acceptQuorum(), spec.prepareNodes(), spec.prepareQuorum());
    }
    ClusterConfig next;
    if (step.kind() == MembershipPlan.Kind.RESCAN) {
      next = decided;
    } else {
      next = decided.next(spec, step.newIncarnation() ? Map.of(step.node(), replaceIncarnation) : Map.of());
      decide(next);
    }
    stats.membershipSteps++;
    int gen = adminGen;
    push(next, false, gen, () -> afterInstall(step, gen));
  }

  private void afterInstall(MembershipPlan.Step step, int gen) {
    if (gen != adminGen || failure != null) return;
    if (trace.keepsLines()) trace.line(now(), "ADMIN epoch " + decided.epoch() + " installed (" + step.kind() + ")");
    if (maybeCrashDriver()) return;
    Runnable next = () -> {
      stepIndex++;
      runStep();
    };
    if (step.rescanAfter() && cfg.variant() != Variant.SKIP_RESCAN) rescan(gen, next);
    else next.run();
  }

  /** The admin actor crashes (during a membership change) and later resumes from the decided configuration. */
  private boolean maybeCrashDriver() {
    if (job == null || job.kind() != JobKind.CHANGE || driverCrashChance == 0
        || cfg.variant() == Variant.PREPARE_BEFORE_ACCEPT || adminRandom.nextDouble() >= driverCrashChance) {
      return false;
    }
    adminGen++;
    stats.driverCrashes++;
    trace.mix(31, adminGen, now(), 0);
    if (trace.keepsLines()) trace.line(now(), "ADMIN crashes");
    queue.after(20 + adminRandom.nextLong(200), () -> {
      if (failure != null) return;
      steps = MembershipPlan.resume(decided.quorums(), job.target());
      stepIndex = 0;
      if (trace.keepsLines()) trace.line(now(), "ADMIN resumes " + job + " from epoch " + decided.epoch());
      runStep();
    });
    return true;
  }

  // --- pushing configurations

  private void push(ClusterConfig c, boolean all, int gen, Runnable done) {
    ClusterConfig prev = c.epoch() >= 2 ? configs.get((int) c.epoch() - 2) : null;
    pushRound(c, prev, all, new TreeSet<>(), gen, done);
  }

  private void pushRound(ClusterConfig c, ClusterConfig prev, boolean all, Set<Integer> acked, int gen,
      Runnable done) {
    if (gen != adminGen || failure != null) return;
    if (installed(c, prev, all, acked)) {
      done.run();
      return;
    }
    for (SimAcceptor a : acceptors) {
      if (acked.contains(a.id)) continue;
      transmit(driverNode(), acceptorNode(a), () -> {
        if (!a.up) return;
        acceptorInstalls(a, c);
        transmit(acceptorNode(a), driverNode(), () -> acked.add(a.id));
      });
    }
    for (SimProposer p : proposers) transmit(driverNode(), p.id - 1, () -> proposerInstalls(p, c));
    queue.after(pushInterval, () -> pushRound(c, prev, all, acked, gen, done));
  }

  /**
   * Installed: on every acceptor of the configuration (GC), or on a blocking set of the previous one: enough of its
   * prepare set and of its accept set that no quorum of either phase of the previous epoch can complete.
   */
  private static boolean installed(ClusterConfig c, ClusterConfig prev, boolean all, Set<Integer> acked) {
    if (all) return acked.containsAll(c.members());
    if (prev == null) return true;
    QuorumSpec q = prev.quorums();
    return count(acked, q.prepareNodes()) >= q.prepareNodes().size() - q.prepareQuorum() + 1
        && count(acked, q.acceptNodes()) >= q.acceptNodes().size() - q.acceptQuorum() + 1;
  }

  private static int count(Set<Integer> a, Set<Integer> b) {
    int n = 0;
    for (int x : a) if (b.contains(x)) n++;
    return n;
  }

  private void acceptorInstalls(SimAcceptor a, ClusterConfig c) {
    if (a.config == null || c.epoch() > a.config.epoch()) {
      a.config = c;
      trace.mix(32, a.id, c.epoch(), now());
      if (trace.keepsLines()) trace.line(now(), "A" + a.id + " installs epoch " + c.epoch());
    }
    if (a.identity == 0 && c.incarnation(a.id) > a.lostIncarnation) {
      a.identity = c.incarnation(a.id);
      if (trace.keepsLines()) trace.line(now(), "A" + a.id + " admitted as incarnation " + a.identity);
    }
  }

  private void proposerInstalls(SimProposer p, ClusterConfig c) {
    if (!p.up || p.core == null) return;
    if (p.config == null || c.epoch() > p.config.epoch()) {
      p.config = c;
      p.core.configure(c.epoch(), c.quorums(), c.ballotFloor(), c.forgottenBefore());
      stats.proposerConfigs++;
      trace.mix(33, p.id, c.epoch(), now());
      if (trace.keepsLines()) trace.line(now(), "P" + p.id + " configured at epoch " + c.epoch());
    }
  }

  /** StaleConfig: fetch the configuration of the acceptor that answered (one refresh at a time). */
  private void refresh(SimProposer p, ProposerEffect.StaleConfig sc) {
    if (p.refreshing || sc.from() < 1 || sc.from() > acceptors.length) return;
    p.refreshing = true;
    stats.refreshes++;
    int inc = p.incarnation;
    SimAcceptor a = acceptors[sc.from() - 1];
    transmit(p.id - 1, acceptorNode(a), () -> {
      if (!a.up || a.config == null) return;
      ClusterConfig c = a.config;
      transmit(acceptorNode(a), p.id - 1, () -> {
        if (!p.up || p.incarnation != inc) return;
        p.refreshing = false;
        proposerInstalls(p, c);
      });
    });
    queue.after(2 * sendTimeout + 1, () -> {
      if (p.incarnation == inc) p.refreshing = false;
    });
  }

  /** Every node now and then fetches a random acceptor's configuration (production gossips every 2 s). */
  private void gossip() {
    if (failure != null) return;
    if (adminFinished && healed) {
      // The last round: after the heal nothing is lost, so every node ends at the decided configuration.
      converged = true;
      for (SimAcceptor a : acceptors) if (a.up) acceptorInstalls(a, decided);
      for (SimProposer p : proposers) proposerInstalls(p, decided);
      return;
    }
    for (SimAcceptor a : acceptors) {
      SimAcceptor b = acceptors[adminRandom.nextInt(acceptors.length)];
      if (!a.up || b == a) continue;
      transmit(acceptorNode(a), acceptorNode(b), () -> {
        if (!b.up || b.config == null) return;
        ClusterConfig c = b.config;
        transmit(acceptorNode(b), acceptorNode(a), () -> {
          if (a.up) acceptorInstalls(a, c);
        });
      });
    }
    for (SimProposer p : proposers) {
      SimAcceptor b = acceptors[adminRandom.nextInt(acceptors.length)];
      if (!p.up) continue;
      transmit(p.id - 1, acceptorNode(b), () -> {
        if (!b.up || b.config == null) return;
        ClusterConfig c = b.config;
        transmit(acceptorNode(b), p.id - 1, () -> proposerInstalls(p, c));
      });
    }
    queue.after(gossipGap, this::gossip);
  }

  // --- rescan and touches

  private void rescan(int gen, Runnable done) {
    stats.rescans++;
    if (trace.keepsLines()) trace.line(now(), "ADMIN rescans " + keys.length + " keys at epoch " + decided.epoch());
    rescanNext(0, gen, done);
  }

  private void rescanNext(int i, int gen, Runnable done) {
    if (gen != adminGen || failure != null) return;
    if (i == keys.length) {
      done.run();
      return;
    }
    if (i > 0 && maybeCrashDriver()) return;
    touch(keys[i], gen, r -> rescanNext(i + 1, gen, done));
  }

  /** Runs Change.Touch on key through the driver's proposer (configured with the decided epoch) until applied. */
  private void touch(String key, int gen, Consumer<ProposerResult> onApplied) {
    if (gen != adminGen || failure != null) return;
    SimProposer p = proposers[0].up ? proposers[0] : pickOther(-1);
    if (p == null) {
      queue.after(20, () -> touch(key, gen, onApplied));
      return;
    }
    proposerInstalls(p, decided);
    AdminToken t = new AdminToken(nextAdminSeq++);
    adminTouches.put(t, r -> {
      if (gen != adminGen) return;
      if (r.outcome() == Outcome.APPLIED) {
        onApplied.accept(r);
      } else {
        queue.after(5 + adminRandom.nextLong(50), () -> touch(key, gen, onApplied));
      }
    });
    stats.touches++;
    if (trace.keepsLines()) trace.line(now(), "P" + p.id + " <- ADMIN touch " + key + " (t" + t.seq() + ")");
    apply(p, p.core.submit(now(), key, Change.Touch.INSTANCE, requestId(ADMIN_ID_BASE + t.seq()), true, t), -1);
    queue.after(options.requestTimeoutMillis() + 3 * healthySendTimeout, () -> {
      if (adminTouches.remove(t) != null && gen == adminGen) touch(key, gen, onApplied);
    });
  }

  private void adminComplete(AdminToken t, ProposerResult r) {
    Consumer<ProposerResult> k = adminTouches.remove(t);
    if (trace.keepsLines()) {
      trace.line(now(), "ADMIN touch t" + t.seq() + " " + r.outcome() + " "
          + (r.result() == null ? r.reason() : r.result().state()));
    }
    if (k != null) k.accept(r);
  }

  // --- lost disk

  private void lostDisk() {
    if (failure != null || healed) return;
    int down = 0;
    for (SimAcceptor a : acceptors) if (!a.up || awaitingReplace(a)) down++;
    List<SimAcceptor> members = new ArrayList<>();
    for (int id : decided.members()) if (acceptors[id - 1].up && votes(acceptors[id - 1])) members.add(acceptors[id - 1]);
    if (down + 1 > maxAcceptorsDown || members.isEmpty()) {
      queue.after(50, this::lostDisk);
      return;
    }
    SimAcceptor a = members.get(adminRandom.nextInt(members.size()));
    wipeNode = a.id;
    stats.wipes++;
    trace.mix(34, a.id, now(), 0);
    if (trace.keepsLines()) trace.line(now(), "DISK LOST on A" + a.id);
    if (cfg.variant() == Variant.AMNESIAC_VOTES) {
      ClusterConfig c = a.config;
      long identity = a.identity;
      a.wipe();
      a.config = c;
      a.identity = identity;
      a.lostIncarnation = 0;
      return;
    }
    a.wipe();
    jobs.addFirst(new Job(JobKind.REPLACE, null, a.id));
    if (adminFinished) {
      adminFinished = false;
      queue.after(1, this::nextJob);
    }
  }

  // --- garbage collection

  private static boolean tombstone(RegisterState s) {
    return !s.present() && s.version() > 0;
  }

  private void gcJob() {
    long start = now();
    List<String> candidates = new ArrayList<>();
    for (String k : keys) {
      for (int id : decided.members()) {
        if (tombstone(acceptors[id - 1].state(k).state())) {
          candidates.add(k);
          break;
        }
      }
    }
    stats.gcBatches++;
    gcNext(candidates, 0, start, adminGen);
  }

  private void gcNext(List<String> candidates, int i, long start, int gen) {
    if (gen != adminGen || failure != null) return;
    if (i == candidates.size()) {
      jobDone();
      return;
    }
    gcKey(candidates.get(i), 0, start, gen, () -> gcNext(candidates, i + 1, start, gen));
  }

  private void gcKey(String key, int attempt, long start, int gen, Runnable next) {
    touch(key, gen, r -> {
      if (r.result() == null || !tombstone(r.result().state())) {
        next.run(); // written again meanwhile
        return;
      }
      peekAll(key, gen, states -> {
        Ballot bt = commonTombstone(states);
        if (bt == null) {
          stats.gcPostponed++;
          if (attempt < 2) queue.after(10 + adminRandom.nextLong(40), () -> gcKey(key, attempt + 1, start, gen, next));
          else next.run();
          return;
        }
        if (trace.keepsLines()) trace.line(now(), "GC " + key + ": every acceptor holds the tombstone at " + bt);
        if (cfg.variant() == Variant.GC_WITHOUT_FENCE) {
          removeAll(key, bt, decided.epoch(), gen, next);
          return;
        }
        ClusterConfig fenced = decided.fenced(bt.counter(), start);
        decide(fenced);
        push(fenced, true, gen, () -> removeAll(key, bt, fenced.epoch(), gen, next));
      });
    });
  }

  /** The durable state of key on every acceptor of the decided configuration (null if some never answer). */
  private void peekAll(String key, int gen, Consumer<Map<Integer, AcceptorState>> then) {
    peekRound(key, new TreeSet<>(decided.members()), new TreeMap<>(), 0, gen, then);
  }

  private void peekRound(String key, Set<Integer> members, Map<Integer, AcceptorState> got, int round, int gen,
      Consumer<Map<Integer, AcceptorState>> then) {
    if (gen != adminGen || failure != null) return;
    if (got.keySet().containsAll(members)) {
      then.accept(got);
      return;
    }
    if (round > 8) {
      then.accept(null);
      return;
    }
    for (int id : members) {
      if (got.containsKey(id)) continue;
      SimAcceptor a = acceptors[id - 1];
      transmit(driverNode(), acceptorNode(a), () -> {
        if (!a.up) return;
        AcceptorState st = a.durableState(key);
        transmit(acceptorNode(a), driverNode(), () -> got.putIfAbsent(a.id, st));
      });
    }
    queue.after(pushInterval, () -> peekRound(key, members, got, round + 1, gen, then));
  }

  private static Ballot commonTombstone(Map<Integer, AcceptorState> states) {
    if (states == null || states.isEmpty()) return null;
    Ballot bt = null;
    for (AcceptorState s : states.values()) {
      if (!tombstone(s.state()) || s.accepted().equals(Ballot.ZERO)) return null;
      if (bt == null) bt = s.accepted();
      else if (!bt.equals(s.accepted())) return null;
    }
    return bt;
  }

  private void removeAll(String key, Ballot bt, long epoch, int gen, Runnable next) {
    forgets.add(new HistoryCheck.Forget(key, now()));
    stats.gcKeys++;
    if (trace.keepsLines()) trace.line(now(), "GC " + key + ": remove at " + bt + " under epoch " + epoch);
    removeRound(key, bt, epoch, new TreeSet<>(decided.members()), new TreeSet<>(), gen, next);
  }

  private void removeRound(String key, Ballot bt, long epoch, Set<Integer> members, Set<Integer> done, int gen,
      Runnable next) {
    if (gen != adminGen || failure != null) return;
    if (done.containsAll(members)) {
      next.run();
      return;
    }
    for (int id : members) {
      if (done.contains(id)) continue;
      SimAcceptor a = acceptors[id - 1];
      transmit(driverNode(), acceptorNode(a), () -> {
        if (!a.up) return;
        acceptorRemoves(a, key, bt, epoch);
        Runnable reply = () -> transmit(acceptorNode(a), driverNode(), () -> done.add(a.id));
        if (a.allDurable()) reply.run();
        else a.hold(reply);
      });
    }
    queue.after(pushInterval, () -> removeRound(key, bt, epoch, members, done, gen, next));
  }

  private void acceptorRemoves(SimAcceptor a, String key, Ballot bt, long epoch) {
    if (a.config != null && epoch < a.config.epoch()) return; // an older batch: refused
    AcceptorState st = a.state(key);
    boolean remove = cfg.variant() == Variant.GC_REMOVE_UNCONDITIONAL ? a.live.containsKey(key)
        : Acceptor.collectable(st, bt);
    if (!remove) return;
    a.remove(key);
    stats.gcRemoved++;
    trace.mix(35, a.id, key.hashCode(), now());
    if (trace.keepsLines()) trace.line(now(), "A" + a.id + " removes " + key + " (held " + describe(st) + ")");
    if (!a.flushScheduled) {
      a.flushScheduled = true;
      int inc = a.incarnation;
      queue.after(diskRandom.nextLong(flushMax + 1), () -> flush(a, inc));
    }
  }

  private void finalMembershipChecks() {
    if (!adminFinished || !converged) {
      fail("liveness: the admin jobs did not finish (job " + job + ", step " + stepIndex + ", epoch "
          + decided.epoch() + ")");
      return;
    }
    if (!decided.members().equals(finalTarget) || !MembershipPlan.isSteady(decided.quorums())) {
      fail("membership: the run ends at " + describe(decided) + ", not the majority of " + finalTarget);
      return;
    }
    for (int id : decided.members()) {
      SimAcceptor a = acceptors[id - 1];
      if (!votes(a) && cfg.variant() != Variant.AMNESIAC_VOTES) {
        fail("membership: A" + id + " of the final configuration does not vote: " + whyNotVoting(a));
        return;
      }
    }
  }
}
