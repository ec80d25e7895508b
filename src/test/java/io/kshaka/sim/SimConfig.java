package io.kshaka.sim;

import io.kshaka.core.QuorumSpec;

/**
 * The shape of a simulation; everything else (keys, clients, fault rates, delays, proposer tuning) is drawn from
 * the seed, so that one seed names one run exactly.
 *
 * @param acceptors M, the number of acceptors (majority quorums; up to F = (M - 1) / 2 down at a time)
 * @param proposers N, the number of proposers (0: drawn from the seed, 2 to 4)
 * @param variant the real system or a broken variant (a negative control)
 * @param oneRtt whether the proposers use the 1-RTT optimisation ({@code Options.withOneRtt})
 * @param faults whether nodes crash, links fail and messages are lost or duplicated before the heal
 * @param quorums the quorums every proposer uses over acceptors 1..M (null: majorities of all M)
 * @param maxOps the scale of a run: it issues between maxOps/2 and 3*maxOps/2 client operations (drawn from the
 *     seed) before the heal; the liveness phase adds its own
 * @param membership whether the run has configuration epochs and an admin actor that changes the acceptor set
 *     (acceptors 1..M start, two spares M+1 and M+2 may join), loses one acceptor's disk and replaces it, and
 *     garbage-collects tombstones (see {@link Simulation}'s "Membership" section)
 */
public record SimConfig(int acceptors, int proposers, Variant variant, boolean oneRtt, boolean faults,
    QuorumSpec quorums, int maxOps, boolean membership) {

  public SimConfig(int acceptors, int proposers, Variant variant, boolean oneRtt, boolean faults, QuorumSpec quorums,
      int maxOps) {
    this(acceptors, proposers, variant, oneRtt, faults, quorums, maxOps, false);
  }

  public static SimConfig of(int acceptors) {
    return new SimConfig(acceptors, 0, Variant.CORRECT, true, true, null, 80);
  }

  /** A membership run starting from acceptors 1..M (majority quorums). */
  public static SimConfig membership(int acceptors) {
    return new SimConfig(acceptors, 0, Variant.CORRECT, true, true, null, 80, true);
  }

  public SimConfig withVariant(Variant v) {
    return new SimConfig(acceptors, proposers, v, oneRtt, faults, quorums, maxOps, membership);
  }

  public SimConfig withOneRtt(boolean on) {
    return new SimConfig(acceptors, proposers, variant, on, faults, quorums, maxOps, membership);
  }

  public SimConfig withQuorums(QuorumSpec q) {
    return new SimConfig(acceptors, proposers, variant, oneRtt, faults, q, maxOps, membership);
  }

  public SimConfig withMaxOps(int n) {
    return new SimConfig(acceptors, proposers, variant, oneRtt, faults, quorums, n, membership);
  }

  @Override
  public String toString() {
    return "M=" + acceptors + (proposers > 0 ? " N=" + proposers : "") + " " + variant + (oneRtt ? "" : " oneRtt=off")
        + (faults ? "" : " no-faults")
        + (quorums == null ? "" : " prepare " + quorums.prepareQuorum() + "/" + quorums.prepareNodes().size()
            + " accept " + quorums.acceptQuorum() + "/" + quorums.acceptNodes().size())
        + " maxOps=" + maxOps + (membership ? " membership" : "");
  }
}
