package io.kshaka.faults;

import io.kshaka.check.HistoryRecorder;
import io.kshaka.check.Input;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ConcurrentSkipListSet;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;

/**
 * A concurrent HTTP workload on a few keys at a time, recorded operation by operation in a {@link HistoryRecorder}.
 *
 * <p>{@code clients} threads each play one client at a time, bound to one node (client c talks to node
 * {@code c mod n}). Each operation is get, put, put with {@code If-Match} (cas), put with {@code If-None-Match: *}
 * (create), delete (half of them conditional) or add, on a key drawn uniformly from {@code keys} slots: contention is
 * the point. A slot's key is replaced by a fresh one after {@code opsPerKey} operations or {@link #UNKNOWN_PER_KEY}
 * operations of unknown outcome, so that no key's history grows beyond what the checker can search (as Jepsen's
 * independent keys do): each unknown write may take effect at any later point or never, and a key with more than a
 * dozen of them is beyond an exhaustive search. Every value written is unique (and a
 * decimal number, so that add works on it too). Outcomes are recorded exactly ({@link KvHttp}); a client whose
 * operation ends unknown continues as a new client (as in Jepsen) on the next node, and so does a client whose node
 * refused the connection (that attempt is left out of the history and does not use up an operation).
 *
 * <p>Operations are paced to spread {@code targetOps} over {@code duration} (a client that fell behind catches up),
 * so the load runs through the whole fault schedule. Every loop is bounded: by {@code maxOps} operations, by
 * {@code 10 * maxOps} refused connections and by a hard deadline, whatever {@link #stop()} says.
 */
final class Workload {
  /** Operation mix, in percent: get, put, cas, create, delete, add. */
  private static final int[] MIX = {25, 20, 25, 5, 5, 20};
  /** A key is retired after this many operations of unknown outcome (those already in flight still complete). */
  static final int UNKNOWN_PER_KEY = 5;

  record Spec(int clients, int keys, int opsPerKey, long targetOps, Duration duration, long maxOps,
      Duration hardLimit) {}

  private final Spec spec;
  private final KvHttp http;
  private final List<String> urls;
  private final HistoryRecorder history;
  private final long seed;
  private final List<Thread> threads = new ArrayList<>();
  private final AtomicLong slots = new AtomicLong();
  private final long[] keyGeneration;
  private final long[] keyOps;
  private final int[] keyUnknowns;
  private final Set<String> keysUsed = new ConcurrentSkipListSet<>();
  private final AtomicInteger clientIds = new AtomicInteger();
  private final AtomicLong values = new AtomicLong(1_000_000);
  private volatile boolean stopping;
  private long start;
  private long hardDeadline;

  // statistics
  final LongAdder ok = new LongAdder();
  final LongAdder notApplied = new LongAdder();
  final LongAdder refused = new LongAdder();
  final LongAdder unknown = new LongAdder();
  final LongAdder unexpected = new LongAdder();
  final Map<String, LongAdder> byOp = new ConcurrentHashMap<>();
  final Map<Integer, LongAdder> byStatus = new ConcurrentHashMap<>();
  final Queue<String> unexpectedSamples = new ConcurrentLinkedQueue<>();
  final Map<String, LongAdder> unknownCauses = new ConcurrentHashMap<>();

  Workload(Spec spec, KvHttp http, List<String> urls, HistoryRecorder history, long seed) {
    this.spec = spec;
    this.http = http;
    this.urls = List.copyOf(urls);
    this.history = history;
    this.seed = seed;
    this.keyGeneration = new long[spec.keys()];
    this.keyOps = new long[spec.keys()];
    this.keyUnknowns = new int[spec.keys()];
  }

  void start() {
    start = System.nanoTime();
    hardDeadline = start + spec.hardLimit().toNanos();
    for (int t = 0; t < spec.clients(); t++) {
      Random random = new Random(seed * 1_000_003L + t);
      Thread thread = new Thread(() -> runClient(random), "workload-" + t);
      thread.setDaemon(true);
      threads.add(thread);
      thread.start();
    }
  }

  /** Asks the clients to stop after their current operation. */
  void stop() {
    stopping = true;
  }

