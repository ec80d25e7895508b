package io.kshaka.cluster;

import io.kshaka.core.Proposer;
import io.kshaka.core.QuorumSpec;
import io.kshaka.core.RequestLog;
import io.kshaka.security.TlsSettings;
import io.kshaka.storage.StoreOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * One node's configuration (README, "Configuration"), read from JSON and validated: a bad field fails fast with an
 * {@link IllegalArgumentException} naming it. {@code acceptors}, {@code prepare} and {@code accept} are the
 * bootstrap configuration (epoch 1) of a brand-new cluster; once the cluster exists its durable configuration
 * ({@code dataDir/cluster.json}, see {@code io.kshaka.membership.Membership}) is the one in force.
 *
 * <pre>
 * { "nodeId": 1, "dataDir": "data/node-1",
 *   "http": { "host": "127.0.0.1", "port": 8081, "maxValueBytes": 1048576 },
 *   "cluster": { "name": "kshaka", "host": "127.0.0.1", "port": 5701, "members": ["127.0.0.1:5701", ...] },
 *   "acceptors": [1, 2, 3],
 *   "prepare": { "nodes": [1,2,3], "quorum": 2 },          (optional; default: majority of acceptors)
 *   "accept":  { "nodes": [1,2,3], "quorum": 2 },          (optional)
 *   "proposer": { "sendTimeoutMs": 500, "requestTimeoutMs": 5000, "backoffMinMs": 1, "backoffMaxMs": 50,
 *                 "batchMax": 256, "counterBlock": 10000 },
 *   "failureDetector": { "pingIntervalMs": 100, "suspectAfterMs": 400, "rejoinAfterMs": 2000 },  (routing only)
 *   "storage": { "snapshotBytes": 67108864 },
 *   "gc": { "intervalMs": 10000, "tombstoneAgeMs": 60000, "batchMax": 5000, "concurrency": 64 },  (see {@link Gc})
 *   "namespace": "kshaka",                                   (optional; event-bus address prefix, {@link Addresses})
 *   "eventLoops": 0 }                                        (optional; 0 = Vert.x default, 2 x cores)
 * </pre>
 */
