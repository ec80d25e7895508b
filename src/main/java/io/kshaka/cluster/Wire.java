package io.kshaka.cluster;

import io.kshaka.core.AcceptorReply;
import io.kshaka.core.AcceptorRequest;
import io.kshaka.core.Ballot;
import io.kshaka.core.Change;
import io.kshaka.core.RegisterState;
import io.kshaka.core.RequestId;
import io.kshaka.core.RequestLog;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

/** The only place messages are encoded: client requests and replies (JSON), acceptor messages (binary). */
public final class Wire {
  private Wire() {}

  // ---- client requests (docs/http.md) ----

  public static JsonObject kvRequest(String op, String key, byte[] value, Long version, Long delta) {
    JsonObject o = new JsonObject().put("op", op).put("key", key);
    if (value != null) o.put("value", Base64.getEncoder().encodeToString(value));
    if (version != null) o.put("version", version);
    if (delta != null) o.put("delta", delta);
    return o;
  }

  /** The key of a request, validated by {@link Keys#problem} (as HTTP does); a bad key fails with 400. */
  public static String key(JsonObject request) {
    Object k = request.getValue("key");
    if (!(k instanceof String key)) throw failure(KvError.BAD_REQUEST, "field 'key' must be a string", null);
    String problem = Keys.problem(key);
    if (problem != null) throw failure(KvError.BAD_REQUEST, problem, null);
    return key;
  }

  /** The change a request asks for; malformed requests fail with 400, a value over the limit with 413. */
  public static Change change(JsonObject request, int maxValueBytes) {
    Object op = request.getValue("op");
    if (!(op instanceof String name)) throw failure(KvError.BAD_REQUEST, "field 'op' must be a string", null);
    switch (name) {
      case "get":
        return Change.Read.INSTANCE;
      case "put":
        return new Change.Put(value(request, maxValueBytes), ttlMs(request));
      case "create":
        return new Change.PutIfAbsent(value(request, maxValueBytes), ttlMs(request));
      case "cas":
        return new Change.CompareAndSet(version(request, true), value(request, maxValueBytes), ttlMs(request));
      case "delete":
        return new Change.Delete(version(request, false));
      case "add":
        return new Change.Add(longField(request, "delta", true));
      default:
        throw failure(KvError.BAD_REQUEST, "unknown op '" + name + "' (get, put, cas, create, delete, add, list)",
            null);
    }
  }

  /**
   * The request's idempotency id: {@code requestId} (1..128 printable ASCII) stamped with {@code requestStamp}
   * (milliseconds when first issued, 0 when absent); null when the request has none. Bad fields fail with 400.
   */
  public static RequestId requestId(JsonObject request) {
    Object id = request.getValue("requestId");
    if (id == null) return null;
    if (!(id instanceof String s) || !validRequestId(s)) {
      throw failure(KvError.BAD_REQUEST, "field 'requestId' must be 1..128 printable ASCII characters", null);
    }
    Long stamp = longField(request, "requestStamp", false);
    if (stamp != null && stamp < 0) throw failure(KvError.BAD_REQUEST, "field 'requestStamp' must be >= 0", null);
    return RequestId.of(s, stamp == null ? 0 : stamp);
  }

  /** True for 1..128 printable ASCII characters (0x20..0x7E): a valid request id or Idempotency-Key. */
  public static boolean validRequestId(String id) {
    if (id.isEmpty() || id.length() > 128) return false;
    for (int i = 0; i < id.length(); i++) {
      char c = id.charAt(i);
      if (c < 0x20 || c > 0x7E) return false;
    }
    return true;
  }

  /**
   * The node whose router made this request's id and marks this as its first dispatch ({@code "fresh": true,
   * "from": nodeId}), or null when the request is not marked so.
   */
  public static Integer freshFrom(JsonObject request) {
    return Boolean.TRUE.equals(request.getValue("fresh")) && request.getValue("from") instanceof Integer n ? n : null;
  }

  /** The shortest TTL a write may carry (1 s), in ms. */
  public static final long MIN_TTL_MS = 1_000;
  /** The longest TTL a write may carry (30 days), in ms. */
  public static final long MAX_TTL_MS = 30L * 24 * 3600 * 1000;

