package io.kshaka.http;

import io.kshaka.cluster.KvError;
import io.kshaka.cluster.KvService;
import io.kshaka.cluster.Wire;
import io.kshaka.core.Change;
import io.kshaka.core.ChangeResult;
import io.kshaka.core.RegisterState;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * An in-memory {@link KvService} with the node's exact semantics (one register per key, version +1 per applied
 * change, conditions answered 412 with the current version, add refused 409 on a non-integer), decoding requests
 * with {@link Wire} like the proposer does. Failures can be injected for the next requests.
 */
public final class FakeKvService implements KvService {
  public final Map<String, RegisterState> registers = new ConcurrentHashMap<>();
  public final List<JsonObject> requests = new ArrayList<>();
  private final int maxValueBytes;
  private Throwable nextFailure;
  private boolean hangNext;
  private boolean ready = true;
  private Context answerFrom;
  private boolean failStatus;

  public FakeKvService(int maxValueBytes) {
    this.maxValueBytes = maxValueBytes;
  }

  /** The next execute fails with this. */
  public synchronized FakeKvService failNext(Throwable failure) {
    this.nextFailure = failure;
    return this;
  }

  /** The next execute never completes. */
  public synchronized FakeKvService hangNext() {
    this.hangNext = true;
    return this;
  }

  /** Completes every later execute on this context, like a proposer on its own event loop. */
  public synchronized FakeKvService answerFrom(Context context) {
    this.answerFrom = context;
    return this;
  }

  /** status() fails, as when the node cannot tell. */
  public synchronized FakeKvService failStatus(boolean failStatus) {
    this.failStatus = failStatus;
    return this;
  }

  public synchronized FakeKvService ready(boolean ready) {
    this.ready = ready;
    return this;
  }

  public RegisterState state(String key) {
    return registers.getOrDefault(key, RegisterState.EMPTY);
  }

  @Override
  public synchronized Future<JsonObject> execute(JsonObject request) {
    if (answerFrom == null) return apply(request);
    Promise<JsonObject> answer = Promise.promise();
    answerFrom.runOnContext(v -> apply(request).onComplete(answer));
    return answer.future();
  }

  private synchronized Future<JsonObject> apply(JsonObject request) {
    requests.add(request.copy());
    if (hangNext) {
      hangNext = false;
      return Promise.<JsonObject>promise().future();
    }
    if (nextFailure != null) {
      Throwable t = nextFailure;
      nextFailure = null;
      return Future.failedFuture(t);
    }
    try {
      if ("list".equals(request.getValue("op"))) return list(request);
      String key = Wire.key(request);
      Change change = Wire.change(request, maxValueBytes);
      ChangeResult result = change.apply(state(key));
      switch (result.status()) {
        case OK:
          registers.put(key, result.state());
          return Future.succeededFuture(Wire.kvReply(result.state()));
        case VERSION_MISMATCH:
          return Future.failedFuture(Wire.failure(KvError.VERSION_MISMATCH, result.message(),
              result.state().version()));
        case NOT_INTEGER:
          return Future.failedFuture(Wire.failure(KvError.NOT_INTEGER, result.message(), null));
        default:
          return Future.failedFuture(Wire.failure(KvError.CHANGE_REJECTED, result.message(), null));
      }
    } catch (ReplyException e) {
      return Future.failedFuture(e);
    }
  }

  /** The list contract over the registers (at time 0: nothing expires), as the node's KeyLister answers it. */
  private Future<JsonObject> list(JsonObject request) {
    io.kshaka.cluster.KeyLister.Request r = io.kshaka.cluster.KeyLister.request(request);
    java.util.TreeMap<String, RegisterState> sorted = new java.util.TreeMap<>(io.kshaka.storage.AcceptorStore.KEY_ORDER);
    sorted.putAll(registers);
    JsonArray keys = new JsonArray();
    String next = null;
    for (Map.Entry<String, RegisterState> e : sorted.entrySet()) {
      String k = e.getKey();
      if (!k.startsWith(r.prefix()) || !e.getValue().present()) continue;
      if (r.after() != null && io.kshaka.storage.AcceptorStore.KEY_ORDER.compare(k, r.after()) <= 0) continue;
      if (keys.size() == r.limit()) {
        next = keys.getJsonObject(keys.size() - 1).getString("key");
        break;
      }
      JsonObject reply = Wire.kvReply(e.getValue());
      JsonObject entry = new JsonObject().put("key", k).put("version", reply.getLong("version"));
      if (r.values()) entry.put("value", reply.getString("value"));
      if (reply.containsKey("expiresAt")) entry.put("expiresAt", reply.getLong("expiresAt"));
      keys.add(entry);
    }
    return Future.succeededFuture(new JsonObject().put("keys", keys).put("next", next));
  }

  @Override
  public synchronized Future<JsonObject> status() {
    if (failStatus) return Future.failedFuture(new IllegalStateException("status unavailable"));
    return Future.succeededFuture(new JsonObject().put("nodeId", 1).put("acceptors", new JsonArray().add(1))
        .put("reachable", new JsonArray().add(1)).put("ready", ready));
  }

  /** Serves {@code kshaka.kv} the way a node does: execute, then reply or fail with the status and JSON body. */
  public void serve(Message<JsonObject> message) {
    execute(message.body()).onComplete(ar -> {
      if (ar.succeeded()) {
        message.reply(ar.result());
      } else if (ar.cause() instanceof ReplyException) {
        ReplyException e = (ReplyException) ar.cause();
        message.fail(e.failureCode(), e.getMessage());
      } else {
        message.fail(500, String.valueOf(ar.cause().getMessage()));
      }
    });
  }
}
