/**
 * Multi-process fault tests: real node processes ({@code io.kshaka.Main node CONF}) on this machine, faults from a
 * seeded schedule, and the linearizability checker ({@code io.kshaka.check}) on the recorded history.
 *
 * <h2>Tests</h2>
 * <ul>
 *   <li>{@link io.kshaka.faults.FaultTest}: 3 nodes, a concurrent HTTP workload (get, put, put with If-Match,
 *       create, delete, add) from 10 clients spread over all nodes on 5 keys at a time (each key replaced by a fresh
 *       one after 200 operations or 5 of unknown outcome, so that the checker's search stays small), about 4,000
 *       operations in about 60 s, while the {@link io.kshaka.faults.Nemesis} kills (-9) a node, pauses one (SIGSTOP
 *       past failure detection), kills a minority, kills every node, and partitions the network (where network
 *       namespaces work), each kind at least once; then heals, waits for {@code /ready} on every node (30 s at
 *       most), reads every key through every node and checks the history. It runs with TLS and authentication
 *       on (see {@code kshaka.faults.secure}); the membership form runs plain, so CI covers both. Also {@link
 *       io.kshaka.faults.KvHttpTest}: how HTTP answers are read as outcomes.
 *   <li>{@link io.kshaka.faults.DurabilityTest}: 10,000 acknowledged puts survive kill -9 of every node, and then a
 *       torn tail (each node's newest acceptor log segment cut by a few bytes).
 *   <li>{@link io.kshaka.faults.BadInputTest}: malformed and hostile HTTP over raw sockets against a live node.
 *   <li>{@link io.kshaka.faults.MergeRestartTest}: a node paused past failure detection while another is killed
 *       and restarted is merged back by Hazelcast and repairs its event-bus routing in place (no restart, same
 *       process); under a load through every node no request sent once the merge began fails, and then every
 *       request through every node succeeds (regression test of long-form seeds 2001, 2007 and 7003).
 *   <li>{@link io.kshaka.faults.MillionKeysBenchmark} (a measurement, enabled by {@code -Dkshaka.bench=true}): 3
 *       nodes with {@code -Xmx1g} holding 1,000,000 keys each: time to ready and heap in use.
 * </ul>
 *
 * <h2>Running</h2>
 * <pre>
 * mvn -B verify                                    # short form, part of CI
 * mvn -B test -Dtest='io.kshaka.faults.*Test' -Dsurefire.failIfNoSpecifiedTests=false      # only these
 *
 * # long form: 10 runs alternating 3 and 5 nodes, 10,000 operations each (about 3 minutes per run)
 * mvn -B test -Dtest=FaultTest#longFormManyRunsOfThreeAndFiveNodes -Dsurefire.failIfNoSpecifiedTests=false \
 *     -Dkshaka.faults.long=true [-Dkshaka.faults.runs=10] [-Dkshaka.faults.nodes=3,5] [-Dkshaka.faults.ops=10000]
 *
 * # rerun one short-form run, keeping its data directories
 * mvn -B test -Dtest=FaultTest -Dkshaka.faults.seed=SEED -Dkshaka.faults.keep=true
 *
 * # long form with TLS and authentication on
 * mvn -B test -Dtest=FaultTest#longFormManyRunsOfThreeAndFiveNodes -Dsurefire.failIfNoSpecifiedTests=false \
 *     -Dkshaka.faults.long=true -Dkshaka.faults.secure=true
 * </pre>
 *
 * <h2>Properties</h2>
 * <table>
 *   <caption>system properties (pass them to mvn with -D)</caption>
 *   <tr><td>{@code kshaka.faults.seed}</td><td>the seed to rerun (printed by every run and in every failure
 *       message); in the long form, the first run's seed (run i uses seed + i)</td></tr>
 *   <tr><td>{@code kshaka.faults.long}</td><td>{@code true} enables the long form</td></tr>
 *   <tr><td>{@code kshaka.faults.runs}</td><td>long form: number of runs (10)</td></tr>
 *   <tr><td>{@code kshaka.faults.nodes}</td><td>long form: node counts, used in turn (3,5)</td></tr>
 *   <tr><td>{@code kshaka.faults.ops}</td><td>long form: operations per run (10,000): the run goes on after its
 *       fault schedule until its history holds that many</td></tr>
 *   <tr><td>{@code kshaka.faults.duration}</td><td>long form: seconds per run (ops / 80, at least 90)</td></tr>
 *   <tr><td>{@code kshaka.faults.clients}, {@code kshaka.faults.keys},
 *       {@code kshaka.faults.opsPerKey}</td><td>long form: 12 clients on 6 keys at a time, each key replaced by a
 *       fresh one after 250 operations (short form: 10 clients, 5 keys, 200)</td></tr>
 *   <tr><td>{@code kshaka.faults.secure}</td><td>{@code true}: every node with HTTPS ({@code http.tls}), mutual
 *       TLS on the event bus ({@code cluster.tls}), the cluster secret and bearer tokens ({@code auth.tokensFile}),
 *       made per run under {@code security/} (a test CA whose certificates name each node's address); every client
 *       of the harness calls over HTTPS with a write token (admin for the membership API), see {@link
 *       io.kshaka.faults.ClusterSecurity}. {@code false}: all plain. Default: on for the CI short form, off for the
 *       membership and long forms</td></tr>
 *   <tr><td>{@code kshaka.faults.kinds}</td><td>fault kinds, e.g. {@code kill,pause,kill_minority,kill_all,partition}
 *       (all)</td></tr>
 *   <tr><td>{@code kshaka.faults.keep}</td><td>{@code true} keeps the data directories of passing runs</td></tr>
 *   <tr><td>{@code kshaka.faults.jvm}</td><td>JVM options of the node processes (default
 *       {@code -Xms64m -Xmx512m -XX:+UseSerialGC -XX:TieredStopAtLevel=1}, plus run.sh's module flags)</td></tr>
 *   <tr><td>{@code kshaka.durability.keys}</td><td>keys of the durability test (10,000)</td></tr>
 *   <tr><td>{@code kshaka.badinput.connections}</td><td>idle connections of the bad-input test (1,500, fewer if
 *       the file-descriptor limit is lower)</td></tr>
 * </table>
 *
 * <h2>Files</h2>
 * Each run writes under {@code target/faults/<seed>/} ({@code durability-<seed>/}, {@code bad-input-<seed>/}):
 * {@code node-i.json} (configs), {@code node-i.log} (node output across restarts, with a harness line at each start
 * and fault), {@code events.log} (what the harness did, with times on the history's clock), {@code history.jsonl}
 * (the history in the checker's JSON lines; {@code ./run.sh check history.jsonl} checks it again), {@code check.txt}
 * (the checker's report) and {@code summary.txt}. A passing run deletes its data directories; a failing one keeps
 * everything, and its failure message names the seed and the directory.
 *
 * <h2>Partitions</h2>
 * Partitions need network namespaces and iptables (root, iproute2, iptables): each node runs in a namespace of its
 * own ({@code ip netns exec}, which keeps the PID), joined by a bridge; a partition is iptables DROP rules between
 * the chosen nodes, inside their namespaces. Where that is not possible the partition fault is skipped with a
 * message saying why, and the nodes run on 127.0.0.1.
 *
 * <h2>Outcomes</h2>
 * A 2xx, a 404 read, a 412 and a 409 are results; a 503 with {@code "outcome":"not_applied"} and a refused
 * connection are left out of the history (nothing happened); a 504, a timeout and a broken connection are unknown
 * (the change may take effect at any later time, or never), and the client continues as a new client. Any other
 * answer breaks the HTTP contract and fails the run.
 */
package io.kshaka.faults;
