/**
 * A deterministic simulator over the pure protocol core ({@code io.kshaka.core}): the real {@code Acceptor}
 * transitions and the real {@code Proposer} (rounds, retries and backoff, batching, the 1-RTT cache, exact outcomes,
 * the durable counter floor) for N proposers, M acceptors and K keys, on one thread, under a virtual clock and a
 * seeded {@link java.util.SplittableRandom}. No threads, no sleeps, no wall-clock time: one seed is one run.
 *
 * <h2>What a run does</h2>
 * {@link io.kshaka.sim.Simulation} (see its Javadoc for the phases):
 * <ul>
 *   <li>Network: per-message loss, duplication and delay (so reordering); one-way link cuts and two-way partitions
 *       that come and go. A send with no reply within the send timeout is fed to {@code Proposer.onNoVote}.</li>
 *   <li>Acceptors keep a live and a durable store; writes become durable at group-commit flushes after random
 *       delays, and a reply waits for the flush that covers it. A crash keeps a random prefix of the unflushed log
 *       and loses the rest. At most F acceptors are down at once.</li>
 *   <li>Proposers crash (also right in the middle of sending their accepts) and lose all memory; their clients learn
 *       "unknown". A restarted proposer starts from its durable counter floor ({@code Reserve} is a durable write
 *       with a delay, which may fail, or land without being acknowledged when the node crashes).</li>
 *   <li>Clients issue get, put, cas, delete, add and create with unique values, through the key's home proposer or
 *       another, and give up at a deadline with an unknown outcome; a client with an unknown outcome goes on as a
 *       new client id. The history is what the HTTP layer would report: applied → the result; not applied → left
 *       out; unknown → no return.</li>
 *   <li>After every state change, invariants: an acceptor's promise never decreases (nor across a restart: no
 *       promise a reply has shown is lost), accepted never exceeds promised, a (key, ballot) is used by one round of
 *       one proposer incarnation and carries one value, ever (as sent and as accepted), and nothing is sent at or
 *       above the sender's durable floor. At the end, the history goes to {@code io.kshaka.check.Checker}.</li>
 *   <li>Then every fault heals and every new operation must finish: a concurrent burst, then one operation at a
 *       time per key through its home proposer and through every proposer in turn.</li>
 * </ul>
 *
 * <h2>Tests</h2>
 * <ul>
 *   <li>{@link io.kshaka.sim.SimulationTest}: the CI campaign, 2,000 seeds with 3 and with 5 acceptors.</li>
 *   <li>{@link io.kshaka.sim.OptimisationsTest}: the read optimisation and 1-RTT are exercised and keep the
 *       checker passing; a slice with 1-RTT off.</li>
 *   <li>{@link io.kshaka.sim.FlexibleQuorumsTest}: separate prepare and accept quorums, including the intermediate
 *       step of growing 3 acceptors to 4.</li>
 *   <li>{@link io.kshaka.sim.NegativeControlTest}: every broken {@link io.kshaka.sim.Variant} must be caught within
 *       2,000 seeds.</li>
 *   <li>{@link io.kshaka.sim.DeterminismTest}: a sample of seeds replayed in this JVM and in another one give the
 *       same trace hash.</li>
 *   <li>{@link io.kshaka.sim.StaleOneRttCacheTest}: a finding about the core (a stale 1-RTT cache turns a fault-free
 *       write into UNKNOWN).</li>
 * </ul>
 *
 * <h2>Running</h2>
 * <pre>
 * mvn -B -q test -Dtest='io.kshaka.sim.**'                                        # the suite
 * mvn -B -q test -Dtest='io.kshaka.sim.SimulationTest' -Dkshaka.sim.seed=1234      # one seed, traced
 * mvn -B -q test -Dtest='io.kshaka.sim.SimulationTest' -Dkshaka.sim.seeds=1000000 -Dkshaka.sim.base=5000000
 * </pre>
 * Campaigns print their seed range and totals. A failing seed is rerun with a full trace; the trace, the history
 * (JSON lines, the checker's format), the operations and the checker's report go to {@code target/kshaka-sim/}.
 */
package io.kshaka.sim;
