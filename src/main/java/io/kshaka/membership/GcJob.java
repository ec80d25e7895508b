package io.kshaka.membership;

import io.kshaka.cluster.NodeConfig;
import io.kshaka.core.Ballot;
import io.kshaka.core.ClusterConfig;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import java.util.function.IntSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Garbage collection of tombstones (paper §3.1, docs/membership.md), one per node. It is durable
 * because its state is: the tombstones on the acceptors, and the pending batch in the {@link ConfigRegister}. Only
 * a node that is an acceptor of the installed configuration takes part, and only the lowest-id acceptor its
 * failure detector does not suspect (the leader) starts or resumes batches; the register's compare-and-set
 * arbitrates if two nodes think they lead. Every {@code gc.intervalMs} the leader:
 *
 * <ol>
 *   <li>reads the register: a running membership change → skip; a pending batch → resume it at step 5;</li>
 *   <li>takes as candidates the keys its own acceptor holds as absent (a tombstone, or an empty entry
 *       {@code (absent, 0)} left by a collection that raced a read, or by a read of an absent key) and that this
 *       node has seen so for at least {@code gc.tombstoneAgeMs} (first-seen times kept in memory, so clocks do not
 *       matter; a restart postpones), at most {@code gc.batchMax}; reserved keys (starting U+0000) never;</li>
 *   <li>runs {@code Change.Forget} on each through its own proposer: a tombstone whose ids are all stamped before
 *       the installed {@code forgottenBefore} becomes {@code (absent, 0)} without ids, with a forced accept on the
 *       whole accept set (a younger one is kept, and the batch's fence, even with no key, lets the next forget
 *       it);</li>
 *   <li>peeks every acceptor of the configuration and keeps the keys that ALL acceptors hold as {@code (absent,
 *       0)} accepted at the same ballot Bc; an acceptor that does not answer postpones the whole batch;</li>
 *   <li>decides by compare-and-set the next epoch with the same acceptors, {@code ballotFloor} ≥ every Bc.counter
 *       and {@code forgottenBefore = now − tombstoneAgeMs}, with the batch recorded as pending, and pushes that
 *       configuration to every node of it (all must persist it: the age fence for every proposer at once);
 *       a node that does not confirm leaves the batch pending for the next run;</li>
 *   <li>asks every acceptor to remove each key at Bc under that epoch (an acceptor removes only if its state is
 *       still exactly EMPTY at Bc: {@code Acceptor.collectable}); all answered → the batch is cleared.</li>
 * </ol>
 *
 * Removal is not atomic across acceptors, which is why the tombstone is forgotten first: while some acceptors have
 * removed the key and others not, every one of them tells the same state {@code (absent, 0)}, so a read and a
 * later write agree on the version (with the tombstone still held somewhere, a read could see version 0 and the
 * next write v+1: the simulator's seed 1171, 5 acceptors).
 *
 * A batch that filled {@code batchMax} is followed at once by the next. A key some acceptors removed and others
 * kept (a read or write raced the removal) is touched again in the next batch without waiting its age, so that it
 * leaves every acceptor. A non-leader acceptor nudges (touches) its own aged tombstones that the leader's acceptor
 * missed (it holds an older state, or nothing while no batch ran), so the leader finds them.
 *
 * <p>Expired values (TTL, README "List and TTL"): at the start of every run, each member takes the keys its own
 * acceptor holds as a value whose expiry passed at least {@code gc.tombstoneAgeMs} ago (by this node's wall clock),
 * at most {@code gc.batchMax}, and runs {@code Change.Expire} on each through its own proposer: the key becomes a
 * tombstone only if it is still expired when the change applies (a refreshed or rewritten key is left alone). From
 * then on it is a tombstone like any other, collected by the steps above.
 */
public final class GcJob {
  private static final Logger log = LoggerFactory.getLogger(GcJob.class);
  /** Keys per peek request. */
  static final int PEEK_CHUNK = 1_000;
  /** Longest wait for every node to persist a fenced configuration (else: the next run pushes again). */
  static final long PUSH_DEADLINE_MAX_MS = 30_000;
  /** Shortest such wait: a loaded node takes more than a second to persist a configuration. */
  static final long PUSH_DEADLINE_MIN_MS = 5_000;

  /** What one acceptor holds for one key (admin op {@code peek}). */
  public record Peeked(String key, Ballot promised, Ballot accepted, long version, boolean present) {
    public boolean tombstone() {
      return !present && version > 0;
    }

    /** {@code (absent, 0)}: what {@code Change.Forget} leaves of a tombstone (or a key never written). */
    public boolean forgotten() {
      return !present && version == 0;
    }
  }

  /** The I/O the job needs; the node's shell implements it over the proposer, the bus and the stores. */
  public interface Ports {
    int nodeId();

    /** The configuration installed on this node. */
    ClusterConfig installed();

    /** Whether this node's failure detector suspects {@code node} now. */
    boolean suspect(int node);

    /** Wall clock, milliseconds (only for {@code forgottenBefore} and the status). */
    long wallMillis();

    /** A monotonic clock, milliseconds (ages). */
    long monoMillis();

    Future<ConfigRegister.Snapshot> read();

    Future<ConfigRegister.Snapshot> compareAndSet(long expectedVersion, ConfigRegister.Value next);

    /**
     * Every key this node's own acceptor holds whose state is absent: a tombstone (absent, version > 0) or an
     * empty entry (absent, 0).
     */
    Future<List<String>> localTombstones();

    /** {@code Change.Touch} through this node's proposer: the kv reply ({@code version}, {@code value} if any). */
    Future<JsonObject> touch(String key);

    /** {@code Change.Forget} through this node's proposer: the kv reply ({@code version}, {@code value} if any). */
    Future<JsonObject> forget(String key);

    /**
     * Up to {@code max} keys this node's own acceptor holds as a value whose expiry is at or before
     * {@code expiredBefore} (epoch ms); reserved keys never. None by default.
     */
    default Future<List<String>> localExpired(long expiredBefore, int max) {
      return Future.succeededFuture(List.of());
    }

    /** {@code Change.Expire} through this node's proposer: the kv reply ({@code version}, {@code value} if any). */
    default Future<JsonObject> expire(String key) {
      return Future.failedFuture(new UnsupportedOperationException("expire"));
    }

    /** What {@code acceptor} holds for each of {@code keys} (absent keys: not present, version 0). */
    Future<List<Peeked>> peek(int acceptor, List<String> keys);

    /** Asks {@code acceptor} to remove {@code key} if it still holds exactly EMPTY accepted at {@code bt}. */
    Future<Boolean> remove(int acceptor, String key, Ballot bt, long epoch);

    /** Pushes {@code config} to all its nodes; completes with the nodes that persisted it before the deadline. */
    Future<Set<Integer>> pushAll(ClusterConfig config, long timeoutMs);
  }

  /** What one run did. */
  public enum Outcome {
    /** Another run was still going. */
    BUSY,
    /** This node is not an acceptor of the installed configuration. */
    NOT_MEMBER,
    /** A lower-id acceptor that is not suspected leads. */
    NOT_LEADER,
    /** A membership change is running: GC waits. */
    CHANGE_RUNNING,
    /** No candidate. */
    IDLE,
    /** An acceptor is down or did not answer: the batch waits. */
    POSTPONED,
    /** No candidate was held as the same tombstone by every acceptor. */
    NOTHING_AGREED,
    /** Another node changed the register first. */
    LOST_RACE,
    /** Not every node persisted the fenced configuration: the batch stays pending. */
    PUSH_INCOMPLETE,
    /** Not every acceptor answered every removal: the batch stays pending. */
    REMOVE_INCOMPLETE,
    /** The batch is done. */
    COLLECTED,
    /** A pending batch whose epoch is no longer the register's was dropped (nothing unsafe: removing is optional). */
    ABANDONED,
    /** A failure (register unreachable, ...): tried again next interval. */
    FAILED
  }

  /** One run's outcome and, for {@link Outcome#COLLECTED}, how many keys left every acceptor. */
  public record Run(Outcome outcome, int keys) {
    static Run of(Outcome o) {
      return new Run(o, 0);
    }
  }

  /** One key of a batch: the ballot Bc at which every acceptor holds it as EMPTY, and that version (0). */
  record Item(String key, Ballot bt, long version) {
    JsonObject toJson() {
      return new JsonObject().put("key", key).put("counter", bt.counter()).put("node", bt.nodeId())
          .put("version", version);
    }

    static Item fromJson(JsonObject o) {
      return new Item(o.getString("key"), new Ballot(o.getLong("counter"), o.getInteger("node")),
          o.getLong("version", 0L));
    }
  }

  private final NodeConfig.Gc options;
  private final Ports ports;
  /** Most bytes of keys (plus their ballots) one batch records in the register. */
  private final long batchBytes;
  /** key → when this node first saw it as a tombstone in its own acceptor (monotonic ms). */
  private final Map<String, Long> firstSeen = new HashMap<>();
  /** keys some acceptors removed and others kept → the tombstone's version: touched again next batch. */
  private final Map<String, Long> stragglers = new LinkedHashMap<>();
  /** key → when a non-leader last asked the leader's acceptor about it (monotonic ms). */
  private final Map<String, Long> nudged = new HashMap<>();
  private final AtomicBoolean running = new AtomicBoolean();
  private final AtomicLong collected = new AtomicLong();
  private final AtomicLong batches = new AtomicLong();
  /** Expired values this node turned into tombstones. */
  private final AtomicLong expired = new AtomicLong();
  private volatile long lastBatchAt;
  private volatile int pendingBatch;
  private volatile int tracked;
  private volatile int eligible;
  private volatile Outcome lastOutcome;
  /** Monotonic ms when the current batch's phases started: touch, peek, decided, fenced (0: not in this run). */
  private long touchAt;
  /** Tombstones the last forgets kept (ids not older than the installed forgottenBefore). */
  private int kept;
  private long peekAt;
  private long decidedAt;
  private long fencedAt;
  private Vertx vertx;
  private volatile boolean stopped;
  private long timer = -1;

  /**
   * @param maxValueBytes the largest value the register may hold ({@code http.maxValueBytes}): a batch records at
   *     most half of it in keys, so its compare-and-set is never refused as too large
   */
  public GcJob(NodeConfig.Gc options, int maxValueBytes, Ports ports) {
    this.options = options;
    this.ports = ports;
    this.batchBytes = Math.max(1, maxValueBytes / 2);
  }

  /** Bytes a batch entry takes in the register (the key as JSON and its ballot and version, generously). */
  static long entryBytes(String key) {
    return 2L * key.length() + 96;
  }

  /** Runs every {@code gc.intervalMs} (at once again after a full batch) until {@link #stop}. */
  public void start(Vertx vertx) {
    this.vertx = vertx;
    schedule(options.intervalMs());
  }

  public void stop() {
    stopped = true;
    if (vertx != null && timer >= 0) vertx.cancelTimer(timer);
  }

  private void schedule(long delayMs) {
    if (stopped) return;
    timer = vertx.setTimer(Math.max(1, delayMs), id -> runOnce().onComplete(ar -> {
      boolean more = ar.succeeded() && ar.result().outcome() == Outcome.COLLECTED
          && (eligible > ar.result().keys() || !stragglers.isEmpty());
      schedule(more ? 1 : options.intervalMs());
    }));
  }

  /**
   * {@code kshaka_gc_backlog} (tombstones of this node's acceptor waiting for collection), {@code kshaka_gc_collected}
   * (keys this node's batches removed from every acceptor), {@code kshaka_gc_batches}, and
   * {@code kshaka_store_tombstones} (tombstones in this node's acceptor store, aged or not).
   */
  public void registerMetrics(MeterRegistry registry, IntSupplier storeTombstones) {
    Gauge.builder("kshaka_gc_backlog", this, GcJob::backlog)
        .description("tombstones of this node's acceptor waiting for garbage collection").register(registry);
    FunctionCounter.builder("kshaka_gc_collected", collected, AtomicLong::get)
        .description("keys removed from every acceptor by garbage collection batches this node ran")
        .register(registry);
    FunctionCounter.builder("kshaka_gc_batches", batches, AtomicLong::get)
        .description("garbage collection batches this node finished").register(registry);
    // strong reference: the supplier is a lambda nobody else holds (a weakly held one reads NaN after a GC)
    Gauge.builder("kshaka_store_tombstones", storeTombstones, IntSupplier::getAsInt).strongReference(true)
        .description("keys of this node's acceptor whose accepted state is a tombstone").register(registry);
  }

  /** Keys removed from every acceptor by batches this node finished. */
  public long collected() {
    return collected.get();
  }

  /** Batches this node finished. */
  public long batches() {
    return batches.get();
  }

  /** Expired values this node's runs turned into tombstones. */
  public long expired() {
    return expired.get();
  }

  /** Tombstones of this node's acceptor the job waits to collect (aged or not), plus the pending batch. */
  public long backlog() {
    return tracked + stragglers.size();
  }

  /** The job's state for {@code /v1/cluster}. */
  public JsonObject status() {
    return new JsonObject()
        .put("tracked", tracked)
        .put("eligible", eligible)
        .put("pendingBatch", pendingBatch)
        .put("lastBatchAt", lastBatchAt == 0 ? null : java.time.Instant.ofEpochMilli(lastBatchAt).toString())
        .put("batches", batches.get())
        .put("collected", collected.get())
        .put("expired", expired.get())
        .put("lastRun", lastOutcome == null ? null : lastOutcome.name().toLowerCase());
  }

  /** One run of the job (see the class comment); never fails: problems end in {@link Outcome#FAILED}. */
  public Future<Run> runOnce() {
    if (!running.compareAndSet(false, true)) return Future.succeededFuture(Run.of(Outcome.BUSY));
    Future<Run> run;
    try {
      run = cycle();
    } catch (RuntimeException e) {
      run = Future.failedFuture(e);
    }
    return run.recover(e -> {
      log.warn("node {}: garbage collection run failed, retried in {} ms: {}", ports.nodeId(), options.intervalMs(),
          e.toString());
      return Future.succeededFuture(Run.of(Outcome.FAILED));
    }).andThen(ar -> {
      lastOutcome = ar.result().outcome();
      running.set(false);
    });
  }

  private Future<Run> cycle() {
    touchAt = 0;
    ClusterConfig installed = ports.installed();
    int self = ports.nodeId();
    if (!installed.members().contains(self)) {
      firstSeen.clear();
      tracked = 0;
      eligible = 0;
      return Future.succeededFuture(Run.of(Outcome.NOT_MEMBER));
    }
    return expireAged().compose(v -> ports.localTombstones()).compose(keys -> {
      track(keys);
      int leader = leader(installed);
      if (leader != self) return nudge(leader).map(v -> Run.of(Outcome.NOT_LEADER));
      return ports.read().compose(this::decide);
    });
  }

  /**
   * Turns the values of this node's acceptor that expired at least {@code tombstoneAgeMs} ago into tombstones
   * ({@code Change.Expire}: only if still expired); failures are tried again next run.
   */
  private Future<Void> expireAged() {
    long before = ports.wallMillis() - options.tombstoneAgeMs();
    return ports.localExpired(before, options.batchMax()).compose(keys -> {
      List<String> due = keys.stream().filter(k -> !reserved(k)).toList();
      if (due.isEmpty()) return Future.succeededFuture();
      return Bounded.map(due, options.concurrency(), ports::expire).map(replies -> {
        int n = 0;
        for (JsonObject r : replies) if (r != null && r.getValue("value") == null) n++;
        expired.addAndGet(n);
        log.debug("node {}: {} of {} expired values are tombstones now", ports.nodeId(), n, due.size());
        return null;
      });
    });
  }

  /** The lowest-id acceptor of {@code config} that this node does not suspect (itself included). */
  private int leader(ClusterConfig config) {
    for (int node : config.members()) {
      if (node == ports.nodeId() || !ports.suspect(node)) return node;
    }
    return ports.nodeId();
  }

  private void track(List<String> tombstones) {
    long now = ports.monoMillis();
    Set<String> current = new HashSet<>(tombstones.size() * 2);
    for (String k : tombstones) {
      if (reserved(k)) continue;
      current.add(k);
      firstSeen.putIfAbsent(k, now);
    }
    firstSeen.keySet().retainAll(current);
    nudged.keySet().retainAll(current);
    tracked = firstSeen.size();
    eligible = countAged();
  }

  private int countAged() {
    long now = ports.monoMillis();
    int n = 0;
    for (long seen : firstSeen.values()) {
      if (now - seen >= options.tombstoneAgeMs()) n++;
    }
    return n;
  }

  /** Reserved keys (the configuration register, the membership record) are never collected. */
  static boolean reserved(String key) {
    return key.startsWith("\u0000");
  }

  private static boolean changeRunning(JsonObject change) {
    if (change == null) return false;
    String state = change.getString("state");
    return !"done".equals(state) && !"failed".equals(state);
  }

  private Future<Run> decide(ConfigRegister.Snapshot snap) {
    kept = 0;
    ConfigRegister.Value v = snap.value();
    if (changeRunning(v.change())) return Future.succeededFuture(Run.of(Outcome.CHANGE_RUNNING));
    if (v.gc() != null) return finish(snap);
    List<String> candidates = candidates();
    if (candidates.isEmpty()) return Future.succeededFuture(Run.of(Outcome.IDLE));
    Set<Integer> members = v.config().members();
    for (int node : members) {
      if (node != ports.nodeId() && ports.suspect(node)) {
        log.debug("node {}: garbage collection postponed: acceptor {} is suspected", ports.nodeId(), node);
        return Future.succeededFuture(Run.of(Outcome.POSTPONED));
      }
    }
    touchAt = ports.monoMillis();
    return forgetAll(candidates).compose(touched -> {
      peekAt = ports.monoMillis();
      return peekAll(members, touched);
    }).compose(agreed -> {
      if (agreed == null) return Future.succeededFuture(Run.of(Outcome.POSTPONED));
      // Tombstones the forget kept (their ids are not older than the installed forgottenBefore): a batch, even an
      // empty one, raises the fence so that the next batch forgets them.
      boolean raise = kept > 0 && ports.wallMillis() - options.tombstoneAgeMs() > v.config().forgottenBefore();
      if (agreed.isEmpty() && !raise) return Future.succeededFuture(Run.of(Outcome.NOTHING_AGREED));
      long floor = 0;
      JsonArray keys = new JsonArray();
      for (Item item : agreed) {
        floor = Math.max(floor, item.bt().counter());
        keys.add(item.toJson());
      }
      // The forgets dropped only ids stamped before the installed forgottenBefore; this fence moves it to now - age,
      // so that the tombstones a forget kept (ids younger than the installed fence) are forgotten next batch.
      ClusterConfig fenced = v.config().fenced(floor,
          Math.max(0, ports.wallMillis() - options.tombstoneAgeMs()));
      JsonObject gc = new JsonObject().put("epoch", fenced.epoch()).put("keys", keys)
          .put("by", ports.nodeId()).put("startedAt", ports.wallMillis());
      return ports.compareAndSet(snap.version(), v.withConfig(fenced).withGc(gc))
          .compose(this::finish, e -> {
            log.info("node {}: garbage collection batch of {} keys not started: the configuration register "
                + "changed first ({})", ports.nodeId(), agreed.size(), e.getMessage());
            return Future.succeededFuture(Run.of(Outcome.LOST_RACE));
          });
    });
  }

  /** Stragglers first, then the oldest aged tombstones; at most {@code batchMax}. */
  private List<String> candidates() {
    long now = ports.monoMillis();
    List<String> out = new ArrayList<>();
    long[] bytes = {0};
    for (String k : stragglers.keySet()) {
      if (!fits(out, bytes, k)) return out;
    }
    List<String> aged = firstSeen.entrySet().stream()
        .filter(e -> now - e.getValue() >= options.tombstoneAgeMs() && !stragglers.containsKey(e.getKey()))
        .sorted(Map.Entry.<String, Long>comparingByValue().thenComparing(Map.Entry.comparingByKey()))
        .map(Map.Entry::getKey).toList();
    for (String k : aged) {
      if (!fits(out, bytes, k)) break;
    }
    return out;
  }

  /** Adds {@code key} to {@code batch} if it stays within {@code batchMax} keys and the register's byte budget. */
  private boolean fits(List<String> batch, long[] bytes, String key) {
    long b = entryBytes(key);
    if (batch.size() >= options.batchMax() || (!batch.isEmpty() && bytes[0] + b > batchBytes)) return false;
    batch.add(key);
    bytes[0] += b;
    return true;
  }

  /** Forgets each key; the keys found absent (now EMPTY) → version 0 (keys written again are dropped). */
  private Future<Map<String, Long>> forgetAll(List<String> keys) {
    kept = 0;
    return Bounded.map(keys, options.concurrency(), ports::forget).map(replies -> {
      Map<String, Long> touched = new LinkedHashMap<>();
      for (int i = 0; i < keys.size(); i++) {
        String key = keys.get(i);
        JsonObject reply = replies.get(i);
        Long straggler = stragglers.remove(key);
        if (reply == null) continue; // failed: tried again next batch (aged keys stay aged)
        long version = reply.getLong("version", 0L);
        if (reply.getValue("value") != null) {
          firstSeen.remove(key); // written again: not absent any more
          continue;
        }
        if (version != 0) { // a tombstone with ids not older than the installed forgottenBefore: next batch
          kept++;
          if (straggler != null) stragglers.put(key, straggler);
          continue;
        }
        // A straggler is taken without its age only while it is the very tombstone of the earlier batch.
        if (straggler != null && straggler != version && !aged(key)) continue;
        touched.put(key, version);
      }
      return touched;
    });
  }

  private boolean aged(String key) {
    Long seen = firstSeen.get(key);
    return seen != null && ports.monoMillis() - seen >= options.tombstoneAgeMs();
  }

  /**
   * Peeks every acceptor; null if one did not answer (postpone), else the keys every acceptor holds as
   * {@code (absent, 0)} (what the forget left) accepted at the same ballot Bc.
   */
  private Future<List<Item>> peekAll(Set<Integer> members, Map<String, Long> touched) {
    if (touched.isEmpty()) return Future.succeededFuture(List.of());
    List<String> keys = new ArrayList<>(touched.keySet());
    List<int[]> requests = new ArrayList<>(); // {acceptor, chunk start}
    for (int node : members) {
      for (int from = 0; from < keys.size(); from += PEEK_CHUNK) requests.add(new int[] {node, from});
    }
    Function<int[], Future<List<Peeked>>> peek = r -> ports.peek(r[0],
        keys.subList(r[1], Math.min(keys.size(), r[1] + PEEK_CHUNK)));
    return Bounded.map(requests, options.concurrency(), peek).map(answers -> {
      Map<String, List<Peeked>> byKey = new HashMap<>();
      for (int i = 0; i < requests.size(); i++) {
        List<Peeked> a = answers.get(i);
        if (a == null) {
          log.info("node {}: garbage collection postponed: acceptor {} did not answer a peek", ports.nodeId(),
              requests.get(i)[0]);
          return null;
        }
        for (Peeked p : a) byKey.computeIfAbsent(p.key(), k -> new ArrayList<>()).add(p);
      }
      List<Item> agreed = new ArrayList<>();
      for (String key : keys) {
        List<Peeked> states = byKey.getOrDefault(key, List.of());
        if (states.size() != members.size()) continue;
        Peeked first = states.get(0);
        boolean same = first.forgotten() && !first.accepted().equals(Ballot.ZERO);
        for (Peeked p : states) same &= p.forgotten() && p.accepted().equals(first.accepted());
        if (same) agreed.add(new Item(key, first.accepted(), first.version()));
      }
      return agreed;
    });
  }

  /** Steps 5 and 6 of a batch recorded in the register: fence every node, then remove everywhere. */
  private Future<Run> finish(ConfigRegister.Snapshot snap) {
    ConfigRegister.Value v = snap.value();
    JsonObject gc = v.gc();
    long epoch = gc.getLong("epoch", 0L);
    List<Item> items = new ArrayList<>();
    JsonArray keys = gc.getJsonArray("keys", new JsonArray());
    for (int i = 0; i < keys.size(); i++) items.add(Item.fromJson(keys.getJsonObject(i)));
    if (v.config().epoch() != epoch) {
      log.warn("node {}: dropping a garbage collection batch of epoch {}: the register's configuration is at epoch "
          + "{}", ports.nodeId(), epoch, v.config().epoch());
      return ports.compareAndSet(snap.version(), v.withGc(null)).map(s -> Run.of(Outcome.ABANDONED));
    }
    pendingBatch = items.size();
    decidedAt = ports.monoMillis();
    Set<Integer> members = v.config().members();
    long pushTimeout = Math.max(PUSH_DEADLINE_MIN_MS, Math.min(options.intervalMs(), PUSH_DEADLINE_MAX_MS));
    return ports.pushAll(v.config(), pushTimeout).compose(persisted -> {
      if (!persisted.containsAll(members)) {
        Set<Integer> missing = new HashSet<>(members);
        missing.removeAll(persisted);
        log.info("node {}: garbage collection batch of {} keys waits: epoch {} not yet persisted by nodes {}",
            ports.nodeId(), items.size(), epoch, missing);
        return Future.succeededFuture(Run.of(Outcome.PUSH_INCOMPLETE));
      }
      fencedAt = ports.monoMillis();
      List<Object[]> removals = new ArrayList<>(items.size() * members.size());
      for (Item item : items) {
        for (int node : members) removals.add(new Object[] {item, node});
      }
      return removeEverywhere(new ArrayList<>(members), items, epoch).compose(answers -> {
            Map<String, int[]> perKey = new HashMap<>(); // key → {removed, kept}
            for (int i = 0; i < removals.size(); i++) {
              Boolean removed = answers.get(i);
              if (removed == null) {
                log.info("node {}: garbage collection batch of {} keys waits: acceptor {} did not answer a removal",
                    ports.nodeId(), items.size(), removals.get(i)[1]);
                return Future.succeededFuture(Run.of(Outcome.REMOVE_INCOMPLETE));
              }
              int[] c = perKey.computeIfAbsent(((Item) removals.get(i)[0]).key(), k -> new int[2]);
              c[removed ? 0 : 1]++;
            }
            return ports.compareAndSet(snap.version(), v.withGc(null)).compose(s -> {
              int done = 0;
              for (Item item : items) {
                int[] c = perKey.get(item.key());
                firstSeen.remove(item.key()); // seen again (from now) if it is still a tombstone here
                if (c[1] == 0) {
                  done++;
                } else if (c[0] > 0) {
                  stragglers.put(item.key(), item.version());
                }
              }
              collected.addAndGet(done);
              batches.incrementAndGet();
              lastBatchAt = ports.wallMillis();
              pendingBatch = 0;
              tracked = firstSeen.size();
              eligible = countAged();
              long end = ports.monoMillis();
              log.info("node {}: garbage collection batch of epoch {}: {} of {} keys left every acceptor ({})",
                  ports.nodeId(), epoch, done, items.size(), touchAt == 0 ? "resumed: fence + removal "
                      + (end - decidedAt) + " ms" : "touch " + (peekAt - touchAt) + " ms, peek + decide "
                      + (decidedAt - peekAt) + " ms, fence " + (fencedAt - decidedAt) + " ms, removal "
                      + (end - fencedAt) + " ms");
              return Future.succeededFuture(new Run(Outcome.COLLECTED, done));
            }, e -> Future.succeededFuture(Run.of(Outcome.LOST_RACE)));
          });
    });
  }

  /**
   * Asks every acceptor to remove every item, {@code gc.concurrency} requests in flight per acceptor; the answers
   * item-major ({@code answers[i * nodes + j]} is node j's answer for item i), null where an acceptor failed.
   */
  private Future<List<Boolean>> removeEverywhere(List<Integer> nodes, List<Item> items, long epoch) {
    List<Future<List<Boolean>>> perNode = new ArrayList<>();
    for (int node : nodes) {
      perNode.add(Bounded.map(items, options.concurrency(), item -> ports.remove(node, item.key(), item.bt(), epoch)));
    }
    return Future.all(perNode).map(all -> {
      List<Boolean> answers = new ArrayList<>(items.size() * nodes.size());
      for (int i = 0; i < items.size(); i++) {
        for (int j = 0; j < nodes.size(); j++) answers.add(perNode.get(j).result().get(i));
      }
      return answers;
    });
  }

  /**
   * A non-leader acceptor's aged tombstones that the leader's acceptor does not hold as tombstones (it missed the
   * delete, so the leader never sees them): touch them, so every acceptor holds them and the leader collects them.
   */
  private Future<Void> nudge(int leader) {
    long now = ports.monoMillis();
    long threshold = options.tombstoneAgeMs() + 2 * options.intervalMs();
    List<String> old = firstSeen.entrySet().stream().filter(e -> now - e.getValue() >= threshold
            && now - nudged.getOrDefault(e.getKey(), Long.MIN_VALUE / 2) >= threshold)
        .sorted(Map.Entry.comparingByValue()).limit(options.batchMax()).map(Map.Entry::getKey).toList();
    if (old.isEmpty() || ports.suspect(leader)) return Future.succeededFuture();
    // The register before and after the peeks: a batch running meanwhile may be what emptied the leader's state.
    return ports.read().compose(before -> {
      if (before.value().gc() != null || changeRunning(before.value().change())) return Future.succeededFuture();
      List<int[]> requests = new ArrayList<>(); // {acceptor, chunk start}
      for (int from = 0; from < old.size(); from += PEEK_CHUNK) {
        requests.add(new int[] {ports.nodeId(), from});
        requests.add(new int[] {leader, from});
      }
      return Bounded.map(requests, options.concurrency(),
          r -> ports.peek(r[0], old.subList(r[1], Math.min(old.size(), r[1] + PEEK_CHUNK)))).compose(answers -> {
            Map<String, Peeked> mine = new HashMap<>();
            Map<String, Peeked> leaders = new HashMap<>();
            for (int i = 0; i < requests.size(); i++) {
              if (answers.get(i) == null) return Future.succeededFuture();
              for (Peeked p : answers.get(i)) (requests.get(i)[0] == leader ? leaders : mine).put(p.key(), p);
            }
            List<String> older = new ArrayList<>(); // the leader holds an older state: it missed the delete
            List<String> empty = new ArrayList<>(); // the leader holds nothing: it missed every write, or collected
            for (String k : old) {
              nudged.put(k, now); // looked at: not again before another age
              Peeked m = mine.get(k);
              Peeked l = leaders.get(k);
              if (m == null || l == null || (!m.tombstone() && !m.forgotten())) continue;
              if (l.accepted().equals(Ballot.ZERO)) {
                if (l.forgotten()) empty.add(k);
              } else if (m.tombstone() && (l.present() || l.version() < m.version())) {
                older.add(k);
              }
            }
            if (older.isEmpty() && empty.isEmpty()) return Future.succeededFuture();
            // An empty leader's state counts only if no batch ran meanwhile (else it may be one just collected,
            // and touching it would store the key again on every acceptor, for another batch to collect).
            Future<Boolean> quiet = empty.isEmpty() ? Future.succeededFuture(false)
                : ports.read().map(after -> after.version() == before.version());
            return quiet.compose(q -> {
              List<String> missed = new ArrayList<>(older);
              if (q) missed.addAll(empty);
              if (missed.isEmpty()) return Future.succeededFuture();
              log.info("node {}: touching {} tombstones the leader's acceptor {} missed", ports.nodeId(),
                  missed.size(), leader);
              return Bounded.map(missed, options.concurrency(), ports::touch).mapEmpty();
            });
          });
    });
  }



  /** Runs a function over items with at most {@code concurrency} in flight; a failed call gives null. */
  static final class Bounded<T, R> {
    private final List<T> items;
    private final Function<T, Future<R>> fn;
    private final List<R> results;
    private final Promise<List<R>> done = Promise.promise();
    private int next;
    private int inFlight;
    private int completed;

    private Bounded(List<T> items, Function<T, Future<R>> fn) {
      this.items = items;
      this.fn = fn;
      this.results = new ArrayList<>(java.util.Collections.nCopies(items.size(), null));
    }

    static <T, R> Future<List<R>> map(List<T> items, int concurrency, Function<T, Future<R>> fn) {
      if (items.isEmpty()) return Future.succeededFuture(List.of());
      Bounded<T, R> b = new Bounded<>(items, fn);
      for (int i = 0; i < Math.min(concurrency, items.size()); i++) b.launch();
      return b.done.future();
    }

    private void launch() {
      int index;
      synchronized (this) {
        if (next >= items.size()) return;
        index = next++;
        inFlight++;
      }
      Future<R> f;
      try {
        f = fn.apply(items.get(index));
      } catch (RuntimeException e) {
        f = Future.failedFuture(e);
      }
      f.onComplete(ar -> {
        boolean all;
        synchronized (this) {
          if (ar.succeeded()) results.set(index, ar.result());
          inFlight--;
          completed++;
          all = completed == items.size();
        }
        if (all) {
          done.complete(results);
        } else {
          launch();
        }
      });
    }
  }
}
