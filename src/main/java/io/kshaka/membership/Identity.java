package io.kshaka.membership;

import io.vertx.core.json.JsonObject;
import java.util.Objects;

/**
 * Who this node's acceptor store is ({@code dataDir/identity.json}): the cluster it belongs to, its node id and
 * incarnation, and whether bootstrap finished ({@code sealed}). A store without one is empty.
 */
public record Identity(String clusterId, int nodeId, long incarnation, boolean sealed) {
  public Identity {
    Objects.requireNonNull(clusterId, "clusterId");
    if (nodeId < 1) throw new IllegalArgumentException("nodeId must be >= 1");
    if (incarnation < 1) throw new IllegalArgumentException("incarnation must be >= 1");
  }

  public Identity withSealed() {
    return new Identity(clusterId, nodeId, incarnation, true);
  }

  public JsonObject toJson() {
    return new JsonObject().put("clusterId", clusterId).put("nodeId", nodeId).put("incarnation", incarnation)
        .put("sealed", sealed);
  }

  /** Reads {@link #toJson}; anything malformed throws {@link IllegalArgumentException}. */
  public static Identity fromJson(JsonObject j) {
    if (j == null) throw new IllegalArgumentException("identity missing");
    if (!(j.getValue("clusterId") instanceof String id)) throw new IllegalArgumentException("clusterId missing");
    if (!(j.getValue("nodeId") instanceof Number node)) throw new IllegalArgumentException("nodeId missing");
    if (!(j.getValue("incarnation") instanceof Number inc)) throw new IllegalArgumentException("incarnation missing");
    if (!(j.getValue("sealed") instanceof Boolean sealed)) throw new IllegalArgumentException("sealed missing");
    return new Identity(id, node.intValue(), inc.longValue(), sealed);
  }
}
