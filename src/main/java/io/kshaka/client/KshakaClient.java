package io.kshaka.client;

import io.kshaka.core.Change;
import io.kshaka.core.Outcome;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.Locale;
import java.util.Objects;

/**
 * A typed API over the event bus for verticles in this JVM or anywhere in the cluster (docs/http.md). Requests
 * go to {@code kshaka.kv} as {@code {"op","key","value":base64,"version","delta"}}; replies are
 * {@code {"version":n,"value":base64?}}. Every method completes with the register after the change, or fails with
 * a {@link KshakaException} whose status, error code and outcome mirror the HTTP API.
 *
 * <p>Every change carries a random {@code requestId}; a change that timed out, was answered 504 outcome_unknown or
 * found no node is sent again with the same id (the bus picks a node each time) until
 * {@link KshakaClientOptions#getDeadlineMs()}; nodes apply one id at most once. Reads are retried the same way.
 *
 * <p>Thread-safe and cheap: it holds no connection; create one per verticle or share it.
 */
public final class KshakaClient {
  /** The default namespace's codec name of change functions ({@link KshakaClientOptions#getLocalChangeCodec()}). */
  public static final String LOCAL_CHANGE_CODEC = KshakaClientOptions.DEFAULT_LOCAL_CHANGE_CODEC;
  /** The header carrying the key of a local change. */
  public static final String KEY_HEADER = "key";
  /** The header that carries {@code Bearer <token>} ({@link KshakaClientOptions#setToken}). */
  public static final String AUTHORIZATION_HEADER = "authorization";

  private final Vertx vertx;
  private final KshakaClientOptions options;
  private final SecureRandom random = new SecureRandom();

  private KshakaClient(Vertx vertx, KshakaClientOptions options) {
    this.vertx = Objects.requireNonNull(vertx, "vertx");
    this.options = new KshakaClientOptions(Objects.requireNonNull(options, "options"));
  }

  /** A client of {@code kshaka.kv} with a 10 s send timeout. */
  public static KshakaClient create(Vertx vertx) {
    return new KshakaClient(vertx, new KshakaClientOptions());
  }

  public static KshakaClient create(Vertx vertx, KshakaClientOptions options) {
    return new KshakaClient(vertx, options);
  }

  // ---------------------------------------------------------------- reads and writes

  /** The register: its value (null when absent) and version. A read is linearizable. */
  public Future<Versioned> get(String key) {
    return send(request("get", key), false);
  }

  /** Writes unconditionally (a value without TTL: any TTL the key had is cleared). */
  public Future<Versioned> put(String key, byte[] value) {
    return send(request("put", key).put("value", base64(value)), true);
  }

  public Future<Versioned> put(String key, String value) {
    return put(key, utf8(value));
  }

  /**
   * Writes unconditionally a value that expires {@code ttlMs} (1 s..30 days) after the node applies it; from then
   * on it reads as absent, and garbage collection removes it.
   */
  public Future<Versioned> put(String key, byte[] value, long ttlMs) {
    return send(request("put", key).put("value", base64(value)).put("ttlMs", ttlMs), true);
  }

  public Future<Versioned> put(String key, String value, long ttlMs) {
    return put(key, utf8(value), ttlMs);
  }

  /**
   * Writes only if the register is at {@code expectedVersion} and not expired; else fails with 412 carrying the
   * current version.
   */
  public Future<Versioned> compareAndSet(String key, long expectedVersion, byte[] value) {
    return send(request("cas", key).put("value", base64(value)).put("version", expectedVersion), true);
  }

  public Future<Versioned> compareAndSet(String key, long expectedVersion, String value) {
    return compareAndSet(key, expectedVersion, utf8(value));
  }

  /**
   * {@link #compareAndSet(String, long, byte[])} with a TTL: the new value expires {@code ttlMs} after the node
   * applies it. Writing the same value back refreshes a lease; it fails with 412 once the key has expired.
   */
  public Future<Versioned> compareAndSet(String key, long expectedVersion, byte[] value, long ttlMs) {
    return send(request("cas", key).put("value", base64(value)).put("version", expectedVersion)
        .put("ttlMs", ttlMs), true);
  }

  public Future<Versioned> compareAndSet(String key, long expectedVersion, String value, long ttlMs) {
    return compareAndSet(key, expectedVersion, utf8(value), ttlMs);
  }

  /** Writes only if the register is absent (never written, deleted, or expired); else fails with 412. */
  public Future<Versioned> putIfAbsent(String key, byte[] value) {
    return send(request("create", key).put("value", base64(value)), true);
  }

  public Future<Versioned> putIfAbsent(String key, String value) {
    return putIfAbsent(key, utf8(value));
  }

