package io.kshaka.core;

import java.util.Collection;
import java.util.Collections;
import java.util.Set;
import java.util.TreeSet;

/**
 * Which acceptors a proposer prepares and accepts on, and how many answers make a quorum in each phase. Any prepare
 * quorum must intersect any accept quorum: {@code prepareQuorum + acceptQuorum > |prepareNodes ∪ acceptNodes|}.
 */
public record QuorumSpec(Set<Integer> prepareNodes, int prepareQuorum, Set<Integer> acceptNodes, int acceptQuorum) {

  public QuorumSpec {
    // Sorted and unmodifiable: iteration order (the order messages are sent in) is the same in every JVM.
    prepareNodes = Collections.unmodifiableSortedSet(new TreeSet<>(prepareNodes));
    acceptNodes = Collections.unmodifiableSortedSet(new TreeSet<>(acceptNodes));
    check(prepareNodes, prepareQuorum, "prepare");
    check(acceptNodes, acceptQuorum, "accept");
    int union = allNodes(prepareNodes, acceptNodes).size();
    if (prepareQuorum + acceptQuorum <= union) {
      throw new IllegalArgumentException("prepare quorum " + prepareQuorum + " and accept quorum " + acceptQuorum
          + " do not intersect over " + union + " acceptors (need prepareQuorum + acceptQuorum > " + union + ")");
    }
  }

  /** The usual configuration: the same nodes in both phases, majority quorums. */
  public static QuorumSpec majority(Collection<Integer> nodes) {
    Set<Integer> set = new TreeSet<>(nodes);
    int q = set.size() / 2 + 1;
    return new QuorumSpec(set, q, set, q);
  }

  /** Every acceptor this spec may talk to, in ascending order. */
  public Set<Integer> allNodes() {
    return allNodes(prepareNodes, acceptNodes);
  }

  /** How many acceptors may fail (not answer, or conflict) before a prepare can no longer reach quorum. */
  public int prepareTolerance() {
    return prepareNodes.size() - prepareQuorum;
  }

  public int acceptTolerance() {
    return acceptNodes.size() - acceptQuorum;
  }

  private static Set<Integer> allNodes(Set<Integer> a, Set<Integer> b) {
    TreeSet<Integer> all = new TreeSet<>(a);
    all.addAll(b);
    return all;
  }

  private static void check(Set<Integer> nodes, int quorum, String phase) {
    if (nodes.isEmpty()) throw new IllegalArgumentException(phase + " nodes must not be empty");
    if (quorum < 1 || quorum > nodes.size()) {
      throw new IllegalArgumentException(phase + " quorum " + quorum + " must be in 1.." + nodes.size());
    }
  }
}
