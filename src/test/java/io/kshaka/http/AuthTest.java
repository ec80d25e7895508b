package io.kshaka.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.kshaka.client.KshakaClient;
import io.kshaka.client.KshakaClientOptions;
import io.kshaka.client.KshakaException;
import io.kshaka.cluster.NodeConfig;
import io.kshaka.it.TestCluster;
import io.kshaka.security.Role;
import io.kshaka.security.Tokens;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Route;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * Bearer tokens against a real node (one clustered node, real HTTP, the real {@code kshaka.kv}): 401 and 403 on every
 * protected route, /health open, the /ready and /metrics flags, the event-bus API raw and through
 * {@link KshakaClient}, and no token in the node's log.
 */
class AuthTest {
  @TempDir
  static Path dir;

  static TestCluster cluster;
  static Vertx plain;
  static WebClient web;
  static final Map<Role, String> TOKENS = new EnumMap<>(Role.class);
  /** A well-formed token that is in no tokens file. */
  static final String UNKNOWN = Tokens.newToken(new SecureRandom());
  static ListAppender<ILoggingEvent> log;
  static Level kshakaLevel;

  /** Which role each route needs (null: open), with a sample request path. A route missing here fails the test. */
  record Endpoint(HttpMethod method, String path, Role needs) {
    String pathOnly() {
      int q = path.indexOf('?');
      return q < 0 ? path : path.substring(0, q);
    }
  }

  static final List<Endpoint> TABLE = List.of(
      new Endpoint(HttpMethod.GET, "/health", null),
      new Endpoint(HttpMethod.GET, "/ready", null), // auth.readyOpen defaults to true
      new Endpoint(HttpMethod.GET, "/metrics", Role.READ), // auth.metricsOpen defaults to false
      new Endpoint(HttpMethod.GET, "/v1/cluster", Role.READ),
      new Endpoint(HttpMethod.GET, "/v1/admin/x", Role.ADMIN), // anything under /v1/admin/
      new Endpoint(HttpMethod.GET, "/v1/admin/membership", Role.ADMIN),
      new Endpoint(HttpMethod.POST, "/v1/admin/membership", Role.ADMIN),
      new Endpoint(HttpMethod.GET, "/v1/kv?prefix=k", Role.READ),
      new Endpoint(HttpMethod.GET, "/v1/kv/k", Role.READ),
      new Endpoint(HttpMethod.PUT, "/v1/kv/k", Role.WRITE),
      new Endpoint(HttpMethod.DELETE, "/v1/kv/k", Role.WRITE),
      new Endpoint(HttpMethod.POST, "/v1/kv/k?op=add&delta=1", Role.WRITE),
      new Endpoint(HttpMethod.GET, "/openapi.json", null), // the API contract: no data
      new Endpoint(HttpMethod.GET, "/ui/x", null)); // the dashboard's static files: its API calls send the token

  @BeforeAll
  static void start() throws Exception {
    Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    log = new ListAppender<>();
    log.start();
    root.addAppender(log);
    Logger kshaka = (Logger) LoggerFactory.getLogger("io.kshaka");
    kshakaLevel = kshaka.getLevel();
    kshaka.setLevel(Level.DEBUG); // a token must not show up even in debug logs

    JsonArray entries = new JsonArray();
    for (Role r : Role.values()) {
      TOKENS.put(r, Tokens.newToken(new SecureRandom()));
      entries.add(Tokens.entry(r.label() + "-token", TOKENS.get(r), r));
    }
    Path tokensFile = Files.writeString(dir.resolve("tokens.json"), new JsonObject().put("tokens", entries).encode());
    Path secretFile = Files.writeString(dir.resolve("secret"), Tokens.newToken(new SecureRandom()));
    cluster = TestCluster.start(dir, 1, new JsonObject(), new JsonObject()
        .put("auth", new JsonObject().put("tokensFile", tokensFile.toString()).put("tokensReloadMs", 100))
        .put("cluster", new JsonObject().put("secretFile", secretFile.toString())));
    plain = Vertx.vertx();
    web = WebClient.create(plain);
  }

  @AfterAll
  static void stop() {
    if (web != null) web.close();
    if (plain != null) TestCluster.await(plain.close());
    if (cluster != null) cluster.close();
    Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    if (log != null) root.detachAppender(log);
    ((Logger) LoggerFactory.getLogger("io.kshaka")).setLevel(kshakaLevel);
  }