  /** {@link #putIfAbsent(String, byte[])} with a TTL: a lease, taken by one caller until it expires. */
  public Future<Versioned> putIfAbsent(String key, byte[] value, long ttlMs) {
    return send(request("create", key).put("value", base64(value)).put("ttlMs", ttlMs), true);
  }

  public Future<Versioned> putIfAbsent(String key, String value, long ttlMs) {
    return putIfAbsent(key, utf8(value), ttlMs);
  }

  /**
   * One page of the keys that start with {@code prefix} ("" = all) and come after {@code after} (null = from the
   * first), at most {@code limit} (1..1000), with their values when {@code values}. Tombstones and expired keys are
   * not listed. Each entry is what a linearizable read of its key answered during the call; the page is not a
   * snapshot. Pass {@link KeyPage#next()} as {@code after} for the next page.
   */
  public Future<KeyPage> list(String prefix, String after, int limit, boolean values) {
    JsonObject request = new JsonObject().put("op", "list").put("prefix", prefix == null ? "" : prefix)
        .put("after", after).put("limit", limit).put("values", values);
    return attempt(request, KshakaClient::keyPage, System.nanoTime(), 1, false);
  }

  /** Deletes, leaving an absent register one version higher (deleting an absent register changes nothing). */
  public Future<Versioned> delete(String key) {
    return send(request("delete", key), true);
  }

  /** Deletes only if the register is at {@code expectedVersion}; else fails with 412. */
  public Future<Versioned> delete(String key, long expectedVersion) {
    return send(request("delete", key).put("version", expectedVersion), true);
  }

  /**
   * Adds {@code delta} to the register read as a decimal long (absent counts as 0); the result holds the sum
   * ({@link Versioned#asLong()}). A value that is not a decimal long fails with 409 not_integer.
   */
  public Future<Versioned> add(String key, long delta) {
    return send(request("add", key).put("delta", delta), true);
  }

  /**
   * The states of {@code key} from now on: first its current state if its version is above {@code fromVersion},
   * then each new one, in version order, each once. Every state delivered is at least as new as any change
   * acknowledged before it was asked for. After a node fails the stream goes on through another node from the last
   * version delivered, so it may skip versions, never repeat them. The stream starts when a handler is set; close
   * it with {@link WatchStream#close}.
   */
  public WatchStream watch(String key, long fromVersion) {
    Objects.requireNonNull(key, "key");
    if (fromVersion < 0) throw new IllegalArgumentException("fromVersion must be >= 0");
    return new WatchStream(vertx, fromVersion, after -> {
      long waitMs = options.getWatchWaitMs();
      JsonObject request = request("watch", key).put("version", after).put("waitMs", waitMs);
      long timeoutMs = waitMs + options.getSendTimeoutMs();
      return vertx.eventBus().<Object>request(options.getAddress(), request,
              authorize(new DeliveryOptions().setSendTimeout(timeoutMs)))
          .map(KshakaClient::versioned)
          .recover(t -> Future.failedFuture(failure(t, timeoutMs)));
    });
  }

  /**
   * Applies {@code fn} to the register on a node running in this JVM: {@code fn} gets the current value (null when
   * absent) and returns the next one (null to delete). It must be side-effect free: it may run more than once. A
   * function that throws changes nothing and fails the call with 422 change_rejected. Functions never cross the
   * network; with no node in this JVM the call fails with 503 saying so.
   */
  public Future<Versioned> change(String key, Change.ChangeFunction fn) {
    Objects.requireNonNull(key, "key");
    Objects.requireNonNull(fn, "fn");
    DeliveryOptions delivery = new DeliveryOptions()
        .setLocalOnly(true)
        .setCodecName(options.getLocalChangeCodec())
        .addHeader(KEY_HEADER, key)
        .setSendTimeout(options.getSendTimeoutMs());
    authorize(delivery);
    Future<Message<Object>> reply;
    try {
      reply = vertx.eventBus().request(options.getLocalChangeAddress(), new Change.Custom(fn), delivery);
    } catch (IllegalArgumentException e) { // no such codec: no node registered it in this JVM
      return Future.failedFuture(noLocalNode());
    }
    return reply.map(KshakaClient::versioned).recover(t -> {
      boolean noNode = t instanceof IllegalArgumentException
          || (t instanceof ReplyException e && e.failureType() == ReplyFailure.NO_HANDLERS);
      return Future.failedFuture(noNode ? noLocalNode() : failure(t));
    });
  }

  /** Adds {@code authorization: Bearer <token>} when the options carry a token. */
  private DeliveryOptions authorize(DeliveryOptions delivery) {
    String token = options.getToken();
    return token == null ? delivery : delivery.addHeader(AUTHORIZATION_HEADER, "Bearer " + token);
  }

  // ---------------------------------------------------------------- encoding

  private static JsonObject request(String op, String key) {
    return new JsonObject().put("op", op).put("key", Objects.requireNonNull(key, "key"));
  }