public record NodeConfig(
    int nodeId,
    String dataDir,
    String httpHost,
    int httpPort,
    int maxValueBytes,
    String clusterName,
    String clusterHost,
    int clusterPort,
    List<String> members,
    List<Integer> acceptors,
    QuorumSpec quorums,
    long sendTimeoutMs,
    long requestTimeoutMs,
    long backoffMinMs,
    long backoffMaxMs,
    int batchMax,
    long counterBlock,
    long snapshotBytes,
    int eventLoops,
    long pingIntervalMs,
    long suspectAfterMs,
    JsonObject json) {

  public static NodeConfig fromJson(JsonObject json) {
    if (json == null) throw new IllegalArgumentException("config: missing");
    int nodeId = positiveInt(json, "nodeId");
    String dataDir = string(json, "dataDir", null);
    JsonObject http = object(json, "http");
    JsonObject cluster = object(json, "cluster");
    List<Integer> acceptors = intList(json, "acceptors");
    if (acceptors.isEmpty()) throw bad("acceptors", "must list at least one node id");
    List<String> members = new ArrayList<>();
    JsonArray m = array(cluster, "cluster.members");
    for (int i = 0; i < m.size(); i++) {
      if (!(m.getValue(i) instanceof String s) || !s.matches("[^:\\s]+:\\d{1,5}")) {
        throw bad("cluster.members[" + i + "]", "must be \"host:port\"");
      }
      members.add(s);
    }
    QuorumSpec quorums;
    try {
      QuorumSpec majority = QuorumSpec.majority(acceptors);
      JsonObject prepare = json.getJsonObject("prepare");
      JsonObject accept = json.getJsonObject("accept");
      quorums = new QuorumSpec(
          prepare == null ? majority.prepareNodes() : Set.copyOf(intList(prepare, "prepare.nodes")),
          prepare == null ? majority.prepareQuorum() : positiveInt(prepare, "prepare.quorum"),
          accept == null ? majority.acceptNodes() : Set.copyOf(intList(accept, "accept.nodes")),
          accept == null ? majority.acceptQuorum() : positiveInt(accept, "accept.quorum"));
    } catch (ClassCastException e) {
      throw bad("prepare/accept", "must be objects {\"nodes\": [...], \"quorum\": n}");
    } catch (IllegalArgumentException e) {
      if (e.getMessage().startsWith("config:")) throw e;
      throw bad("prepare/accept", e.getMessage());
    }
    JsonObject proposer = optionalObject(json, "proposer");
    JsonObject storage = optionalObject(json, "storage");
    long backoffMin = longIn(proposer, "proposer.backoffMinMs", 1, 0, 10_000);
    long backoffMax = longIn(proposer, "proposer.backoffMaxMs", 50, 0, 60_000);
    if (backoffMax < backoffMin) throw bad("proposer.backoffMaxMs", "must be >= proposer.backoffMinMs");
    JsonObject detector = optionalObject(json, "failureDetector");
    long pingInterval = longIn(detector, "failureDetector.pingIntervalMs",
        FailureDetector.Options.DEFAULTS.pingIntervalMs(), 10, 10_000);
    long suspectAfter = longIn(detector, "failureDetector.suspectAfterMs",
        FailureDetector.Options.DEFAULTS.suspectAfterMs(), 20, 60_000);
    if (suspectAfter <= pingInterval) {
      throw bad("failureDetector.suspectAfterMs", "must be greater than failureDetector.pingIntervalMs ("
          + pingInterval + "): a peer is pinged before it is suspected");
    }
    NodeConfig config = new NodeConfig(
        nodeId,
        dataDir == null ? "data/node-" + nodeId : dataDir,
        string(http, "http.host", "127.0.0.1"),
        (int) longIn(http, "http.port", 8080 + nodeId, 0, 65535),
        (int) longIn(http, "http.maxValueBytes", 1 << 20, 1, 64 << 20),
        string(cluster, "cluster.name", "kshaka"),
        string(cluster, "cluster.host", "127.0.0.1"),
        (int) longIn(cluster, "cluster.port", 5700 + nodeId, 0, 65535),
        List.copyOf(members),
        List.copyOf(acceptors),
        quorums,
        longIn(proposer, "proposer.sendTimeoutMs", 500, 1, 600_000),
        longIn(proposer, "proposer.requestTimeoutMs", 5_000, 1, 600_000),
        backoffMin,
        backoffMax,
        (int) longIn(proposer, "proposer.batchMax", 256, 1, 100_000),
        longIn(proposer, "proposer.counterBlock", 10_000, 1, 1L << 40),
        longIn(storage, "storage.snapshotBytes", 64L << 20, 1024, 1L << 40),
        (int) longIn(json, "eventLoops", 0, 0, 1024),
        pingInterval,
        suspectAfter,
        json.copy());
    config.proposerOptions(); // validates the remaining proposer fields
    config.failureDetector(); // and failureDetector.rejoinAfterMs
    config.gc(); // and the garbage collection settings
    config.addresses(); // and the namespace
    config.httpServing(); // and http.enabled
    config.auth(); // and client authentication (auth.*)
    config.bus(); // and cluster.busPort
    io.kshaka.security.ClusterSecret.from(json); // cluster.secretFile: readable, long enough
    config.tls(); // and http.tls, cluster.tls: their files must be there and readable
    return config;
  }

  /** The event-bus addresses of this node's cluster, under its {@code "namespace"} (default {@code kshaka}). */
  public Addresses addresses() {
    return Addresses.from(json);
  }

  /**
   * The proposer's tuning. Beyond the fields above: {@code proposer.oneRtt} (true), {@code proposer.cacheTtlMs}
   * (60,000: how long a 1-RTT cache entry may be used), {@code proposer.requestLogBound} (4: how many request ids
   * each register remembers), and the largest value a change may leave: {@code http.maxValueBytes}.
   */
  public Proposer.Options proposerOptions() {
    JsonObject proposer = optionalObject(json, "proposer");
    Object oneRtt = proposer.getValue("oneRtt");
    if (oneRtt != null && !(oneRtt instanceof Boolean)) throw bad("proposer.oneRtt", "must be true or false");
    return new Proposer.Options(backoffMinMs, backoffMaxMs, requestTimeoutMs, batchMax, counterBlock, 100_000,
        oneRtt == null || (Boolean) oneRtt,
        longIn(proposer, "proposer.cacheTtlMs", 60_000, 0, 3_600_000),
        (int) longIn(proposer, "proposer.requestLogBound", RequestLog.DEFAULT_BOUND, 1, 64),
        // A state bigger than the store's record limit would be refused by every acceptor: never send one.
        Math.min(maxValueBytes, StoreOptions.DEFAULT_MAX_RECORD_BYTES - 8192));
  }

  /** The cluster secret ({@code cluster.secretFile}), read from its file on each call. */
  public io.kshaka.security.ClusterSecret clusterSecret() {
    return io.kshaka.security.ClusterSecret.from(json);
  }

  /** Whether this node binds its own HTTP server ({@code http.enabled}, default true). */
  public HttpServing httpServing() {
    return HttpServing.from(json);
  }

  /** The failure detector's settings ({@code "failureDetector"}); used for routing only. */
  public FailureDetector.Options failureDetector() {
    return new FailureDetector.Options(pingIntervalMs, suspectAfterMs, longIn(optionalObject(json,
        "failureDetector"), "failureDetector.rejoinAfterMs", FailureDetector.Options.DEFAULTS.rejoinAfterMs(), 0,
        600_000));
  }

  /**
   * Garbage collection of tombstones ({@code "gc"}, see {@code io.kshaka.membership.GcJob}).
   *
   * @param intervalMs how often the job looks for work (a batch that fills {@code batchMax} is followed at once by
   *     the next)
   * @param tombstoneAgeMs how long this node must have seen a tombstone before it may be collected; also how far
   *     back a collection's {@code forgottenBefore} fence reaches
   * @param batchMax the most keys in one batch (one fenced epoch)
   * @param concurrency the most touches, peeks or removals in flight at once
   */
  public record Gc(long intervalMs, long tombstoneAgeMs, int batchMax, int concurrency) {}

  /** The garbage collection settings; each field is validated with a message naming it. */
  public Gc gc() {
    JsonObject gc = optionalObject(json, "gc");
    return new Gc(
        longIn(gc, "gc.intervalMs", 10_000, 10, 86_400_000),
        longIn(gc, "gc.tombstoneAgeMs", 60_000, 0, 30L * 86_400_000),
        (int) longIn(gc, "gc.batchMax", 5_000, 1, 1_000_000),
        (int) longIn(gc, "gc.concurrency", 64, 1, 4_096));
  }

  /** Client authentication: bearer tokens and which operational endpoints stay open ({@code "auth"}). */
  public io.kshaka.security.AuthSettings auth() {
    return io.kshaka.security.AuthSettings.from(json);
  }

  /** The event-bus port ({@code cluster.busPort}, 0 = any free port), see {@link BusSettings}. */
  public BusSettings bus() {
    return BusSettings.from(json);
  }

  /** HTTPS ({@code http.tls}) and mutual TLS on the event bus ({@code cluster.tls}); see {@link TlsSettings}. */
  public TlsSettings tls() {
    return TlsSettings.from(json);
  }

  private static IllegalArgumentException bad(String field, String why) {
    return new IllegalArgumentException("config: field '" + field + "' " + why);
  }

  private static String leaf(String path) {
    return path.substring(path.lastIndexOf('.') + 1);
  }

  private static JsonObject object(JsonObject json, String field) {
    Object v = json.getValue(field);
    if (!(v instanceof JsonObject o)) throw bad(field, "must be an object");
    return o;
  }

  private static JsonObject optionalObject(JsonObject json, String field) {
    Object v = json.getValue(field);
    if (v == null) return new JsonObject();
    if (!(v instanceof JsonObject o)) throw bad(field, "must be an object");
    return o;
  }

  private static JsonArray array(JsonObject json, String path) {
    Object v = json.getValue(leaf(path));
    if (!(v instanceof JsonArray a)) throw bad(path, "must be an array");
    return a;
  }

  private static List<Integer> intList(JsonObject json, String path) {
    JsonArray a = array(json, path);
    List<Integer> out = new ArrayList<>();
    Set<Integer> seen = new HashSet<>();
    for (int i = 0; i < a.size(); i++) {
      Object v = a.getValue(i);
      if (!(v instanceof Number n) || n.doubleValue() != n.intValue() || n.intValue() < 1) {
        throw bad(path + "[" + i + "]", "must be a positive integer node id");
      }
      if (!seen.add(n.intValue())) throw bad(path + "[" + i + "]", "repeats node id " + n.intValue());
      out.add(n.intValue());
    }
    return out;
  }

  private static int positiveInt(JsonObject json, String path) {
    Object v = json.getValue(leaf(path));
    if (!(v instanceof Number n) || n.doubleValue() != n.intValue() || n.intValue() < 1) {
      throw bad(path, "must be a positive integer");
    }
    return n.intValue();
  }

  private static String string(JsonObject json, String path, String dflt) {
    Object v = json.getValue(leaf(path));
    if (v == null) {
      if (dflt == null && !path.equals("dataDir")) throw bad(path, "is required");
      return dflt;
    }
    if (!(v instanceof String s) || s.isBlank()) throw bad(path, "must be a non-empty string");
    return s;
  }

  private static long longIn(JsonObject json, String path, long dflt, long min, long max) {
    Object v = json.getValue(leaf(path));
    if (v == null) return dflt;
    if (!(v instanceof Number n) || n.doubleValue() != n.longValue() || n.longValue() < min || n.longValue() > max) {
      throw bad(path, "must be an integer in " + min + ".." + max);
    }
    return n.longValue();
  }
}