  // ------------------------------------------------------------------ helpers

  static HttpResponse<Buffer> call(int port, HttpMethod method, String uri, String authorization) {
    var request = web.request(method, port, "127.0.0.1", uri);
    if (authorization != null) request.putHeader("Authorization", authorization);
    boolean body = method == HttpMethod.PUT || method == HttpMethod.POST;
    return TestCluster.await(body ? request.sendBuffer(Buffer.buffer("{}")) : request.send());
  }

  static HttpResponse<Buffer> call(Endpoint e, String authorization) {
    return call(cluster.httpPort(1), e.method(), e.path(), authorization);
  }

  static String bearer(String token) {
    return "Bearer " + token;
  }

  static void assertRefused(HttpResponse<Buffer> r, int status, String error, String what) {
    assertEquals(status, r.statusCode(), () -> what + ": " + r.bodyAsString());
    assertTrue(r.getHeader("content-type").startsWith("application/json"), what);
    JsonObject body = r.bodyAsJsonObject();
    assertEquals(error, body.getString("error"), what);
    assertNotNull(body.getString("message"), what);
    if (status == 401) {
      String challenge = r.getHeader("WWW-Authenticate");
      assertTrue(challenge != null && challenge.startsWith("Bearer"), what + ": WWW-Authenticate " + challenge);
    }
  }

  /** Each route of the router as (method, sample path): a regex or prefix route gets a sample key. */
  static List<String> routesOf(HttpVerticle verticle) {
    List<String> out = new ArrayList<>();
    for (Route r : verticle.routes()) {
      String path = r.isRegexPath() ? r.getName() : r.getPath();
      if (path == null) continue; // the handlers in front of every route (framing, dot segments)
      if (r.isRegexPath()) path = path.replace(".*", "k");
      if (path.endsWith("/")) path = path + "x"; // a prefix route such as /v1/admin/*
      List<HttpMethod> methods = r.methods() == null || r.methods().isEmpty() ? List.of(HttpMethod.GET)
          : List.copyOf(r.methods());
      for (HttpMethod m : methods) out.add(m.name() + " " + path);
    }
    return out;
  }

  /** An HTTP verticle of its own (same router, in-memory registers) with this "auth" object. */
  static HttpVerticle deployFake(Vertx vertx, JsonObject auth) {
    JsonObject json = cluster.config(1).copy().put("auth", auth);
    json.getJsonObject("http").put("port", 0);
    HttpVerticle verticle = new HttpVerticle(NodeConfig.fromJson(json), new FakeKvService(1024),
        new PrometheusMeterRegistry(PrometheusConfig.DEFAULT));
    TestCluster.await(vertx.deployVerticle(verticle));
    return verticle;
  }

  // ------------------------------------------------------------------ HTTP

  @Test
  void everyRouteOfTheRouterIsInTheTableOfRequiredRoles() {
    HttpVerticle fake = deployFake(plain, cluster.config(1).getJsonObject("auth"));
    List<String> table = new ArrayList<>();
    for (Endpoint e : TABLE) table.add(e.method().name() + " " + e.pathOnly());
    List<String> routes = routesOf(fake);
    assertTrue(routes.size() >= 9, () -> "too few routes found: " + routes);
    for (String route : routes) {
      assertTrue(table.contains(route), () -> "route " + route + " is not in AuthTest.TABLE: say which role it "
          + "needs (or that it is open), and the test checks its 401 and 403");
    }
  }

  @Test
  void everyProtectedRouteAnswers401WithoutOrWithAWrongToken() {
    for (Endpoint e : TABLE) {
      if (e.needs() == null) continue;
      String what = e.method() + " " + e.path();
      assertRefused(call(e, null), 401, "unauthorized", what + " without a token");
      assertRefused(call(e, bearer(UNKNOWN)), 401, "unauthorized", what + " with an unknown token");
      assertRefused(call(e, "Basic " + TOKENS.get(Role.ADMIN)), 401, "unauthorized", what + " with Basic");
      assertRefused(call(e, "Bearer"), 401, "unauthorized", what + " with an empty Bearer");
    }
  }