  private static String base64(byte[] value) {
    return Base64.getEncoder().encodeToString(Objects.requireNonNull(value, "value (use delete to remove)"));
  }

  private static byte[] utf8(String value) {
    return Objects.requireNonNull(value, "value (use delete to remove)").getBytes(StandardCharsets.UTF_8);
  }

  /**
   * Sends a request, and again (to {@code kshaka.kv}, which the bus spreads over the nodes) after a timeout, a 504
   * outcome_unknown or no handler, until the options' deadline. A change carries one {@code requestId} and
   * {@code requestStamp} (the first attempt's time) on every attempt, so a node that finds the change already
   * applied answers with its result instead of applying it twice.
   */
  private Future<Versioned> send(JsonObject request, boolean change) {
    long startNanos = System.nanoTime();
    // "first": no attempt of this id was sent before, so the node may treat it as new (no search for an earlier
    // application, 1-RTT allowed); every retry goes without it.
    if (change) {
      request.put("requestId", newRequestId()).put("requestStamp", System.currentTimeMillis()).put("first", true);
    }
    return attempt(request, KshakaClient::versioned, startNanos, 1, false);
  }

  private <T> Future<T> attempt(JsonObject request, java.util.function.Function<Message<Object>, T> decode,
      long startNanos, int attempt, boolean maybeApplied) {
    long remaining = options.getDeadlineMs() - elapsedMs(startNanos);
    long timeout = Math.max(1, Math.min(options.getSendTimeoutMs(), remaining));
    DeliveryOptions delivery = authorize(new DeliveryOptions().setSendTimeout(timeout));
    JsonObject body = request;
    if (attempt > 1 && request.containsKey("first")) {
      body = request.copy();
      body.remove("first");
    }
    return vertx.eventBus().<Object>request(options.getAddress(), body, delivery)
        .map(decode)
        .recover(t -> {
          KshakaException e = failure(t, timeout);
          boolean unknown = maybeApplied || e.outcome() == Outcome.UNKNOWN;
          long backoff = retryDelay(t, e, attempt);
          if (backoff < 0 || elapsedMs(startNanos) + backoff >= options.getDeadlineMs()) {
            return Future.failedFuture(finalFailure(e, attempt, startNanos, maybeApplied));
          }
          if (backoff == 0) return attempt(request, decode, startNanos, attempt + 1, unknown);
          Promise<T> next = Promise.promise();
          vertx.setTimer(backoff, id -> attempt(request, decode, startNanos, attempt + 1, unknown).onComplete(next));
          return next.future();
        });
  }

  /** How long to wait before the next attempt, or -1 when the failure is an answer (not worth another try). */
  private static long retryDelay(Throwable t, KshakaException e, int attempt) {
    long exp = 1L << Math.min(attempt - 1, 10);
    if (t instanceof ReplyException re && re.failureType() == ReplyFailure.NO_HANDLERS) {
      return Math.min(1_000, 50 * exp); // no node is registered: wait for one to (re)appear
    }
    if (t instanceof ReplyException re && re.failureType() == ReplyFailure.TIMEOUT) return 0;
    if (e.status() == 504 && "outcome_unknown".equals(e.error())) return Math.min(500, 10 * exp);
    return -1;
  }

  /**
   * The failure to report after the last attempt: that attempt's, except that a change one of whose earlier
   * attempts may have applied cannot be reported "not applied", nor refused (a failed condition: the earlier
   * attempt, still running somewhere, may have seen a state where it holds).
   */
  private static KshakaException finalFailure(KshakaException last, int attempts, long startNanos,
      boolean maybeApplied) {
    String tried = attempts == 1 ? "" : " (" + attempts + " attempts in " + elapsedMs(startNanos) + " ms)";
    boolean refused = last.status() == 409 || last.status() == 412 || last.status() == 422;
    if (maybeApplied && (last.outcome() == Outcome.NOT_APPLIED || refused)) {
      return new KshakaException(504, "outcome_unknown", Outcome.UNKNOWN, null, "an earlier attempt's outcome is "
          + "unknown; the last one failed: " + last.getMessage() + tried);
    }
    if (tried.isEmpty()) return last;
    return new KshakaException(last.status(), last.error(), last.outcome(),
        last.version().isPresent() ? last.version().getAsLong() : null, last.getMessage() + tried);
  }

  private static long elapsedMs(long startNanos) {
    return (System.nanoTime() - startNanos) / 1_000_000;
  }

  /** A random 128-bit id in hex, prefixed "c-". */
  private String newRequestId() {
    byte[] bytes = new byte[16];
    random.nextBytes(bytes);
    StringBuilder id = new StringBuilder(34).append("c-");
    for (byte b : bytes) id.append(Character.forDigit((b >> 4) & 0xf, 16)).append(Character.forDigit(b & 0xf, 16));
    return id.toString();
  }