  /** The optional {@code ttlMs} of a put, cas or create: 0 when absent; outside 1 s..30 d fails with 400. */
  public static long ttlMs(JsonObject request) {
    Long ttl = longField(request, "ttlMs", false);
    if (ttl == null) return 0;
    if (ttl < MIN_TTL_MS || ttl > MAX_TTL_MS) {
      throw failure(KvError.BAD_REQUEST, "field 'ttlMs' must be " + MIN_TTL_MS + ".." + MAX_TTL_MS + " (1s..30d), got "
          + ttl, null);
    }
    return ttl;
  }

  /**
   * The success reply for the state after a change: {@code version}, {@code value} (base64) when present, and
   * {@code expiresAt} (epoch ms) when the value has a TTL.
   */
  public static JsonObject kvReply(RegisterState state) {
    JsonObject o = new JsonObject().put("version", state.version());
    if (state.present()) o.put("value", Base64.getEncoder().encodeToString(state.value()));
    if (state.present() && state.expiring()) o.put("expiresAt", state.expiresAt());
    return o;
  }

  public static byte[] replyValue(JsonObject reply) {
    String v = reply.getString("value");
    return v == null ? null : Base64.getDecoder().decode(v);
  }

  /** A failure as it travels on the bus: the failure code is the HTTP status, the message the JSON error body. */
  public static ReplyException failure(KvError error, String message, Long version) {
    JsonObject body = new JsonObject().put("error", error.code).put("message", message);
    if (error.outcome != null) body.put("outcome", KvError.outcomeName(error.outcome));
    if (version != null) body.put("version", version);
    return new ReplyException(ReplyFailure.RECIPIENT_FAILURE, error.status, body.encode());
  }

  /**
   * The JSON error body of any failure: ours carry it as their message; transport failures (timeout, no handler)
   * become 503 (the request was never delivered) or 504 (it may have been delivered).
   */
  public static JsonObject errorBody(Throwable t) {
    if (t instanceof ReplyException re && re.failureType() == ReplyFailure.RECIPIENT_FAILURE
        && KvError.byStatus(re.failureCode()) != null) {
      try {
        return new JsonObject(re.getMessage());
      } catch (DecodeException | NullPointerException notJson) {
        return body(KvError.byStatus(re.failureCode()), String.valueOf(re.getMessage()));
      }
    }
    if (t instanceof ReplyException re && re.failureType() == ReplyFailure.NO_HANDLERS) {
      return body(KvError.NO_QUORUM, "no proposer reachable: " + re.getMessage());
    }
    return body(KvError.OUTCOME_UNKNOWN, "request failed: " + t.getMessage());
  }

  /** The HTTP status of any failure (see {@link #errorBody}). */
  public static int status(Throwable t) {
    JsonObject body = errorBody(t);
    for (KvError e : KvError.values()) if (e.code.equals(body.getString("error"))) return e.status;
    return 500;
  }

  private static JsonObject body(KvError error, String message) {
    return new JsonObject(failure(error, message, null).getMessage());
  }

  private static byte[] value(JsonObject request, int maxValueBytes) {
    Object v = request.getValue("value");
    if (!(v instanceof String s)) throw failure(KvError.BAD_REQUEST, "field 'value' must be a base64 string", null);
    byte[] bytes;
    try {
      bytes = Base64.getDecoder().decode(s);
    } catch (IllegalArgumentException e) {
      throw failure(KvError.BAD_REQUEST, "field 'value' is not valid base64", null);
    }
    if (bytes.length > maxValueBytes) {
      throw failure(KvError.VALUE_TOO_LARGE, "value of " + bytes.length + " bytes is over the limit of "
          + maxValueBytes, null);
    }
    return bytes;
  }

  private static Long version(JsonObject request, boolean required) {
    Long v = longField(request, "version", required);
    if (v != null && v < 0) throw failure(KvError.BAD_REQUEST, "field 'version' must be >= 0", null);
    return v;
  }

