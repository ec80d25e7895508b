package io.kshaka.cluster;

import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;

/**
 * The node's client-facing operations, shared by the HTTP verticle and the {@code kshaka.kv} consumers.
 *
 * <p>{@link #execute} takes a request in the event-bus JSON contract of docs/http.md:
 * {@code {"op":"get|put|cas|create|delete|add","key":"...","value":"<base64>","version":n,"delta":n}}, optionally
 * with {@code "requestId"} (1..128 printable ASCII: the change's idempotency id; a repeat on the same key is applied
 * at most once and gets the first answer while the register remembers the id) and {@code "requestStamp"}
 * (milliseconds when the id was first used, the same on every retry), and completes
 * with the success reply {@code {"version":n, "value":"<base64>"}} ({@code value} only when the register holds one;
 * for {@code add} it is the base64 of the decimal sum). It fails with a
 * {@link io.vertx.core.eventbus.ReplyException} of type {@code RECIPIENT_FAILURE} whose {@code failureCode()} is the
 * HTTP status and whose message is the JSON error body {@code {"error":code,"message":text,"outcome":...,"version":n}}
 * (see {@link Wire#failure}): 400 bad_request, 409 not_integer, 412 version_mismatch (with the current version),
 * 413 value_too_large, 422 change_rejected, 503 no_quorum (outcome not_applied), 504 outcome_unknown (outcome unknown).
 */
public interface KvService {
  Future<JsonObject> execute(JsonObject request);

  /**
   * This node and the acceptor configuration, and which acceptors answer right now:
   * {@code {"nodeId":1,"acceptors":[1,2,3],"prepare":{"nodes":[..],"quorum":2},"accept":{...},
   * "reachable":[1,2],"ready":true}}; {@code ready} = enough acceptors answer for both quorums and this node's
   * acceptor votes. With membership also {@code "clusterId","epoch","incarnations","voting","reason"}, and when not
   * ready {@code "error"}: {@code "not_voting"} (then {@code "problem"} says why) or {@code "no_quorum"}.
   */
  Future<JsonObject> status();

  /**
   * What {@code GET /v1/cluster} shows: {@link #status} and, where the node adds them, the keys and tombstones of
   * each acceptor and the garbage collection's state.
   */
  default Future<JsonObject> clusterStatus() {
    return status();
  }
}
