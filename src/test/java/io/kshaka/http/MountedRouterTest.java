package io.kshaka.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kshaka.cluster.NodeConfig;
import io.micrometer.core.instrument.composite.CompositeMeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.junit5.VertxExtension;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The API mounted on a host application's router under {@code /kshaka} answers exactly as the node's own server:
 * same statuses, headers and JSON bodies, errors of the router included (an in-memory {@link FakeKvService}).
 */
@ExtendWith(VertxExtension.class)
class MountedRouterTest {
  static final int LIMIT = 1024;

  private Vertx vertx;
  private FakeKvService kv;
  private HttpVerticle verticle;
  private WebClient client;
  private int ownPort;
  private int hostPort;

  private void start(Vertx vertx, boolean httpEnabled, MeterRegistry registry) {
    this.vertx = vertx;
    NodeConfig config = NodeConfig.fromJson(new JsonObject()
        .put("nodeId", 1)
        .put("http", new JsonObject().put("host", "127.0.0.1").put("port", 0).put("maxValueBytes", LIMIT)
            .put("enabled", httpEnabled))
        .put("cluster", new JsonObject().put("members", new JsonArray()))
        .put("acceptors", new JsonArray().add(1)));
    kv = new FakeKvService(LIMIT);
    verticle = new HttpVerticle(config, kv, registry);
    vertx.deployVerticle(verticle).await();
    ownPort = verticle.actualPort();
    Router host = Router.router(vertx);
    host.get("/app/hello").handler(ctx -> ctx.response().end("host"));
    host.route("/kshaka/*").subRouter(verticle.mountableRouter());
    HttpServer server = vertx.createHttpServer().requestHandler(host).listen(0, "127.0.0.1").await();
    hostPort = server.actualPort();
    client = WebClient.create(vertx);
  }

  @AfterEach
  void closeClient() {
    if (client != null) client.close();
  }

  private HttpResponse<Buffer> call(int port, HttpMethod method, String uri, Buffer body, String... headers) {
    var request = client.request(method, port, "127.0.0.1", uri);
    for (int i = 0; i < headers.length; i += 2) request.putHeader(headers[i], headers[i + 1]);
    return (body == null ? request.send() : request.sendBuffer(body)).await();
  }

  /** One request, and what of its answer must be the same on both servers. */
  private record Case(HttpMethod method, String path, String body, String... headers) {}

  private static String answer(HttpResponse<Buffer> r) {
    return r.statusCode() + " type=" + r.getHeader("content-type") + " etag=" + r.getHeader("ETag") + " allow="
        + r.getHeader("Allow") + " body=" + r.bodyAsString();
  }

  @Test
  void mountedRouterAnswersEveryRouteAndErrorAsTheNodesOwnServer(Vertx vertx) {
    start(vertx, true, new PrometheusMeterRegistry(PrometheusConfig.DEFAULT));
    // {k} becomes a key of each server's own, so that both start from an empty register
    List<Case> cases = List.of(
        new Case(HttpMethod.PUT, "/v1/kv/{k}", "one"),
        new Case(HttpMethod.GET, "/v1/kv/{k}", null),
        new Case(HttpMethod.PUT, "/v1/kv/{k}", "two", "If-Match", "\"1\""),
        new Case(HttpMethod.PUT, "/v1/kv/{k}", "three", "If-Match", "\"1\""),
        new Case(HttpMethod.PUT, "/v1/kv/{k}", "x", "If-Match", "nope"),
        new Case(HttpMethod.GET, "/v1/kv/{k}-absent", null),
        new Case(HttpMethod.POST, "/v1/kv/{k}-n?op=add&delta=5", null),
        new Case(HttpMethod.POST, "/v1/kv/{k}-n?op=mul&delta=5", null),
        new Case(HttpMethod.DELETE, "/v1/kv/{k}", null),
        new Case(HttpMethod.GET, "/v1/kv/", null),
        new Case(HttpMethod.GET, "/v1/kv/a%2F{k}", null),
        new Case(HttpMethod.GET, "/v1/kv/..", null),
        new Case(HttpMethod.PUT, "/v1/kv/{k}-big", "x".repeat(LIMIT + 1)),
        new Case(HttpMethod.GET, "/health", null),
        new Case(HttpMethod.GET, "/ready", null),
        new Case(HttpMethod.GET, "/v1/cluster", null),
        new Case(HttpMethod.GET, "/v1/admin/membership", null),
        new Case(HttpMethod.DELETE, "/health", null),
        new Case(HttpMethod.PATCH, "/v1/kv/{k}", null),
        new Case(HttpMethod.GET, "/no/such/thing", null),
        new Case(HttpMethod.PUT, "/v1/kv/{k}-idem", "v", "Idempotency-Key", "a", "Idempotency-Key", "b"));
    for (Case c : cases) {
      String own = answer(call(ownPort, c.method(), c.path().replace("{k}", "own"),
          c.body() == null ? null : Buffer.buffer(c.body()), c.headers()));
      String mounted = answer(call(hostPort, c.method(), "/kshaka" + c.path().replace("{k}", "mnt"),
          c.body() == null ? null : Buffer.buffer(c.body()), c.headers()));
      assertEquals(own, mounted, c.method() + " " + c.path());
    }
    // the host's own routes are untouched
    assertEquals("host", call(hostPort, HttpMethod.GET, "/app/hello", null).bodyAsString());
  }