  private static Long longField(JsonObject request, String field, boolean required) {
    Object v = request.getValue(field);
    if (v == null) {
      if (required) throw failure(KvError.BAD_REQUEST, "field '" + field + "' is required", null);
      return null;
    }
    if (!(v instanceof Number n) || v instanceof Double || v instanceof Float) {
      throw failure(KvError.BAD_REQUEST, "field '" + field + "' must be an integer", null);
    }
    return n.longValue();
  }

  // ---- acceptor messages (binary, big-endian) ----
  // request: type(1) | epoch(8) | key length(4) | key UTF-8 | ballot | [accept: state | has-next(1) | next ballot]
  // reply:   type(1) | [promise: ballot | state] | [conflict: ballot] | [refused: reason UTF-8] | [stale: epoch(8)]
  // ballot = counter(8) | nodeId(4); state = version(8) | value length(4, -1 = absent) | value | request log
  // request log = count(2) | forgotten stamp(8, -1 = none) | count x (hash(8) | stamp(8) | version(8) | sum(8))
  //   count's bit 0x4000 set (EXPIRING): the log is followed by the value's expiry, expiresAt(8) epoch ms

  // batch:   type(1) = BATCH | count(4) | count x (length(4) | one request or reply as above)

  private static final byte PING = 0, PREPARE = 1, ACCEPT = 2;
  private static final byte PONG = 0, PROMISE = 1, ACCEPTED = 2, CONFLICT = 3, REFUSED = 4, STALE_EPOCH = 5;
  private static final byte BATCH = 9;
  /** Flag in a state's request log count: an expiry follows the log. */
  private static final int EXPIRING = 0x4000;
  /** The most messages one batch may carry (a bound for the decoder, far above what a proposer sends). */
  static final int MAX_BATCH = 100_000;

  /** Several encoded requests (or replies) to one acceptor as one message; they are handled in order. */
  public static Buffer batch(List<Buffer> parts) {
    int size = 5;
    for (Buffer p : parts) size += 4 + p.length();
    Buffer b = Buffer.buffer(size).appendByte(BATCH).appendInt(parts.size());
    for (Buffer p : parts) b.appendInt(p.length()).appendBuffer(p);
    return b;
  }

  public static boolean isBatch(Buffer b) {
    return b.length() >= 5 && b.getByte(0) == BATCH;
  }

  /** The parts of a {@link #batch}; a malformed buffer throws {@link IllegalArgumentException}. */
  public static List<Buffer> unbatch(Buffer b) {
    if (!isBatch(b)) throw new IllegalArgumentException("not a batch");
    int count = b.getInt(1);
    if (count < 0 || count > MAX_BATCH) throw new IllegalArgumentException("bad batch size " + count);
    List<Buffer> parts = new ArrayList<>(count);
    int pos = 5;
    try {
      for (int i = 0; i < count; i++) {
        int length = b.getInt(pos);
        if (length < 1 || pos + 4 + length > b.length()) throw new IllegalArgumentException("bad part length " + length);
        parts.add(b.getBuffer(pos + 4, pos + 4 + length));
        pos += 4 + length;
      }
    } catch (IndexOutOfBoundsException e) {
      throw new IllegalArgumentException("truncated batch", e);
    }
    if (pos != b.length()) throw new IllegalArgumentException("trailing bytes after a batch of " + count);
    return parts;
  }

  /** The liveness probe an acceptor answers with {@link #pong()} without touching any state. */
  public static Buffer ping() {
    return Buffer.buffer(1).appendByte(PING);
  }

  public static Buffer pong() {
    return Buffer.buffer(1).appendByte(PONG);
  }

  public static boolean isPing(Buffer b) {
    return b.length() == 1 && b.getByte(0) == PING;
  }

  public static Buffer encode(AcceptorRequest request) {
    byte[] key = request.key().getBytes(StandardCharsets.UTF_8);
    Buffer b = Buffer.buffer(64 + key.length);
    b.appendByte(request instanceof AcceptorRequest.Accept ? ACCEPT : PREPARE).appendLong(request.epoch());
    b.appendInt(key.length).appendBytes(key);
    appendBallot(b, request.ballot());
    if (request instanceof AcceptorRequest.Accept a) {
      appendState(b, a.state());
      b.appendByte((byte) (a.next() == null ? 0 : 1));
      if (a.next() != null) appendBallot(b, a.next());
    }
    return b;
  }

