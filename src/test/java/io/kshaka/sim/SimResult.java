package io.kshaka.sim;

import java.util.List;

/**
 * The outcome of one simulated run.
 *
 * @param failure null if the run passed; else what was caught (invariant, linearizability, liveness)
 * @param traceHash the hash of every event of the run: two runs of one seed must agree
 */
public record SimResult(
    long seed,
    SimConfig config,
    String failure,
    long traceHash,
    String parameters,
    Stats stats,
    List<SimOp> history,
    List<String> trace,
    String checkReport) {

  public boolean ok() {
    return failure == null;
  }

  /** Counters of one run. */
  public static final class Stats {
    long events;
    long virtualMillis;
    int ops;
    int applied;
    int notApplied;
    int unknown;
    /** Client writes (not gets). */
    int writes;
    int livenessOps;
    int acceptorCrashes;
    int proposerCrashes;
    int partitions;
    long messages;
    long dropped;
    long duplicated;
    long late;
    long timeouts;
    /** Prepare timeouts fed to a round that had already moved to its accept phase (they count there). */
    long prepareTimeoutsInAcceptPhase;
    /** Applied completions of a round that sent no accept (the state was already chosen). */
    int completedWithoutAccept;
    /** Applied completions of a 1-RTT round (no prepare). */
    int completedWithoutPrepare;
    long checkNanos;
    long maxCheckNanos;
    long maxCheckSeed;
    /** Writes after the heal, one at a time, whose outcome came back UNKNOWN (stale 1-RTT cache). */
    int unknownWithoutFaults;
    /** Operations of the burst after the heal that duelled past their deadline (allowed; see Simulation). */
    int burstDeadlines;
    /** Client operations turned into reads because their key had too many open writes for the checker. */
    int forcedReads;
    /** Rounds that answered two or more changes at once (batching). */
    int batches;
    int floorWrites;
    int floorWriteFailures;
    /** Attempts taken over by another proposer (after a timeout or a crash of the one the client reached). */
    int takeovers;
    /** Idempotent client retries (same request id) after an unknown outcome. */
    int clientRetries;
    /** Operations whose answer came from a takeover or retry, not from the first attempt. */
    int answeredByLaterAttempt;
    /** APPLIED answers of an attempt after the operation already had its answer (compared: exactly once). */
    int lateAnswers;
    /** Changes the cores found applied already (Proposer.Stats.duplicates). */
    long coreDuplicates;
    /** Changes the cores answered UNKNOWN as possibly forgotten (Proposer.Stats.forgotten). */
    long coreForgotten;
    /** Answers that said the register may have forgotten the id (as the attempts' clients saw them). */
    int forgottenAnswers;
    // membership runs
    int adminJobs;
    int membershipSteps;
    int rescans;
    int touches;
    int driverCrashes;
    int wipes;
    int gcBatches;
    int gcKeys;
    int gcRemoved;
    int gcPostponed;
    long staleEpochs;
    long notVoting;
    long refreshes;
    long proposerConfigs;

    public long events() {
      return events;
    }

    public int ops() {
      return ops;
    }

    public int faults() {
      return acceptorCrashes + proposerCrashes + partitions;
    }

    void add(Stats o) {
      events += o.events;
      virtualMillis += o.virtualMillis;
      ops += o.ops;
      applied += o.applied;
      notApplied += o.notApplied;
      unknown += o.unknown;
      writes += o.writes;
      livenessOps += o.livenessOps;
      acceptorCrashes += o.acceptorCrashes;
      proposerCrashes += o.proposerCrashes;
      partitions += o.partitions;
      messages += o.messages;
      dropped += o.dropped;
      duplicated += o.duplicated;
      late += o.late;
      timeouts += o.timeouts;
      prepareTimeoutsInAcceptPhase += o.prepareTimeoutsInAcceptPhase;
      completedWithoutAccept += o.completedWithoutAccept;
      completedWithoutPrepare += o.completedWithoutPrepare;
      checkNanos += o.checkNanos;
      if (o.maxCheckNanos > maxCheckNanos) {
        maxCheckNanos = o.maxCheckNanos;
        maxCheckSeed = o.maxCheckSeed;
      }
      unknownWithoutFaults += o.unknownWithoutFaults;
      forcedReads += o.forcedReads;
      burstDeadlines += o.burstDeadlines;
      batches += o.batches;
      floorWrites += o.floorWrites;
      floorWriteFailures += o.floorWriteFailures;
      takeovers += o.takeovers;
      clientRetries += o.clientRetries;
      answeredByLaterAttempt += o.answeredByLaterAttempt;
      lateAnswers += o.lateAnswers;
      coreDuplicates += o.coreDuplicates;
      coreForgotten += o.coreForgotten;
      forgottenAnswers += o.forgottenAnswers;
      adminJobs += o.adminJobs;
      membershipSteps += o.membershipSteps;
      rescans += o.rescans;
      touches += o.touches;
      driverCrashes += o.driverCrashes;
      wipes += o.wipes;
      gcBatches += o.gcBatches;
      gcKeys += o.gcKeys;
      gcRemoved += o.gcRemoved;
      gcPostponed += o.gcPostponed;
      staleEpochs += o.staleEpochs;
      notVoting += o.notVoting;
      refreshes += o.refreshes;
      proposerConfigs += o.proposerConfigs;
    }

    /** The membership counters (empty when the runs had none). */
    String membership() {
      if (adminJobs == 0) return "";
      return String.format("; membership: %d admin jobs, %d steps installed, %d rescans (%d touches), %d driver "
              + "crashes, %d disks lost, %d GC batches (%d keys collected, %d removals, %d postponed), %d stale "
              + "epochs, %d refreshes, %d proposer configs, %d requests to non-voting acceptors",
          adminJobs, membershipSteps, rescans, touches, driverCrashes, wipes, gcBatches, gcKeys, gcRemoved,
          gcPostponed, staleEpochs, refreshes, proposerConfigs, notVoting);
    }

    @Override
    public String toString() {
      return String.format(
          "%d ops (%d applied, %d not applied, %d unknown (%.1f%% of writes); %d after heal; %d forced reads), "
              + "request ids: %d takeovers, %d client retries, %d answered by a later attempt, %d late answers "
              + "agreed, %d duplicates found, %d forgotten, "
              + "%d faults (%d acceptor crashes, %d proposer crashes, %d partitions), "
              + "%d messages (%d dropped, %d duplicated, %d very late, %d timeouts, %d of them of a prepare in the "
              + "accept phase), "
              + "%d completed without accept, %d without prepare, %d batches, %d floor writes (%d failed), "
              + "%d unknown without faults, %d burst ops past their deadline, %d events, %d virtual ms, check %.1f s (longest %.2f s, seed %d)",
          ops, applied, notApplied, unknown, 100.0 * unknown / Math.max(1, writes), livenessOps, forcedReads,
          takeovers, clientRetries, answeredByLaterAttempt, lateAnswers, coreDuplicates, coreForgotten,
          faults(), acceptorCrashes, proposerCrashes, partitions,
          messages, dropped, duplicated, late, timeouts, prepareTimeoutsInAcceptPhase,
          completedWithoutAccept, completedWithoutPrepare, batches, floorWrites, floorWriteFailures,
          unknownWithoutFaults, burstDeadlines, events, virtualMillis, checkNanos / 1e9, maxCheckNanos / 1e9, maxCheckSeed)
          + membership();
    }
  }
}
