package io.kshaka.membership;

import io.kshaka.cluster.Addresses;
import io.kshaka.cluster.NodeConfig;
import io.kshaka.cluster.Wire;
import io.kshaka.core.Acceptor;
import io.kshaka.core.ClusterConfig;
import io.kshaka.core.QuorumSpec;
import io.kshaka.security.BusGuard;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One node's view of the cluster configuration (contract of issue 9, "Node membership shell"): the durable
 * {@link ClusterConfig} ({@code cluster.json}), the store's {@link Identity} ({@code identity.json}), and whether this
 * node's acceptor may vote. Reads are thread-safe (one immutable {@link View}); every change runs on this verticle's
 * context, one at a time, and is durable before anyone is told.
 *
 * <p>Bootstrap: while the bootstrap acceptors (the node JSON's {@code acceptors}) are all empty, the lowest of them
 * makes a cluster id, persists it with configuration epoch 1 (unsealed) and sends {@code adopt} to the others; once
 * all of them persisted it, it seals its identity and tells them ({@code seal}). An acceptor votes only once sealed.
 * An empty store whose node id is in a configuration that has served (a peer is sealed, or the epoch is above 1)
 * never votes: its disk was lost ({@link #notVotingReason()} names {@code admin replace}).
 *
 * <p>Bus address {@code kshaka.member.<id>}: {@code status}, {@code install}, {@code adopt}, {@code seal}
 * ({@link Wire#memberStatus} and the rest). Gossip: every 2 s one peer's status, so a node that was down catches up.
 */
public final class Membership extends VerticleBase {
  private static final Logger log = LoggerFactory.getLogger(Membership.class);
  /** How often a node that is bootstrapping asks its peers (bootstrap must be quick: tests start many clusters). */
  static final long BOOTSTRAP_POLL_MS = 50;
  static final long GOSSIP_MS = 2_000;
  static final long PUSH_RETRY_MS = 200;

  /** What {@link #push} waits for. */
  public enum Need {
    /**
     * Enough nodes of the previous configuration that no quorum of it (prepare or accept) can complete any more:
     * at least {@code |P| - qp + 1} of its prepare set and {@code |A| - qa + 1} of its accept set; and every node
     * whose incarnation the new configuration introduces (a new acceptor must know it is one).
     */
    BLOCKING,
    /** Every node of the previous and the new configuration. */
    ALL
  }

  /**
   * A consistent snapshot: the configuration in force ({@code durable} false: the bootstrap configuration of the
   * node JSON, before any is durable), the identity (null: empty store), whether the acceptor votes, and if not why
   * ({@code error} "not_voting"). {@code outside}: it does not vote only because it is not an acceptor of the
   * configuration in force (waiting to be added, or removed): it serves by routing, and counts as ready.
   */
  public record View(ClusterConfig config, boolean durable, Identity identity, boolean voting, String reason,
      boolean outside) {}

  private final NodeConfig nodeConfig;
  private final BusGuard guard;
  private final Addresses addresses;
  private final int nodeId;
  private final List<Integer> bootstrapAcceptors;
  private final ClusterConfig provisional;
  private final List<Consumer<ClusterConfig>> listeners = new CopyOnWriteArrayList<>();
  private final SplittableRandom random = new SplittableRandom();
  private volatile View view;
  private ConfigStore store;
  private MessageConsumer<JsonObject> consumer;
  private DeliveryOptions askOptions;

  // ---- confined to this verticle's context ----
  private ClusterConfig durable;
  /** The configuration {@link #durable} replaced (in memory only): the "previous" of a push at its epoch. */
  private ClusterConfig prior;
  private Identity identity;
  private volatile boolean amnesiac;
  private String foreign;
  private final Map<Integer, String> peerClusters = new HashMap<>();
  private Future<?> tail = Future.succeededFuture();
  private long timer = -1;
  private boolean stopped;
  private volatile boolean bootstrapRound;
  private volatile boolean gossipHeld;
  private volatile boolean roundRunning;

  public Membership(NodeConfig nodeConfig) {
    this(nodeConfig, BusGuard.OFF);
  }

  /** @param guard authenticates the membership operations between nodes (requests and replies) */
  public Membership(NodeConfig nodeConfig, BusGuard guard) {
    this.guard = guard;
    this.nodeConfig = nodeConfig;
    this.addresses = nodeConfig.addresses();
    this.nodeId = nodeConfig.nodeId();
    this.bootstrapAcceptors = List.copyOf(new TreeSet<>(nodeConfig.quorums().allNodes()));
    this.provisional = ClusterConfig.bootstrap("", nodeConfig.quorums());
    this.view = new View(provisional, false, null, false, "starting", false);
  }

  @Override
  public Future<?> start() {
    store = new ConfigStore(vertx, nodeConfig.dataDir());
    askOptions = new DeliveryOptions().setSendTimeout(Math.max(500, nodeConfig.sendTimeoutMs()));
    return store.load().compose(stored -> {
      durable = stored.config();
      identity = stored.identity();
      if (identity != null && identity.nodeId() != nodeId) {
        return Future.failedFuture(new IllegalStateException(store.dir().resolve(ConfigStore.IDENTITY_FILE)
            + " belongs to node " + identity.nodeId() + ", not to node " + nodeId + ": wrong dataDir?"));
      }
      if (identity == null && durable != null && durable.epoch() > 1 && durable.members().contains(nodeId)) {
        amnesiac = true; // it learned before that it had served and lost its store
        log.error("node {}: {}", nodeId, amnesiaMessage(durable));
      }
      if (durable != null && !durable.quorums().equals(nodeConfig.quorums())) {
        log.warn("node {}: the node config's acceptors {} (prepare {}/{}, accept {}/{}) differ from the durable "
            + "configuration of cluster {} at epoch {} ({}); using the durable one (it changes only through the "
            + "membership procedure)", nodeId, nodeConfig.acceptors(), nodeConfig.quorums().prepareNodes(),
            nodeConfig.quorums().prepareQuorum(), nodeConfig.quorums().acceptNodes(),
            nodeConfig.quorums().acceptQuorum(), durable.clusterId(), durable.epoch(), describe(durable));
      }
      publish(null);
      log.info("node {}: membership {}", nodeId, view.voting() ? "voting in cluster " + durable.clusterId()
          + " at epoch " + durable.epoch() : "not voting yet: " + view.reason());
      consumer = vertx.eventBus().consumer(addresses.member(nodeId), this::handle);
      return consumer.completion();
    }).onSuccess(v -> schedule(0));
  }

  @Override
  public Future<?> stop() {
    stopped = true;
    if (timer >= 0) vertx.cancelTimer(timer);
    return consumer == null ? Future.succeededFuture() : consumer.unregister();
  }

  /**
   * Registers the bus handler again, for when the cluster lost its entry (RegistrationJanitor): the new one
   * first, then the old one goes.
   */
  public void reRegister() {
    runOnContext(() -> {
      if (stopped || consumer == null) return;
      MessageConsumer<JsonObject> old = consumer;
      consumer = vertx.eventBus().consumer(addresses.member(nodeId), this::handle);
      old.unregister();
    });
  }

  // ---------------------------------------------------------------- reads (any thread)

  public View view() {
    return view;
  }

  /** The configuration in force: the durable one, or before bootstrap the node JSON's (cluster id ""). */
  public ClusterConfig current() {
    return view.config();
  }

  /** The store's identity, or null while it is empty. */
  public Identity identity() {
    return view.identity();
  }

  public boolean voting() {
    return view.voting();
  }

  /** Why this node's acceptor does not vote, or null when it does. */
  public String notVotingReason() {
    return view.voting() ? null : view.reason();
  }

  /** What this node's acceptor demands of each request (epoch and ballot floor of the configuration in force). */
  public Acceptor.Fence fence() {
    View v = view;
    return v.durable() ? v.config().fence() : Acceptor.Fence.NONE;
  }

  /**
   * Called (on this verticle's context) after each change of the configuration in force, with the new one; a
   * listener that needs its own context must hop to it.
   */
  public void onChange(Consumer<ClusterConfig> listener) {
    listeners.add(listener);
  }

  // ---------------------------------------------------------------- changes

  /**
   * Installs a configuration on this node, durably before the future completes. A higher epoch (same cluster)
   * installs; the identical configuration at the current epoch, or an older epoch, is a success that changes
   * nothing; a different configuration at the current epoch, or one of another cluster, fails.
   */
  public Future<Void> install(ClusterConfig config) {
    return serial(() -> apply(config, true));
  }

  /**
   * Holds (or resumes) the steady gossip of a sealed node, so that it learns a newer configuration only from the
   * answers its own messages get. For tests of that path; a held node still serves and answers its peers.
   */
  public void holdGossip(boolean held) {
    gossipHeld = held;
  }

  /** True once the start-up round is over and no round runs: after {@link #holdGossip}, no gossip is in flight. */
  public boolean gossipSettled() {
    return bootstrapRound && !roundRunning;
  }

  /** Asks {@code node} for its configuration and installs it if it is newer; completes with the one in force. */
  public Future<ClusterConfig> refreshFrom(int node) {
    return ask(node, Wire.memberStatus()).compose(status -> learn(node, status)).map(v -> current());
  }

  /**
   * Installs {@code config} on every node of it and of the configuration it follows (this one included), retrying
   * until {@code need} is met, and completes with the nodes that persisted it; fails at {@code deadline} with the
   * nodes that did not. A node that joins with this configuration is first given the one before it (so it knows
   * it is new, not a lost disk).
   */
  public Future<Set<Integer>> push(ClusterConfig config, Need need, Instant deadline) {
    Promise<ClusterConfig> previous = Promise.promise();
    runOnContext(() -> previous.complete(previousOf(config)));
    return previous.future().compose(prev -> new Push(config, prev, need, deadline).run());
  }

  private ClusterConfig previousOf(ClusterConfig config) {
    if (durable == null) return null;
    if (durable.epoch() < config.epoch()) return durable;
    if (durable.equals(config)) return prior;
    return null;
  }

  /** One push: sends until the need is met or the deadline passes. Runs on this verticle's context. */
  private final class Push {
    final ClusterConfig config;
    final ClusterConfig previous;
    final Need need;
    final Instant deadline;
    final Set<Integer> targets = new TreeSet<>();
    final Set<Integer> joining = new TreeSet<>();
    final Set<Integer> persisted = new TreeSet<>();
    final Set<Integer> sending = new TreeSet<>();
    final Map<Integer, String> errors = new HashMap<>();
    final Promise<Set<Integer>> done = Promise.promise();

    Push(ClusterConfig config, ClusterConfig previous, Need need, Instant deadline) {
      this.config = config;
      this.previous = previous;
      this.need = need;
      this.deadline = deadline;
      targets.addAll(config.members());
      targets.add(nodeId); // the pushing node keeps the configuration too, member or not
      if (previous != null) {
        targets.addAll(previous.members());
        for (int node : config.members()) {
          if (previous.incarnation(node) != config.incarnation(node)) joining.add(node);
        }
      }
    }

    Future<Set<Integer>> run() {
      round();
      return done.future();
    }

    void round() {
      if (done.future().isComplete()) return;
      if (met()) {
        done.tryComplete(Set.copyOf(persisted));
        return;
      }
      if (Instant.now().isAfter(deadline)) {
        Set<Integer> missing = new TreeSet<>(targets);
        missing.removeAll(persisted);
        done.tryFail(new IllegalStateException("configuration epoch " + config.epoch() + " of cluster "
            + config.clusterId() + " not installed by " + deadline + " (" + need + "): persisted on " + persisted
            + ", missing " + missing + (errors.isEmpty() ? "" : ", errors " + errors)));
        return;
      }
      for (int node : targets) {
        if (persisted.contains(node) || !sending.add(node)) continue;
        Future<Void> sent;
        if (node == nodeId) {
          sent = install(config);
        } else if (joining.contains(node) && previous != null) {
          sent = ask(node, Wire.memberInstall(previous)).transform(ignored -> ask(node, Wire.memberInstall(config)))
              .mapEmpty();
        } else {
          sent = ask(node, Wire.memberInstall(config)).mapEmpty();
        }
        sent.onComplete(ar -> runOnContext(() -> {
          sending.remove(node);
          if (ar.succeeded()) {
            persisted.add(node);
            errors.remove(node);
            if (met()) done.tryComplete(Set.copyOf(persisted));
          } else {
            errors.put(node, String.valueOf(ar.cause().getMessage()));
          }
        }));
      }
      vertx.setTimer(PUSH_RETRY_MS, id -> runOnContext(this::round));
    }

    boolean met() {
      if (need == Need.ALL || previous == null) return persisted.containsAll(targets);
      if (!persisted.containsAll(joining)) return false;
      QuorumSpec q = previous.quorums();
      return count(q.prepareNodes()) >= q.prepareNodes().size() - q.prepareQuorum() + 1
          && count(q.acceptNodes()) >= q.acceptNodes().size() - q.acceptQuorum() + 1;
    }

    int count(Set<Integer> nodes) {
      int n = 0;
      for (int node : nodes) if (persisted.contains(node)) n++;
      return n;
    }
  }

  // ---------------------------------------------------------------- the rules (on this context)

  /**
   * Applies a configuration learned from a peer or an install. {@code served}: the configuration is known to have
   * been used (sealed somewhere, or installed by the membership procedure).
   */
  private Future<Void> apply(ClusterConfig c, boolean served) {
    String ours = identity != null ? identity.clusterId() : durable != null ? durable.clusterId() : null;
    if (ours != null && !ours.equals(c.clusterId())) {
      return Future.failedFuture(new IllegalStateException("configuration of cluster " + c.clusterId()
          + " refused: the store of node " + nodeId + " belongs to cluster " + ours));
    }
    if (durable != null && c.epoch() < durable.epoch()) return Future.succeededFuture(); // superseded already
    boolean same = durable != null && c.epoch() == durable.epoch();
    if (same && !c.equals(durable)) {
      return Future.failedFuture(new IllegalStateException("a different configuration at epoch " + c.epoch()
          + " refused: node " + nodeId + " holds " + describe(durable) + ", offered " + describe(c)));
    }
    // an unsealed bootstrap configuration may still be replaced (its maker lost its disk before anyone adopted it):
    // an empty node takes it only through adopt
    if (identity == null && c.epoch() == 1 && !served) return Future.succeededFuture();
    if (identity == null && c.members().contains(nodeId)) {
      if (!same && durable != null && durable.incarnation(nodeId) < c.incarnation(nodeId)) {
        // a new incarnation of this node, added after the configuration this store last knew: it starts empty
        Identity fresh = new Identity(c.clusterId(), nodeId, c.incarnation(nodeId), true);
        return store.saveIdentity(fresh).compose(v -> {
          identity = fresh;
          log.info("node {} joins cluster {} as incarnation {} (epoch {})", nodeId, c.clusterId(),
              fresh.incarnation(), c.epoch());
          return saveConfig(c);
        });
      }
      if (!amnesiac) {
        amnesiac = true;
        log.error("node {}: {}", nodeId, amnesiaMessage(c));
        if (same) publish(durable);
      }
    }
    if (same) return Future.succeededFuture();
    return saveConfig(c);
  }

  private Future<Void> saveConfig(ClusterConfig c) {
    return store.saveConfig(c).onSuccess(v -> {
      ClusterConfig before = durable;
      if (before != null && before.epoch() < c.epoch()) prior = before;
      durable = c;
      if (identity == null && !c.members().contains(nodeId)) amnesiac = false; // removed: may come back as new
      log.info("node {}: configuration epoch {} of cluster {} installed: {}", nodeId, c.epoch(), c.clusterId(),
          describe(c));
      publish(before);
    });
  }

  private String amnesiaMessage(ClusterConfig c) {
    return "store of node " + nodeId + " is empty but node " + nodeId + " has served in cluster " + c.clusterId()
        + ": run ./run.sh admin replace " + nodeId;
  }

  /** Recomputes the view; tells the listeners when the configuration in force changed. */
  private void publish(ClusterConfig before) {
    View old = view;
    View next = computeView();
    view = next;
    if (old.voting() != next.voting() || !java.util.Objects.equals(old.reason(), next.reason())) {
      if (next.voting()) {
        log.info("node {} votes (cluster {}, epoch {}, incarnation {})", nodeId, next.config().clusterId(),
            next.config().epoch(), identity.incarnation());
      } else if (old.voting()) {
        log.warn("node {} stops voting: {}", nodeId, next.reason());
      } else if (!old.reason().equals("starting")) {
        if (next.outside() || next.reason().startsWith("bootstrapping")) {
          log.info("node {} does not vote: {}", nodeId, next.reason());
        } else {
          // a lost disk, a store of another cluster, an old incarnation: the operator must act
          log.warn("node {} does not vote: {}", nodeId, next.reason());
        }
      }
    }
    if (!old.config().equals(next.config()) || before != durable) {
      for (Consumer<ClusterConfig> l : listeners) {
        try {
          l.accept(next.config());
        } catch (RuntimeException e) {
          log.error("membership listener failed", e);
        }
      }
    }
  }

  private View computeView() {
    ClusterConfig config = durable != null ? durable : provisional;
    String reason = null;
    if (identity == null) {
      if (amnesiac) {
        reason = amnesiaMessage(durable);
      } else if (durable != null && !durable.members().contains(nodeId)) {
        reason = "node " + nodeId + " is not in the configuration of cluster " + durable.clusterId() + " (epoch "
            + durable.epoch() + ", acceptors " + durable.members() + "): waiting to be added";
      } else {
        reason = "bootstrapping: waiting for the bootstrap acceptors " + bootstrapAcceptors + " to agree on a "
            + "cluster id";
      }
    } else if (!identity.sealed()) {
      reason = "bootstrapping: cluster " + identity.clusterId() + " is not sealed yet (every bootstrap acceptor "
          + bootstrapAcceptors + " must persist it once)";
    } else if (durable == null) {
      reason = "no configuration of cluster " + identity.clusterId() + " known yet";
    } else if (foreign != null) {
      reason = foreign;
    } else if (!durable.members().contains(nodeId)) {
      reason = "node " + nodeId + " is not in the configuration of cluster " + durable.clusterId() + " (epoch "
          + durable.epoch() + ", acceptors " + durable.members() + "): not voting until it is added";
    } else if (durable.incarnation(nodeId) != identity.incarnation()) {
      reason = "store of node " + nodeId + " is incarnation " + identity.incarnation() + " but the configuration "
          + "(epoch " + durable.epoch() + ") has incarnation " + durable.incarnation(nodeId) + " of it";
    }
    boolean outside = reason != null && durable != null && !durable.members().contains(nodeId) && !amnesiac
        && foreign == null && (identity == null || identity.sealed());
    return new View(config, durable != null, identity, reason == null, reason, outside);
  }

  // ---------------------------------------------------------------- bus operations

  private void handle(Message<JsonObject> msg) {
    if (!guard.admit(msg, BusGuard.Kind.MEMBER)) return;
    JsonObject body = msg.body();
    String op = body == null ? null : body.getString("op");
    if (op == null) {
      msg.fail(400, "membership: field 'op' missing");
      return;
    }
    Future<JsonObject> answer;
    try {
      switch (op) {
        case "status" -> answer = Future.succeededFuture(status());
        case "install" -> {
          ClusterConfig c = Wire.configFromJson(body.getJsonObject("config"));
          answer = install(c).map(v -> status());
        }
        case "adopt" -> {
          ClusterConfig c = Wire.configFromJson(body.getJsonObject("config"));
          answer = serial(() -> adopt(c)).map(v -> status());
        }
        case "seal" -> {
          String clusterId = body.getString("clusterId");
          answer = serial(() -> seal(clusterId)).map(v -> status());
        }
        default -> answer = Future.failedFuture(new IllegalArgumentException("membership: unknown op '" + op + "'"));
      }
    } catch (IllegalArgumentException | ClassCastException e) {
      msg.fail(400, "membership: " + e.getMessage());
      return;
    }
    answer.onComplete(ar -> {
      if (ar.succeeded()) {
        guard.reply(msg, ar.result());
      } else {
        msg.fail(ar.cause() instanceof IllegalArgumentException ? 400 : 409, ar.cause().getMessage());
      }
    });
  }

  /** This node's answer to {@code status}: {@code {nodeId, identity|null, config|null, voting, reason, amnesiac}}. */
  public JsonObject status() {
    View v = view;
    return new JsonObject()
        .put("nodeId", nodeId)
        .put("identity", v.identity() == null ? null : v.identity().toJson())
        .put("config", v.durable() ? Wire.configToJson(v.config()) : null)
        .put("voting", v.voting())
        .put("reason", v.reason())
        .put("amnesiac", amnesiac);
  }

  /** Bootstrap: the lowest bootstrap acceptor gives this node the new cluster's epoch-1 configuration. */
  private Future<Void> adopt(ClusterConfig c) {
    if (c.epoch() != 1 || !c.members().contains(nodeId)) {
      return Future.failedFuture(new IllegalArgumentException("adopt takes an epoch-1 configuration naming node "
          + nodeId));
    }
    if (identity != null) {
      if (!identity.clusterId().equals(c.clusterId())) {
        return Future.failedFuture(new IllegalStateException("the store of node " + nodeId + " belongs to cluster "
            + identity.clusterId() + ", not " + c.clusterId()));
      }
      return durable == null ? saveConfig(c) : Future.succeededFuture();
    }
    if (amnesiac) return Future.failedFuture(new IllegalStateException(amnesiaMessage(c)));
    if (durable != null && !durable.equals(c)) {
      return Future.failedFuture(new IllegalStateException("node " + nodeId + " already holds " + describe(durable)));
    }
    Identity id = new Identity(c.clusterId(), nodeId, c.incarnation(nodeId), false);
    return store.saveIdentity(id).compose(v -> {
      identity = id;
      log.info("node {} adopts cluster {} (bootstrap, epoch 1)", nodeId, c.clusterId());
      return durable == null ? saveConfig(c) : Future.succeededFuture();
    }).onSuccess(v -> publish(durable));
  }

  private Future<Void> seal(String clusterId) {
    if (identity == null || !identity.clusterId().equals(clusterId)) {
      return Future.failedFuture(new IllegalStateException("node " + nodeId + " has not adopted cluster "
          + clusterId));
    }
    if (identity.sealed()) return Future.succeededFuture();
    Identity sealed = identity.withSealed();
    return store.saveIdentity(sealed).onSuccess(v -> {
      identity = sealed;
      publish(durable);
    });
  }

  // ---------------------------------------------------------------- bootstrap and gossip

  private void schedule(long delayMs) {
    if (stopped) return;
    if (delayMs <= 0) {
      runOnContext(this::tick);
    } else {
      timer = vertx.setTimer(delayMs, id -> tick());
    }
  }

  private boolean bootstrapping() {
    return !amnesiac && (identity == null ? durable == null || durable.members().contains(nodeId)
        : !identity.sealed());
  }

  private void tick() {
    if (stopped) return;
    boolean fast = bootstrapping();
    Future<?> work;
    if (identity != null && identity.sealed() && !bootstrapRound) {
      work = gossipAll(); // one full round at start: a foreign store is told at once, a node that was down catches up
      bootstrapRound = true;
    } else if (identity != null && identity.sealed()) {
      work = gossipHeld ? Future.succeededFuture() : gossipOne();
    } else if (fast) {
      work = bootstrapStep();
    } else {
      work = gossipAll(); // an empty node waiting to be added or replaced: learn the configuration
    }
    roundRunning = true;
    work.onComplete(ar -> {
      roundRunning = false;
      if (ar.failed()) log.debug("node {}: membership round failed: {}", nodeId, ar.cause().toString());
      schedule(bootstrapping() ? BOOTSTRAP_POLL_MS : GOSSIP_MS);
    });
  }

  /** The nodes to ask: the bootstrap acceptors and every node of the configuration in force, not this one. */
  private List<Integer> peers() {
    Set<Integer> all = new TreeSet<>(bootstrapAcceptors);
    if (durable != null) all.addAll(durable.members());
    all.remove(nodeId);
    return new ArrayList<>(all);
  }

  private Future<?> gossipOne() {
    List<Integer> peers = peers();
    if (peers.isEmpty()) return Future.succeededFuture();
    int node = peers.get(random.nextInt(peers.size()));
    return ask(node, Wire.memberStatus()).compose(s -> learn(node, s));
  }

  private Future<?> gossipAll() {
    List<Future<Void>> all = new ArrayList<>();
    for (int node : peers()) all.add(ask(node, Wire.memberStatus()).compose(s -> learn(node, s)));
    return Future.join(all);
  }

  /** Takes what a peer's status tells: a newer configuration, its seal, its cluster id. */
  private Future<Void> learn(int node, JsonObject status) {
    Promise<Void> done = Promise.promise();
    runOnContext(() -> {
      Identity theirs = optionalIdentity(status);
      ClusterConfig config = optionalConfig(status);
      if (theirs != null && theirs.sealed()) peerClusters.put(node, theirs.clusterId());
      checkForeign();
      Future<Void> f = Future.succeededFuture();
      if (config != null && (identity == null || identity.clusterId().equals(config.clusterId()))
          && (durable == null || config.epoch() > durable.epoch() || identity == null)) {
        boolean served = config.epoch() > 1 || (theirs != null && theirs.sealed());
        f = serial(() -> apply(config, served)).recover(e -> {
          log.debug("node {}: configuration from node {} not taken: {}", nodeId, node, e.getMessage());
          return Future.succeededFuture();
        });
      }
      if (identity != null && !identity.sealed() && theirs != null && theirs.sealed()
          && theirs.clusterId().equals(identity.clusterId())) {
        f = f.compose(v -> serial(() -> seal(identity.clusterId())));
      }
      f.onComplete(done);
    });
    return done.future();
  }

  /** A sealed store is foreign when a majority of its configuration's nodes are sealed in one other cluster. */
  private void checkForeign() {
    if (identity == null || !identity.sealed() || durable == null || foreign != null) return;
    Map<String, List<Integer>> others = new HashMap<>();
    for (Map.Entry<Integer, String> e : peerClusters.entrySet()) {
      if (!e.getValue().equals(identity.clusterId()) && durable.members().contains(e.getKey())) {
        others.computeIfAbsent(e.getValue(), k -> new ArrayList<>()).add(e.getKey());
      }
    }
    int majority = durable.members().size() / 2 + 1;
    for (Map.Entry<String, List<Integer>> e : others.entrySet()) {
      if (e.getValue().size() >= majority) {
        foreign = "store of node " + nodeId + " belongs to cluster " + identity.clusterId() + " but nodes "
            + e.getValue() + " are in cluster " + e.getKey() + ": this dataDir is from another cluster (give the "
            + "node an empty dataDir and run ./run.sh admin replace " + nodeId + ")";
        log.error("node {}: {}", nodeId, foreign);
        publish(durable);
        return;
      }
    }
  }

  /**
   * One bootstrap round: ask every bootstrap acceptor; the lowest of them makes (or takes up) the cluster id once
   * all of them answered and none has served, gives it to the others ({@code adopt}) and seals once all hold it.
   */
  private Future<?> bootstrapStep() {
    List<Integer> others = new ArrayList<>(bootstrapAcceptors);
    others.remove(Integer.valueOf(nodeId));
    boolean leader = !bootstrapAcceptors.isEmpty() && bootstrapAcceptors.get(0) == nodeId;
    if (identity != null && !identity.sealed() && leader && durable != null) {
      return adoptAll(others);
    }
    List<Future<JsonObject>> answers = new ArrayList<>();
    for (int node : peers()) answers.add(ask(node, Wire.memberStatus()));
    List<Integer> asked = peers();
    return Future.join(answers).transform(ignored -> {
      List<Future<Void>> learned = new ArrayList<>();
      Map<Integer, JsonObject> answered = new HashMap<>();
      for (int i = 0; i < asked.size(); i++) {
        if (answers.get(i).succeeded()) {
          answered.put(asked.get(i), answers.get(i).result());
          learned.add(learn(asked.get(i), answers.get(i).result()));
        }
      }
      return Future.join(learned).transform(v -> {
        if (!leader || identity != null || durable != null || amnesiac) return Future.succeededFuture();
        if (!answered.keySet().containsAll(others)) return Future.succeededFuture();
        // every bootstrap acceptor answered; none has served (else learn made this node amnesiac or a joiner)
        ClusterConfig taken = null;
        for (int node : others) {
          ClusterConfig theirs = optionalConfig(answered.get(node));
          Identity id = optionalIdentity(answered.get(node));
          if (theirs == null && id != null && !id.sealed()) {
            taken = ClusterConfig.bootstrap(id.clusterId(), nodeConfig.quorums()); // persisted half of an adopt
          }
          if (theirs != null && theirs.epoch() == 1 && theirs.quorums().equals(nodeConfig.quorums())) {
            taken = theirs; // an earlier attempt of this node (its disk lost before it sealed): take it up
          }
        }
        ClusterConfig chosen = taken != null ? taken
            : ClusterConfig.bootstrap(UUID.randomUUID().toString(), nodeConfig.quorums());
        Identity id = new Identity(chosen.clusterId(), nodeId, 1, false);
        log.info("node {} bootstraps cluster {} with acceptors {}", nodeId, chosen.clusterId(), chosen.members());
        return serial(() -> store.saveIdentity(id).compose(w -> {
          identity = id;
          return saveConfig(chosen);
        })).compose(w -> adoptAll(others));
      });
    });
  }

  private Future<Void> adoptAll(List<Integer> others) {
    ClusterConfig c = durable;
    List<Future<JsonObject>> acks = new ArrayList<>();
    for (int node : others) acks.add(ask(node, Wire.memberAdopt(c)));
    return Future.all(acks).compose(all -> serial(() -> seal(c.clusterId()))).onSuccess(v -> {
      log.info("node {}: cluster {} sealed on this node; telling {}", nodeId, c.clusterId(), others);
      for (int node : others) ask(node, Wire.memberSeal(c.clusterId()));
    });
  }

  // ---------------------------------------------------------------- helpers

  private Future<JsonObject> ask(int node, JsonObject request) {
    return guard.<JsonObject>request(vertx, addresses.member(node), request, askOptions, BusGuard.Kind.MEMBER)
        .map(Message::body);
  }

  private static Identity optionalIdentity(JsonObject status) {
    JsonObject j = status.getJsonObject("identity");
    try {
      return j == null ? null : Identity.fromJson(j);
    } catch (IllegalArgumentException e) {
      return null;
    }
  }

  private static ClusterConfig optionalConfig(JsonObject status) {
    JsonObject j = status.getJsonObject("config");
    try {
      return j == null ? null : Wire.configFromJson(j);
    } catch (IllegalArgumentException e) {
      return null;
    }
  }

  /** Runs changes one at a time on this verticle's context, each after the previous one completed. */
  private <T> Future<T> serial(Supplier<Future<T>> op) {
    Promise<T> result = Promise.promise();
    runOnContext(() -> {
      Future<T> next = tail.transform(ignored -> {
        try {
          return op.get();
        } catch (RuntimeException e) {
          return Future.failedFuture(e);
        }
      });
      tail = next;
      next.onComplete(result);
    });
    return result.future();
  }

  private void runOnContext(Runnable r) {
    if (context == null) throw new IllegalStateException("membership not started");
    if (io.vertx.core.Vertx.currentContext() == context) {
      r.run();
    } else {
      context.runOnContext(v -> r.run());
    }
  }

  static String describe(ClusterConfig c) {
    QuorumSpec q = c.quorums();
    return "epoch " + c.epoch() + ": prepare " + q.prepareNodes() + "/" + q.prepareQuorum() + ", accept "
        + q.acceptNodes() + "/" + q.acceptQuorum() + ", incarnations " + c.incarnations() + ", ballotFloor "
        + c.ballotFloor();
  }
}