  /** Decodes a request; a malformed buffer throws {@link IllegalArgumentException}. */
  public static AcceptorRequest decodeRequest(Buffer b) {
    try {
      int[] pos = {9};
      byte type = b.getByte(0);
      long epoch = b.getLong(1);
      int keyLength = b.getInt(pos[0]);
      if (keyLength < 1 || keyLength > 512) throw new IllegalArgumentException("bad key length " + keyLength);
      String key = b.getString(pos[0] + 4, pos[0] + 4 + keyLength, "UTF-8");
      pos[0] += 4 + keyLength;
      Ballot ballot = readBallot(b, pos);
      if (type == PREPARE) return new AcceptorRequest.Prepare(key, ballot, epoch);
      if (type != ACCEPT) throw new IllegalArgumentException("unknown request type " + type);
      RegisterState state = readState(b, pos);
      Ballot next = b.getByte(pos[0]++) == 1 ? readBallot(b, pos) : null;
      return new AcceptorRequest.Accept(key, ballot, state, next, epoch);
    } catch (IndexOutOfBoundsException e) {
      throw new IllegalArgumentException("truncated acceptor request", e);
    }
  }

  public static Buffer encode(AcceptorReply reply) {
    if (reply instanceof AcceptorReply.Promise p) {
      Buffer b = Buffer.buffer(32 + (p.state().present() ? p.state().value().length : 0)).appendByte(PROMISE);
      appendBallot(b, p.accepted());
      return appendState(b, p.state());
    }
    if (reply instanceof AcceptorReply.Conflict c) return appendBallot(Buffer.buffer(13).appendByte(CONFLICT), c.higher());
    if (reply instanceof AcceptorReply.StaleEpoch e) return Buffer.buffer(9).appendByte(STALE_EPOCH).appendLong(e.current());
    return Buffer.buffer(1).appendByte(ACCEPTED);
  }

  /**
   * The acceptor's answer to one request it could not handle (its store refused the record, for example for its
   * size): no vote, and nothing changed. The acceptor keeps voting on other requests.
   */
  public static Buffer refused(String reason) {
    return Buffer.buffer().appendByte(REFUSED).appendString(reason, "UTF-8");
  }

  public static boolean isRefused(Buffer b) {
    return b.length() >= 1 && b.getByte(0) == REFUSED;
  }

  /** The reason a {@link #refused} reply carries. */
  public static String refusedReason(Buffer b) {
    return b.getString(1, b.length(), "UTF-8");
  }

  public static AcceptorReply decodeReply(Buffer b) {
    try {
      int[] pos = {1};
      switch (b.getByte(0)) {
        case PROMISE:
          Ballot accepted = readBallot(b, pos);
          return new AcceptorReply.Promise(accepted, readState(b, pos));
        case ACCEPTED:
          return AcceptorReply.Accepted.INSTANCE;
        case CONFLICT:
          return new AcceptorReply.Conflict(readBallot(b, pos));
        case STALE_EPOCH:
          return new AcceptorReply.StaleEpoch(b.getLong(1));
        default:
          throw new IllegalArgumentException("unknown reply type " + b.getByte(0));
      }
    } catch (IndexOutOfBoundsException e) {
      throw new IllegalArgumentException("truncated acceptor reply", e);
    }
  }

  private static Buffer appendBallot(Buffer b, Ballot ballot) {
    return b.appendLong(ballot.counter()).appendInt(ballot.nodeId());
  }

  private static Buffer appendState(Buffer b, RegisterState s) {
    b.appendLong(s.version());
    if (!s.present()) {
      b.appendInt(-1);
    } else {
      b.appendInt(s.value().length).appendBytes(s.value());
    }
    RequestLog log = s.requests();
    boolean expiring = s.present() && s.expiring();
    b.appendShort((short) (log.size() | (expiring ? EXPIRING : 0))).appendLong(log.forgottenStamp());
    for (int i = 0; i < log.size(); i++) {
      RequestLog.Entry e = log.entry(i);
      b.appendLong(e.hash()).appendLong(e.stamp()).appendLong(e.version()).appendLong(e.sum());
    }
    if (expiring) b.appendLong(s.expiresAt());
    return b;
  }

