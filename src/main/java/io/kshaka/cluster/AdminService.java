package io.kshaka.cluster;

import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;

/**
 * The node's admin operations (membership), shared by the HTTP verticle and the {@code kshaka.admin} consumers.
 * A request is JSON {@code {"op": "status" | "change" | "add" | "remove" | "replace", "acceptors": [..], "node": n}};
 * the HTTP body forms {@code {"acceptors": [..]}}, {@code {"replace": n}}, {@code {"add": n}}, {@code {"remove": n}}
 * are accepted too. The answer never fails: it carries the HTTP status and the JSON body.
 */
public interface AdminService {
  /** An answer: 200 status, 202 change accepted, 400 bad request, 409 refused, 503 unavailable. */
  record Reply(int status, JsonObject body) {}

  Future<Reply> admin(JsonObject request);
}
