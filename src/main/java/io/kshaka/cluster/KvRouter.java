package io.kshaka.cluster;

import io.kshaka.security.BusGuard;
import io.kshaka.core.Proposer;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.AsyncResult;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The node's {@link KvService}: sends each request to the key's home proposer (a stable hash of the key over the
 * configured nodes, so its 1-RTT cache is hit), or to this node's proposer while the home is suspect
 * ({@link FailureDetector}); when the home answers again its keys go back to it.
 *
 * <p>While a home is suspect its keys go to a stand-in ({@link #route}), the same on every node that agrees on
 * who is suspect. No request waits for a dead home (or stand-in). A change forwarded without a {@code "requestId"} gets one here (with
 * {@code "requestStamp"} = now and {@code "fresh": true} for that first dispatch only; contract-requestid). While a
 * forwarded request is in flight, if its home becomes suspect, or the forward finds no handler or times out, the
 * SAME request (same id and stamp, without {@code "fresh"}) is taken over by this node's proposer, which fences
 * the home's ballots with a full round and applies the change at most once. A home that answers 504
 * outcome_unknown early enough ({@code elapsed < requestTimeoutMs / 2}) gets the same request once more instead
 * (one proposer per key: a takeover there would start a duel that keeps the home in doubt, as measured). The first answer wins; after a takeover only a success
 * from the home still counts (its failures are superseded by the takeover's answer). Thread-safe: used from the
 * HTTP verticle, the {@code kshaka.kv} consumer and the detector's listener.
 */
public final class KvRouter implements KvService {
  private static final Logger log = LoggerFactory.getLogger(KvRouter.class);
  /** The prefix of request ids this router makes up for changes that came without one. */
  public static final String GENERATED_ID_PREFIX = "k-";
  /**
   * How long after a fresh dispatch's stamp a router may take it over: the home's fresh window
   * ({@link Proposer#FRESH_MILLIS}) plus a margin for the clocks of router and home to differ (1 s).
   */
  public static final long FRESH_TAKEOVER_MS = Proposer.FRESH_MILLIS + 1_000;
  private static final char[] HEX = "0123456789abcdef".toCharArray();

  private final Vertx vertx;
  private final NodeConfig config;
  private final Addresses addresses;
  private final NodeHealth health;
  /** The current members, sorted (recomputed on each configuration change only). */
  private volatile List<Integer> homes;
  private volatile io.kshaka.membership.Membership membership;
  private final DeliveryOptions requestOptions;
  private final SecureRandom random = new SecureRandom();
  /** Forwarded requests not yet answered, by home node. */
  private final Map<Integer, Set<Forward>> inFlight = new ConcurrentHashMap<>();
  private final AtomicLong takeovers = new AtomicLong();
  private final AtomicLong resends = new AtomicLong();
  /** Signs forwards and pings and checks their replies (an unauthenticated reply is no reply). */
  private final BusGuard guard;
  /** Sends requests to other nodes' proposers, several to one home in one message under load. */
  private final ForwardBatcher forwards;
  /** Forward round trips per home ({@link #timeForwards}); null: not timed. */
  private volatile NodeTimers forwardTimes;
  /** The {@code list} operation: pages of the acceptors' key indexes, each key read through this router. */
  private final KeyLister lister;

  public KvRouter(Vertx vertx, NodeConfig config, NodeHealth health) {
    this(vertx, config, health, BusGuard.OFF);
  }

  public KvRouter(Vertx vertx, NodeConfig config, NodeHealth health, BusGuard guard) {
    this.guard = guard;
    this.vertx = vertx;
    this.config = config;
    this.addresses = config.addresses();
    this.health = health;
    this.homes = new ArrayList<>(new TreeSet<>(config.acceptors()));
    // The home proposer gives up at its own deadline and answers 503/504 itself; wait a little longer than that.
    this.requestOptions = new DeliveryOptions().setSendTimeout(config.requestTimeoutMs() + 1_000);
    this.forwards = new ForwardBatcher(vertx, guard, addresses::kv, requestOptions, home -> {
      Set<Forward> pending = inFlight.get(home);
      return pending == null ? 0 : pending.size();
    });
    this.lister = new KeyLister(vertx, this::quorumsInForce, this::execute, addresses::acceptorAdmin,
        Math.max(config.sendTimeoutMs(), 2_000), guard);
    health.detector().addListener(new FailureDetector.Listener() {
      @Override
      public void suspected(int node) {
        Set<Forward> pending = inFlight.get(node);
        if (pending != null) for (Forward f : pending) f.takeOver("home " + node + " is suspect");
      }

      @Override
      public void alive(int node) {
        // new requests for its keys go back to it (execute reads the detector)
      }
    });
  }

  /**
   * Follows the node's configuration: the homes are its members from now on (a node that is not a member sends
   * every request to a member), and {@link #status} reports it.
   */
  public void membership(io.kshaka.membership.Membership m) {
    this.membership = m;
    members(m.current().members());
    m.onChange(c -> members(c.members()));
  }

  /** Sets the homes: the acceptors of the configuration in force. */
  public void members(java.util.Collection<Integer> nodes) {
    if (nodes.isEmpty()) return;
    this.homes = List.copyOf(new TreeSet<>(nodes));
  }

  /** True when this node is one of the homes (only members propose). */
  boolean member() {
    return homes.contains(config.nodeId());
  }

  /** The home node of a key: FNV-1a over its UTF-8 bytes, modulo the sorted node ids. */
  public int home(String key) {
    return home(key, homes);
  }

  /** The home node of a key among these node ids, sorted ascending. */
  public static int home(String key, List<Integer> sortedNodes) {
    long h = 0xcbf29ce484222325L;
    for (byte b : key.getBytes(StandardCharsets.UTF_8)) {
      h ^= b & 0xff;
      h *= 0x100000001b3L;
    }
    return sortedNodes.get((int) Long.remainderUnsigned(h, sortedNodes.size()));
  }

  /**
   * Where a key of this home goes: the home itself, or while it is suspect, the first node after it (in node id
   * order, wrapping) that is this node or not suspect. Every node that suspects the same homes picks the same
   * stand-in, so one proposer serves the key and its 1-RTT cache holds, instead of one proposer per entry node
   * dueling over it.
   */
  int route(int home) {
    List<Integer> homes = this.homes;
    boolean member = homes.contains(config.nodeId());
    if ((home == config.nodeId() && member) || health.routable(home)) return home;
    int at = homes.indexOf(home);
    for (int i = 1; i < homes.size(); i++) {
      int candidate = homes.get((at + i) % homes.size());
      if ((candidate == config.nodeId() && member) || health.routable(candidate)) return candidate;
    }
    return member ? config.nodeId() : home;
  }

  /**
   * Who takes over a request whose home failed: this node's proposer, or on a node that is not a member (which
   * never proposes) the first other member after the home that is not suspect.
   */
  private int takeoverTarget(int home) {
    List<Integer> homes = this.homes;
    if (homes.contains(config.nodeId())) return config.nodeId();
    int at = homes.indexOf(home);
    for (int i = 1; i < homes.size(); i++) {
      int candidate = homes.get((Math.max(at, 0) + i) % homes.size());
      if (candidate != home && !health.suspect(candidate)) return candidate;
    }
    return home;
  }

  /** How many forwarded requests this router handed to its own proposer so far. */
  public long takeovers() {
    return takeovers.get();
  }

  /** How many forwarded requests in doubt this router sent to their home again so far. */
  public long resends() {
    return resends.get();
  }

  /** Forwarded requests not answered yet (all homes). */
  public int inFlight() {
    int n = 0;
    for (Set<Forward> s : inFlight.values()) n += s.size();
    return n;
  }

  /** The quorums of the configuration in force (the bootstrap configuration until membership is known). */
  private io.kshaka.core.QuorumSpec quorumsInForce() {
    io.kshaka.membership.Membership members = membership;
    io.kshaka.membership.Membership.View view = members == null ? null : members.view();
    return view == null ? config.quorums() : view.config().quorums();
  }

  @Override
  public Future<JsonObject> execute(JsonObject request) {
    if ("list".equals(request.getValue("op"))) return lister.list(request);
    String key;
    try {
      key = Wire.key(request);
    } catch (ReplyException e) {
      return Future.failedFuture(e);
    }
    // A client's first attempt of its own id ("first": KshakaClient) is as new as an id made here.
    boolean first = Boolean.TRUE.equals(request.getValue("first")) && request.getValue("requestId") != null;
    if (request.containsKey("fresh") || request.containsKey("first") || request.containsKey("from")) {
      request = request.copy(); // only this router may say nobody proposed an id before
      request.remove("fresh");
      request.remove("first");
      request.remove("from");
    }
    int home = route(home(key));
    boolean change = !"get".equals(request.getValue("op"));
    if (home == config.nodeId()) {
      return send(config.nodeId(), first && change ? request.put("fresh", true).put("from", config.nodeId()) : request);
    }
    if (change && (first || request.getValue("requestId") == null)) {
      if (request.getValue("requestId") == null) {
        request = request.copy().put("requestId", newRequestId()).put("requestStamp", System.currentTimeMillis());
      }
      request = request.copy().put("fresh", true).put("from", config.nodeId());
    }
    Forward f = new Forward(home, request);
    Set<Forward> pending = inFlight.computeIfAbsent(home, h -> ConcurrentHashMap.newKeySet());
    pending.add(f);
    send(home, request).onComplete(f::homeAnswered);
    if (health.suspect(home)) f.takeOver("home " + home + " became suspect"); // raced with the listener
    return f.answer.future();
  }

  /** A random 128-bit id in hex, prefixed {@link #GENERATED_ID_PREFIX}. */
  String newRequestId() {
    byte[] bytes = new byte[16];
    random.nextBytes(bytes);
    char[] out = new char[GENERATED_ID_PREFIX.length() + 32];
    GENERATED_ID_PREFIX.getChars(0, GENERATED_ID_PREFIX.length(), out, 0);
    for (int i = 0; i < 16; i++) {
      out[GENERATED_ID_PREFIX.length() + 2 * i] = HEX[(bytes[i] >> 4) & 0xf];
      out[GENERATED_ID_PREFIX.length() + 2 * i + 1] = HEX[bytes[i] & 0xf];
    }
    return new String(out);
  }

  /**
   * Times each request forwarded to another node's proposer until that node answers it (its reply, or a refusal
   * such as a failed condition), per node: {@code kshaka_router_forward_seconds{home="<id>"}}. Off until called.
   */
  public void timeForwards(MeterRegistry registry) {
    forwardTimes = new NodeTimers(registry, "kshaka_router_forward", "home",
        "from forwarding a request to its home proposer to the home's answer");
  }

  /** Sends a request to a proposer: this node's directly, another node's batched with others for it. */
  private Future<JsonObject> send(int node, JsonObject request) {
    if (node != config.nodeId()) {
      NodeTimers timers = forwardTimes;
      if (timers == null) return forwards.send(node, request);
      long sent = System.nanoTime();
      return forwards.send(node, request).onComplete(ar -> {
        if (ar.succeeded() || ar.cause() instanceof ReplyException re
            && re.failureType() == ReplyFailure.RECIPIENT_FAILURE) {
          timers.record(node, System.nanoTime() - sent);
        }
      });
    }
    return guard.<JsonObject>request(vertx, addresses.kv(node), request, requestOptions, BusGuard.Kind.FORWARD)
        .map(Message::body);
  }

  /** An answer that the change was evaluated and refused (a condition failed): no version was written. */
  private static boolean refused(AsyncResult<JsonObject> ar) {
    return ar.cause() instanceof ReplyException re && re.failureType() == ReplyFailure.RECIPIENT_FAILURE
        && re.failureCode() >= 400 && re.failureCode() < 500;
  }

  /** One request forwarded to its home: answered by the home, or by this node's proposer after a takeover. */
  private final class Forward {
    private final int home;
    private final JsonObject request;
    private final long startNanos = System.nanoTime();
    private final Promise<JsonObject> answer = Promise.promise();
    private boolean takenOver;
    /** A takeover waits for the home's fresh window to close (a timer is set). */
    private boolean deferred;
    private boolean resent;
    private boolean done;
    /** The home's last answer once a takeover runs (null while it has none). */
    private AsyncResult<JsonObject> homeResult;
    /** A refusal from the takeover, held while the home may still apply the change. */
    private AsyncResult<JsonObject> heldRefusal;

    Forward(int home, JsonObject request) {
      this.home = home;
      this.request = request;
    }

    void homeAnswered(AsyncResult<JsonObject> ar) {
      String takeOverBecause = null;
      boolean undelivered = false;
      boolean resend = false;
      if (ar.succeeded()) {
        health.success(home);
      } else if (ar.cause() instanceof ReplyException re) {
        switch (re.failureType()) {
          case NO_HANDLERS -> {
            health.lost(home);
            takeOverBecause = "no handler for home " + home;
            undelivered = true;
          }
          case TIMEOUT -> takeOverBecause = "home " + home + " did not answer within "
              + requestOptions.getSendTimeout() + " ms";
          case RECIPIENT_FAILURE -> {
            health.success(home);
            long elapsedMs = (System.nanoTime() - startNanos) / 1_000_000;
            // in doubt early: the home runs it again (same id, a full round that settles the doubt); taking it
            // over here would set a second proposer on the key, whose rounds put the home in doubt again
            resend = re.failureCode() == KvError.OUTCOME_UNKNOWN.status && elapsedMs < config.requestTimeoutMs() / 2;
          }
          default -> { }
        }
      }
      boolean answerNow;
      AsyncResult<JsonObject> result = ar;
      synchronized (this) {
        if (done) return;
        resend = resend && !resent && !takenOver;
        if (resend) resent = true;
        if (takenOver) {
          // after a takeover the home's failures are superseded by the takeover's answer; a success still wins,
          // and a refusal the takeover gave meanwhile stands only if the home did not apply the change either
          homeResult = ar;
          answerNow = ar.succeeded() || heldRefusal != null;
          if (!ar.succeeded() && heldRefusal != null) result = refusalOrUnknown(ar, heldRefusal);
        } else {
          answerNow = takeOverBecause == null && !resend;
        }
        if (answerNow) finish();
      }
      if (answerNow) {
        answer.handle(result);
      } else if (resend) {
        resends.incrementAndGet();
        log.debug("sending {} on key {} to home {} again: it answered outcome unknown", request.getValue("requestId"),
            request.getValue("key"), home);
        JsonObject again = request.copy();
        again.remove("fresh");
        send(home, again).onComplete(this::homeAnswered);
      } else if (takeOverBecause != null) {
        takeOver(takeOverBecause, undelivered);
      }
    }

    void takeOver(String why) {
      takeOver(why, false);
    }

    /**
     * Hands the request to this node's proposer, once, unless it is answered already. A change dispatched
     * {@code fresh} is not taken over before {@link #FRESH_TAKEOVER_MS} after its stamp (unless the home never got
     * it): until {@link Proposer#FRESH_MILLIS} after the stamp the home may apply it as fresh, without the care a
     * change proposed elsewhere needs, so a takeover before then could apply it a second time.
     */
    void takeOver(String why, boolean undelivered) {
      long wait = undelivered || !Boolean.TRUE.equals(request.getValue("fresh")) ? 0
          : request.getLong("requestStamp", 0L) + FRESH_TAKEOVER_MS - System.currentTimeMillis();
      synchronized (this) {
        if (done || takenOver) return;
        if (wait > 0) {
          if (!deferred) {
            deferred = true;
            vertx.setTimer(wait, id -> takeOver(why + " (deferred until the home's fresh window closed)", true));
          }
          return;
        }
        takenOver = true;
        homeResult = null;
      }
      takeovers.incrementAndGet();
      log.debug("taking over {} on key {}: {}", request.getValue("requestId", "a read"), request.getValue("key"),
          why);
      JsonObject again = request.copy();
      again.remove("fresh");
      send(takeoverTarget(home), again).onComplete(ar -> {
        AsyncResult<JsonObject> result = ar;
        synchronized (this) {
          if (done) return;
          if (refused(ar)) {
            // A change refused here (a condition that failed) may still be applied by the home, whose attempt
            // saw another state: it is the answer only once the home's attempt has ended without applying it.
            if (homeResult == null) {
              heldRefusal = ar;
              return;
            }
            result = refusalOrUnknown(homeResult, ar);
          }
          finish();
        }
        answer.handle(result);
      });
    }

    /**
     * The answer when the takeover refused the change and the home's attempt failed: the refusal if the home's
     * attempt ended without any chance of applying it (not applied, refused, or never delivered), else unknown.
     */
    private AsyncResult<JsonObject> refusalOrUnknown(AsyncResult<JsonObject> homeAnswer,
        AsyncResult<JsonObject> refusal) {
      boolean homeEnded = homeAnswer.cause() instanceof ReplyException re
          && (re.failureType() == ReplyFailure.NO_HANDLERS || (re.failureType() == ReplyFailure.RECIPIENT_FAILURE
              && re.failureCode() != KvError.OUTCOME_UNKNOWN.status));
      return homeEnded ? refusal : Future.failedFuture(Wire.failure(KvError.OUTCOME_UNKNOWN,
          "the change was refused on a stand-in proposer, but its home (node " + home
              + ") may still apply it", null));
    }

    private void finish() {
      done = true;
      Set<Forward> pending = inFlight.get(home);
      if (pending != null) pending.remove(this);
    }
  }

  @Override
  public Future<JsonObject> status() {
    // An acceptor that answered the proposer within the last second counts without a probe; others are pinged
    // with a timeout that tolerates a busy machine (readiness must not flap under load).
    DeliveryOptions ping = new DeliveryOptions().setSendTimeout(Math.max(config.sendTimeoutMs(), 2_000));
    io.kshaka.membership.Membership members = membership;
    io.kshaka.membership.Membership.View view = members == null ? null : members.view();
    io.kshaka.core.QuorumSpec quorums = view == null ? config.quorums() : view.config().quorums();
    List<Integer> nodes = new ArrayList<>(quorums.allNodes());
    List<Future<Boolean>> answers = new ArrayList<>();
    for (int node : nodes) {
      answers.add(health.answeredWithin(node, 1_000) ? Future.succeededFuture(true)
          : guard.request(vertx, addresses.acceptor(node), Wire.ping(), ping, BusGuard.Kind.ACCEPTOR).map(m -> {
            health.success(node);
            return true;
          }).otherwise(false));
    }
    return Future.join(answers).map(all -> {
      JsonArray reachable = new JsonArray();
      int inPrepare = 0;
      int inAccept = 0;
      for (int i = 0; i < nodes.size(); i++) {
        if (!answers.get(i).result()) continue;
        int node = nodes.get(i);
        reachable.add(node);
        if (quorums.prepareNodes().contains(node)) inPrepare++;
        if (quorums.acceptNodes().contains(node)) inAccept++;
      }
      String problem = health.registrationProblem();
      String error = problem == null ? null : "no_quorum";
      if (view != null && !view.voting() && !view.outside()) { // outside the configuration: it routes, ready
        problem = view.reason();
        error = "not_voting";
      }
      boolean ready = inPrepare >= quorums.prepareQuorum() && inAccept >= quorums.acceptQuorum() && problem == null;
      JsonObject status = new JsonObject()
          .put("nodeId", config.nodeId())
          .put("acceptors", new JsonArray(new ArrayList<>(quorums.allNodes())))
          .put("prepare", new JsonObject().put("nodes", new JsonArray(new ArrayList<>(new TreeSet<>(
              quorums.prepareNodes())))).put("quorum", quorums.prepareQuorum()))
          .put("accept", new JsonObject().put("nodes", new JsonArray(new ArrayList<>(new TreeSet<>(
              quorums.acceptNodes())))).put("quorum", quorums.acceptQuorum()))
          .put("reachable", reachable)
          .put("ready", ready);
      if (view != null) {
        JsonObject inc = new JsonObject();
        view.config().incarnations().forEach((node, n) -> inc.put(String.valueOf(node), n));
        status.put("clusterId", view.durable() ? view.config().clusterId() : null)
            .put("epoch", view.durable() ? view.config().epoch() : 0)
            .put("incarnations", inc)
            .put("voting", view.voting())
            .put("reason", view.reason());
      }
      if (!ready) status.put("error", error != null ? error : "no_quorum");
      return problem == null ? status : status.put("problem", problem);
    });
  }
}