  private static Ballot readBallot(Buffer b, int[] pos) {
    Ballot ballot = new Ballot(b.getLong(pos[0]), b.getInt(pos[0] + 8));
    pos[0] += 12;
    return ballot;
  }

  private static RegisterState readState(Buffer b, int[] pos) {
    long version = b.getLong(pos[0]);
    int length = b.getInt(pos[0] + 8);
    pos[0] += 12;
    byte[] value = null;
    if (length >= 0) {
      value = b.getBytes(pos[0], pos[0] + length);
      pos[0] += length;
    }
    int count = b.getShort(pos[0]);
    boolean expiring = count >= 0 && (count & EXPIRING) != 0;
    if (expiring) count &= ~EXPIRING;
    long forgotten = b.getLong(pos[0] + 2);
    pos[0] += 10;
    if (count < 0 || count > 1024) throw new IllegalArgumentException("bad request log size " + count);
    List<RequestLog.Entry> entries = new ArrayList<>(count);
    for (int i = 0; i < count; i++, pos[0] += 32) {
      entries.add(new RequestLog.Entry(b.getLong(pos[0]), b.getLong(pos[0] + 8), b.getLong(pos[0] + 16),
          b.getLong(pos[0] + 24)));
    }
    long expiresAt = RegisterState.NO_EXPIRY;
    if (expiring) {
      expiresAt = b.getLong(pos[0]);
      pos[0] += 8;
      if (expiresAt <= 0 || value == null) throw new IllegalArgumentException("bad expiry " + expiresAt);
    }
    return new RegisterState(value, version, RequestLog.of(entries, forgotten), expiresAt);
  }

  // ==== acceptor admin (JSON on kshaka.acceptor.<id>.admin, handled by AcceptorAdmin; helper "store") ====
  // {"op":"keys","after":k|null,"limit":1..10000 (default 1000)[,"prefix":p]} -> {"keys":[...],"next":k|null,"total":n,"tombstones":n}
  //     (with "prefix": only the keys that start with it; "next" is null once no more such keys follow)
  // {"op":"peek","keys":[up to 10000],"values":bool} -> {"states":[{"key","promised":{"counter","node"},"accepted":{...},
  //     "version","present"[,"value":base64 when values and present]}]}
  // {"op":"remove","key":k,"ballot":{"counter","node"},"epoch":e} -> {"removed":bool}; 409 stale_epoch if e < node's epoch
  // Bad input fails with 400 {"error":"bad_request","message":...}.

  public static final int ADMIN_DEFAULT_LIMIT = 1000;
  public static final int ADMIN_MAX_KEYS = 10_000;

  /** An admin request, parsed by {@link #adminRequest}. */
  public sealed interface AdminRequest permits AdminKeys, AdminPeek, AdminRemove {}

  public record AdminKeys(String after, int limit, String prefix) implements AdminRequest {
    public AdminKeys(String after, int limit) {
      this(after, limit, "");
    }
  }

  public record AdminPeek(List<String> keys, boolean values) implements AdminRequest {}

  public record AdminRemove(String key, Ballot ballot, long epoch) implements AdminRequest {}

  /** One key's acceptor state as peek reports it ({@code value} null unless asked for and present). */
  public record AdminState(String key, Ballot promised, Ballot accepted, long version, boolean present,
                           byte[] value) {}

  public static JsonObject adminKeys(String after, int limit) {
    return new JsonObject().put("op", "keys").put("after", after).put("limit", limit);
  }

  /** An admin {@code keys} request for the keys starting with {@code prefix}. */
  public static JsonObject adminKeys(String after, int limit, String prefix) {
    return adminKeys(after, limit).put("prefix", prefix);
  }

  public static JsonObject adminPeek(List<String> keys, boolean values) {
    return new JsonObject().put("op", "peek").put("keys", new io.vertx.core.json.JsonArray(new ArrayList<>(keys))).put("values", values);
  }

