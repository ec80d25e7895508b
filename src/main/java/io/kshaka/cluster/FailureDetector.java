package io.kshaka.cluster;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.LongSupplier;

/**
 * Kshaka's own failure detector (README, "How it works"): which peers look alive right now. Every answer from a
 * peer (an acceptor reply, a pong, a forwarded request's reply) is a sign of life. A peer with no sign of life for
 * {@code pingIntervalMs} is pinged ({@link #tick} says whom); a peer with none for {@code suspectAfterMs} becomes
 * suspect, and so does one at once when a send finds no handler for it or the cluster says it left
 * ({@link #lost}). Any sign of life clears suspicion. It steers routing only: never quorums, never safety.
 *
 * <p>Pure logic: time comes from the injected clock (milliseconds, monotonic), I/O is the caller's
 * ({@link PeerMonitor}). Thread-safe; listeners are called outside the lock, on the thread that caused the change.
 */
public final class FailureDetector {
  /**
   * The detector's settings (node JSON {@code "failureDetector"}). {@code rejoinAfterMs}: how long a peer that was
   * suspect must answer before keys are routed back to it (a node back from a crash is a cold JVM; one that flaps
   * under load would move its keys back and forth).
   */
  public record Options(long pingIntervalMs, long suspectAfterMs, long rejoinAfterMs) {
    public static final long REJOIN_AFTER_MS = 2_000;
    public static final Options DEFAULTS = new Options(100, 400, REJOIN_AFTER_MS);

    public Options {
      if (pingIntervalMs < 1) throw new IllegalArgumentException("pingIntervalMs must be >= 1");
      if (suspectAfterMs <= pingIntervalMs) {
        throw new IllegalArgumentException("suspectAfterMs must be greater than pingIntervalMs");
      }
      if (rejoinAfterMs < 0) throw new IllegalArgumentException("rejoinAfterMs must be >= 0");
    }

    public Options(long pingIntervalMs, long suspectAfterMs) {
      this(pingIntervalMs, suspectAfterMs, REJOIN_AFTER_MS);
    }
  }

  /** Told when a peer becomes suspect and when a suspect peer shows a sign of life again. */
  public interface Listener {
    void suspected(int node);

    void alive(int node);
  }

  private static final class Peer {
    long lastSign;
    long lastPing = Long.MIN_VALUE / 2;
    boolean suspect;
    /**
     * When its last suspicion ended (far in the past if it never was suspect): only a suspicion that interrupted an
     * exchange counts, not a peer that had not started yet.
     */
    long suspicionEnded = Long.MIN_VALUE / 2;
    boolean heard;
  }

  private final Options options;
  private final LongSupplier clock;
  private final Map<Integer, Peer> peers = new HashMap<>();
  private final List<Listener> listeners = new CopyOnWriteArrayList<>();
  private long lastTick;
  private long lastSelfStall = Long.MIN_VALUE / 2;

  /**
   * @param peers the nodes watched (this node excluded: it is never suspect); each counts as just heard from
   * @param clock monotonic milliseconds
   */
  public FailureDetector(Collection<Integer> peers, Options options, LongSupplier clock) {
    this.options = options;
    this.clock = clock;
    long now = clock.getAsLong();
    lastTick = now;
    for (int node : peers) {
      Peer p = new Peer();
      p.lastSign = now;
      this.peers.put(node, p);
    }
  }

  public Options options() {
    return options;
  }

  /**
   * Watches these nodes from now on (the configuration changed): new ones count as just heard from, nodes no
   * longer listed are forgotten. This node must not be listed.
   */
  public synchronized void setPeers(Collection<Integer> nodes) {
    long now = clock.getAsLong();
    peers.keySet().retainAll(new java.util.HashSet<>(nodes));
    for (int node : nodes) {
      peers.computeIfAbsent(node, n -> {
        Peer p = new Peer();
        p.lastSign = now;
        return p;
      });
    }
  }

  /** The nodes watched now. */
  public synchronized java.util.Set<Integer> peers() {
    return new java.util.TreeSet<>(peers.keySet());
  }

  /** True when {@code node} is one of the peers watched now (this node itself is not one). */
  public synchronized boolean watches(int node) {
    return peers.containsKey(node);
  }

  public void addListener(Listener listener) {
    listeners.add(listener);
  }

