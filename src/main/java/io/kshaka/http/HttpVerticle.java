package io.kshaka.http;

import io.kshaka.cluster.AdminService;
import io.kshaka.cluster.KvError;
import io.kshaka.cluster.KvService;
import io.kshaka.cluster.NodeConfig;
import io.kshaka.cluster.Watches;
import io.kshaka.cluster.Wire;
import io.kshaka.security.Role;
import io.kshaka.security.Tokens;
import io.kshaka.security.TlsSettings;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.composite.CompositeMeterRegistry;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.VerticleBase;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Route;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.StaticHandler;
import java.nio.charset.StandardCharsets;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The HTTP API of one node (docs/http.md). Every key-value request becomes one {@link KvService#execute} call;
 * {@link #replyFailure} is the one place where a failure becomes a status and a JSON error body.
 *
 * <p>The verticle binds its own server unless {@code http.enabled} is false; either way {@link #mountableRouter()}
 * gives the same API as a router a host application mounts under a path of its own
 * ({@code hostRouter.route("/kshaka/*").subRouter(router)}).
 */
public final class HttpVerticle extends VerticleBase {
  /** How much of a refused body is read and dropped so that the client sees the 413 (see closeAfterBody). */
  private static final long DRAIN_BYTES = 16L << 20;
  private static final Logger LOG = LoggerFactory.getLogger(HttpVerticle.class);

  /** Longest request line accepted: a 512-byte key fully percent-encoded is 1,536 chars, plus prefix and query. */
  static final int MAX_INITIAL_LINE_LENGTH = 4096;
  /** The proposer gives up after requestTimeoutMs; we wait that much longer before answering 504 ourselves. */
  static final long DEADLINE_MARGIN_MS = 2_000;
  /** The header of a watch's answer that carries the key's version (also in the ETag). */
  static final String VERSION_HEADER = "X-Kshaka-Version";
  static final long DEFAULT_WATCH_WAIT_MS = 30_000;
  static final String TIMER = "kshaka.http.requests";
  private static final long PREALLOCATE_MAX = 64 * 1024;

  private static final String JSON = "application/json";
  /** Carries a value's expiry (epoch ms) on reads and writes of a key with a TTL. */
  static final String EXPIRES_HEADER = "X-Kshaka-Expires";
  private static final String OCTETS = "application/octet-stream";
  private static final String PROMETHEUS_TEXT = "text/plain; version=0.0.4; charset=utf-8";
  private static final String VALUE = "kshaka.value";
  private static final String RAW_PATH = "kshaka.rawPath";
  private static final String TIMED = "kshaka.timed";
  private static final Set<String> METHODS = Set.of("GET", "HEAD", "PUT", "POST", "DELETE", "OPTIONS", "PATCH");

  private final NodeConfig config;
  private final KvService kv;
  private final MeterRegistry registry;
  /** The Prometheus registry /metrics serves: the registry itself, or one inside a composite; null if none. */
  private final PrometheusMeterRegistry prometheus;
  private volatile AdminService admin;
  private final IdempotencyKeys idempotencyKeys = new IdempotencyKeys(IdempotencyKeys.DEFAULT_CAPACITY,
      System::currentTimeMillis);
  private HttpServer server;
  private Router router;
  /** Credentials in front of every route (a pass-through when auth is off); set by start. */
  private Guard guard;

  /**
   * @param registry where request timings go; {@code /metrics} serves it as Prometheus text if it is (or a
   *     composite holding) a {@link PrometheusMeterRegistry}, and answers 404 naming why otherwise
   */
  public HttpVerticle(NodeConfig config, KvService kv, MeterRegistry registry) {
    this.config = Objects.requireNonNull(config, "config");
    this.kv = Objects.requireNonNull(kv, "kv");
    this.registry = Objects.requireNonNull(registry, "registry");
    this.prometheus = prometheusIn(registry);
  }

  /** The Prometheus registry in {@code registry} (itself, or the first one found in a composite), or null. */
  static PrometheusMeterRegistry prometheusIn(MeterRegistry registry) {
    if (registry instanceof PrometheusMeterRegistry p) return p;
    if (registry instanceof CompositeMeterRegistry composite) {
      for (MeterRegistry inner : composite.getRegistries()) {
        PrometheusMeterRegistry p = prometheusIn(inner);
        if (p != null) return p;
      }
    }
    return null;
  }

  /** Serves the admin API ({@code /v1/admin/...}) through {@code service}; until then it answers 503. */
  public void admin(AdminService service) {
    this.admin = service;
  }

  @Override
  public Future<?> start() {
    var auth = config.auth();
    return (auth.enabled() ? Tokens.watch(vertx, auth.tokensFile(), auth.tokensReloadMs(), "HTTP API")
        : Future.<Tokens>succeededFuture(null))
        .compose(tokens -> {
          guard = new Guard(auth, tokens);
          if (!config.httpServing().enabled()) {
            LOG.info("HTTP server of node {} disabled (http.enabled=false): mount KshakaVerticle.httpRouter() to "
                + "serve the API", config.nodeId());
            return Future.succeededFuture();
          }
          return listen();
        });
  }

  private Future<?> listen() {
    router = router(false);
    long deadlineSeconds = TimeUnit.MILLISECONDS.toSeconds(config.requestTimeoutMs() + DEADLINE_MARGIN_MS);
    HttpServerOptions options = new HttpServerOptions()
        .setHost(config.httpHost())
        .setPort(config.httpPort())
        .setMaxInitialLineLength(MAX_INITIAL_LINE_LENGTH)
        // idle keep-alive connections go after a while; never while a request (a watch: up to 5 minutes) waits
        .setIdleTimeout((int) (deadlineSeconds + TimeUnit.MILLISECONDS.toSeconds(Watches.MAX_WAIT_MS) + 10))
        .setIdleTimeoutUnit(TimeUnit.SECONDS);
    TlsSettings.Http tls = config.tls().http();
    if (tls != null) tls.applyTo(options);
    return vertx.createHttpServer(options)
        .requestHandler(request -> measured(request, router))
        .listen()
        .onSuccess(s -> {
          server = s;
          LOG.info("HTTP API of node {} listening on {}://{}:{}", config.nodeId(), tls == null ? "http" : "https",
              config.httpHost(), s.actualPort());
        });
  }

  /** The routes of the running server (for tests that go over every route). */
  java.util.List<Route> routes() {
    return router == null ? java.util.List.of() : router.getRoutes();
  }

  /** The port the server listens on (useful with port 0), or -1 before it started. */
  public int actualPort() {
    return server == null ? -1 : server.actualPort();
  }

  /**
   * The whole API as a router for a host application's server, to mount under a path of its own:
   * {@code hostRouter.route("/kshaka/*").subRouter(httpVerticle.mountableRouter())}. It answers exactly as the
   * node's own server does (error bodies, 404/405, 413, {@code /ready}, {@code /metrics}, admin routes, the same
   * credentials) and times its requests into the same meter. Works whether or not this verticle binds a server;
   * call it after deploy. Requests the host's router refuses before they reach this one (an invalid
   * percent-encoding, a path whose dot segments leave the mount point) are answered by the host.
   */
  public Router mountableRouter() {
    if (guard == null) throw new IllegalStateException("deploy the HttpVerticle before asking for its router");
    return router(true);
  }

  /**
   * The table of contents. Every route but /health starts with its guard (a pass-through when auth is off).
   * {@code mounted}: for use as a sub-router, where the parent router, not this one, would answer a failure or a
   * request no route matches; so this router answers them itself (same bodies), and times requests itself (the
   * node's own server times them in {@link #measured}).
   */
  private Router router(boolean mounted) {
    Router router = Router.router(vertx);
    if (mounted) {
      router.route().handler(this::timed);
      router.route().failureHandler(this::failed);
    }
    router.route().handler(this::refuseBodiesOfUnknownLength);
    router.route().handler(HttpVerticle::keepDotSegmentsInKeys);
    // operations: /health is always open; /ready and /metrics as auth.readyOpen and auth.metricsOpen say
    router.get("/health").handler(this::health);
    router.get("/ready").handler(guard.ready()).handler(this::ready);
    router.get("/metrics").handler(guard.metrics()).handler(this::metrics);
    router.get("/v1/cluster").handler(guard.need(Role.READ)).handler(this::cluster);
    // administration: membership changes (AdminService); anything under /v1/admin/ needs role admin
    router.route("/v1/admin/*").handler(guard.need(Role.ADMIN));
    router.get("/v1/admin/membership").handler(this::membershipStatus);
    router.post("/v1/admin/membership").handler(this::readValue).handler(this::membershipChange);
    // the registers: key = the raw path after /v1/kv/, see KeyPath
    router.getWithRegex("/v1/kv").handler(guard.need(Role.READ)).handler(this::list); // exactly: /v1/kv/ is an (empty) key
    router.getWithRegex("/v1/kv/.*").handler(guard.need(Role.READ)).handler(this::get);
    router.putWithRegex("/v1/kv/.*").handler(guard.need(Role.WRITE)).handler(this::readValue).handler(this::put);
    router.deleteWithRegex("/v1/kv/.*").handler(guard.need(Role.WRITE)).handler(this::delete);
    router.postWithRegex("/v1/kv/.*").handler(guard.need(Role.WRITE)).handler(this::post);
    // the API contract (src/main/resources/openapi.json, served as is) and the dashboard (src/main/resources/ui/):
    // static files, open (the page sends the user's token with its API calls)
    router.get("/openapi.json").handler(ctx -> ctx.response()
        .putHeader(HttpHeaders.CONTENT_TYPE, JSON).sendFile("openapi.json"));
    router.get("/ui/*") // also matches /ui, whose relative links would miss: redirect it (relative: works mounted)
        .handler(ctx -> {
          if (ctx.request().path().endsWith("/ui")) ctx.redirect("ui/");
          else ctx.next();
        })
        .handler(StaticHandler.create("ui").setCachingEnabled(false));
    // what the router answers by itself, shaped as our JSON errors
    router.errorHandler(401, this::refused);
    router.errorHandler(403, this::refused);
    router.errorHandler(400, ctx -> replyFailure(ctx, badRequest(routerMessage(ctx, "invalid request path"))));
    router.errorHandler(404, ctx -> replyFailure(ctx, notFound()));
    router.errorHandler(405, this::methodNotAllowed);
    router.errorHandler(413, this::valueTooLarge);
    router.errorHandler(500, this::internalError);
    if (mounted) router.route().handler(this::noRoute);
    return router;
  }

  /** Mounted: what the Router answers by itself when no route matches (404, or 405 for a known path). */
  private void noRoute(RoutingContext ctx) {
    String path = localPath(ctx, ctx.request().path());
    if (path.startsWith(KeyPath.PREFIX) || ROUTE_PATHS.contains(path)) {
      methodNotAllowed(ctx);
    } else {
      replyFailure(ctx, notFound());
    }
  }

  /** Mounted: the failures the node's own server answers through {@code router.errorHandler}. */
  private void failed(RoutingContext ctx) {
    switch (ctx.statusCode()) {
      case 400 -> replyFailure(ctx, badRequest(routerMessage(ctx, "invalid request path")));
      case 404 -> replyFailure(ctx, notFound());
      case 401, 403 -> refused(ctx);
      case 405 -> methodNotAllowed(ctx);
      case 413 -> valueTooLarge(ctx);
      default -> internalError(ctx);
    }
  }

  private static HttpError notFound() {
    return new HttpError(404, "not_found",
        "no such endpoint; see /v1/kv/{key}, /v1/cluster, /v1/admin/membership, /health, /ready, /metrics");
  }

  /** The paths of the routes other than the registers (for 405 versus 404 when mounted). */
  private static final Set<String> ROUTE_PATHS = Set.of("/health", "/ready", "/metrics", "/v1/cluster", "/v1/kv",
      "/v1/admin/membership");

  /**
   * {@code path} (a path of the request) without the mount point of the router that handles it: the path the API
   * sees, as on its own server. A path outside the mount point is returned as is.
   */
  static String localPath(RoutingContext ctx, String path) {
    String mount = ctx.mountPoint();
    if (path == null || mount == null || mount.isEmpty() || mount.equals("/")) return path;
    String base = mount.endsWith("/") ? mount.substring(0, mount.length() - 1) : mount;
    return path.startsWith(base) && (path.length() == base.length() || path.charAt(base.length()) == '/')
        ? path.substring(base.length()) : path;
  }

  // ---------------------------------------------------------------- operations

  private void health(RoutingContext ctx) {
    send(ctx, Reply.json(200, new JsonObject().put("status", "up")));
  }

  /**
   * Ready = this node's acceptor votes, enough acceptors answer for a prepare and an accept quorum, and the cluster
   * lists this node's handlers; a node that cannot tell is not ready. 503 names why: {@code "error"} is
   * {@code not_voting} (an empty store of a node that served, a store of another cluster, still bootstrapping) or
   * {@code no_quorum}. A node outside the configuration in force (waiting to be added, or removed) routes, and is
   * ready.
   */
  private void ready(RoutingContext ctx) {
    answer(ctx, readiness().map(r -> Reply.json("ready".equals(r.getString("status")) ? 200 : 503, r)));
  }

  /**
   * What {@code GET /ready} answers, as JSON: {@code {"status":"ready"}}, or {@code {"status":"not_ready",
   * "error": "not_voting"|"no_quorum", "message": why}}. Never fails. Usable from any context after deploy (the
   * readiness procedure of {@code KshakaVerticle.readinessProcedure()} calls it).
   */
  public Future<JsonObject> readiness() {
    return status()
        .map(s -> Boolean.TRUE.equals(s.getValue("ready"))
            ? new JsonObject().put("status", "ready")
            : notReady(s.getString("error", "no_quorum"),
                s.getString("problem", "not enough acceptors answer for a prepare and an accept quorum")))
        .recover(t -> Future.succeededFuture(notReady("no_quorum", "node status unavailable: " + t.getMessage())));
  }

  /** Not ready, naming why: {@code not_voting} (this node's acceptor may not vote) or {@code no_quorum}. */
  private static JsonObject notReady(String error, String why) {
    return new JsonObject().put("status", "not_ready").put("error", error).put("message", why);
  }

  /**
   * Prometheus text of the registry, or 404 naming why when the node's meters live in a registry that is not a
   * Prometheus one (a host application's Micrometer backend such as JMX or InfluxDB: scrape it there).
   */
  private void metrics(RoutingContext ctx) {
    if (prometheus == null) {
      replyFailure(ctx, new HttpError(404, "no_prometheus_registry", "this node's meters are in the host "
          + "application's " + registry.getClass().getSimpleName() + ", which is not a Prometheus registry: read "
          + "them from the host's metrics backend"));
      return;
    }
    send(ctx, new Reply(200, PROMETHEUS_TEXT, Buffer.buffer(prometheus.scrape()), null));
  }

  private void cluster(RoutingContext ctx) {
    answer(ctx, deadline(kv::clusterStatus).map(s -> Reply.json(200, s)));
  }

  // ---------------------------------------------------------------- administration

  /** {@code GET /v1/admin/membership}: epoch, configuration and the running change (or null). */
  private void membershipStatus(RoutingContext ctx) {
    adminCall(ctx, new JsonObject().put("op", "status"));
  }

  /** {@code POST /v1/admin/membership} {@code {"acceptors":[..]}} or {@code {"replace":n}}: 202 with the change. */
  private void membershipChange(RoutingContext ctx) {
    Buffer body = ctx.get(VALUE);
    JsonObject request;
    try {
      Object parsed = body == null || body.length() == 0 ? null : io.vertx.core.json.Json.decodeValue(body);
      if (!(parsed instanceof JsonObject o)) throw new io.vertx.core.json.DecodeException("not a JSON object");
      request = o;
      request.remove("op");
      request.remove("forwarded");
    } catch (io.vertx.core.json.DecodeException e) {
      replyFailure(ctx, badRequest("the body must be a JSON object such as {\"acceptors\":[1,2,3,4]} or "
          + "{\"replace\":2}"));
      return;
    }
    adminCall(ctx, request);
  }

  private void adminCall(RoutingContext ctx, JsonObject request) {
    AdminService service = admin;
    if (service == null) {
      send(ctx, Reply.json(503, new JsonObject().put("error", "unavailable")
          .put("message", "the admin API of this node is not running yet")));
      return;
    }
    Promise<Reply> reply = Promise.promise();
    Context caller = callerContext();
    service.admin(request).onComplete(ar -> onContext(caller, () -> reply.handle(ar.map(r -> Reply.json(r.status(),
        r.body())))));
    answer(ctx, reply.future());
  }

  // ---------------------------------------------------------------- registers

  /**
   * {@code GET /v1/kv?prefix=P&after=K&limit=N&values=true}: one page of the keys with a value, in code point order
   * ({@code io.kshaka.cluster.KeyLister}); 400 bad_parameter for a malformed parameter.
   */
  private void list(RoutingContext ctx) {
    JsonObject request = new JsonObject().put("op", "list");
    try {
      String prefix = ctx.request().getParam("prefix");
      String after = ctx.request().getParam("after");
      String limit = ctx.request().getParam("limit");
      String values = ctx.request().getParam("values");
      if (prefix != null) {
        if (!prefix.isEmpty() && prefix.charAt(0) == io.kshaka.cluster.Keys.RESERVED) {
          throw new HttpError(400, "bad_parameter", "prefix: keys starting with U+0000 are reserved");
        }
        request.put("prefix", prefix);
      }
      if (after != null) request.put("after", after);
      if (limit != null) {
        int n;
        try {
          n = Integer.parseInt(limit);
        } catch (NumberFormatException e) {
          n = -1;
        }
        if (n < 1 || n > io.kshaka.cluster.KeyLister.MAX_LIMIT) {
          throw new HttpError(400, "bad_parameter", "limit: must be an integer 1.."
              + io.kshaka.cluster.KeyLister.MAX_LIMIT + ", got '" + limit + "'");
        }
        request.put("limit", n);
      }
      if (values != null) {
        if (!values.equals("true") && !values.equals("false")) {
          throw new HttpError(400, "bad_parameter", "values: must be true or false, got '" + values + "'");
        }
        request.put("values", Boolean.parseBoolean(values));
      }
    } catch (HttpError e) {
      replyFailure(ctx, e);
      return;
    } catch (RuntimeException e) {
      replyFailure(ctx, new HttpError(400, "bad_parameter", "malformed query string"));
      return;
    }
    answer(ctx, execute(request).map(reply -> Reply.json(200, reply)));
  }

  /**
   * The {@code ttl} query parameter of a PUT in ms ({@code <int>(ms|s|m|h)}, 1s..30d), or null without one;
   * 400 bad_parameter otherwise.
   */
  private static Future<Long> ttl(RoutingContext ctx) {
    String ttl;
    try {
      ttl = ctx.request().getParam("ttl");
    } catch (RuntimeException e) {
      return Future.failedFuture(new HttpError(400, "bad_parameter", "malformed query string"));
    }
    if (ttl == null) return Future.succeededFuture(null);
    try {
      return Future.succeededFuture(Durations.parseMillis("ttl", ttl, Wire.MIN_TTL_MS, Wire.MAX_TTL_MS));
    } catch (IllegalArgumentException e) {
      return Future.failedFuture(new HttpError(400, "bad_parameter", "ttl: " + e.getMessage() + " (1s..30d)"));
    }
  }

  /** {@code GET /v1/kv/{key}}: 200 with the raw value, or 404 with the version of the absent register. */
  private void get(RoutingContext ctx) {
    Watch watch;
    try {
      watch = watch(ctx);
    } catch (IllegalArgumentException e) {
      replyFailure(ctx, badRequest(e.getMessage()));
      return;
    }
    answer(ctx, key(ctx)
        .compose(key -> watch == null ? execute(Wire.kvRequest("get", key, null, null, null))
            : deadline(() -> kv.execute(watch.request(key)), watch.waitMs() + config.requestTimeoutMs()
                + DEADLINE_MARGIN_MS))
        .map(reply -> {
          long version = reply.getLong("version");
          if (watch != null) ctx.response().putHeader(VERSION_HEADER, Long.toString(version));
          byte[] value = Wire.replyValue(reply);
          if (value == null) {
            JsonObject body = new JsonObject().put("error", "not_found").put("message", "key has no value")
                .put("version", version);
            return new Reply(404, JSON, body.toBuffer(), version);
          }
          return new Reply(200, OCTETS, Buffer.buffer(value), version, reply.getLong("expiresAt"));
        }));
  }

  /** A blocking GET: answer once the version is above {@code version}, or after {@code waitMs}. */
  private record Watch(long version, long waitMs) {
    JsonObject request(String key) {
      return new JsonObject().put("op", "watch").put("key", key).put("version", version).put("waitMs", waitMs);
    }
  }

  /** {@code ?watch=V&wait=30s} of a GET, or null for a plain read. */
  private static Watch watch(RoutingContext ctx) {
    String version;
    String wait;
    try {
      version = ctx.request().getParam("watch");
      wait = ctx.request().getParam("wait");
    } catch (RuntimeException e) {
      throw new IllegalArgumentException("malformed query string");
    }
    if (version == null) {
      if (wait != null) throw new IllegalArgumentException("query parameter 'wait' needs 'watch=<version>'");
      return null;
    }
    long v;
    try {
      v = Long.parseLong(version);
    } catch (NumberFormatException e) {
      v = -1;
    }
    if (v < 0) throw new IllegalArgumentException("query parameter 'watch' must be a version: an integer >= 0");
    long waitMs = wait == null ? DEFAULT_WATCH_WAIT_MS : Durations.parseMillis("wait", wait, 0, Watches.MAX_WAIT_MS);
    return new Watch(v, waitMs);
  }

  /** {@code PUT /v1/kv/{key}}: put, or cas with {@code If-Match}, or create with {@code If-None-Match: *}. */
  private void put(RoutingContext ctx) {
    Buffer body = ctx.get(VALUE);
    byte[] value = body == null ? new byte[0] : body.getBytes();
    answer(ctx, key(ctx)
        .compose(key -> conditions(ctx, true).compose(cond -> ttl(ctx).compose(ttl -> {
          JsonObject request;
          if (cond.expected() != null) {
            request = Wire.kvRequest("cas", key, value, cond.expected(), null);
          } else if (cond.createOnly()) {
            request = Wire.kvRequest("create", key, value, null, null);
          } else {
            request = Wire.kvRequest("put", key, value, null, null);
          }
          if (ttl != null) request.put("ttlMs", ttl);
          return change(ctx, request);
        })))
        .map(HttpVerticle::versionReply));
  }

  /** {@code DELETE /v1/kv/{key}}, conditional with {@code If-Match}. */
  private void delete(RoutingContext ctx) {
    answer(ctx, key(ctx)
        .compose(key -> conditions(ctx, false)
            .compose(cond -> change(ctx, Wire.kvRequest("delete", key, null, cond.expected(), null))))
        .map(HttpVerticle::versionReply));
  }

  /** {@code POST /v1/kv/{key}?op=add&delta=<long>}. */
  private void post(RoutingContext ctx) {
    answer(ctx, key(ctx)
        .compose(key -> addDelta(ctx).compose(delta -> change(ctx, Wire.kvRequest("add", key, null, null, delta))))
        .map(reply -> {
          byte[] sum = Wire.replyValue(reply);
          long version = reply.getLong("version");
          JsonObject body = new JsonObject()
              .put("value", sum == null ? null : new String(sum, StandardCharsets.UTF_8))
              .put("version", version);
          return new Reply(200, JSON, body.toBuffer(), version);
        }));
  }

  /**
   * Executes a change (PUT, DELETE, POST), with its {@code Idempotency-Key} header, when given, as the request's
   * {@code requestId} and the time this node first saw that (key, Idempotency-Key) as its {@code requestStamp}.
   */
  private Future<JsonObject> change(RoutingContext ctx, JsonObject request) {
    java.util.List<String> ids = ctx.request().headers().getAll(IdempotencyKeys.HEADER);
    if (ids.isEmpty()) return execute(request);
    if (ids.size() > 1) return Future.failedFuture(badRequest(IdempotencyKeys.HEADER + " must appear at most once"));
    String id = ids.get(0);
    String problem = IdempotencyKeys.problem(id);
    if (problem != null) return Future.failedFuture(badRequest(problem));
    String key = request.getString("key");
    return execute(request.put("requestId", id).put("requestStamp", idempotencyKeys.stamp(key, id)));
  }

  private static Reply versionReply(JsonObject reply) {
    long version = reply.getLong("version");
    JsonObject body = new JsonObject().put("version", version);
    Long expiresAt = reply.getLong("expiresAt");
    if (expiresAt != null) body.put("expiresAt", expiresAt);
    return new Reply(200, JSON, body.toBuffer(), version, expiresAt);
  }

  // ---------------------------------------------------------------- request parts

  /**
   * The router matches paths with dot segments removed, so {@code /v1/kv/..} would reach {@code /v1/} and
   * {@code /v1/kv/../../health} the health check. A key is the raw path, dots included: such requests are
   * rerouted to the registers, carrying their raw path along.
   */
  /**
   * RFC 9112 §6.3: a request whose Transfer-Encoding does not end in {@code chunked} has no reliable length; the
   * server must answer 400 and close the connection. Netty would take it for a request without a body (a PUT of
   * an empty value) and read its body as the next request.
   */
  private void refuseBodiesOfUnknownLength(RoutingContext ctx) {
    java.util.List<String> codings = ctx.request().headers().getAll(HttpHeaders.TRANSFER_ENCODING);
    if (!codings.isEmpty()) {
      String last = codings.get(codings.size() - 1);
      last = last.substring(last.lastIndexOf(',') + 1).trim();
      if (!last.equalsIgnoreCase("chunked")) {
        ctx.response().putHeader(HttpHeaders.CONNECTION, "close");
        replyFailure(ctx, badRequest("Transfer-Encoding must end in chunked"))
            .onComplete(ar -> ctx.request().connection().close());
        return;
      }
    }
    ctx.next();
  }

  private static void keepDotSegmentsInKeys(RoutingContext ctx) {
    String raw = localPath(ctx, ctx.request().path());
    String normalized;
    try {
      normalized = localPath(ctx, ctx.normalizedPath());
    } catch (IllegalArgumentException e) { // invalid percent-encoding: what the router itself answers with 400
      ctx.fail(400, e);
      return;
    }
    if (raw != null && raw.startsWith(KeyPath.PREFIX) && ctx.get(RAW_PATH) == null
        && !normalized.startsWith(KeyPath.PREFIX)) {
      ctx.put(RAW_PATH, raw);
      ctx.reroute(ctx.request().method(), mountBase(ctx) + KeyPath.PREFIX + "_");
      return;
    }
    ctx.next();
  }

  /** The mount point without its trailing slash ("" on the node's own server). */
  private static String mountBase(RoutingContext ctx) {
    String mount = ctx.mountPoint();
    if (mount == null) return "";
    return mount.endsWith("/") ? mount.substring(0, mount.length() - 1) : mount;
  }

  private static Future<String> key(RoutingContext ctx) {
    try {
      return Future.succeededFuture(KeyPath.key(ctx.get(RAW_PATH, localPath(ctx, ctx.request().path()))));
    } catch (KeyPath.BadKey e) {
      return Future.failedFuture(badRequest(e.getMessage()));
    }
  }

  private record Condition(Long expected, boolean createOnly) {}

  private static Future<Condition> conditions(RoutingContext ctx, boolean createAllowed) {
    HttpServerRequest req = ctx.request();
    try {
      Long expected = Conditions.ifMatch(req.getHeader(HttpHeaders.IF_MATCH));
      boolean createOnly = Conditions.ifNoneMatchAny(req.getHeader(HttpHeaders.IF_NONE_MATCH));
      if (createOnly && !createAllowed) return Future.failedFuture(badRequest("If-None-Match is for PUT only"));
      if (createOnly && expected != null) {
        return Future.failedFuture(badRequest("use either If-Match or If-None-Match, not both"));
      }
      return Future.succeededFuture(new Condition(expected, createOnly));
    } catch (Conditions.BadHeader e) {
      return Future.failedFuture(badRequest(e.getMessage()));
    }
  }

  private static Future<Long> addDelta(RoutingContext ctx) {
    String op;
    String delta;
    try {
      op = ctx.request().getParam("op");
      delta = ctx.request().getParam("delta");
    } catch (RuntimeException e) {
      return Future.failedFuture(badRequest("malformed query string"));
    }
    if (!"add".equals(op)) {
      return Future.failedFuture(badRequest(op == null
          ? "query parameter 'op' is required: POST /v1/kv/{key}?op=add&delta=<long>"
          : "unknown op: only op=add is supported"));
    }
    if (delta == null) return Future.failedFuture(badRequest("query parameter 'delta' is required"));
    try {
      return Future.succeededFuture(Long.parseLong(delta));
    } catch (NumberFormatException e) {
      return Future.failedFuture(badRequest("query parameter 'delta' must be a 64-bit integer"));
    }
  }

  /**
   * Collects the body of a PUT as raw bytes whatever its Content-Type (a form body is a value like any other), up
   * to config.maxValueBytes: a declared Content-Length over it is refused before a byte is read, a chunked body
   * as soon as it crosses it. {@code BodyHandler} would parse form bodies, so it is not used here.
   */
  private void readValue(RoutingContext ctx) {
    HttpServerRequest req = ctx.request();
    long limit = config.maxValueBytes();
    long declared = contentLength(req);
    if (declared > limit) {
      ctx.fail(413);
      return;
    }
    if (req.isEnded()) { // HTTP/1.x runs handlers on the headers: a body read before is never silently dropped
      if (declared > 0) {
        ctx.fail(new IllegalStateException("request body was consumed before the PUT handler"));
      } else {
        ctx.next();
      }
      return;
    }
    if (req.version() != HttpVersion.HTTP_1_0
        && "100-continue".equalsIgnoreCase(req.getHeader(HttpHeaders.EXPECT))) {
      ctx.response().writeContinue();
    }
    // grows as bytes arrive: a Content-Length alone does not reserve memory
    Buffer body = Buffer.buffer((int) Math.min(Math.max(0, declared), PREALLOCATE_MAX));
    boolean[] over = {false};
    req.handler(chunk -> {
      if (over[0]) return;
      if ((long) body.length() + chunk.length() > limit) {
        over[0] = true;
        ctx.fail(413);
      } else {
        body.appendBuffer(chunk);
      }
    });
    req.exceptionHandler(t -> { // the client went away or broke the framing mid-body
      if (!over[0]) {
        over[0] = true;
        replyFailure(ctx, badRequest("request body could not be read: " + t.getMessage()));
      }
    });
    req.endHandler(v -> {
      if (over[0]) return;
      ctx.put(VALUE, body);
      ctx.next();
    });
    req.resume();
  }

  private static long contentLength(HttpServerRequest req) {
    String header = req.getHeader(HttpHeaders.CONTENT_LENGTH);
    if (header == null) return -1;
    try {
      return Long.parseLong(header.trim());
    } catch (NumberFormatException e) {
      return -1; // Netty refuses such a request before it gets here
    }
  }

  // ---------------------------------------------------------------- calling the node

  /**
   * One request to the node. The proposer answers within requestTimeoutMs (503 or 504 when it gives up); if it has
   * not answered {@link #DEADLINE_MARGIN_MS} later, the client is told the outcome is unknown.
   */
  private Future<JsonObject> execute(JsonObject request) {
    return deadline(() -> kv.execute(request));
  }

  private Future<JsonObject> status() {
    return deadline(kv::status);
  }

  private Future<JsonObject> deadline(java.util.function.Supplier<Future<JsonObject>> call) {
    return deadline(call, config.requestTimeoutMs() + DEADLINE_MARGIN_MS);
  }

  private Future<JsonObject> deadline(java.util.function.Supplier<Future<JsonObject>> call, long deadlineMs) {
    Promise<JsonObject> answer = Promise.promise();
    Context caller = callerContext();
    long timer = vertx.setTimer(deadlineMs, id -> answer.tryFail(Wire.failure(KvError.OUTCOME_UNKNOWN,
        "the node did not answer within " + deadlineMs + " ms", null)));
    Future<JsonObject> result;
    try {
      result = Objects.requireNonNull(call.get(), "KvService returned no future");
    } catch (RuntimeException e) {
      result = Future.failedFuture(e);
    }
    result.onComplete(ar -> onContext(caller, () -> {
      vertx.cancelTimer(timer);
      if (ar.succeeded()) {
        answer.tryComplete(ar.result());
      } else {
        answer.tryFail(ar.cause());
      }
    }));
    return answer.future();
  }

  /**
   * The context a request is handled on: the server's (this verticle's, or a host application's when the router is
   * mounted there), or this verticle's when called from no context.
   */
  private Context callerContext() {
    Context current = Vertx.currentContext();
    return current != null ? current : context;
  }

  /** The node may complete on its own event loop: answer HTTP from the caller's. */
  private static void onContext(Context caller, Runnable action) {
    if (Vertx.currentContext() == caller) {
      action.run();
    } else {
      caller.runOnContext(v -> action.run());
    }
  }

  // ---------------------------------------------------------------- replies

  /**
   * A response ready to send: status, content type, body, the version for the ETag (or null), and the value's
   * expiry for {@code X-Kshaka-Expires} (or null).
   */
  private record Reply(int status, String contentType, Buffer body, Long etag, Long expires) {
    Reply(int status, String contentType, Buffer body, Long etag) {
      this(status, contentType, body, etag, null);
    }

    static Reply json(int status, JsonObject body) {
      return new Reply(status, JSON, body.toBuffer(), null);
    }
  }

  /** An HTTP-level failure that has no {@link KvError} (404 and 405 of the router, 500). */
  static final class HttpError extends RuntimeException {
    final int status;
    final String code;

    HttpError(int status, String code, String message) {
      super(message, null, false, false);
      this.status = status;
      this.code = code;
    }
  }

  private void answer(RoutingContext ctx, Future<Reply> reply) {
    reply.onComplete(ar -> {
      if (ar.succeeded()) {
        send(ctx, ar.result());
      } else {
        replyFailure(ctx, ar.cause());
      }
    });
  }

  /** THE mapping from a failure to a status and a JSON error body {@code {"error","message","outcome"?,"version"?}}. */
  private static Future<Void> replyFailure(RoutingContext ctx, Throwable failure) {
    int status;
    JsonObject body;
    if (failure instanceof HttpError e) {
      status = e.status;
      body = new JsonObject().put("error", e.code).put("message", e.getMessage());
    } else {
      status = Wire.status(failure);
      body = Wire.errorBody(failure);
    }
    if (status >= 500) {
      LOG.debug("{} {} -> {} {}", ctx.request().method(), ctx.request().path(), status, body.getString("error"));
    }
    return send(ctx, Reply.json(status, body));
  }

  private void internalError(RoutingContext ctx) {
    LOG.error("{} {} failed", ctx.request().method(), ctx.request().path(), ctx.failure());
    replyFailure(ctx, new HttpError(500, "internal_error", routerMessage(ctx, "internal error")));
  }

  /**
   * 401 (no token, or an unknown one; with {@code WWW-Authenticate: Bearer}) or 403 (the token's role is too
   * low). A body the client is still sending is not read: the connection closes once it is sent.
   */
  private void refused(RoutingContext ctx) {
    Tokens.Refused refused = ctx.failure() instanceof Guard.Refusal r ? r.refused
        : new Tokens.Refused(ctx.statusCode(), ctx.statusCode() == 403 ? "forbidden" : "unauthorized",
            "not allowed");
    HttpServerResponse response = ctx.response();
    if (refused.status() == 401) {
      response.putHeader("WWW-Authenticate", "Bearer realm=\"kshaka\"");
    }
    HttpServerRequest req = ctx.request();
    boolean bodyPending = !req.isEnded()
        && (contentLength(req) > 0 || req.headers().contains(HttpHeaders.TRANSFER_ENCODING));
    if (bodyPending) response.putHeader(HttpHeaders.CONNECTION, "close");
    send(ctx, Reply.json(refused.status(), refused.body()))
        .onComplete(ar -> {
          if (bodyPending) closeAfterBody(ctx.request());
        });
  }

  private void methodNotAllowed(RoutingContext ctx) {
    boolean kvPath = localPath(ctx, ctx.request().path()).startsWith(KeyPath.PREFIX);
    String allowed = kvPath ? "GET, PUT, DELETE, POST" : "GET";
    ctx.response().putHeader(HttpHeaders.ALLOW, allowed);
    replyFailure(ctx, new HttpError(405, "method_not_allowed",
        "method " + safeMethod(ctx.request()) + " not allowed here; allowed: " + allowed));
  }

  /** The body was not read past the limit; the rest of it is not worth reading either: close the connection. */
  private void valueTooLarge(RoutingContext ctx) {
    ctx.response().putHeader(HttpHeaders.CONNECTION, "close");
    replyFailure(ctx, Wire.failure(KvError.VALUE_TOO_LARGE,
        "value is over the limit of " + config.maxValueBytes() + " bytes", null))
        .onComplete(ar -> closeAfterBody(ctx.request()));
  }

  /**
   * Closes the connection once the client has sent the rest of its body (discarded, at most {@link #DRAIN_BYTES},
   * for at most 5 s): closing while it is still sending resets the connection, and the client then never reads the
   * answer it was given. A body declared bigger than that is cut off at once.
   */
  private void closeAfterBody(HttpServerRequest req) {
    if (req.isEnded() || contentLength(req) > DRAIN_BYTES) {
      req.connection().close();
      return;
    }
    long timer = vertx.setTimer(5_000, id -> req.connection().close());
    long[] drained = {0};
    req.handler(chunk -> {
      drained[0] += chunk.length();
      if (drained[0] > DRAIN_BYTES) req.connection().close();
    });
    req.endHandler(v -> {
      vertx.cancelTimer(timer);
      req.connection().close();
    });
  }

  private static Future<Void> send(RoutingContext ctx, Reply reply) {
    HttpServerResponse response = ctx.response();
    if (response.ended() || response.closed()) return Future.succeededFuture();
    response.setStatusCode(reply.status()).putHeader(HttpHeaders.CONTENT_TYPE, reply.contentType());
    if (reply.etag() != null) response.putHeader(HttpHeaders.ETAG, "\"" + reply.etag() + "\"");
    if (reply.expires() != null) response.putHeader(EXPIRES_HEADER, Long.toString(reply.expires()));
    return response.end(reply.body());
  }

  private static ReplyException badRequest(String message) {
    return Wire.failure(KvError.BAD_REQUEST, message, null);
  }

  private static String routerMessage(RoutingContext ctx, String fallback) {
    Throwable t = ctx.failure();
    return t == null || t.getMessage() == null ? fallback : fallback + ": " + t.getMessage();
  }

  // ---------------------------------------------------------------- metrics

  /**
   * Times every request (router errors included) into {@link #TIMER}, tagged with a fixed set of names. It owns
   * the response's single end handler: handlers must not call {@code ctx.addEndHandler}, which would replace it.
   */
  private void measured(HttpServerRequest request, Router router) {
    long start = System.nanoTime();
    request.response().endHandler(v -> Timer.builder(TIMER)
        .description("HTTP requests by route, method and status")
        .tag("route", routeName(request.path(), request.query()))
        .tag("method", safeMethod(request))
        .tag("status", Integer.toString(request.response().getStatusCode()))
        .publishPercentileHistogram()
        .register(registry)
        .record(System.nanoTime() - start, TimeUnit.NANOSECONDS));
    router.handle(request);
  }

  /**
   * Mounted: times the request into {@link #TIMER} like {@link #measured}, through the routing context's end
   * handlers (the host's router owns the response's).
   */
  private void timed(RoutingContext ctx) {
    if (ctx.get(TIMED) != null) { // rerouted (see keepDotSegmentsInKeys): timed once already
      ctx.next();
      return;
    }
    ctx.put(TIMED, Boolean.TRUE);
    long start = System.nanoTime();
    HttpServerRequest request = ctx.request();
    String route = routeName(localPath(ctx, request.path()), request.query());
    ctx.addEndHandler(ar -> Timer.builder(TIMER)
        .description("HTTP requests by route, method and status")
        .tag("route", route)
        .tag("method", safeMethod(request))
        .tag("status", Integer.toString(request.response().getStatusCode()))
        .publishPercentileHistogram()
        .register(registry)
        .record(System.nanoTime() - start, TimeUnit.NANOSECONDS));
    ctx.next();
  }

  static String routeName(String rawPath) {
    return routeName(rawPath, null);
  }

  /** The route tag of a request: watches apart from plain reads, which they would drown in latency. */
  static String routeName(String rawPath, String query) {
    if (rawPath == null) return "other";
    if (rawPath.startsWith(KeyPath.PREFIX)) {
      return query != null && (query.startsWith("watch=") || query.contains("&watch=")) ? "kv_watch" : "kv";
    }
    switch (rawPath) {
      case "/health":
        return "health";
      case "/ready":
        return "ready";
      case "/metrics":
        return "metrics";
      case "/v1/cluster":
        return "cluster";
      case "/v1/kv":
        return "list";
      default:
        return "other";
    }
  }

  private static String safeMethod(HttpServerRequest request) {
    String name = request.method().name();
    return METHODS.contains(name) ? name : "other";
  }
}
