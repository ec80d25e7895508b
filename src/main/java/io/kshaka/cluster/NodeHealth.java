package io.kshaka.cluster;

import java.util.concurrent.ConcurrentHashMap;

/**
 * What this node saw lately of each other node: a node whose last message timed out or found no handler, less
 * than {@code suspectMillis} ago and with no success since, is suspect. Used only to route a key away from a home
 * proposer that is probably down; never for quorums or safety. Thread-safe.
 */
public final class NodeHealth {
  private final long suspectMillis;
  private final ConcurrentHashMap<Integer, Long> lastFailure = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<Integer, Long> lastSuccess = new ConcurrentHashMap<>();

  public NodeHealth(long suspectMillis) {
    this.suspectMillis = suspectMillis;
  }

  public void success(int node) {
    if (!lastFailure.isEmpty()) lastFailure.remove(node);
    lastSuccess.put(node, System.nanoTime());
  }

  /** True if the node answered something within the last {@code millis} and has not failed since. */
  public boolean answeredWithin(int node, long millis) {
    Long at = lastSuccess.get(node);
    return at != null && !lastFailure.containsKey(node) && System.nanoTime() - at < millis * 1_000_000;
  }

  public void failure(int node) {
    lastFailure.put(node, System.nanoTime());
  }

  public boolean suspect(int node) {
    Long at = lastFailure.get(node);
    return at != null && System.nanoTime() - at < suspectMillis * 1_000_000;
  }
}
