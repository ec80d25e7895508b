package io.kshaka.sim;

import io.kshaka.core.AcceptorState;
import io.kshaka.core.Ballot;
import io.kshaka.core.ClusterConfig;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A simulated acceptor's storage: the live map it answers from, the durable map that survives a crash, and the log
 * of writes not yet flushed. A flush (group commit) makes every write so far durable and releases the replies that
 * waited for it. A crash keeps a random prefix of the unflushed log (an append-only log loses its tail), forgets
 * everything else, and drops the replies that were waiting.
 */
final class SimAcceptor {
  final int id;
  boolean up = true;
  int incarnation;
  final TreeMap<String, AcceptorState> durable = new TreeMap<>();
  TreeMap<String, AcceptorState> live = new TreeMap<>();
  private final List<Map.Entry<String, AcceptorState>> unflushed = new ArrayList<>();
  private final List<Runnable> held = new ArrayList<>();
  boolean flushScheduled;
  /** Per key, the highest promise any reply of this acceptor has shown to the world. It must never be lost. */
  final TreeMap<String, Ballot> visiblePromise = new TreeMap<>();

  // Membership runs only (null / 0 otherwise). All of it is durable at once (an atomic config file).
  /** The node's durable configuration (null: none yet, a spare node, or lost with the disk). */
  ClusterConfig config;
  /** The incarnation this store was made for (0: none: a spare node never admitted, or a lost disk). */
  long identity;
  /** The incarnation whose store was lost with the disk (0: none): it votes again only as a later one. */
  long lostIncarnation;

  SimAcceptor(int id) {
    this.id = id;
  }

  AcceptorState state(String key) {
    return live.getOrDefault(key, AcceptorState.INITIAL);
  }

  void write(String key, AcceptorState next) {
    live.put(key, next);
    unflushed.add(Map.entry(key, next));
  }

  /** Removes a key (garbage collection): durable at the next flush, like a write. */
  void remove(String key) {
    live.remove(key);
    unflushed.add(new java.util.AbstractMap.SimpleEntry<>(key, null));
    visiblePromise.remove(key);
  }

  /** The durable state of a key (what a peek of the store reports once synced). */
  AcceptorState durableState(String key) {
    return durable.getOrDefault(key, AcceptorState.INITIAL);
  }

  /** The disk is lost: every key, the config and the identity go. The node stays up, empty. */
  void wipe() {
    durable.clear();
    live = new TreeMap<>();
    unflushed.clear();
    held.clear();
    flushScheduled = false;
    visiblePromise.clear();
    config = null;
    lostIncarnation = Math.max(lostIncarnation, identity);
    identity = 0;
    incarnation++;
  }

  /** True when every write so far is durable. */
  boolean allDurable() {
    return unflushed.isEmpty();
  }

  int unflushedCount() {
    return unflushed.size();
  }

  void hold(Runnable reply) {
    held.add(reply);
  }

  /** Makes every write durable; returns the replies to send now, in order. */
  List<Runnable> flush() {
    for (Map.Entry<String, AcceptorState> w : unflushed) apply(w);
    unflushed.clear();
    flushScheduled = false;
    List<Runnable> out = new ArrayList<>(held);
    held.clear();
    return out;
  }

  /** Records that a reply about {@code key} leaves now: whatever it promised is public. */
  void reveal(String key) {
    Ballot p = state(key).promised();
    visiblePromise.merge(key, p, Ballot::max);
  }

  /** Crashes, keeping the first {@code survivors} unflushed writes. */
  void crash(int survivors) {
    for (int i = 0; i < survivors; i++) {
      apply(unflushed.get(i));
    }
    unflushed.clear();
    held.clear();
    flushScheduled = false;
    live = new TreeMap<>();
    up = false;
    incarnation++;
  }

  private void apply(Map.Entry<String, AcceptorState> w) {
    if (w.getValue() == null) durable.remove(w.getKey());
    else durable.put(w.getKey(), w.getValue());
  }

  /** Restarts from the durable state. */
  void restart() {
    live = new TreeMap<>(durable);
    up = true;
    incarnation++;
  }
}
