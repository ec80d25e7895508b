package io.kshaka.cluster;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Blocking queries ("watch") of one node, in front of its {@link KvService}: {@code {"op": "watch", "key": k,
 * "version": V, "waitMs": ms}} answers as a {@code get} does, as soon as the key's version is above {@code V}, or
 * with the current state when {@code waitMs} runs out. Every other request passes through unchanged.
 *
 * <p>Every answer comes from a linearizable read made after the watch began, so it is never older than a change
 * acknowledged before that. The node does not poll each watch: a read of a watched key is made when the watch
 * opens, when this node's acceptor accepts a new state of the key ({@link #accepted}, the usual wake-up: the
 * proposer of a change sends its accept to every acceptor), and, as a safety net for changes this acceptor did not
 * see (it was slow, down, or is not in the configuration), for a bounded number of watched keys each second. One
 * read serves every watch of a key; reads never overlap per key (a wake-up during a read makes one more).
 *
 * <p>Thread-safe: requests and wake-ups come from any thread; the watches live on the context that built this.
 */
public final class Watches implements KvService {
  /** The longest a watch may wait. */
  public static final long MAX_WAIT_MS = 300_000;
  /** How often the safety-net reads run. */
  static final long POLL_INTERVAL_MS = 1_000;
  /** At most this many watched keys are read by each safety-net round (the oldest-polled first). */
  static final int POLL_KEYS_PER_ROUND = 100;

  private final Vertx vertx;
  private final Context context;
  private final KvService kv;
  /** Keys with open watches, readable from any thread (the wake-up test of every accept). */
  private final Set<String> watched = ConcurrentHashMap.newKeySet();
  /** On {@link #context} only. */
  private final Map<String, KeyWatch> byKey = new HashMap<>();
  /** The watched keys in the order the safety net reads them (a key that lost its watches is dropped lazily). */
  private final ArrayDeque<KeyWatch> pollOrder = new ArrayDeque<>();
  private int open;
  private long pollTimer = -1;

  /** One watched key: its open watches and whether a read of it runs. */
  private static final class KeyWatch {
    final String key;
    final List<Waiter> waiters = new ArrayList<>();
    boolean reading;
    boolean again;

    KeyWatch(String key) {
      this.key = key;
    }
  }

  /** One open watch. {@code confirmed}: a read that began after it opened has answered. */
  private static final class Waiter {
    final long after;
    final Promise<JsonObject> answer = Promise.promise();
    long timer;
    boolean confirmed;

    Waiter(long after) {
      this.after = after;
    }
  }

  /** Watches served on the calling context (a verticle's), reading through {@code kv}. */
  public Watches(Vertx vertx, KvService kv) {
    this(vertx, kv, POLL_INTERVAL_MS);
  }

  Watches(Vertx vertx, KvService kv, long pollIntervalMs) {
    this.vertx = vertx;
    this.context = vertx.getOrCreateContext();
    this.kv = kv;
    context.runOnContext(v -> pollTimer = vertx.setPeriodic(pollIntervalMs, id -> poll()));
  }

  @Override
  public Future<JsonObject> execute(JsonObject request) {
    if (!"watch".equals(request.getValue("op"))) return kv.execute(request);
    String key;
    long after;
    long waitMs;
    try {
      key = Wire.key(request);
      after = longField(request, "version", 0, Long.MAX_VALUE, null);
      waitMs = longField(request, "waitMs", 0, MAX_WAIT_MS, 30_000L);
    } catch (RuntimeException e) {
      return Future.failedFuture(e);
    }
    Waiter w = new Waiter(after);
    context.runOnContext(v -> open(key, w, waitMs));
    return w.answer.future();
  }

  @Override
  public Future<JsonObject> status() {
    return kv.status();
  }

  @Override
  public Future<JsonObject> clusterStatus() {
    return kv.clusterStatus();
  }

