package io.kshaka;

import io.kshaka.cluster.AcceptorVerticle;
import io.kshaka.cluster.FailureDetector;
import io.kshaka.cluster.PeerMonitor;
import io.kshaka.cluster.Addresses;
import io.kshaka.cluster.KvRouter;
import io.kshaka.cluster.NodeConfig;
import io.kshaka.cluster.NodeHealth;
import io.kshaka.cluster.ProposerVerticle;
import io.kshaka.cluster.RegistrationJanitor;
import io.kshaka.cluster.Watches;
import io.kshaka.core.ClusterConfig;
import io.kshaka.http.HttpVerticle;
import io.kshaka.membership.ClusterStatus;
import io.kshaka.membership.ConfigRegister;
import io.kshaka.membership.GcJob;
import io.kshaka.membership.GcPorts;
import io.kshaka.membership.Membership;
import io.kshaka.membership.MembershipAdmin;
import io.kshaka.membership.MembershipDriver;
import io.kshaka.membership.NodeDriverPorts;
import io.kshaka.security.BusGuard;
import io.kshaka.security.Tokens;
import io.kshaka.security.ClusterSecret;
import io.kshaka.storage.DurableLong;
import io.kshaka.storage.FileAcceptorStore;
import io.kshaka.storage.StoreMetrics;
import io.kshaka.storage.StoreOptions;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Promise;
import io.vertx.core.VerticleBase;
import io.vertx.core.Vertx;
import io.vertx.core.internal.VertxInternal;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.healthchecks.Status;
import io.vertx.ext.web.Router;
import io.vertx.micrometer.backends.BackendRegistries;
import io.vertx.micrometer.impl.MicrometerMetrics;
import java.nio.file.Path;
import java.time.Instant;
import java.util.HashSet;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The module's entry point: deploys one Kshaka node (acceptor, proposer and HTTP verticles) from one JSON config
 * (README, "Configuration") into any clustered Vert.x — a user's own application or {@link Main}. The config comes
 * from the constructor or from the deployment options' config.
 *
 * <pre>
 * vertx.deployVerticle(new KshakaVerticle(), new DeploymentOptions().setConfig(nodeJson));
 * vertx.deployVerticle("io.kshaka.KshakaVerticle", new DeploymentOptions().setConfig(nodeJson)); // by name
 * </pre>
 *
 * <p>Embedding options (see docs/embedding.md): {@code "http": {"enabled": false}} binds no server;
 * {@link #httpRouter()} is the API as a router to mount on the host's server; {@link #readinessProcedure()} is
 * {@code /ready} as a vertx-health-checks procedure; meters go to the host's Micrometer registry when its Vert.x has
 * Micrometer metrics enabled (else to a Prometheus registry of the node's own).
 */
public final class KshakaVerticle extends VerticleBase {
  private static final Logger log = LoggerFactory.getLogger(KshakaVerticle.class);

  private final JsonObject explicitConfig;
  private final MeterRegistry explicitRegistry;
  private MeterRegistry registry;
  private FileAcceptorStore store;
  private FileAcceptorStore.Preloaded preloaded;
  private HttpVerticle http;
  private ProposerVerticle proposer;
  private RegistrationJanitor janitor;
  private PeerMonitor monitor;
  private FailureDetector detector;
  private KvRouter router;
  private Watches watches;
  private MembershipDriver driver;
  private MembershipAdmin admin;
  /** How often a node looks at the membership change (resume it, or take it over). */
  private static final long WATCH_MS = 2_000;
  /** A running change whose record did not move for this long is taken over (its driver heartbeats every 5 s). */
  private static final long TAKEOVER_MS = 20_000;
  private Membership membership;
  private GcJob gc;
  /** The started nodes by deployment id, for hosts that deploy by name ({@link #deployed}). */
  private static final java.util.Map<String, KshakaVerticle> DEPLOYED = new java.util.concurrent.ConcurrentHashMap<>();

  /**
   * The node a deployment started, for a host that deployed it by name and wants its {@link #httpRouter()} or
   * {@link #readinessProcedure()}; null if no started node has this deployment id (or it was undeployed).
   *
   * <pre>
   * String id = vertx.deployVerticle("io.kshaka.KshakaVerticle", new DeploymentOptions().setConfig(json)).await();
   * KshakaVerticle kshaka = KshakaVerticle.deployed(id);
   * </pre>
   */
  public static KshakaVerticle deployed(String deploymentId) {
    return deploymentId == null ? null : DEPLOYED.get(deploymentId);
  }

  /**
   * Config from the deployment options; meters in the host's Micrometer registry if its Vert.x has metrics enabled,
   * else in a Prometheus registry of its own. The constructor {@code deployVerticle("io.kshaka.KshakaVerticle", ..)}
   * uses.
   */
  public KshakaVerticle() {
    this(null, null);
  }

  /**
   * @param config the node's JSON config, or null to take the deployment options' config
   * @param registry where to register metrics (null: the host Vert.x's Micrometer registry when its metrics are
   *     enabled, else a new Prometheus registry); {@code /metrics} serves it if it is (or holds) a Prometheus one
   */
  public KshakaVerticle(JsonObject config, MeterRegistry registry) {
    this.explicitConfig = config;
    this.explicitRegistry = registry;
  }

  /**
   * The node's store as {@link FileAcceptorStore#preload()} read it before this Vert.x existed (null: none), taken
   * over at deploy when its files are unchanged since. Call before deploying.
   */
  KshakaVerticle preloadedStore(FileAcceptorStore.Preloaded preloaded) {
    this.preloaded = preloaded;
    return this;
  }

  /** Whether the store took over what {@link #preloadedStore} handed it (its files were unchanged). */
  boolean storeTookOverPreload() {
    return store != null && store.tookOverPreload();
  }

  /**
   * The Micrometer registry of {@code vertx} when it was built with Micrometer metrics enabled
   * (vertx-micrometer-metrics), else null.
   */
  static MeterRegistry hostRegistry(Vertx vertx) {
    if (vertx == null || !vertx.isMetricsEnabled()) return null;
    if (vertx instanceof VertxInternal internal && internal.metrics() instanceof MicrometerMetrics metrics) {
      return metrics.registry();
    }
    return BackendRegistries.getDefaultNow();
  }

  @Override
  public Future<?> start() {
    NodeConfig cfg;
    try {
      cfg = NodeConfig.fromJson(explicitConfig != null ? explicitConfig : config());
    } catch (IllegalArgumentException e) {
      return Future.failedFuture(e);
    }
    MeterRegistry host = explicitRegistry == null ? hostRegistry(vertx) : null;
    registry = explicitRegistry != null ? explicitRegistry
        : host != null ? host : new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    if (host != null) {
      log.info("node {}: meters go to the host Vert.x's Micrometer registry ({})", cfg.nodeId(),
          host.getClass().getSimpleName());
    }
    store = new FileAcceptorStore(vertx, StoreOptions.defaults(cfg.dataDir())
        .withSnapshotThresholds(Math.min(cfg.snapshotBytes(), StoreOptions.DEFAULT_SNAPSHOT_MIN_LOG_BYTES),
            cfg.snapshotBytes(), StoreOptions.DEFAULT_SNAPSHOT_LIVE_RATIO)
        .withMetrics(storeMetrics(cfg.nodeId()))).adoptOnOpen(preloaded);
    preloaded = null;
    ClusterSecret secret;
    try {
      secret = cfg.clusterSecret();
    } catch (IllegalArgumentException e) {
      return Future.failedFuture(e);
    }
    if (!secret.enabled()) {
      log.warn("node {}: node-to-node messages are unauthenticated (no cluster.secretFile): any member of the "
          + "cluster can send votes and membership changes to this node", cfg.nodeId());
    }
    BusGuard guard = BusGuard.create(secret.auth(), registry);
    membership = new Membership(cfg, guard);
    Set<Integer> peers = new TreeSet<>(cfg.acceptors());
    peers.addAll(cfg.quorums().allNodes());
    peers.remove(cfg.nodeId());
    detector = new FailureDetector(peers, cfg.failureDetector(), () -> System.nanoTime() / 1_000_000);
    NodeHealth health = new NodeHealth(detector);
    Addresses addresses = cfg.addresses();
    monitor = PeerMonitor.start(vertx, detector, addresses, guard);
    router = new KvRouter(vertx, cfg, health, guard);
    router.timeForwards(registry);
    FunctionCounter.builder("kshaka_router_takeovers", router, KvRouter::takeovers)
        .description("forwarded requests taken over by this node's proposer (home suspect, silent or in doubt)")
        .register(registry);
    Gauge.builder("kshaka_peers_suspect", detector, d -> d.peers().stream().filter(d::suspect).count())
        .description("peers this node's failure detector suspects now (routing only)").register(registry);
    watches = new Watches(vertx, router);
    Gauge.builder("kshaka_watches_open", watches, Watches::open).description("watches (blocking GETs) open on this node")
        .register(registry);
    http = new HttpVerticle(cfg, new ClusterStatus(watches,
        () -> GcPorts.acceptorCounts(vertx, addresses, guard, membership.current().members(),
            Math.max(1_000, cfg.sendTimeoutMs())),
        () -> gc == null ? null : gc.status()), registry);
    String floorFile = Path.of(cfg.dataDir(), "proposer-counter-floor").toString();
    AcceptorVerticle acceptor = new AcceptorVerticle(addresses, cfg.nodeId(), store, membership, guard);
    acceptor.onAccepted(watches::accepted);
    return vertx.fileSystem().mkdirs(cfg.dataDir())
        .compose(v -> vertx.deployVerticle(membership))
        .compose(v -> {
          // routing and failure detection follow the configuration in force (recomputed on change only)
          router.membership(membership);
          detector.setPeers(peersOf(membership.current(), cfg));
          membership.onChange(c -> detector.setPeers(peersOf(c, cfg)));
          return DurableLong.open(vertx, floorFile);
        })
        .compose(floor -> vertx.deployVerticle(acceptor)
            .compose(id -> vertx.deployVerticle(proposer = new ProposerVerticle(cfg, floor.get(), floor::store,
                health, watches, registry, membership, guard))))
        .compose(id -> vertx.deployVerticle(http))
        .compose(id -> startAdmin(cfg, guard))
        .onSuccess(id -> janitor = RegistrationJanitor.start(vertx, addresses, 1_000,
            () -> ownAddresses(addresses, cfg.nodeId(), acceptor), () -> clusterAddresses(cfg, membership), () -> {
              acceptor.reRegister();
              proposer.reRegister();
              membership.reRegister();
              admin.reRegister();
            }, health))
        .onSuccess(id -> startGc(cfg, guard))
        .onSuccess(id -> {
          if (deploymentID() != null) DEPLOYED.put(deploymentID(), this);
        })
        .onFailure(e -> monitor.stop())
        .onSuccess(id -> {
          if (janitor != null) {
            FunctionCounter.builder("kshaka_merges_repaired", janitor, RegistrationJanitor::merges)
                .description("split-brain merges of this node repaired in place (event-bus routing refreshed)")
                .register(registry);
          }
        })
        .onSuccess(id -> log.info("kshaka node {} ready: {} ({} keys, acceptors {}{})", cfg.nodeId(),
            cfg.httpServing().enabled() ? "http://" + cfg.httpHost() + ":" + http.actualPort()
                : "no HTTP server (http.enabled=false)", store.size(), membership.current().members(),
            membership.voting() ? "" : "; not voting yet: " + membership.notVotingReason()));
  }

  /**
   * The membership procedure of this node: its driver (resumes a change it drove before a restart, takes over one
   * whose driver went silent) and the admin API on HTTP and the event bus.
   */
  private Future<Void> startAdmin(NodeConfig cfg, BusGuard guard) {
    int me = cfg.nodeId();
    NodeDriverPorts ports = new NodeDriverPorts(vertx, me, membership::current, proposer::submitInternal,
        (config, ms) -> membership.push(config, Membership.Need.BLOCKING, Instant.now().plusMillis(ms)).mapEmpty(),
        cfg.addresses()::member, cfg.addresses()::acceptorAdmin, Math.max(2_000, cfg.sendTimeoutMs()), guard);
    driver = new MembershipDriver(vertx, ports, MembershipDriver.Options.defaults(), System::currentTimeMillis);
    admin = new MembershipAdmin(vertx, cfg.addresses(), driver, me, membership::current, membership::voting,
        cfg.requestTimeoutMs() + 5_000);
    Future<Tokens> tokens = cfg.auth().enabled()
        ? Tokens.watch(vertx, cfg.auth().tokensFile(), cfg.auth().tokensReloadMs(), "admin API")
        : Future.succeededFuture(null);
    return tokens.compose(t -> admin.security(guard, t).register()).onSuccess(v -> {
      http.admin(admin);
      driver.watch(() -> membership.voting() && membership.current().members().contains(me), WATCH_MS,
          TAKEOVER_MS);
    });
  }

  /** Garbage collection of tombstones: one job per node (only the lowest live acceptor runs batches). */
  private void startGc(NodeConfig cfg, BusGuard guard) {
    ConfigRegister register = new ConfigRegister(proposer::submitInternal, membership::current);
    gc = new GcJob(cfg.gc(), cfg.proposerOptions().maxValueBytes(), new GcPorts(vertx, cfg.addresses(), cfg.nodeId(), store,
        membership::current, detector::suspect, register, proposer::submitInternal,
        (config, timeoutMs) -> membership.push(config, Membership.Need.ALL, Instant.now().plusMillis(timeoutMs))
            .otherwise(e -> Set.of()),
        Math.max(1_000, 4 * cfg.sendTimeoutMs()), guard));
    gc.registerMetrics(registry, store::tombstones);
    gc.start(vertx);
  }

  @Override
  public Future<?> stop() {
    if (deploymentID() != null) DEPLOYED.remove(deploymentID(), this);
    if (driver != null) driver.stop();
    if (gc != null) gc.stop();
    if (watches != null) watches.close();
    if (janitor != null) janitor.stop();
    if (monitor != null) monitor.stop();
    return Future.succeededFuture();
  }

  /** The addresses other nodes reach this node on. */
  private static Set<String> ownAddresses(Addresses addresses, int nodeId, AcceptorVerticle acceptor) {
    Set<String> own = new HashSet<>(Set.of(addresses.kv(), addresses.kv(nodeId), addresses.member(nodeId)));
    if (acceptor.address() != null) own.add(acceptor.address());
    return own;
  }

  /** The peers the failure detector watches: the members in force and the bootstrap acceptors, not this node. */
  private static Set<Integer> peersOf(ClusterConfig config, NodeConfig cfg) {
    Set<Integer> peers = new TreeSet<>(config.members());
    peers.remove(cfg.nodeId());
    return peers;
  }

  /** Every Kshaka address of the configured nodes: their routing is refreshed after a split-brain merge. */
  private static Set<String> clusterAddresses(NodeConfig cfg, Membership membership) {
    Addresses a = cfg.addresses();
    Set<String> all = new HashSet<>(Set.of(a.kv(), a.kv(cfg.nodeId()), a.acceptor(cfg.nodeId())));
    for (int node : membership.current().members()) {
      all.add(a.member(node));
      all.add(a.kv(node));
      all.add(a.acceptor(node));
    }
    return all;
  }

  /** The node's membership driver, or null before start. */
  public MembershipDriver membershipDriver() {
    return driver;
  }

  /** The port the HTTP API listens on (useful with port 0); -1 with {@code http.enabled=false} or before start. */
  public int httpPort() {
    return http == null ? -1 : http.actualPort();
  }

  /**
   * The HTTP API as a vertx-web router for the host application's server, to mount under a path of its own;
   * works with {@code http.enabled} true or false. Call after the deployment completed. Each call makes a new
   * router over the same node.
   *
   * <pre>
   * Router host = Router.router(vertx);
   * host.route("/kshaka/*").subRouter(kshaka.httpRouter());   // GET /kshaka/v1/kv/k, /kshaka/ready, ...
   * </pre>
   */
  public Router httpRouter() {
    if (http == null) throw new IllegalStateException("KshakaVerticle is not started: deploy it first");
    return http.mountableRouter();
  }

  /**
   * {@code GET /ready} as a vertx-health-checks procedure: OK with {@code {"status":"ready"}}, or KO with
   * {@code {"status":"not_ready","error":"not_voting"|"no_quorum"|"not_started","message":...}}. The check may take
   * up to the request timeout plus 2 s when acceptors do not answer: register it with a timeout of your choice.
   *
   * <pre>
   * HealthChecks checks = HealthChecks.create(vertx);
   * checks.register("kshaka", 2_000, kshaka.readinessProcedure());
   * </pre>
   */
  public Handler<Promise<Status>> readinessProcedure() {
    return promise -> {
      HttpVerticle node = http;
      if (node == null) {
        promise.tryComplete(Status.KO(new JsonObject().put("status", "not_ready").put("error", "not_started")
            .put("message", "the Kshaka node is not deployed")));
        return;
      }
      node.readiness().onComplete(ar -> {
        JsonObject r = ar.succeeded() ? ar.result() : new JsonObject().put("status", "not_ready")
            .put("error", "no_quorum").put("message", String.valueOf(ar.cause()));
        promise.tryComplete("ready".equals(r.getString("status")) ? Status.OK(r) : Status.KO(r));
      });
    };
  }

  /** Which peers this node suspects (routing only), or null before start. */
  public FailureDetector failureDetector() {
    return detector;
  }

  /** The node's configuration and identity, or null before start. */
  public Membership membership() {
    return membership;
  }

  /** The node's request router, or null before start. */
  public KvRouter router() {
    return router;
  }

  /** Where this node's meters are (the host's, the one given, or its own Prometheus registry); null before start. */
  public MeterRegistry registry() {
    return registry;
  }

  private StoreMetrics storeMetrics(int nodeId) {
    Timer flushes = Timer.builder("kshaka_store_flush").description("acceptor log write + fsync")
        .publishPercentileHistogram().register(registry);
    DistributionSummary records = DistributionSummary.builder("kshaka_store_records_per_flush")
        .publishPercentileHistogram().register(registry);
    Gauge.builder("kshaka_store_keys", () -> store == null ? 0 : store.size()).register(registry);
    return new StoreMetrics() {
      @Override
      public void onFlush(int n, int bytes, long nanos) {
        flushes.record(nanos, TimeUnit.NANOSECONDS);
        records.record(n);
      }

      @Override
      public void onFailure(Throwable cause) {
        log.error("node {}: acceptor store failed: {}", nodeId, cause.toString());
      }
    };
  }
}