  @Test
  void everyProtectedRouteAnswers403ToALowerRoleAndLetsAHighEnoughOneThrough() {
    for (Endpoint e : TABLE) {
      if (e.needs() == null) continue;
      for (Role r : Role.values()) {
        String what = e.method() + " " + e.path() + " with role " + r.label();
        HttpResponse<Buffer> resp = call(e, bearer(TOKENS.get(r)));
        if (r.allows(e.needs())) {
          assertNotEquals(401, resp.statusCode(), () -> what + ": " + resp.bodyAsString());
          assertNotEquals(403, resp.statusCode(), () -> what + ": " + resp.bodyAsString());
        } else {
          assertRefused(resp, 403, "forbidden", what);
        }
      }
    }
  }

  @Test
  void openRoutesAnswerWithoutAToken() {
    for (Endpoint e : TABLE) {
      if (e.needs() != null) continue;
      HttpResponse<Buffer> r = call(e, null);
      assertNotEquals(401, r.statusCode(), () -> e + ": " + r.bodyAsString());
      assertNotEquals(403, r.statusCode(), () -> e + ": " + r.bodyAsString());
    }
    assertEquals(200, call(cluster.httpPort(1), HttpMethod.GET, "/health", null).statusCode());
  }

  @Test
  void aCorrectTokenReadsAndWritesOverHttp() {
    int port = cluster.httpPort(1);
    assertEquals(200, call(port, HttpMethod.PUT, "/v1/kv/http-key", bearer(TOKENS.get(Role.WRITE))).statusCode());
    HttpResponse<Buffer> r = call(port, HttpMethod.GET, "/v1/kv/http-key", bearer(TOKENS.get(Role.READ)));
    assertEquals(200, r.statusCode());
    assertEquals("{}", r.bodyAsString());
    assertEquals(200, call(port, HttpMethod.GET, "/metrics", bearer(TOKENS.get(Role.READ))).statusCode());
  }

  @Test
  void readyAndMetricsFollowTheirFlagsBothWays() {
    JsonObject auth = cluster.config(1).getJsonObject("auth");
    HttpVerticle closed = deployFake(plain, auth.copy().put("readyOpen", false).put("metricsOpen", false));
    HttpVerticle open = deployFake(plain, auth.copy().put("readyOpen", true).put("metricsOpen", true));
    for (String path : List.of("/ready", "/metrics")) {
      assertRefused(call(closed.actualPort(), HttpMethod.GET, path, null), 401, "unauthorized", path + " closed");
      assertEquals(200, call(closed.actualPort(), HttpMethod.GET, path, bearer(TOKENS.get(Role.READ))).statusCode(),
          path + " closed, with a read token");
      assertEquals(200, call(open.actualPort(), HttpMethod.GET, path, null).statusCode(), path + " open");
    }
    assertEquals(200, call(closed.actualPort(), HttpMethod.GET, "/health", null).statusCode());
  }

  @Test
  void aRefusedPutIsNotExecuted() {
    int port = cluster.httpPort(1);
    assertRefused(call(port, HttpMethod.PUT, "/v1/kv/refused-key", bearer(TOKENS.get(Role.READ))), 403,
        "forbidden", "PUT with a read token");
    HttpResponse<Buffer> r = call(port, HttpMethod.GET, "/v1/kv/refused-key", bearer(TOKENS.get(Role.READ)));
    assertEquals(404, r.statusCode());
    assertEquals(0L, r.bodyAsJsonObject().getLong("version"), "the register was never written");
  }

  /** Sends raw bytes on a new connection and returns everything the server sends until it closes it. */
  static String rawHttp(String request) {
    return RawConnection.exchange(plain, cluster.httpPort(1), request);
  }