  /** This node's acceptor accepted a new state of {@code key} (durably): read it if anyone watches it. */
  public void accepted(String key) {
    if (watched.contains(key)) context.runOnContext(v -> refresh(key));
  }

  /** Watches open right now. */
  public int open() {
    return open;
  }

  /** Ends every open watch with the key's state as a read finds it now (for a node that stops). */
  public void close() {
    context.runOnContext(v -> {
      if (pollTimer >= 0) vertx.cancelTimer(pollTimer);
      for (KeyWatch kw : new ArrayList<>(byKey.values())) {
        for (Waiter w : new ArrayList<>(kw.waiters)) expire(kw.key, w);
      }
    });
  }

  private void open(String key, Waiter w, long waitMs) {
    KeyWatch kw = byKey.get(key);
    if (kw == null) {
      kw = new KeyWatch(key);
      byKey.put(key, kw);
      watched.add(key);
      pollOrder.addLast(kw);
    }
    kw.waiters.add(w);
    open++;
    w.timer = vertx.setTimer(Math.max(1, waitMs), id -> expire(key, w));
    refresh(key);
  }

  /** Reads the key once for all its watches; a wake-up during the read makes one more read after it. */
  private void refresh(String key) {
    KeyWatch kw = byKey.get(key);
    if (kw == null) return;
    if (kw.reading) {
      kw.again = true;
      return;
    }
    kw.reading = true;
    List<Waiter> covered = new ArrayList<>(kw.waiters);
    read(key).onComplete(ar -> context.runOnContext(v -> {
      kw.reading = false;
      for (Waiter w : covered) {
        if (!kw.waiters.contains(w)) continue; // expired meanwhile
        if (ar.failed()) {
          if (!w.confirmed) finish(kw, w, Future.failedFuture(ar.cause())); // as a plain get would fail
        } else {
          w.confirmed = true;
          if (ar.result().getLong("version", 0L) > w.after) finish(kw, w, Future.succeededFuture(ar.result()));
        }
      }
      if (kw.again) {
        kw.again = false;
        refresh(key);
      }
    }));
  }

  /** The wait ran out: answer with the key's state now. */
  private void expire(String key, Waiter w) {
    KeyWatch kw = byKey.get(key);
    if (kw == null || !kw.waiters.contains(w)) return;
    remove(kw, w);
    read(key).onComplete(w.answer);
  }

  private void finish(KeyWatch kw, Waiter w, Future<JsonObject> result) {
    remove(kw, w);
    result.onComplete(w.answer);
  }

  private void remove(KeyWatch kw, Waiter w) {
    if (!kw.waiters.remove(w)) return;
    vertx.cancelTimer(w.timer);
    open--;
    if (kw.waiters.isEmpty()) {
      byKey.remove(kw.key);
      watched.remove(kw.key);
    }
  }

  /** The safety net: reads up to {@link #POLL_KEYS_PER_ROUND} watched keys, round-robin. */
  private void poll() {
    int n = Math.min(POLL_KEYS_PER_ROUND, pollOrder.size());
    for (int i = 0; i < n; i++) {
      KeyWatch kw = pollOrder.pollFirst();
      if (byKey.get(kw.key) != kw) continue; // its watches ended
      pollOrder.addLast(kw);
      refresh(kw.key);
    }
  }

  private Future<JsonObject> read(String key) {
    try {
      return kv.execute(Wire.kvRequest("get", key, null, null, null));
    } catch (RuntimeException e) {
      return Future.failedFuture(e);
    }
  }

  private static long longField(JsonObject request, String name, long min, long max, Long fallback) {
    Object v = request.getValue(name);
    if (v == null && fallback != null) return fallback;
    if (!(v instanceof Number n) || n.doubleValue() != n.longValue() || n.longValue() < min || n.longValue() > max) {
      throw Wire.failure(KvError.BAD_REQUEST, "field '" + name + "' must be an integer from " + min + " to " + max,
          null);
    }
    return n.longValue();
  }
}
