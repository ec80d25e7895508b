package io.kshaka.bench;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.core.json.JsonObject;
import java.util.Base64;

/**
 * Drives the event-bus contract of docs/http.md: a JSON request to {@code kshaka.kv}, a JSON reply, or a
 * {@link ReplyException} whose failure code mirrors the HTTP status (412 conflict, 503, 504, ...).
 */
final class EventBusTarget implements Target {
  /** The default namespace's address; {@code --namespace} picks another. */
  static final String ADDRESS = "kshaka.kv";

  private final Vertx vertx;
  private final EventBus bus;
  private final String address;
  private final DeliveryOptions delivery;

  EventBusTarget(Vertx vertx, long timeoutMs) {
    this(vertx, ADDRESS, timeoutMs);
  }

  EventBusTarget(Vertx vertx, String address, long timeoutMs) {
    this(vertx, address, timeoutMs, null);
  }

  /** @param token the bearer token for nodes with auth.tokensFile, sent as header authorization (null: none) */
  EventBusTarget(Vertx vertx, String address, long timeoutMs, String token) {
    this.vertx = vertx;
    this.address = address;
    this.bus = vertx.eventBus();
    this.delivery = new DeliveryOptions().setSendTimeout(timeoutMs);
    if (token != null) delivery.addHeader("authorization", "Bearer " + token);
  }

  @Override
  public Future<OpOutcome> execute(int client, OpKind op, String key, byte[] value) {
    Future<OpOutcome> outcome;
    switch (op) {
      case GET:
        outcome = request(new JsonObject().put("op", "get").put("key", key)).map(reply -> OpOutcome.OK);
        break;
      case PUT:
        outcome = request(new JsonObject().put("op", "put").put("key", key).put("value", base64(value)))
            .map(reply -> OpOutcome.OK);
        break;
      case CAS:
        outcome = readVersion(key).compose(version -> {
          if (version < 0) return Future.succeededFuture(OpOutcome.BAD_RESPONSE);
          JsonObject cas = new JsonObject().put("op", "cas").put("key", key).put("value", base64(value))
              .put("version", version);
          return request(cas).map(reply -> OpOutcome.OK);
        });
        break;
      case ADD:
        outcome = request(new JsonObject().put("op", "add").put("key", key).put("delta", 1L))
            .map(reply -> OpOutcome.OK);
        break;
      default:
        throw new IllegalStateException("unknown op " + op);
    }
    return outcome.otherwise(failure -> classify(op, failure));
  }

  /**
   * Sends one read of {@code key} and succeeds once something answers, whatever the answer; fails with the
   * failure of the last attempt if every attempt until {@code deadlineNanos} found no handler.
   */
  Future<Void> awaitHandler(String key, long deadlineNanos) {
    return request(new JsonObject().put("op", "get").put("key", key)).<Void>mapEmpty().recover(failure -> {
      boolean noHandler = failure instanceof ReplyException
          && ((ReplyException) failure).failureType() == ReplyFailure.NO_HANDLERS;
      if (failure instanceof ReplyException re && re.failureType() == ReplyFailure.RECIPIENT_FAILURE
          && re.failureCode() == 401) {
        return Future.failedFuture(new BenchFailure("the nodes refused the request (401 unauthorized): give "
            + "--token a valid token"));
      }
      if (!noHandler) return Future.succeededFuture();
      if (System.nanoTime() - deadlineNanos >= 0) return Future.failedFuture(failure);
      return vertx.timer(200).compose(v -> awaitHandler(key, deadlineNanos));
    });
  }

  String address() {
    return address;
  }

  @Override
  public Future<Void> close() {
    return Future.succeededFuture();
  }

  private Future<JsonObject> request(JsonObject body) {
    return bus.<Object>request(address, body, delivery).map(EventBusTarget::json);
  }

  /** The version of {@code key} (0 when never written), -1 when the reply carries none. */
  private Future<Long> readVersion(String key) {
    return request(new JsonObject().put("op", "get").put("key", key))
        .map(reply -> {
          Object v = reply == null ? null : reply.getValue("version");
          return v instanceof Number ? ((Number) v).longValue() : -1L;
        })
        .recover(failure -> {
          // a server may answer an absent key with a 404 failure whose message is the JSON error body
          if (failure instanceof ReplyException && ((ReplyException) failure).failureCode() == 404) {
            JsonObject body = parse(failure.getMessage());
            Object v = body == null ? null : body.getValue("version");
            return Future.succeededFuture(v instanceof Number ? ((Number) v).longValue() : 0L);
          }
          return Future.failedFuture(failure);
        });
  }

  static OpOutcome classify(OpKind op, Throwable failure) {
    if (!(failure instanceof ReplyException)) return OpOutcome.OTHER;
    ReplyException re = (ReplyException) failure;
    ReplyFailure type = re.failureType();
    if (type == ReplyFailure.TIMEOUT) return OpOutcome.TIMEOUT;
    if (type == ReplyFailure.NO_HANDLERS) return OpOutcome.NO_HANDLERS;
    int code = re.failureCode();
    if (code == 412 && op == OpKind.CAS) return OpOutcome.CONFLICT;
    if (code == 404 && op == OpKind.GET) return OpOutcome.OK;
    return OpOutcome.ofStatus(code);
  }

  private static JsonObject json(Message<Object> message) {
    Object body = message.body();
    if (body instanceof JsonObject) return (JsonObject) body;
    if (body instanceof Buffer) return parse(((Buffer) body).toString());
    if (body instanceof String) return parse((String) body);
    return null;
  }

  private static JsonObject parse(String text) {
    if (text == null) return null;
    try {
      return new JsonObject(text);
    } catch (RuntimeException notJson) {
      return null;
    }
  }

  private static String base64(byte[] value) {
    return Base64.getEncoder().encodeToString(value);
  }
}