  public static JsonObject adminRemove(String key, Ballot ballot, long epoch) {
    return new JsonObject().put("op", "remove").put("key", key).put("ballot", ballotJson(ballot)).put("epoch", epoch);
  }

  /** Parses an admin request; anything malformed fails with 400 (a {@link ReplyException} to pass to fail). */
  public static AdminRequest adminRequest(Object body) {
    if (!(body instanceof JsonObject request)) {
      throw failure(KvError.BAD_REQUEST, "the body must be a JSON object", null);
    }
    Object op = request.getValue("op");
    if (!(op instanceof String name)) throw failure(KvError.BAD_REQUEST, "field 'op' must be a string", null);
    switch (name) {
      case "keys": {
        Object after = request.getValue("after");
        if (after != null && !(after instanceof String)) {
          throw failure(KvError.BAD_REQUEST, "field 'after' must be a string or null", null);
        }
        Long limit = longField(request, "limit", false);
        if (limit != null && (limit < 1 || limit > ADMIN_MAX_KEYS)) {
          throw failure(KvError.BAD_REQUEST, "field 'limit' must be 1.." + ADMIN_MAX_KEYS + ", got " + limit, null);
        }
        Object prefix = request.getValue("prefix");
        if (prefix != null && !(prefix instanceof String)) {
          throw failure(KvError.BAD_REQUEST, "field 'prefix' must be a string", null);
        }
        return new AdminKeys((String) after, limit == null ? ADMIN_DEFAULT_LIMIT : limit.intValue(),
            prefix == null ? "" : (String) prefix);
      }
      case "peek": {
        Object keys = request.getValue("keys");
        if (!(keys instanceof io.vertx.core.json.JsonArray array)) {
          throw failure(KvError.BAD_REQUEST, "field 'keys' must be an array of strings", null);
        }
        if (array.size() > ADMIN_MAX_KEYS) {
          throw failure(KvError.BAD_REQUEST, "field 'keys' holds " + array.size() + " keys, at most "
              + ADMIN_MAX_KEYS + " allowed", null);
        }
        List<String> list = new ArrayList<>(array.size());
        for (Object k : array) {
          if (!(k instanceof String key)) throw failure(KvError.BAD_REQUEST, "field 'keys' must hold only strings", null);
          list.add(key);
        }
        Object values = request.getValue("values");
        if (values != null && !(values instanceof Boolean)) {
          throw failure(KvError.BAD_REQUEST, "field 'values' must be a boolean", null);
        }
        return new AdminPeek(List.copyOf(list), Boolean.TRUE.equals(values));
      }
      case "remove": {
        Object key = request.getValue("key");
        if (!(key instanceof String k)) throw failure(KvError.BAD_REQUEST, "field 'key' must be a string", null);
        Object ballot = request.getValue("ballot");
        if (!(ballot instanceof JsonObject b)) {
          throw failure(KvError.BAD_REQUEST, "field 'ballot' must be an object {\"counter\":c,\"node\":n}", null);
        }
        Long epoch = longField(request, "epoch", true);
        if (epoch < 0) throw failure(KvError.BAD_REQUEST, "field 'epoch' must be >= 0", null);
        return new AdminRemove(k, ballotFrom(b), epoch);
      }
      default:
        throw failure(KvError.BAD_REQUEST, "unknown op '" + name + "' (keys, peek, remove)", null);
    }
  }

  public static JsonObject ballotJson(Ballot b) {
    return new JsonObject().put("counter", b.counter()).put("node", b.nodeId());
  }

  /** A ballot {@code {"counter":c,"node":n}}; malformed fails with 400. */
  public static Ballot ballotFrom(JsonObject o) {
    Long counter = longField(o, "counter", true);
    Long node = longField(o, "node", true);
    if (counter < 0) throw failure(KvError.BAD_REQUEST, "ballot 'counter' must be >= 0", null);
    if (node < Integer.MIN_VALUE || node > Integer.MAX_VALUE) {
      throw failure(KvError.BAD_REQUEST, "ballot 'node' must be a 32-bit integer", null);
    }
    return new Ballot(counter, node.intValue());
  }