  /** Waits until every client has finished its last operation (each ends within the request timeout). */
  void awaitStopped() {
    long deadline = System.nanoTime() + http.timeout().toNanos() + TimeUnit.SECONDS.toNanos(30);
    for (Thread t : threads) {
      try {
        t.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime())));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
      if (t.isAlive()) throw new IllegalStateException(t.getName() + " did not stop");
    }
  }

  /** True while some client still runs (they stop on {@link #stop()}, or at their bounds). */
  boolean running() {
    for (Thread t : threads) {
      if (t.isAlive()) return true;
    }
    return false;
  }

  /** Operations in the history: those with a result and those of unknown outcome. */
  long operations() {
    return ok.sum() + unknown.sum();
  }

  /** Every key the workload used. */
  List<String> keys() {
    return List.copyOf(keysUsed);
  }

  private void runClient(Random random) {
    int client = clientIds.getAndIncrement();
    Map<String, Long> versions = new HashMap<>();
    long interval = spec.duration().toNanos() / Math.max(1, spec.targetOps());
    long slot = -1;
    while (!stopping && System.nanoTime() < hardDeadline) {
      if (slot < 0) {
        slot = slots.getAndIncrement();
        if (slot >= spec.maxOps()) return;
        if (!awaitSlot(start + slot * interval)) return;
      }
      int keySlot = random.nextInt(spec.keys());
      String key = nextKey(keySlot);
      Input input = nextInput(random, versions.getOrDefault(key, 0L));
      String url = urls.get(client % urls.size());
      HistoryRecorder.Pending pending = history.call(key, input);
      KvHttp.Result result = http.call(url, key, input);
      byStatus.computeIfAbsent(result.status(), s -> new LongAdder()).increment();
      if (result.kind() == KvHttp.Kind.NOT_APPLIED && result.status() == 0) {
        // the node is down (connection refused): nothing was sent; try another node, without spinning
        pending.notApplied();
        refused.increment();
        if (refused.sum() > 10 * spec.maxOps()) return;
        client = clientIds.getAndIncrement();
        LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(50));
        continue;
      }
      slot = -1;
      byOp.computeIfAbsent(input.f(), f -> new LongAdder()).increment();
      switch (result.kind()) {
        case OK:
          pending.ok(result.output());
          versions.put(key, result.output().version());
          ok.increment();
          break;
        case NOT_APPLIED:
          pending.notApplied();
          notApplied.increment();
          break;
        default:
          pending.unknown();
          unknown.increment();
          unknownCauses.computeIfAbsent(cause(result), c -> new LongAdder()).increment();
          countUnknown(keySlot, key);
          client = clientIds.getAndIncrement(); // a new client, on the next node
          break;
      }
      if (result.unexpected()) {
        unexpected.increment();
        if (unexpectedSamples.size() < 20) {
          unexpectedSamples.add(input.f() + " " + key + " via " + url + ": " + result.detail());
        }
      }
    }
  }

  /** A short name for why an outcome is unknown: the status, or the exception's class. */
  private static String cause(KvHttp.Result r) {
    if (r.status() != 0) return Integer.toString(r.status());
    String d = r.detail() == null ? "?" : r.detail();
    int colon = d.indexOf(':');
    String cls = colon > 0 ? d.substring(0, colon) : d;
    return cls.substring(cls.lastIndexOf('.') + 1);
  }

  /** The slot's current key: a fresh one every {@code opsPerKey} operations on the slot. */
  private synchronized String nextKey(int slot) {
    if (keyOps[slot]++ >= spec.opsPerKey()) retire(slot);
    String key = "k" + slot + "-" + keyGeneration[slot];
    keysUsed.add(key);
    return key;
  }

  /** An operation on {@code key} ended unknown: retire the key after {@link #UNKNOWN_PER_KEY} of them. */
  private synchronized void countUnknown(int slot, String key) {
    if (!key.equals("k" + slot + "-" + keyGeneration[slot])) return; // already retired
    if (++keyUnknowns[slot] >= UNKNOWN_PER_KEY) retire(slot);
  }

  private void retire(int slot) {
    keyGeneration[slot]++;
    keyOps[slot] = 1;
    keyUnknowns[slot] = 0;
  }

  /** Waits (in short steps, so stop() is seen) until the slot's start time; false if stopping. */
  private boolean awaitSlot(long at) {
    while (!stopping) {
      long wait = at - System.nanoTime();
      if (wait <= 0) return true;
      LockSupport.parkNanos(Math.min(wait, TimeUnit.MILLISECONDS.toNanos(100)));
    }
    return false;
  }

  private Input nextInput(Random random, long lastVersion) {
    int roll = random.nextInt(100);
    int i = 0;
    while (roll >= MIX[i]) roll -= MIX[i++];
    switch (i) {
      case 0:
        return Input.get();
      case 1:
        return Input.put(Long.toString(values.getAndIncrement()));
      case 2: {
        long expected = lastVersion;
        if (random.nextInt(5) == 0) expected = Math.max(0, expected + random.nextInt(3) - 1);
        return Input.cas(expected, Long.toString(values.getAndIncrement()));
      }
      case 3:
        return Input.create(Long.toString(values.getAndIncrement()));
      case 4:
        return random.nextBoolean() ? Input.delete() : Input.delete(lastVersion);
      default:
        return Input.add(1 + random.nextInt(5));
    }
  }

  /** One line: operations by outcome and by kind, statuses, causes of unknown outcomes. */
  String summary() {
    return "ops " + operations() + " in the history (ok " + ok.sum() + ", unknown " + unknown.sum()
        + "), not applied " + notApplied.sum() + ", refused connections " + refused.sum() + ", unexpected "
        + unexpected.sum() + "; keys " + keysUsed.size() + "; by op " + counts(byOp) + "; by status "
        + counts(byStatus) + "; unknown by cause " + counts(unknownCauses) + "; clients used " + clientIds.get();
  }

  private static <K> Map<K, Long> counts(Map<K, LongAdder> m) {
    Map<K, Long> out = new TreeMap<>();
    m.forEach((k, v) -> out.put(k, v.sum()));
    return out;
  }
}
