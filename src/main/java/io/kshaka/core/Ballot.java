package io.kshaka.core;

/**
 * A Paxos ballot: ordered by {@code counter}, then by {@code nodeId}. {@link #ZERO} is below every real ballot.
 * This {@link #compareTo} is the only ballot order in the project.
 */
public record Ballot(long counter, int nodeId) implements Comparable<Ballot> {
  public static final Ballot ZERO = new Ballot(0, 0);

  public Ballot {
    if (counter < 0) throw new IllegalArgumentException("ballot counter must be >= 0: " + counter);
  }

  @Override
  public int compareTo(Ballot other) {
    int c = Long.compare(counter, other.counter);
    return c != 0 ? c : Integer.compare(nodeId, other.nodeId);
  }

  public boolean isAbove(Ballot other) {
    return compareTo(other) > 0;
  }

  public boolean isBelow(Ballot other) {
    return compareTo(other) < 0;
  }

  /** The ballot this proposer uses right after this one (the 1-RTT "next" ballot). */
  public Ballot successor() {
    return new Ballot(counter + 1, nodeId);
  }

  public static Ballot max(Ballot a, Ballot b) {
    return a.compareTo(b) >= 0 ? a : b;
  }

  @Override
  public String toString() {
    return counter + "." + nodeId;
  }
}