  public static JsonObject adminKeysReply(List<String> keys, String next, int total, int tombstones) {
    return new JsonObject().put("keys", new io.vertx.core.json.JsonArray(new ArrayList<>(keys))).put("next", next).put("total", total)
        .put("tombstones", tombstones);
  }

  public static JsonObject adminStateJson(String key, io.kshaka.core.AcceptorState s, boolean withValue) {
    JsonObject o = new JsonObject().put("key", key).put("promised", ballotJson(s.promised()))
        .put("accepted", ballotJson(s.accepted())).put("version", s.state().version())
        .put("present", s.state().present());
    if (withValue && s.state().present()) o.put("value", Base64.getEncoder().encodeToString(s.state().value()));
    return o;
  }

  public static JsonObject adminPeekReply(List<JsonObject> states) {
    return new JsonObject().put("states", new io.vertx.core.json.JsonArray(new ArrayList<>(states)));
  }

  /** The states of a peek reply, in the order asked. */
  public static List<AdminState> adminStates(JsonObject reply) {
    List<AdminState> out = new ArrayList<>();
    for (Object o : reply.getJsonArray("states")) {
      JsonObject s = (JsonObject) o;
      String v = s.getString("value");
      out.add(new AdminState(s.getString("key"), ballotFrom(s.getJsonObject("promised")),
          ballotFrom(s.getJsonObject("accepted")), s.getLong("version"), s.getBoolean("present"),
          v == null ? null : Base64.getDecoder().decode(v)));
    }
    return out;
  }

  public static JsonObject adminRemoveReply(boolean removed) {
    return new JsonObject().put("removed", removed);
  }

  /** 409: the remove carries an epoch older than the node's. */
  public static ReplyException adminStaleEpoch(long requestEpoch, long currentEpoch) {
    JsonObject body = new JsonObject().put("error", "stale_epoch")
        .put("message", "epoch " + requestEpoch + " is older than this node's epoch " + currentEpoch)
        .put("epoch", currentEpoch);
    return new ReplyException(ReplyFailure.RECIPIENT_FAILURE, 409, body.encode());
  }

  /** A store error on an admin request: 503 busy (retry later) or 500 store_failed. */
  public static ReplyException adminStoreFailure(boolean busy, String message) {
    JsonObject body = new JsonObject().put("error", busy ? "busy" : "store_failed").put("message", message);
    return new ReplyException(ReplyFailure.RECIPIENT_FAILURE, busy ? 503 : 500, body.encode());
  }

  // =====================================================================================================
  // ---- membership (issue 9): cluster configurations and the kshaka.member.<id> operations (JSON) ----
  // config:  {"clusterId":s,"epoch":n,"prepare":{"nodes":[..],"quorum":n},"accept":{"nodes":[..],"quorum":n},
  //           "incarnations":{"1":n,..},"ballotFloor":n,"forgottenBefore":n}
  // ops:     {"op":"status"} | {"op":"install","config":c} | {"op":"adopt","config":c} | {"op":"seal","clusterId":s}
  // =====================================================================================================

  /** The JSON form of a configuration: {@link io.kshaka.membership.ConfigJson} (the one form, also on disk). */
  public static JsonObject configToJson(io.kshaka.core.ClusterConfig c) {
    return io.kshaka.membership.ConfigJson.toJson(c);
  }

  /** Reads {@link #configToJson}; anything malformed throws {@link IllegalArgumentException} naming the field. */
  public static io.kshaka.core.ClusterConfig configFromJson(JsonObject j) {
    return io.kshaka.membership.ConfigJson.fromJson(j);
  }

  public static JsonObject memberStatus() {
    return new JsonObject().put("op", "status");
  }

  public static JsonObject memberInstall(io.kshaka.core.ClusterConfig c) {
    return new JsonObject().put("op", "install").put("config", configToJson(c));
  }

  public static JsonObject memberAdopt(io.kshaka.core.ClusterConfig c) {
    return new JsonObject().put("op", "adopt").put("config", configToJson(c));
  }

  public static JsonObject memberSeal(String clusterId) {
    return new JsonObject().put("op", "seal").put("clusterId", clusterId);
  }
}
