package io.kshaka.cluster;

import io.kshaka.security.BusGuard;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.IntFunction;
import java.util.function.IntUnaryOperator;

/**
 * Sends requests forwarded to their home proposer ({@code kshaka.kv.<id>}), batching those for one home made in the
 * same event-loop turn into one message: {@code {"op":"batch","requests":[...]}}, answered by
 * {@code {"replies":[...]}} in the same order, each either {@code {"ok":<reply>}} or
 * {@code {"status":<code>,"message":<error body>}} (what a single request's failure carries): one message, one MAC
 * and one TLS record each way for several requests instead of one per request. Batches start only while enough
 * requests are in flight to the home ({@link #MIN_IN_FLIGHT}); a request alone travels alone, in the format it
 * always had.
 *
 * <p>A batch holds at most one request per key: a second request for a key already waiting sends the waiting batch
 * first (so a key's requests leave in order, and one key's queue at its home never holds back the other answers of
 * a batch). Large values travel alone ({@link #MAX_BATCHED_CHARS}), and a batch leaves once it has
 * {@link #MAX_BATCH} requests. The home answers a batch once all its requests are answered; their requests run
 * concurrently there, so a batch takes about as long as its slowest request.
 *
 * <p>The batch as a whole can time out or find no handler: each of its requests then gets that failure, as if it
 * had been sent alone. A home that answers a batch with 400 (a build without batches, during a rolling upgrade) gets
 * its requests again one by one. Thread-safe.
 */
final class ForwardBatcher {
  /** The most requests in one batch. */
  static final int MAX_BATCH = 64;
  /** A request whose value (base64) is longer than this travels alone. */
  static final int MAX_BATCHED_CHARS = 16 * 1024;
  /**
   * Batches start only while at least this many requests are in flight to the home: below that the node is not
   * busy enough for the saved messages to matter, and a batch, answered once its slowest request is, would only
   * add latency (measured: 16 clients on one node, about 5 in flight per home, ran 6-13% slower with batches).
   */
  static final int MIN_IN_FLIGHT = 8;

  private final Vertx vertx;
  private final BusGuard guard;
  private final IntFunction<String> address;
  private final DeliveryOptions options;
  /** How many requests are in flight to a home (this one included). */
  private final IntUnaryOperator inFlight;
  /** The batch waiting to leave, by home node (guarded by this). */
  private final Map<Integer, Batch> waiting = new HashMap<>();

  ForwardBatcher(Vertx vertx, BusGuard guard, IntFunction<String> address, DeliveryOptions options,
      IntUnaryOperator inFlight) {
    this.vertx = vertx;
    this.inFlight = inFlight;
    this.guard = guard;
    this.address = address;
    this.options = options;
  }

  /** Sends {@code request} to node {@code home}'s proposer; the future holds its reply body or failure. */
  Future<JsonObject> send(int home, JsonObject request) {
    Context context = Vertx.currentContext();
    Object value = request.getValue("value");
    if (context == null || (value instanceof String s && s.length() > MAX_BATCHED_CHARS)) {
      return sendAlone(home, request);
    }
    String key = request.getString("key");
    Promise<JsonObject> promise = Promise.promise();
    Batch full = null;
    Batch started = null;
    boolean alone = false;
    synchronized (this) {
      Batch batch = waiting.get(home);
      if (batch == null && inFlight.applyAsInt(home) < MIN_IN_FLIGHT) {
        alone = true;
      } else if (batch != null && (batch.keys.contains(key) || batch.size() >= MAX_BATCH)) {
        full = waiting.remove(home);
        batch = null;
      }
      if (!alone) {
        if (batch == null) {
          batch = started = new Batch();
          waiting.put(home, batch);
        }
        batch.add(key, request, promise);
      }
    }
    if (alone) return sendAlone(home, request);
    if (full != null) dispatch(home, full);
    if (started != null) {
      Batch batch = started;
      context.runOnContext(v -> flush(home, batch));
    }
    return promise.future();
  }

  /** Sends the batch this turn started, unless a later request already sent it. */
  private void flush(int home, Batch batch) {
    synchronized (this) {
      if (waiting.get(home) != batch) return;
      waiting.remove(home);
    }
    dispatch(home, batch);
  }

  private void dispatch(int home, Batch batch) {
    if (batch.size() == 1) {
      sendAlone(home, batch.requests.get(0)).onComplete(batch.promises.get(0));
      return;
    }
    JsonArray requests = new JsonArray(new ArrayList<>(batch.requests));
    JsonObject message = new JsonObject().put("op", "batch").put("requests", requests);
    guard.<JsonObject>request(vertx, address.apply(home), message, options, BusGuard.Kind.FORWARD)
        .onComplete(ar -> {
          if (ar.failed()) {
            if (ar.cause() instanceof ReplyException re && re.failureType() == ReplyFailure.RECIPIENT_FAILURE
                && re.failureCode() == 400) {
              for (int i = 0; i < batch.size(); i++) {
                sendAlone(home, batch.requests.get(i)).onComplete(batch.promises.get(i));
              }
            } else {
              for (Promise<JsonObject> p : batch.promises) p.fail(ar.cause());
            }
            return;
          }
          List<Future<JsonObject>> answers;
          try {
            answers = answers(ar.result().body(), batch.size());
          } catch (IllegalArgumentException malformed) {
            ReplyException unknown = new ReplyException(ReplyFailure.TIMEOUT,
                "malformed reply to a batch from node " + home + ": " + malformed.getMessage());
            for (Promise<JsonObject> p : batch.promises) p.fail(unknown);
            return;
          }
          for (int i = 0; i < batch.size(); i++) answers.get(i).onComplete(batch.promises.get(i));
        });
  }

  private Future<JsonObject> sendAlone(int home, JsonObject request) {
    return guard.<JsonObject>request(vertx, address.apply(home), request, options, BusGuard.Kind.FORWARD)
        .map(Message::body);
  }

  /** The answers of a batch reply, in order; a failed one as the ReplyException a single request would get. */
  static List<Future<JsonObject>> answers(JsonObject reply, int expected) {
    Object replies = reply == null ? null : reply.getValue("replies");
    if (!(replies instanceof JsonArray list) || list.size() != expected) {
      throw new IllegalArgumentException("expected " + expected + " replies");
    }
    List<Future<JsonObject>> answers = new ArrayList<>(expected);
    for (Object o : list) {
      if (!(o instanceof JsonObject item)) throw new IllegalArgumentException("a reply is not an object");
      if (item.getValue("ok") instanceof JsonObject ok) {
        answers.add(Future.succeededFuture(ok));
      } else if (item.getValue("status") instanceof Number status && item.getValue("message") instanceof String m) {
        answers.add(Future.failedFuture(new ReplyException(ReplyFailure.RECIPIENT_FAILURE, status.intValue(), m)));
      } else {
        throw new IllegalArgumentException("a reply has neither 'ok' nor 'status' and 'message'");
      }
    }
    return answers;
  }

  /** One item of a batch reply: the success body, or the status and message a single request's failure has. */
  static JsonObject answer(JsonObject ok, int status, String message) {
    return ok != null ? new JsonObject().put("ok", ok) : new JsonObject().put("status", status).put("message", message);
  }

  private static final class Batch {
    final Set<String> keys = new HashSet<>();
    final List<JsonObject> requests = new ArrayList<>();
    final List<Promise<JsonObject>> promises = new ArrayList<>();

    void add(String key, JsonObject request, Promise<JsonObject> promise) {
      keys.add(key);
      requests.add(request);
      promises.add(promise);
    }

    int size() {
      return requests.size();
    }
  }
}