  @Test
  void aRefusedGetKeepsTheConnectionAndARefusedBodyIsAnsweredThenTheConnectionCloses() {
    String twoGets = rawHttp("GET /v1/kv/a HTTP/1.1\r\nHost: x\r\n\r\n"
        + "GET /v1/kv/a HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    assertEquals(2, twoGets.split("HTTP/1.1 401 Unauthorized", -1).length - 1, twoGets);
    String put = rawHttp("PUT /v1/kv/a HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n0123456789");
    assertTrue(put.startsWith("HTTP/1.1 401 Unauthorized"), put);
    assertTrue(put.toLowerCase(java.util.Locale.ROOT).contains("connection: close"), put);
  }

  // ------------------------------------------------------------------ event bus

  static ReplyException busFailure(Future<?> f) {
    try {
      TestCluster.await(f);
    } catch (IllegalStateException e) {
      if (e.getCause() instanceof ReplyException re) return re;
      throw e;
    }
    return fail("expected a failure");
  }

  static Future<io.vertx.core.eventbus.Message<JsonObject>> raw(JsonObject body, String authorization) {
    return raw("kshaka.kv", body, authorization);
  }

  static Future<io.vertx.core.eventbus.Message<JsonObject>> raw(String address, JsonObject body,
      String authorization) {
    DeliveryOptions options = new DeliveryOptions().setSendTimeout(10_000);
    if (authorization != null) options.addHeader("authorization", authorization);
    return cluster.vertx(1).eventBus().request(address, body, options);
  }

  @Test
  void theMembershipAdminOnTheEventBusNeedsAnAdminToken() {
    JsonObject status = new JsonObject().put("op", "status");
    assertBusRefused(busFailure(raw("kshaka.admin", status, null)), 401, "unauthorized");
    assertBusRefused(busFailure(raw("kshaka.admin", status, bearer(UNKNOWN))), 401, "unauthorized");
    assertBusRefused(busFailure(raw("kshaka.admin", status, bearer(TOKENS.get(Role.WRITE)))), 403, "forbidden");
    JsonObject change = new JsonObject().put("op", "change").put("acceptors", new JsonArray().add(1).add(2));
    assertBusRefused(busFailure(raw("kshaka.admin", change, bearer(TOKENS.get(Role.WRITE)))), 403, "forbidden");
    assertEquals(1L, TestCluster.await(raw("kshaka.admin", status, bearer(TOKENS.get(Role.ADMIN)))).body()
        .getLong("epoch"), "status with an admin token");
    // the node's own address takes only forwards from other nodes, signed with the cluster secret
    ReplyException unsigned = busFailure(raw("kshaka.admin.1", status, bearer(TOKENS.get(Role.ADMIN))));
    assertEquals(401, unsigned.failureCode(), unsigned::toString);
    assertEquals("unauthenticated", new JsonObject(unsigned.getMessage()).getString("error"));
  }

  static void assertBusRefused(ReplyException e, int code, String error) {
    assertEquals(ReplyFailure.RECIPIENT_FAILURE, e.failureType(), e::toString);
    assertEquals(code, e.failureCode(), e::toString);
    JsonObject body = new JsonObject(e.getMessage());
    assertEquals(error, body.getString("error"));
    assertNotNull(body.getString("message"));
  }

  @Test
  void kvOnTheEventBusRefusesAMissingOrWrongTokenAndATooLowRole() {
    JsonObject put = new JsonObject().put("op", "put").put("key", "bus-key")
        .put("value", java.util.Base64.getEncoder().encodeToString("v".getBytes(StandardCharsets.UTF_8)));
    JsonObject get = new JsonObject().put("op", "get").put("key", "bus-key");
    assertBusRefused(busFailure(raw(get, null)), 401, "unauthorized");
    assertBusRefused(busFailure(raw(get, bearer(UNKNOWN))), 401, "unauthorized");
    assertBusRefused(busFailure(raw(put, null)), 401, "unauthorized");
    assertBusRefused(busFailure(raw(put, bearer(TOKENS.get(Role.READ)))), 403, "forbidden");
    for (String op : List.of("cas", "create", "delete", "add", "no-such-op")) {
      JsonObject change = new JsonObject().put("op", op).put("key", "bus-key");
      assertBusRefused(busFailure(raw(change, bearer(TOKENS.get(Role.READ)))), 403, "forbidden");
    }
    assertEquals(1L, TestCluster.await(raw(put, bearer(TOKENS.get(Role.WRITE)))).body().getLong("version"));
    assertEquals(1L, TestCluster.await(raw(get, bearer(TOKENS.get(Role.READ)))).body().getLong("version"));
    JsonObject watch = new JsonObject().put("op", "watch").put("key", "bus-key").put("version", 0L)
        .put("waitMs", 1_000L);
    assertBusRefused(busFailure(raw(watch, null)), 401, "unauthorized");
    assertEquals(1L, TestCluster.await(raw(watch, bearer(TOKENS.get(Role.READ)))).body().getLong("version"),
        "watch is a read");
    JsonObject list = new JsonObject().put("op", "list").put("prefix", "bus-");
    assertBusRefused(busFailure(raw(list, null)), 401, "unauthorized");
    assertEquals("bus-key", TestCluster.await(raw(list, bearer(TOKENS.get(Role.READ)))).body().getJsonArray("keys")
        .getJsonObject(0).getString("key"), "list is a read");
  }

  /**
   * The node reads its tokens file again: a token added to it is taken by the HTTP API and both event-bus APIs
   * (kshaka.kv, kshaka.admin) without a restart, and refused everywhere once it is removed.
   */
  @Test
  void aTokenAddedToTheFileIsTakenAndOneRemovedIsRefusedWithoutARestart() throws Exception {
    Path file = dir.resolve("tokens.json");
    String before = Files.readString(file);
    String added = Tokens.newToken(new SecureRandom());
    JsonObject withAdded = new JsonObject(before);
    withAdded.getJsonArray("tokens").add(Tokens.entry("added-admin", added, Role.ADMIN));
    int port = cluster.httpPort(1);
    JsonObject get = new JsonObject().put("op", "get").put("key", "rotated");
    JsonObject status = new JsonObject().put("op", "status");
    try {
      Files.writeString(file, withAdded.encode());
      TestCluster.waitUntil("the HTTP API takes the added token", 30_000,
          () -> call(port, HttpMethod.GET, "/v1/kv/rotated", bearer(added)).statusCode() == 404);
      TestCluster.waitUntil("kshaka.kv takes it", 30_000, () -> succeeds(raw(get, bearer(added))));
      TestCluster.waitUntil("kshaka.admin takes it", 30_000, () -> succeeds(raw("kshaka.admin", status,
          bearer(added))));
    } finally {
      Files.writeString(file, before);
    }
    TestCluster.waitUntil("the HTTP API refuses the removed token", 30_000,
        () -> call(port, HttpMethod.GET, "/v1/kv/rotated", bearer(added)).statusCode() == 401);
    TestCluster.waitUntil("kshaka.kv refuses it", 30_000, () -> !succeeds(raw(get, bearer(added))));
    TestCluster.waitUntil("kshaka.admin refuses it", 30_000, () -> !succeeds(raw("kshaka.admin", status,
        bearer(added))));
    assertBusRefused(busFailure(raw(get, bearer(added))), 401, "unauthorized");
    assertEquals(404, call(port, HttpMethod.GET, "/v1/kv/rotated", bearer(TOKENS.get(Role.READ))).statusCode(),
        "the tokens that stayed still work");
  }

  /** True when the event-bus request is answered, false when it is refused (any other failure fails the test). */
  static boolean succeeds(Future<io.vertx.core.eventbus.Message<JsonObject>> request) {
    try {
      TestCluster.await(request);
      return true;
    } catch (IllegalStateException e) {
      if (e.getCause() instanceof ReplyException re && re.failureType() == ReplyFailure.RECIPIENT_FAILURE
          && (re.failureCode() == 401 || re.failureCode() == 403)) {
        return false;
      }
      throw e;
    }
  }

  static KshakaException clientFailure(Future<?> f) {
    try {
      TestCluster.await(f);
    } catch (IllegalStateException e) {
      if (e.getCause() instanceof KshakaException k) return k;
      throw e;
    }
    return fail("expected a failure");
  }

  static KshakaClient client(String token) {
    return KshakaClient.create(cluster.vertx(1), new KshakaClientOptions().setToken(token).setDeadlineMs(10_000));
  }

  @Test
  void kshakaClientSendsItsTokenAndReportsRefusals() {
    KshakaException missing = clientFailure(client(null).get("client-key"));
    assertEquals(401, missing.status());
    assertEquals("unauthorized", missing.error());
    assertEquals(401, clientFailure(client(UNKNOWN).put("client-key", "v")).status());
    KshakaException low = clientFailure(client(TOKENS.get(Role.READ)).put("client-key", "v"));
    assertEquals(403, low.status());
    assertEquals("forbidden", low.error());
    assertEquals(403, clientFailure(client(TOKENS.get(Role.READ)).change("client-key", v -> v)).status());
    assertEquals(401, clientFailure(client(null).change("client-key", v -> v)).status());

    assertEquals(1, TestCluster.await(client(TOKENS.get(Role.WRITE)).put("client-key", "v")).version());
    assertEquals("v", TestCluster.await(client(TOKENS.get(Role.READ)).get("client-key")).asString());
    assertEquals("vw", TestCluster.await(client(TOKENS.get(Role.ADMIN)).change("client-key",
        v -> (new String(v, StandardCharsets.UTF_8) + "w").getBytes(StandardCharsets.UTF_8))).asString());
  }

  // ------------------------------------------------------------------ command line

  @Test
  void adminCommandSendsItsToken() {
    String url = cluster.url(1);
    assertEquals(1, io.kshaka.membership.AdminCommand.run(new String[] {"status", "--node", url}), "no token");
    assertEquals(1, io.kshaka.membership.AdminCommand.run(new String[] {"status", "--node", url, "--token",
        TOKENS.get(Role.WRITE)}), "role write is too low");
    assertEquals(0, io.kshaka.membership.AdminCommand.run(new String[] {"status", "--node", url, "--token",
        TOKENS.get(Role.ADMIN)}));
  }

  static int bench(StringWriter out, StringWriter err, String... args) {
    return io.kshaka.bench.BenchCommand.run(new PrintWriter(out, true), new PrintWriter(err, true), args);
  }

  @Test
  void benchSendsItsTokenOverHttpAndTheEventBus() throws Exception {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    String[] http = {"--endpoints", cluster.url(1), "--clients", "2", "--keys", "10", "--duration", "1",
        "--warmup", "0", "--max-ops", "50"};
    assertEquals(1, bench(out, err, http), () -> "without a token: " + out + err);
    assertTrue(err.toString().contains("401"), err::toString);

    Path json = dir.resolve("bench-http.json");
    List<String> args = new ArrayList<>(List.of(http));
    args.addAll(List.of("--token", TOKENS.get(Role.WRITE), "--json", json.toString()));
    assertEquals(0, bench(out, err, args.toArray(String[]::new)), () -> out + "\n" + err);
    JsonObject r = new JsonObject(Files.readString(json));
    assertTrue(r.getLong("ops") > 0, r::encode);
    assertEquals(0L, r.getLong("errors"), r::encode);

    JsonObject c = cluster.config(1).getJsonObject("cluster");
    List<String> bus = new ArrayList<>(List.of("--event-bus", "--members", (String) c.getJsonArray("members")
        .getValue(0), "--cluster-name", c.getString("name"),
        "--cluster-port", String.valueOf(TestCluster.freePort()), "--clients", "2", "--keys", "10", "--duration",
        "1", "--warmup", "0", "--max-ops", "50", "--timeout", "5000"));
    assertEquals(1, bench(out, err, bus.toArray(String[]::new)), () -> "without a token: " + out + err);
    assertTrue(err.toString().contains("401"), err::toString);
    Path busJson = dir.resolve("bench-bus.json");
    bus.addAll(List.of("--token", TOKENS.get(Role.WRITE), "--json", busJson.toString()));
    assertEquals(0, bench(out, err, bus.toArray(String[]::new)), () -> out + "\n" + err);
    JsonObject b = new JsonObject(Files.readString(busJson));
    assertTrue(b.getLong("ops") > 0, b::encode);
    assertEquals(0L, b.getLong("errors"), b::encode);
  }

  // ------------------------------------------------------------------ logs

  @Test
  void noTokenEverAppearsInTheNodeLog() {
    // make sure every kind of request has been seen at least once, refused and accepted
    for (Endpoint e : TABLE) {
      call(e, null);
      call(e, bearer(UNKNOWN));
      for (Role r : Role.values()) call(e, bearer(TOKENS.get(r)));
    }
    clientFailure(client(UNKNOWN).get("log-key"));
    TestCluster.await(client(TOKENS.get(Role.WRITE)).put("log-key", "v"));
    List<String> secrets = new ArrayList<>(TOKENS.values());
    secrets.add(UNKNOWN);
    Map<String, String> leaks = new LinkedHashMap<>();
    List<ILoggingEvent> events;
    synchronized (log) { // the appender adds under this lock, from the nodes' threads
      events = new ArrayList<>(log.list);
    }
    assertFalse(events.isEmpty(), "the log appender saw nothing: the check would prove nothing");
    for (ILoggingEvent event : events) {
      StringBuilder text = new StringBuilder(event.getFormattedMessage());
      for (var t = event.getThrowableProxy(); t != null; t = t.getCause()) text.append(' ').append(t.getMessage());
      for (String s : secrets) {
        if (text.indexOf(s) >= 0) leaks.put(event.getLoggerName(), event.getFormattedMessage());
      }
    }
    assertTrue(leaks.isEmpty(), () -> "a token appears in the log: " + leaks.keySet());
  }
}
