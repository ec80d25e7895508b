package io.kshaka.membership;

import io.kshaka.core.ClusterConfig;
import io.kshaka.core.QuorumSpec;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The one JSON form of a {@link ClusterConfig}, used on disk ({@code cluster.json}), on the event bus and in the
 * admin API:
 *
 * <pre>
 * { "clusterId": "…", "epoch": 3,
 *   "prepare": { "nodes": [1,2,3], "quorum": 2 }, "accept": { "nodes": [1,2,3,4], "quorum": 3 },
 *   "incarnations": { "1": 1, "2": 1, "3": 1, "4": 1 }, "ballotFloor": 0, "forgottenBefore": 0 }
 * </pre>
 */
public final class ConfigJson {
  private ConfigJson() {}

  public static JsonObject toJson(ClusterConfig c) {
    JsonObject inc = new JsonObject();
    c.incarnations().forEach((node, i) -> inc.put(String.valueOf(node), i));
    QuorumSpec q = c.quorums();
    return new JsonObject()
        .put("clusterId", c.clusterId())
        .put("epoch", c.epoch())
        .put("prepare", new JsonObject().put("nodes", new JsonArray(q.prepareNodes().stream().toList()))
            .put("quorum", q.prepareQuorum()))
        .put("accept", new JsonObject().put("nodes", new JsonArray(q.acceptNodes().stream().toList()))
            .put("quorum", q.acceptQuorum()))
        .put("incarnations", inc)
        .put("ballotFloor", c.ballotFloor())
        .put("forgottenBefore", c.forgottenBefore());
  }

  /** Parses and validates; anything malformed throws {@link IllegalArgumentException} naming the field. */
  public static ClusterConfig fromJson(JsonObject o) {
    if (o == null) throw new IllegalArgumentException("configuration: missing");
    try {
      JsonObject prepare = o.getJsonObject("prepare");
      JsonObject accept = o.getJsonObject("accept");
      JsonObject inc = o.getJsonObject("incarnations");
      if (prepare == null || accept == null || inc == null) {
        throw new IllegalArgumentException("configuration: 'prepare', 'accept' and 'incarnations' are required");
      }
      QuorumSpec q = new QuorumSpec(nodes(prepare, "prepare"), integer(prepare, "quorum"),
          nodes(accept, "accept"), integer(accept, "quorum"));
      Map<Integer, Long> incarnations = new TreeMap<>();
      for (String node : inc.fieldNames()) incarnations.put(Integer.parseInt(node), inc.getLong(node));
      String id = o.getString("clusterId");
      if (id == null || id.isBlank()) throw new IllegalArgumentException("configuration: 'clusterId' is required");
      Long epoch = o.getLong("epoch");
      if (epoch == null) throw new IllegalArgumentException("configuration: 'epoch' is required");
      return new ClusterConfig(id, epoch, q, incarnations, o.getLong("ballotFloor", 0L),
          o.getLong("forgottenBefore", 0L));
    } catch (ClassCastException | NumberFormatException | NullPointerException e) {
      throw new IllegalArgumentException("configuration: malformed (" + e.getMessage() + ")", e);
    }
  }

  private static Set<Integer> nodes(JsonObject phase, String name) {
    JsonArray a = phase.getJsonArray("nodes");
    if (a == null) throw new IllegalArgumentException("configuration: '" + name + ".nodes' is required");
    Set<Integer> out = new TreeSet<>();
    for (int i = 0; i < a.size(); i++) out.add(a.getInteger(i));
    return out;
  }

  private static int integer(JsonObject o, String field) {
    Integer v = o.getInteger(field);
    if (v == null) throw new IllegalArgumentException("configuration: '" + field + "' is required");
    return v;
  }
}
