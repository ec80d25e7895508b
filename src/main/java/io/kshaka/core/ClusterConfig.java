package io.kshaka.core;

import java.util.Collections;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;

/**
 * The cluster's configuration at one epoch: which acceptors vote in each phase and how many make a quorum
 * ({@link #quorums}), the incarnation of each acceptor (a node whose store was lost comes back as a new
 * incarnation), and the fences garbage collection raised. It is durable on every node and changes only through the
 * membership procedure or a garbage-collection batch, each change with a higher {@link #epoch}.
 *
 * @param clusterId made once, when the cluster is bootstrapped; a store of another cluster never votes here
 * @param epoch the configuration's version: 1 for the bootstrap configuration
 * @param incarnations every acceptor of {@link QuorumSpec#allNodes()} → its incarnation (1, 2, ...)
 * @param ballotFloor acceptors refuse ballots whose counter is at or below it (above every collected tombstone)
 * @param forgottenBefore request ids stamped before this (milliseconds) may have been forgotten with a collected
 *     key: a repeat of one on a key that holds no log is answered "unknown", never applied again
 */
public record ClusterConfig(String clusterId, long epoch, QuorumSpec quorums, Map<Integer, Long> incarnations,
    long ballotFloor, long forgottenBefore) {

  public ClusterConfig {
    Objects.requireNonNull(clusterId, "clusterId");
    Objects.requireNonNull(quorums, "quorums");
    if (epoch < 1) throw new IllegalArgumentException("epoch must be >= 1, got " + epoch);
    if (ballotFloor < 0 || forgottenBefore < 0) throw new IllegalArgumentException("fences must be >= 0");
    incarnations = Collections.unmodifiableSortedMap(new TreeMap<>(incarnations));
    if (!incarnations.keySet().equals(quorums.allNodes())) {
      throw new IllegalArgumentException("incarnations " + incarnations.keySet() + " must name exactly the acceptors "
          + quorums.allNodes());
    }
    for (Map.Entry<Integer, Long> e : incarnations.entrySet()) {
      if (e.getValue() < 1) throw new IllegalArgumentException("incarnation of " + e.getKey() + " must be >= 1");
    }
  }

  /** The bootstrap configuration (epoch 1, every acceptor in its first incarnation, no fences). */
  public static ClusterConfig bootstrap(String clusterId, QuorumSpec quorums) {
    TreeMap<Integer, Long> inc = new TreeMap<>();
    for (int node : quorums.allNodes()) inc.put(node, 1L);
    return new ClusterConfig(clusterId, 1, quorums, inc, 0, 0);
  }

  /** Every acceptor of this configuration, in ascending order. */
  public Set<Integer> members() {
    return quorums.allNodes();
  }

  /** What an acceptor of this configuration demands of each request. */
  public Acceptor.Fence fence() {
    return new Acceptor.Fence(epoch, ballotFloor);
  }

  /** The incarnation of {@code node} here, or 0 when it is not an acceptor of this configuration. */
  public long incarnation(int node) {
    Long inc = incarnations.get(node);
    return inc == null ? 0 : inc;
  }

  /** The next epoch with other quorums (and incarnations: kept for remaining nodes, {@code added} → given). */
  public ClusterConfig next(QuorumSpec spec, Map<Integer, Long> added) {
    TreeMap<Integer, Long> inc = new TreeMap<>();
    for (int node : spec.allNodes()) {
      Long given = added.get(node);
      inc.put(node, given != null ? given : incarnations.getOrDefault(node, 1L));
    }
    return new ClusterConfig(clusterId, epoch + 1, spec, inc, ballotFloor, forgottenBefore);
  }

  /** The next epoch with the same acceptors and higher fences (a garbage-collection batch). */
  public ClusterConfig fenced(long newBallotFloor, long newForgottenBefore) {
    return new ClusterConfig(clusterId, epoch + 1, quorums, incarnations, Math.max(ballotFloor, newBallotFloor),
        Math.max(forgottenBefore, newForgottenBefore));
  }
}
