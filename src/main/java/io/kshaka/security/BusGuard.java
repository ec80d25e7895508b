package io.kshaka.security;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.core.json.JsonObject;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The event-bus shell of {@link BusAuth}: what every node-to-node sender and consumer calls. A consumer calls
 * {@link #admit} first, before it decodes anything: a request without a valid MAC is failed with 401
 * {@code {"error":"unauthenticated"}} and never reaches the protocol. Its answers go through {@link #reply}, which
 * binds them to the request. A sender calls {@link #request}, which signs the request and checks the reply: a
 * reply without a valid MAC is treated as no reply (the request is sent again, then it fails as a
 * {@link ReplyFailure#TIMEOUT}), and so is a 401 refusal (the peer holds another secret, or none). Every refusal counts in {@code kshaka_auth_refused} (tags
 * {@code address_kind}: acceptor, admin, member, forward; {@code message}: request, reply) and is logged at most
 * once per {@link #LOG_EVERY_NANOS}, without any MAC or secret.
 *
 * <p>{@link #OFF} (no secret configured) sends, admits and replies as plain Vert.x does.
 */
public final class BusGuard {
  private static final Logger log = LoggerFactory.getLogger(BusGuard.class);
  /** The failure code of a refused request. */
  public static final int UNAUTHENTICATED = 401;
  static final long LOG_EVERY_NANOS = 10_000_000_000L;
  /** The most sends of one request while only unauthenticated replies come back. */
  static final int ATTEMPTS = 3;

  /** The kind of address a message went to (the counter's {@code address_kind} tag). */
  public enum Kind {
    /** {@code kshaka.acceptor.<id>}: prepare, accept, ping. */
    ACCEPTOR,
    /** {@code kshaka.acceptor.<id>.admin}: keys, peek, remove. */
    ADMIN,
    /** {@code kshaka.member.<id>}: status, install, adopt, seal. */
    MEMBER,
    /** {@code kshaka.kv.<id>}: client requests forwarded to their home proposer. */
    FORWARD,
    /** {@code kshaka.admin.<id>}: membership admin requests forwarded to a member. */
    CLUSTER_ADMIN;

    final String tag = name().toLowerCase(java.util.Locale.ROOT);
  }

  /** No secret: nothing is signed or checked. */
  public static final BusGuard OFF = new BusGuard(null, new SimpleMeterRegistry());

  private final BusAuth auth;
  private final Map<Kind, Counter> refusedRequests = new java.util.EnumMap<>(Kind.class);
  private final Map<Kind, Counter> refusedReplies = new java.util.EnumMap<>(Kind.class);
  private final AtomicLong lastLog = new AtomicLong(System.nanoTime() - 2 * LOG_EVERY_NANOS);
  private final AtomicLong unlogged = new AtomicLong();

  private BusGuard(BusAuth auth, MeterRegistry registry) {
    this.auth = auth;
    for (Kind k : Kind.values()) {
      refusedRequests.put(k, counter(registry, k, "request"));
      refusedReplies.put(k, counter(registry, k, "reply"));
    }
  }

  /** A guard with this authenticator (null: {@link #OFF}), counting refusals in {@code registry}. */
  public static BusGuard create(BusAuth auth, MeterRegistry registry) {
    return auth == null ? OFF : new BusGuard(auth, registry);
  }

  private static Counter counter(MeterRegistry registry, Kind kind, String message) {
    return Counter.builder("kshaka_auth_refused")
        .description("node-to-node messages refused for a missing or wrong kshaka-mac (cluster secret)")
        .tag("address_kind", kind.tag).tag("message", message).register(registry);
  }

  /** True when messages are signed and checked. */
  public boolean enabled() {
    return auth != null;
  }

  /** How many messages of this kind were refused so far (requests or replies). */
  public long refused(Kind kind, boolean replies) {
    return (long) (replies ? refusedReplies : refusedRequests).get(kind).count();
  }

  /**
   * Sends a signed request and completes with the reply only if it is authenticated. A reply without a valid MAC
   * is no reply: the request goes again (at most {@link #ATTEMPTS} sends in all), because Vert.x hands each send on
   * an address to the next of its handlers, so a rogue handler registered beside the real one would otherwise
   * take every other message (for a proposer, always the same phase of its rounds). When no authenticated reply
   * comes, or the peer refuses the request for its MAC (it holds another secret, or none), the future fails with
   * {@link ReplyFailure#TIMEOUT}: no usable answer, and the request may or may not have been handled.
   */
  public <T> Future<Message<T>> request(Vertx vertx, String address, Object body, DeliveryOptions options,
      Kind kind) {
    if (auth == null) return vertx.eventBus().request(address, body, options);
    String mac = auth.signRequest(address, body);
    DeliveryOptions signed = new DeliveryOptions().setSendTimeout(options.getSendTimeout())
        .setLocalOnly(options.isLocalOnly()).addHeader(BusAuth.HEADER, mac);
    if (options.getCodecName() != null) signed.setCodecName(options.getCodecName());
    if (options.getHeaders() != null) options.getHeaders().forEach(e -> signed.addHeader(e.getKey(), e.getValue()));
    return send(vertx, address, body, signed, mac, kind, ATTEMPTS);
  }

  private <T> Future<Message<T>> send(Vertx vertx, String address, Object body, DeliveryOptions signed, String mac,
      Kind kind, int attempts) {
    return vertx.eventBus().<T>request(address, body, signed).transform(ar -> {
      if (ar.succeeded()) {
        Message<T> reply = ar.result();
        if (auth.verifyReply(mac, reply.body(), reply.headers().get(BusAuth.HEADER))) {
          return Future.succeededFuture(reply);
        }
        refusedReplies.get(kind).increment();
        warn("refused an unauthenticated reply from {} ({}): a handler without the cluster secret answered", address,
            reply.headers().contains(BusAuth.HEADER) ? "wrong kshaka-mac" : "no kshaka-mac");
        if (attempts > 1) return send(vertx, address, body, signed, mac, kind, attempts - 1);
        return Future.failedFuture(new ReplyException(ReplyFailure.TIMEOUT, "unauthenticated reply from " + address
            + " (no valid kshaka-mac): treated as no reply"));
      }
      if (ar.cause() instanceof ReplyException re && re.failureType() == ReplyFailure.RECIPIENT_FAILURE
          && re.failureCode() == UNAUTHENTICATED) {
        warn("{} refused our request as unauthenticated ({}): does every node have the same cluster.secretFile?",
            address, kind.tag);
        return Future.failedFuture(new ReplyException(ReplyFailure.TIMEOUT, address + " refused the request as "
            + "unauthenticated (cluster secrets differ?): treated as no reply"));
      }
      return Future.failedFuture(ar.cause());
    });
  }

  /**
   * True when the message carries a valid MAC for its address and body (or no secret is configured). Otherwise
   * the message is failed with 401, counted and (rate-limited) logged, and the caller must not look at it further.
   */
  public boolean admit(Message<?> message, Kind kind) {
    if (auth == null) return true;
    String mac = message.headers().get(BusAuth.HEADER);
    if (mac != null && auth.verifyRequest(message.address(), message.body(), mac)) return true;
    refusedRequests.get(kind).increment();
    warn("refused an unauthenticated request on {} ({}): the sender does not hold the cluster secret",
        message.address(), mac == null ? "no kshaka-mac" : "wrong kshaka-mac");
    message.fail(UNAUTHENTICATED, new JsonObject().put("error", "unauthenticated").put("message",
        "node-to-node message without a valid " + BusAuth.HEADER + " header (the cluster secret)").encode());
    return false;
  }

  /** Replies, with a MAC bound to the request's when the request carried one. */
  public void reply(Message<?> message, Object body) {
    String requestMac = auth == null ? null : message.headers().get(BusAuth.HEADER);
    if (requestMac == null) {
      message.reply(body);
    } else {
      message.reply(body, new DeliveryOptions().addHeader(BusAuth.HEADER, auth.signReply(requestMac, body)));
    }
  }

  private void warn(String format, Object address, Object why) {
    long now = System.nanoTime();
    long last = lastLog.get();
    if (now - last < LOG_EVERY_NANOS || !lastLog.compareAndSet(last, now)) {
      unlogged.incrementAndGet();
      return;
    }
    long more = unlogged.getAndSet(0);
    log.warn(format + (more > 0 ? " ({} more refusals not logged in the last 10 s)" : ""), address, why, more);
  }
}