  private static Versioned versioned(Message<Object> message) {
    JsonObject reply = json(message.body());
    if (reply == null || !(reply.getValue("version") instanceof Number)) {
      throw new KshakaException(500, "bad_reply", Outcome.UNKNOWN, null,
          "the node's reply is not {\"version\":n,\"value\":base64?}: " + message.body());
    }
    String value = reply.getString("value");
    try {
      return new Versioned(value == null ? null : Base64.getDecoder().decode(value), reply.getLong("version"),
          value != null && reply.getValue("expiresAt") instanceof Number n ? n.longValue() : 0);
    } catch (IllegalArgumentException e) {
      throw new KshakaException(500, "bad_reply", Outcome.UNKNOWN, null, "the node's reply has a value that is "
          + "not base64");
    }
  }

  private static KeyPage keyPage(Message<Object> message) {
    JsonObject reply = json(message.body());
    if (reply == null || !(reply.getValue("keys") instanceof io.vertx.core.json.JsonArray keys)) {
      throw new KshakaException(500, "bad_reply", Outcome.UNKNOWN, null,
          "the node's reply is not {\"keys\":[...],\"next\":k}: " + message.body());
    }
    java.util.List<KeyPage.Entry> entries = new java.util.ArrayList<>(keys.size());
    try {
      for (int i = 0; i < keys.size(); i++) {
        JsonObject e = keys.getJsonObject(i);
        String value = e.getString("value");
        entries.add(new KeyPage.Entry(e.getString("key"), e.getLong("version"),
            value == null ? null : Base64.getDecoder().decode(value), e.getLong("expiresAt", 0L)));
      }
    } catch (RuntimeException e) {
      throw new KshakaException(500, "bad_reply", Outcome.UNKNOWN, null, "the node's list reply is malformed: " + e);
    }
    return new KeyPage(entries, reply.getString("next"));
  }

  private static JsonObject json(Object body) {
    try {
      if (body instanceof JsonObject o) return o;
      if (body instanceof String s) return new JsonObject(s);
      if (body instanceof Buffer b) return new JsonObject(b);
    } catch (DecodeException e) {
      return null;
    }
    return null;
  }

  // ---------------------------------------------------------------- failures

  /** Maps any failure of a request to a {@link KshakaException}. */
  private KshakaException failure(Throwable t) {
    return failure(t, options.getSendTimeoutMs());
  }

  private KshakaException failure(Throwable t, long timeoutMs) {
    if (t instanceof KshakaException k) return k;
    if (!(t instanceof ReplyException e)) {
      return new KshakaException(504, "outcome_unknown", Outcome.UNKNOWN, null,
          "request failed: " + t.getMessage());
    }
    switch (e.failureType()) {
      case TIMEOUT:
        return new KshakaException(504, "outcome_unknown", Outcome.UNKNOWN, null,
            "no reply within " + timeoutMs + " ms: the change may or may not take effect");
      case NO_HANDLERS:
        return new KshakaException(503, "unreachable", Outcome.NOT_APPLIED, null,
            "no Kshaka node is reachable on the event bus (nothing consumes '" + options.getAddress()
                + "'): the request was not delivered");
      case RECIPIENT_FAILURE:
        return recipientFailure(e);
      default:
        return new KshakaException(504, "outcome_unknown", Outcome.UNKNOWN, null,
            "event bus error: " + e.getMessage());
    }
  }

  /** A failure sent by the node: the failure code is the status, the message the JSON error body. */
  private static KshakaException recipientFailure(ReplyException e) {
    int status = e.failureCode();
    JsonObject body = e.getMessage() == null ? null : json(e.getMessage());
    if (body == null || body.getString("error") == null) {
      // not one of ours: a handler that failed some other way; a 4xx still means it was refused
      Outcome outcome = status >= 400 && status < 500 ? null : Outcome.UNKNOWN;
      return new KshakaException(status >= 400 && status < 600 ? status : 500, "failed", outcome, null,
          String.valueOf(e.getMessage()));
    }
    Long version = body.getValue("version") instanceof Number n ? n.longValue() : null;
    return new KshakaException(status, body.getString("error"), outcome(body.getString("outcome")), version,
        body.getString("message"));
  }

  private static Outcome outcome(String name) {
    if (name == null) return null;
    try {
      return Outcome.valueOf(name.toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      return Outcome.UNKNOWN;
    }
  }

  private KshakaException noLocalNode() {
    return new KshakaException(503, "no_local_node", Outcome.NOT_APPLIED, null,
        "change() runs its function on a Kshaka node in this JVM, and none runs here (nothing consumes '"
            + options.getLocalChangeAddress() + "' with codec '" + options.getLocalChangeCodec() + "')");
  }
}