  /** A sign of life from the node: any answer it sent. Clears suspicion. */
  public void alive(int node) {
    boolean cleared;
    synchronized (this) {
      Peer p = peers.get(node);
      if (p == null) return;
      p.lastSign = clock.getAsLong();
      cleared = p.suspect;
      if (cleared && p.heard) p.suspicionEnded = p.lastSign;
      p.heard = true;
      p.suspect = false;
    }
    if (cleared) for (Listener l : listeners) l.alive(node);
  }

  /** Immediate suspicion: a send found no handler for the node, or the cluster reported it gone. */
  public void lost(int node) {
    if (suspectNow(node)) for (Listener l : listeners) l.suspected(node);
  }

  private synchronized boolean suspectNow(int node) {
    Peer p = peers.get(node);
    if (p == null || p.suspect) return false;
    p.suspect = true;
    return true;
  }

  /** True while the node is suspect (unknown nodes and this node never are). */
  public synchronized boolean suspect(int node) {
    Peer p = peers.get(node);
    return p != null && p.suspect;
  }

  /** True if the node showed a sign of life within the last {@code millis} and is not suspect. */
  public synchronized boolean heardWithin(int node, long millis) {
    Peer p = peers.get(node);
    return p != null && !p.suspect && clock.getAsLong() - p.lastSign < millis;
  }

  /**
   * True when keys may be routed to the node: it is not suspect, and if it was, it has answered for
   * {@code rejoinAfterMs} since. This node and unknown nodes always are.
   */
  public synchronized boolean settled(int node) {
    Peer p = peers.get(node);
    return p == null || (!p.suspect && clock.getAsLong() - p.suspicionEnded >= options.rejoinAfterMs());
  }

  /**
   * True when nothing kept this node and {@code node} apart during the last {@code windowMs}: the peer was never
   * suspect in that time, and this node did not stall (nor is it stalled now: its checks are not overdue). A
   * message from a peer that is not steady may have waited in a buffer through a partition or a pause, long enough
   * for its sender to have given it to another proposer meanwhile. This node is always steady with itself.
   */
  public synchronized boolean steady(int node, long windowMs) {
    long now = clock.getAsLong();
    if (now - lastTick > stallMs() || now - lastSelfStall < windowMs) return false;
    Peer p = peers.get(node);
    return p == null || !p.heard || (!p.suspect && now - p.suspicionEnded >= windowMs);
  }

  /**
   * A stall of this node long enough that its peers may have suspected it and given its work to another node:
   * half the suspicion time (shorter ones cannot have been mistaken for a crash).
   */
  private long stallMs() {
    return Math.max(options.pingIntervalMs(), options.suspectAfterMs() / 2);
  }

  /**
   * Called every few tens of milliseconds: suspects the peers silent for {@code suspectAfterMs} and returns the
   * peers to ping now (silent for {@code pingIntervalMs}, and not pinged within that time), each counted as pinged.
   * A gap between two ticks longer than {@code pingIntervalMs} means this node itself stalled (a GC pause, a busy
   * event loop, a stopped process): the answers that came meanwhile are still queued, so that time does not count
   * as the peers' silence.
   */
  public List<Integer> tick() {
    List<Integer> toPing = new ArrayList<>();
    List<Integer> suspected = new ArrayList<>();
    synchronized (this) {
      long now = clock.getAsLong();
      long stalled = now - lastTick - options.pingIntervalMs();
      lastTick = now;
      if (stalled > stallMs()) lastSelfStall = now;
      for (Map.Entry<Integer, Peer> e : peers.entrySet()) {
        Peer p = e.getValue();
        if (stalled > 0) p.lastSign = Math.min(now, p.lastSign + stalled);
        long silent = now - p.lastSign;
        if (!p.suspect && silent >= options.suspectAfterMs()) {
          p.suspect = true;
          suspected.add(e.getKey());
        }
        if (silent >= options.pingIntervalMs() && now - p.lastPing >= options.pingIntervalMs()) {
          p.lastPing = now;
          toPing.add(e.getKey());
        }
      }
    }
    for (int node : suspected) for (Listener l : listeners) l.suspected(node);
    return toPing;
  }

  /** Every peer, to be pinged at once (the cluster's membership changed); each counted as pinged. */
  public synchronized List<Integer> pingAll() {
    long now = clock.getAsLong();
    List<Integer> all = new ArrayList<>();
    for (Map.Entry<Integer, Peer> e : peers.entrySet()) {
      e.getValue().lastPing = now;
      all.add(e.getKey());
    }
    return all;
  }
}
