package io.kshaka.cluster;

import io.kshaka.core.AcceptorReply;
import io.kshaka.core.AcceptorRequest;
import io.kshaka.core.Change;
import io.kshaka.core.ChangeResult;
import io.kshaka.core.Outcome;
import io.kshaka.core.Proposer;
import io.kshaka.core.ProposerEffect;
import io.kshaka.core.ProposerResult;
import io.kshaka.core.RequestId;
import io.kshaka.security.BusGuard;
import io.kshaka.security.Role;
import io.kshaka.security.Tokens;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.VerticleBase;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The proposer role: the I/O shell around the pure {@link Proposer}. It consumes client requests on
 * {@code kshaka.kv.<nodeId>} (executed here), {@code kshaka.kv} (routed to each key's home by {@link KvRouter}) and
 * the local-only {@code kshaka.kv.local} (Java change functions), and carries out the proposer's effects: messages
 * to acceptors with an explicit send timeout (a timeout is no vote), timers, and the durable ballot counter floor.
 * Everything runs on this verticle's event loop; the core is single-threaded.
 */
public final class ProposerVerticle extends VerticleBase {
  private static final Logger log = LoggerFactory.getLogger(ProposerVerticle.class);
  private final NodeConfig config;
  private final Addresses addresses;
  private final long counterFloor;
  private final Function<Long, Future<Void>> storeFloor;
  private final NodeHealth health;
  private final KvService router;
  private final MeterRegistry registry;
  private final List<MessageConsumer<?>> consumers = new ArrayList<>();
  private Proposer proposer;
  /** The client tokens when auth.tokensFile is set (null: kshaka.kv and kshaka.kv.local are open). */
  private Tokens tokens;
  private final io.kshaka.membership.Membership membership;
  /** A refresh of the configuration asked after a StaleEpoch answer is running (one at a time). */
  private boolean refreshing;
  private DeliveryOptions acceptorOptions;
  private final Map<Integer, List<Outgoing>> outbox = new HashMap<>();
  private DistributionSummary batchSizes;
  /** Round trips to each acceptor (kshaka_proposer_acceptor_seconds). */
  private NodeTimers acceptorTimes;
  private DistributionSummary forwardBatchSizes;
  private final Map<Outcome, Counter> outcomes = new EnumMap<>(Outcome.class);
  private final SplittableRandom random = new SplittableRandom();
  /**
   * How recent a break between a router and this node makes its first dispatches count as retries: messages held
   * in a buffer through a partition or a pause arrive in a burst right after it, within this time.
   */
  private long freshWindowMs;
  /** Signs the messages to acceptors and checks their replies; admits only authenticated forwards. */
  private final BusGuard guard;

  /** An acceptor request waiting for the end of the event-loop turn. */
  private record Outgoing(ProposerEffect.Send send, Buffer body) {}

  /**
   * @param counterFloor the ballot counter floor stored by the last run
   * @param storeFloor durably stores a new floor (completes once it is fsynced)
   */
  public ProposerVerticle(NodeConfig config, long counterFloor, Function<Long, Future<Void>> storeFloor,
      NodeHealth health, KvService router, MeterRegistry registry) {
    this(config, counterFloor, storeFloor, health, router, registry, null);
  }

  /**
   * @param membership the node's configuration: the proposer runs under the one in force and takes each newer one
   *     (null: the node JSON's quorums, epoch 0, for tests without membership)
   */
  public ProposerVerticle(NodeConfig config, long counterFloor, Function<Long, Future<Void>> storeFloor,
      NodeHealth health, KvService router, MeterRegistry registry, io.kshaka.membership.Membership membership) {
    this(config, counterFloor, storeFloor, health, router, registry, membership, BusGuard.OFF);
  }

  /** @param guard authenticates node-to-node messages (acceptor requests and replies, forwards to this node) */
  public ProposerVerticle(NodeConfig config, long counterFloor, Function<Long, Future<Void>> storeFloor,
      NodeHealth health, KvService router, MeterRegistry registry, io.kshaka.membership.Membership membership,
      BusGuard guard) {
    this.guard = guard;
    this.membership = membership;
    this.config = config;
    this.addresses = config.addresses();
    this.counterFloor = counterFloor;
    this.storeFloor = storeFloor;
    this.health = health;
    this.router = router;
    this.registry = registry;
  }

  @Override
  public Future<?> start() {
    var auth = config.auth();
    return (auth.enabled() ? Tokens.watch(vertx, auth.tokensFile(), auth.tokensReloadMs(), "event-bus API")
        : Future.<Tokens>succeededFuture(null))
        .compose(t -> {
          tokens = t;
          if (t != null) {
            log.info("node {}: client requests need a bearer token ({} known)", config.nodeId(), t.size());
          }
          return startRole();
        });
  }

  private Future<?> startRole() {
    proposer = new Proposer(config.nodeId(), membership == null ? config.quorums()
        : membership.current().quorums(), config.proposerOptions(), random, counterFloor)
        .wallClock(mono -> System.currentTimeMillis()); // TTLs: this node's wall clock (README, "List and TTL")
    if (membership != null) {
      configure(membership.view());
      membership.onChange(c -> context.runOnContext(v -> configure(membership.view())));
    }
    freshWindowMs = Math.max(1_000, 2 * config.failureDetector().suspectAfterMs());
    acceptorOptions = new DeliveryOptions().setSendTimeout(config.sendTimeoutMs());
    registerMetrics();
    vertx.eventBus().registerCodec(new LocalChangeCodec(addresses.localChangeCodec()));
    consumers.addAll(clusteredConsumers());
    consumers.add(vertx.eventBus().<Change.Custom>localConsumer(addresses.kvLocal(), this::handleLocal));
    List<Future<Void>> ready = new ArrayList<>();
    for (MessageConsumer<?> c : consumers) ready.add(c.completion());
    return Future.all(ready);
  }

  /** Takes the configuration in force (once durable); an older or equal epoch changes nothing. */
  private void configure(io.kshaka.membership.Membership.View view) {
    if (!view.durable()) return;
    io.kshaka.core.ClusterConfig c = view.config();
    if (c.epoch() > proposer.epoch()) {
      proposer.configure(c.epoch(), c.quorums(), c.ballotFloor(), c.forgottenBefore());
      log.debug("node {}: proposer runs under configuration epoch {}", config.nodeId(), c.epoch());
    }
  }

  /** An acceptor answered that our configuration is stale: ask it for its own (one refresh at a time). */
  private void refresh(ProposerEffect.StaleConfig stale) {
    if (membership == null || refreshing) return;
    refreshing = true;
    membership.refreshFrom(stale.from()).onComplete(ar -> context.runOnContext(v -> {
      refreshing = false;
      if (ar.failed()) {
        log.debug("node {}: configuration refresh from node {} failed: {}", config.nodeId(), stale.from(),
            ar.cause().toString());
      }
      configure(membership.view());
    }));
  }

  /** The handlers other nodes reach: {@code kshaka.kv.<nodeId>} and {@code kshaka.kv}. */
  private List<MessageConsumer<?>> clusteredConsumers() {
    return List.of(
        vertx.eventBus().<JsonObject>consumer(addresses.kv(config.nodeId()), this::handleKv),
        vertx.eventBus().<JsonObject>consumer(addresses.kv(), msg -> {
          if (refused(msg, Role.forOp(op(msg)))) return;
          router.execute(msg.body()).onComplete(ar -> reply(msg, ar.succeeded() ? ar.result() : null, ar.cause()));
        }));
  }

  /**
   * With auth on, a client request ({@code kshaka.kv}, {@code kshaka.kv.local}) must carry header
   * {@code authorization: Bearer <token>} with a role that allows {@code needed}; a refused one is failed with 401
   * or 403 and a JSON body as HTTP's, before anything else looks at it.
   */
  private boolean refused(Message<?> msg, Role needed) {
    if (tokens == null) return false;
    if (tokens.check(msg.headers().getAll(Tokens.HEADER), needed) instanceof Tokens.Refused r) {
      msg.fail(r.status(), r.body().encode());
      return true;
    }
    return false;
  }

  private static Object op(Message<?> msg) {
    Object body = msg.body();
    return body instanceof JsonObject o ? o.getValue("op") : null;
  }

  /**
   * Registers the clustered handlers again, for when the cluster lost their entries ({@link RegistrationJanitor}):
   * the new ones first, then the old ones go.
   */
  public void reRegister() {
    context.runOnContext(v -> {
      List<MessageConsumer<?>> old = new ArrayList<>(consumers.subList(0, 2));
      consumers.subList(0, 2).clear();
      consumers.addAll(0, clusteredConsumers());
      old.forEach(MessageConsumer::unregister);
    });
  }

  @Override
  public Future<?> stop() {
    vertx.eventBus().unregisterCodec(addresses.localChangeCodec());
    List<Future<Void>> done = new ArrayList<>();
    for (MessageConsumer<?> c : consumers) done.add(c.unregister());
    return Future.join(done);
  }

  private void handleKv(Message<JsonObject> msg) {
    if (!guard.admit(msg, BusGuard.Kind.FORWARD)) return;
    JsonObject body = msg.body();
    Object op = body.getValue("op");
    if ("list".equals(op)) { // not one key's: the router lists (KeyLister)
      router.execute(body).onComplete(ar -> reply(msg, ar.succeeded() ? ar.result() : null, ar.cause()));
    } else if ("batch".equals(op)) {
      handleBatch(msg);
    } else {
      forwardBatchSizes.record(1);
      handleForward(body).onComplete(ar -> {
        if (ar.succeeded()) {
          guard.reply(msg, ar.result());
        } else {
          reply(msg, null, ar.cause());
        }
      });
    }
  }

  /**
   * A batch of forwarded requests ({@link ForwardBatcher}): each runs as if it came alone; the reply lists their
   * answers in order once all are in.
   */
  private void handleBatch(Message<JsonObject> msg) {
    if (!(msg.body().getValue("requests") instanceof JsonArray requests) || requests.isEmpty()
        || requests.size() > ForwardBatcher.MAX_BATCH) {
      reply(msg, null, Wire.failure(KvError.BAD_REQUEST, "a batch needs an array 'requests' of 1 to "
          + ForwardBatcher.MAX_BATCH + " requests", null));
      return;
    }
    forwardBatchSizes.record(requests.size());
    List<Future<JsonObject>> answers = new ArrayList<>(requests.size());
    for (Object r : requests) {
      answers.add(r instanceof JsonObject request ? handleForward(request)
          : Future.failedFuture(Wire.failure(KvError.BAD_REQUEST, "a batched request is not an object", null)));
    }
    Future.join(answers).onComplete(ignored -> {
      JsonArray replies = new JsonArray();
      for (Future<JsonObject> a : answers) {
        replies.add(a.succeeded() ? ForwardBatcher.answer(a.result(), 0, null)
            : ForwardBatcher.answer(null, failureStatus(a.cause()), failureMessage(a.cause())));
      }
      guard.reply(msg, new JsonObject().put("replies", replies));
    });
  }

  /** One request forwarded from a router (alone or in a batch): its reply body, or a failure as {@link #reply}. */
  private Future<JsonObject> handleForward(JsonObject body) {
    String key;
    Change change;
    RequestId id;
    try {
      key = Wire.key(body);
      change = Wire.change(body, config.maxValueBytes());
      id = Wire.requestId(body);
    } catch (ReplyException e) {
      return Future.failedFuture(e);
    }
    // A request without an id of its own is new: nobody else can hold it. One with an id may be a retry or a
    // takeover, unless the router that made the id says this is its first dispatch, and nothing kept that router
    // and this node apart lately: a message that waited out a partition or a pause of this node in a buffer may
    // have been taken over meanwhile (then this run must look for it like any retry).
    // Only a router this node watches can be judged steady: one it does not watch (a node outside the
    // configuration, which routes only) may have been cut off from here without this node knowing.
    Integer from = Wire.freshFrom(body);
    // A fresh dispatch from another node's router is fresh only for a window after its stamp: that router may take
    // it over afterwards (KvRouter.FRESH_TAKEOVER_MS), and a round here that started later must then look for it.
    long freshUntil = id == null || (from != null && from == config.nodeId()) ? Long.MAX_VALUE
        : from != null && health.watches(from) && health.steady(from, freshWindowMs)
            ? id.stamp() + io.kshaka.core.Proposer.FRESH_MILLIS : Long.MIN_VALUE;
    return submit(key, change, id, freshUntil);
  }

  private void handleLocal(Message<Change.Custom> msg) {
    if (refused(msg, Role.WRITE)) return;
    String key = msg.headers().get("key");
    JsonObject keyOnly = new JsonObject().put("key", key);
    try {
      Wire.key(keyOnly);
    } catch (ReplyException e) {
      msg.fail(e.failureCode(), e.getMessage());
      return;
    }
    submit(key, msg.body(), null, true).onComplete(ar -> reply(msg, ar.succeeded() ? ar.result() : null,
        ar.cause()));
  }

  private static void reply(Message<?> msg, JsonObject result, Throwable failure) {
    if (failure == null) {
      msg.reply(result);
    } else {
      msg.fail(failureStatus(failure), failureMessage(failure));
    }
  }

  /** The failure code a failed request is answered with. */
  private static int failureStatus(Throwable failure) {
    return failure instanceof ReplyException re && re.failureType() == ReplyFailure.RECIPIENT_FAILURE
        ? re.failureCode() : Wire.status(failure);
  }

  /** The failure message (a JSON error body) a failed request is answered with. */
  private static String failureMessage(Throwable failure) {
    return failure instanceof ReplyException re && re.failureType() == ReplyFailure.RECIPIENT_FAILURE
        ? re.getMessage() : Wire.errorBody(failure).encode();
  }

  /**
   * Submits a change from this JVM (the membership rescan, garbage collection) as a fresh request; callable from
   * any thread. The future holds the success reply or fails as {@link KvService}.
   */
  public Future<JsonObject> submitInternal(String key, Change change) {
    Promise<JsonObject> done = Promise.promise();
    context.runOnContext(v -> submit(key, change, null, true).onComplete(done));
    return done.future();
  }

  /** Submits a change to this node's proposer; the future holds the success reply or fails as {@link KvService}. */
  private Future<JsonObject> submit(String key, Change change, RequestId id, boolean fresh) {
    return submit(key, change, id, fresh ? Long.MAX_VALUE : Long.MIN_VALUE);
  }

  /** {@code freshUntil}: see {@link io.kshaka.core.Proposer#submit(long, String, Change, RequestId, long, Object)}. */
  private Future<JsonObject> submit(String key, Change change, RequestId id, long freshUntil) {
    Promise<ProposerResult> promise = Promise.promise();
    if (id == null) id = new RequestId(random.nextLong(), System.currentTimeMillis());
    run(proposer.submit(now(), key, change, id, freshUntil, promise));
    return promise.future().map(ProposerVerticle::toReply);
  }

  /** The one mapping from a proposer result to the client reply or failure. */
  static JsonObject toReply(ProposerResult r) {
    switch (r.outcome()) {
      case NOT_APPLIED:
        throw Wire.failure(KvError.NO_QUORUM, r.reason(), null);
      case UNKNOWN:
        throw Wire.failure(KvError.OUTCOME_UNKNOWN, r.reason(), null);
      default:
        break;
    }
    ChangeResult c = r.result();
    long version = c.state().version();
    switch (c.status()) {
      case VERSION_MISMATCH:
        throw Wire.failure(KvError.VERSION_MISMATCH, "version is " + version, version);
      case NOT_INTEGER:
        throw Wire.failure(KvError.NOT_INTEGER, c.message(), version);
      case REJECTED:
        throw Wire.failure(KvError.CHANGE_REJECTED, "change function failed: " + c.message(), version);
      case TOO_LARGE:
        throw Wire.failure(KvError.VALUE_TOO_LARGE, c.message(), version);
      default:
        return Wire.kvReply(c.state());
    }
  }

  @SuppressWarnings("unchecked")
  private void run(List<ProposerEffect> effects) {
    AcceptorRequest lastRequest = null;
    Buffer lastEncoded = null;
    for (ProposerEffect effect : effects) {
      if (effect instanceof ProposerEffect.Send s) {
        if (s.request() != lastRequest) {
          lastRequest = s.request();
          lastEncoded = Wire.encode(s.request());
        }
        send(s, lastEncoded);
      } else if (effect instanceof ProposerEffect.Complete c) {
        countOutcome(c.result());
        ((Promise<ProposerResult>) c.token()).tryComplete(c.result());
      } else if (effect instanceof ProposerEffect.Wake w) {
        vertx.setTimer(Math.max(1, w.atMillis() - now()), id -> run(proposer.onWake(now(), w.key())));
      } else if (effect instanceof ProposerEffect.StaleConfig stale) {
        refresh(stale);
      } else if (effect instanceof ProposerEffect.Reserve r) {
        // Bounded: a disk that hangs must not hold changes past their deadline (none of them sent an accept).
        storeFloor.apply(r.floor()).timeout(config.requestTimeoutMs(), TimeUnit.MILLISECONDS)
            .onComplete(ar -> run(ar.succeeded()
            ? proposer.onCounterReserved(now(), r.floor())
            : proposer.onCounterReserveFailed(now(), String.valueOf(ar.cause()))));
      }
    }
  }

  /**
   * Queues a request for its acceptor; all requests queued for one acceptor in this event-loop turn leave together
   * as one message at the end of it (a batch under load, a single request when alone).
   */
  private void send(ProposerEffect.Send s, Buffer body) {
    List<Outgoing> queue = outbox.get(s.to());
    if (queue == null) {
      queue = new ArrayList<>();
      outbox.put(s.to(), queue);
      context.runOnContext(v -> flush(s.to()));
    }
    queue.add(new Outgoing(s, body));
  }

  private void flush(int to) {
    List<Outgoing> queue = outbox.remove(to);
    batchSizes.record(queue.size());
    Buffer body;
    if (queue.size() == 1) {
      body = queue.get(0).body();
    } else {
      List<Buffer> parts = new ArrayList<>(queue.size());
      for (Outgoing o : queue) parts.add(o.body());
      body = Wire.batch(parts);
    }
    long sent = System.nanoTime();
    guard.<Buffer>request(vertx, addresses.acceptor(to), body, acceptorOptions, BusGuard.Kind.ACCEPTOR)
        .onComplete(ar -> {
          List<AcceptorReply> replies = null;
          if (ar.succeeded()) {
            acceptorTimes.record(to, System.nanoTime() - sent);
            health.success(to);
            try {
              replies = decodeReplies(ar.result().body(), queue.size());
            } catch (IllegalArgumentException e) {
              log.warn("malformed reply from acceptor {}: {}", to, e.getMessage());
            }
          } else {
            health.failure(to, ar.cause());
          }
          for (int i = 0; i < queue.size(); i++) {
            ProposerEffect.Send s = queue.get(i).send();
            run(replies != null && replies.get(i) != null
                ? proposer.onReply(now(), s.roundId(), to, replies.get(i))
                : proposer.onNoVote(now(), s.roundId(), to));
          }
        });
  }

  /** The replies in order; null where the acceptor refused that request ({@link Wire#refused}: no vote). */
  private static List<AcceptorReply> decodeReplies(Buffer body, int expected) {
    List<Buffer> parts = expected == 1 ? List.of(body) : Wire.unbatch(body);
    if (parts.size() != expected) {
      throw new IllegalArgumentException(parts.size() + " replies to a batch of " + expected);
    }
    List<AcceptorReply> replies = new ArrayList<>(expected);
    for (Buffer part : parts) replies.add(Wire.isRefused(part) ? null : Wire.decodeReply(part));
    return replies;
  }

  private static long now() {
    return System.nanoTime() / 1_000_000;
  }

  private void registerMetrics() {
    Proposer.Stats stats = proposer.stats();
    FunctionCounter.builder("kshaka_proposer_rounds", stats, s -> s.fullRounds).tag("kind", "full")
        .description("Paxos rounds started").register(registry);
    FunctionCounter.builder("kshaka_proposer_rounds", stats, s -> s.fastRounds).tag("kind", "one_rtt")
        .register(registry);
    FunctionCounter.builder("kshaka_proposer_accepts_skipped", stats, s -> s.acceptsSkipped)
        .description("rounds that needed no accept phase (state already chosen)").register(registry);
    FunctionCounter.builder("kshaka_proposer_conflicts", stats, s -> s.conflicts).register(registry);
    FunctionCounter.builder("kshaka_proposer_retries", stats, s -> s.retries).register(registry);
    FunctionCounter.builder("kshaka_proposer_changes", stats, s -> s.changes).register(registry);
    FunctionCounter.builder("kshaka_proposer_duplicates", stats, s -> s.duplicates)
        .description("changes found applied already (retries, takeovers, repeated request ids)").register(registry);
    FunctionCounter.builder("kshaka_proposer_forgotten_unknown", stats, s -> s.forgotten)
        .description("changes answered unknown because the register may have forgotten their request id")
        .register(registry);
    acceptorTimes = new NodeTimers(registry, "kshaka_proposer_acceptor", "acceptor",
        "from sending a message to an acceptor to its reply (the event bus both ways, the acceptor's durable write)");
    batchSizes = DistributionSummary.builder("kshaka_proposer_acceptor_batch")
        .description("acceptor requests per message sent to an acceptor").register(registry);
    forwardBatchSizes = DistributionSummary.builder("kshaka_proposer_forward_batch")
        .description("client requests per message received from a router (this node's own: one each)")
        .register(registry);
  }

  private void countOutcome(ProposerResult r) {
    outcomes.computeIfAbsent(r.outcome(), o -> Counter.builder("kshaka_proposer_outcomes")
        .tag("outcome", o.name().toLowerCase()).register(registry)).increment();
  }
}
