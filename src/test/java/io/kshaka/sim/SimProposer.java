package io.kshaka.sim;

import io.kshaka.core.ClusterConfig;
import io.kshaka.core.Proposer;
import io.kshaka.core.ProposerEffect;
import io.kshaka.core.QuorumSpec;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A simulated proposer node: the real {@link Proposer} (rebuilt on restart from the durable counter floor), the
 * sends awaiting a reply or a timeout, and the client operations it holds. A crash loses all of it but the floor.
 */
final class SimProposer {
  static final int PREPARED = 1;
  static final int ACCEPTED = 2;

  final int id;
  final QuorumSpec quorums;
  boolean up = true;
  int incarnation;
  Proposer core;
  /** The counter floor on disk. */
  long durableFloor;
  /** Floor writes under way (a crash may or may not have let them reach the disk). */
  final List<Long> pendingFloors = new ArrayList<>();
  /** Sends of this incarnation without a reply yet, by send id (never iterated). */
  final Map<Long, ProposerEffect.Send> outstanding = new HashMap<>();
  /** Attempts of client operations submitted here and not yet answered, by attempt token ({@link SimOp#token}). */
  final TreeMap<Long, SimOp> inflight = new TreeMap<>();
  /** Per round id of this incarnation: which phases sent messages (for statistics; never iterated). */
  /** Phases (PREPARED / ACCEPTED) sent per (key, ballot): one ballot's prepare and accept phases have different round ids. */
  final Map<Object, Integer> roundPhases = new HashMap<>();
  /** The (key, ballot) of each round id. */
  final Map<Long, Object> roundBallot = new HashMap<>();

  /** Membership runs: the node's durable configuration (the proposer is configured from it on restart). */
  ClusterConfig config;
  /** A configuration refresh (after a StaleConfig effect) is under way. */
  boolean refreshing;

  SimProposer(int id, QuorumSpec quorums) {
    this.id = id;
    this.quorums = quorums;
  }
}