  @Test
  void mountedRouterWorksWithHttpDisabledAndBindsNoServer(Vertx vertx) {
    start(vertx, false, new PrometheusMeterRegistry(PrometheusConfig.DEFAULT));
    assertEquals(-1, ownPort);
    assertEquals(200, call(hostPort, HttpMethod.PUT, "/kshaka/v1/kv/k", Buffer.buffer("v")).statusCode());
    HttpResponse<Buffer> r = call(hostPort, HttpMethod.GET, "/kshaka/v1/kv/k", null);
    assertEquals("v", r.bodyAsString());
    assertEquals("\"1\"", r.getHeader("ETag"));
    assertEquals(200, call(hostPort, HttpMethod.GET, "/kshaka/ready", null).statusCode());
    kv.ready(false);
    HttpResponse<Buffer> notReady = call(hostPort, HttpMethod.GET, "/kshaka/ready", null);
    assertEquals(503, notReady.statusCode());
    assertEquals("not_ready", notReady.bodyAsJsonObject().getString("status"));
  }

  @Test
  void mountedRequestsAreTimedUnderTheirRouteNotTheMountPoint(Vertx vertx) {
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    start(vertx, false, registry);
    call(hostPort, HttpMethod.PUT, "/kshaka/v1/kv/k", Buffer.buffer("v"));
    // the key "..": the host router sees /kshaka/v1/, ours reroutes it to the registers; timed once
    assertEquals(404, call(hostPort, HttpMethod.GET, "/kshaka/v1/kv/..", null).statusCode());
    String text = call(hostPort, HttpMethod.GET, "/kshaka/metrics", null).bodyAsString();
    assertTrue(text.contains("kshaka_http_requests_seconds_count{method=\"PUT\",route=\"kv\",status=\"200\"} 1"),
        text);
    assertTrue(text.contains("kshaka_http_requests_seconds_count{method=\"GET\",route=\"kv\",status=\"404\"} 1"),
        text);
  }

  @Test
  void oversizedBodyThroughTheMountIs413AndTheConnectionIsClosed(Vertx vertx) {
    start(vertx, false, new PrometheusMeterRegistry(PrometheusConfig.DEFAULT));
    String r = RawConnection.exchange(vertx, hostPort,
        "PUT /kshaka/v1/kv/k HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000000000\r\n\r\nabc");
    assertTrue(r.startsWith("HTTP/1.1 413"), r);
    assertTrue(r.contains("value_too_large"), r);
    assertTrue(kv.requests.isEmpty());
  }

  @Test
  void metricsIn404NamingWhyWhenTheRegistryIsNotPrometheus(Vertx vertx) {
    start(vertx, true, new SimpleMeterRegistry());
    for (int port : new int[] {ownPort, hostPort}) {
      HttpResponse<Buffer> r = call(port, HttpMethod.GET, port == hostPort ? "/kshaka/metrics" : "/metrics", null);
      assertEquals(404, r.statusCode());
      JsonObject body = r.bodyAsJsonObject();
      assertEquals("no_prometheus_registry", body.getString("error"));
      assertTrue(body.getString("message").contains("SimpleMeterRegistry"), body.encode());
    }
  }

  @Test
  void metricsServesThePrometheusRegistryInsideAComposite(Vertx vertx) {
    CompositeMeterRegistry composite = new CompositeMeterRegistry();
    composite.add(new SimpleMeterRegistry());
    composite.add(new PrometheusMeterRegistry(PrometheusConfig.DEFAULT));
    start(vertx, true, composite);
    call(ownPort, HttpMethod.GET, "/health", null);
    HttpResponse<Buffer> r = call(ownPort, HttpMethod.GET, "/metrics", null);
    assertEquals(200, r.statusCode());
    assertTrue(r.bodyAsString().contains("kshaka_http_requests_seconds_count{method=\"GET\",route=\"health\""),
        r.bodyAsString());
  }

  @Test
  void routerBeforeDeployIsRefused() {
    NodeConfig config = NodeConfig.fromJson(new JsonObject().put("nodeId", 1)
        .put("http", new JsonObject()).put("cluster", new JsonObject().put("members", new JsonArray()))
        .put("acceptors", new JsonArray().add(1)));
    HttpVerticle undeployed = new HttpVerticle(config, new FakeKvService(LIMIT), new SimpleMeterRegistry());
    assertNotNull(assertThrows(IllegalStateException.class, undeployed::mountableRouter).getMessage());
  }

  @Test
  void httpEnabledMustBeABoolean() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> NodeConfig.fromJson(
        new JsonObject().put("nodeId", 1).put("http", new JsonObject().put("enabled", "no"))
            .put("cluster", new JsonObject().put("members", new JsonArray())).put("acceptors", new JsonArray().add(1))));
    assertEquals("config: field 'http.enabled' must be true or false", e.getMessage());
  }
}
