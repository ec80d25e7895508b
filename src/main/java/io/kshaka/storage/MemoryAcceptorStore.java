package io.kshaka.storage;

import io.kshaka.core.Acceptor;
import io.kshaka.core.AcceptorState;
import io.kshaka.core.Ballot;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListSet;

/**
 * An {@link AcceptorStore} in memory, for tests of the layers above. Thread-safe; callable from any thread.
 *
 * <p>By default every put is durable at once (its future is already complete). {@link #manualSync()} gives a store
 * whose puts stay pending until {@link #sync()}, and {@link #crashCopy()} returns what a restart would see (only the
 * synced state): together they let a simulator lose unsynced writes. {@link #fail(Throwable)} simulates a failed
 * fsync. {@link #remove} follows the same rule: a removal not yet synced is undone by {@link #crashCopy()}.
 */
public final class MemoryAcceptorStore implements AcceptorStore {
  private final boolean manual;
  private final ConcurrentHashMap<String, AcceptorState> memory = new ConcurrentHashMap<>();
  private final ConcurrentSkipListSet<String> index = new ConcurrentSkipListSet<>(KEY_ORDER);
  private final Map<String, AcceptorState> durable;
  /** Writes not yet synced; a null value is a removal. */
  private final Map<String, AcceptorState> unsynced = new HashMap<>();
  private volatile int tombstones;
  private final List<Promise<Void>> waiters = new ArrayList<>();
  private volatile Throwable failure;
  private boolean closed;
  private long syncs;

  /** A store whose puts are durable immediately. */
  public MemoryAcceptorStore() {
    this(false, Map.of());
  }

  private MemoryAcceptorStore(boolean manual, Map<String, AcceptorState> initial) {
    this.manual = manual;
    this.memory.putAll(initial);
    this.index.addAll(initial.keySet());
    for (AcceptorState s : initial.values()) if (FileAcceptorStore.tombstone(s)) tombstones++;
    this.durable = manual ? new HashMap<>(initial) : memory;
  }

  /** A store whose puts complete only when {@link #sync()} is called. */
  public static MemoryAcceptorStore manualSync() {
    return new MemoryAcceptorStore(true, Map.of());
  }

  @Override
  public Future<Void> open() {
    return Future.succeededFuture();
  }

  @Override
  public AcceptorState get(String key) {
    AcceptorState s = memory.get(key);
    return s == null ? AcceptorState.INITIAL : s;
  }

  @Override
  public synchronized Future<Void> put(String key, AcceptorState state) {
    Objects.requireNonNull(key, "key");
    Objects.requireNonNull(state, "state");
    if (failure != null) return Future.failedFuture(failedException());
    if (closed) return Future.failedFuture(new IllegalStateException("acceptor store is closed"));
    AcceptorState old = memory.put(key, state);
    if (old == null) index.add(key);
    int delta = (FileAcceptorStore.tombstone(state) ? 1 : 0) - (old != null && FileAcceptorStore.tombstone(old) ? 1 : 0);
    if (delta != 0) tombstones += delta;
    if (!manual) return Future.succeededFuture();
    unsynced.put(key, state);
    Promise<Void> p = Promise.promise();
    waiters.add(p);
    return p.future();
  }

  @Override
  public synchronized Future<Boolean> remove(String key, Ballot bt) {
    Objects.requireNonNull(key, "key");
    Objects.requireNonNull(bt, "bt");
    if (failure != null) return Future.failedFuture(failedException());
    if (closed) return Future.failedFuture(new IllegalStateException("acceptor store is closed"));
    AcceptorState current = memory.get(key);
    if (current == null) return barrier().map(true);
    if (!Acceptor.collectable(current, bt)) return Future.succeededFuture(false);
    memory.remove(key);
    index.remove(key);
    if (FileAcceptorStore.tombstone(current)) tombstones--; // never, under the collectable rule (EMPTY only)
    if (!manual) return Future.succeededFuture(true);
    unsynced.put(key, null);
    Promise<Void> p = Promise.promise();
    waiters.add(p);
    return p.future().map(true);
  }

  @Override
  public List<String> keys(String after, int limit) {
    if (limit < 0) throw new IllegalArgumentException("limit must be >= 0: " + limit);
    return FileAcceptorStore.page(FileAcceptorStore.SortedKeys.of(index), after, limit);
  }

  @Override
  public List<String> keys(String after, String prefix, int limit) {
    if (limit < 0) throw new IllegalArgumentException("limit must be >= 0: " + limit);
    return FileAcceptorStore.page(FileAcceptorStore.SortedKeys.of(index), after, prefix, limit);
  }

  @Override
  public int tombstones() {
    return tombstones;
  }

  @Override
  public synchronized Future<Void> barrier() {
    if (failure != null) return Future.failedFuture(failedException());
    if (waiters.isEmpty()) return Future.succeededFuture();
    Promise<Void> p = Promise.promise();
    waiters.add(p);
    return p.future();
  }

  /** Makes every pending put durable and completes their futures; returns how many futures completed. */
  public int sync() {
    List<Promise<Void>> done;
    synchronized (this) {
      if (failure != null || waiters.isEmpty()) return 0;
      unsynced.forEach((k, v) -> {
        if (v == null) durable.remove(k);
        else durable.put(k, v);
      });
      unsynced.clear();
      done = new ArrayList<>(waiters);
      waiters.clear();
      syncs++;
    }
    done.forEach(Promise::tryComplete);
    return done.size();
  }

  /** Number of {@link #sync()} calls that had something to sync. */
  public synchronized long syncs() {
    return syncs;
  }

  /** A new store (same mode) holding what survives a crash now: the synced state only. */
  public synchronized MemoryAcceptorStore crashCopy() {
    return new MemoryAcceptorStore(manual, manual ? durable : memory);
  }

  /** Simulates a failed fsync: pending and later futures fail; {@link #failed()} becomes true. */
  public void fail(Throwable cause) {
    List<Promise<Void>> pending;
    synchronized (this) {
      if (failure != null) return;
      failure = Objects.requireNonNull(cause, "cause");
      pending = new ArrayList<>(waiters);
      waiters.clear();
      unsynced.clear();
    }
    StoreFailedException e = failedException();
    pending.forEach(p -> p.tryFail(e));
  }

  @Override
  public int size() {
    return memory.size();
  }

  @Override
  public boolean failed() {
    return failure != null;
  }

  @Override
  public synchronized Future<Void> close() {
    closed = true;
    return Future.succeededFuture();
  }

  private StoreFailedException failedException() {
    return new StoreFailedException("acceptor store failed: " + failure.getMessage(), failure);
  }
}
