package io.kshaka.http;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kshaka.cluster.NodeConfig;
import io.kshaka.openapi.OpenApi;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Route;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Every route the HTTP verticle registers is in openapi.json (the document cannot fall behind the router), and the
 * server serves the document as kept in the repository, and the dashboard.
 */
class OpenApiRoutesTest {
  Vertx vertx;
  HttpVerticle verticle;
  WebClient client;

  @BeforeEach
  void start() {
    vertx = Vertx.vertx();
    NodeConfig config = NodeConfig.fromJson(new JsonObject()
        .put("nodeId", 1)
        .put("http", new JsonObject().put("host", "127.0.0.1").put("port", 0))
        .put("cluster", new JsonObject().put("members", new JsonArray()))
        .put("acceptors", new JsonArray().add(1)));
    verticle = new HttpVerticle(config, new FakeKvService(1 << 20), new PrometheusMeterRegistry(PrometheusConfig.DEFAULT));
    vertx.deployVerticle(verticle).await();
    client = WebClient.create(vertx);
  }

  @AfterEach
  void stop() {
    client.close();
    vertx.close().await();
  }

  @Test
  void everyRouteOfTheRouterIsInTheOpenApiDocument() {
    OpenApi api = OpenApi.load();
    List<String> missing = new ArrayList<>();
    int checked = 0;
    for (Route route : verticle.routes()) {
      if (route.methods() == null || route.methods().isEmpty()) continue; // the handlers every request passes
      String sample = sample(route);
      String template = api.template(sample);
      for (HttpMethod m : route.methods()) {
        checked++;
        if (template == null || api.operation(template, m.name()) == null) {
          missing.add(m.name() + " " + (route.isRegexPath() ? route.getName() : route.getPath()) + " (as " + sample + ")");
        }
      }
    }
    assertEquals(List.of(), missing, "routes missing from src/main/resources/openapi.json");
    assertTrue(checked >= 12, "only " + checked + " routes found");
  }

  /** A concrete path the route matches: regex wildcards and path wildcards become a sample segment. */
  static String sample(Route route) {
    String p = route.isRegexPath() ? route.getName() : route.getPath();
    assertNotNull(p, "a route without path: " + route);
    if (route.isRegexPath()) return p.replace(".*", "sample").replace(".+", "sample");
    if (!route.isExactPath()) return p + (p.endsWith("/") ? "" : "/") + "sample";
    return p.replaceAll(":([A-Za-z]+)", "sample");
  }

  @Test
  void theDocumentIsServedAsKeptInTheRepository() throws Exception {
    HttpResponse<Buffer> r = client.get(verticle.actualPort(), "127.0.0.1", "/openapi.json").send().await();
    assertEquals(200, r.statusCode());
    assertTrue(r.getHeader("content-type").startsWith("application/json"), r.getHeader("content-type"));
    byte[] kept;
    try (InputStream in = getClass().getClassLoader().getResourceAsStream("openapi.json")) {
      kept = in.readAllBytes();
    }
    assertArrayEquals(kept, r.body().getBytes());
    JsonObject doc = r.bodyAsJsonObject();
    assertEquals("3.1.0", doc.getString("openapi"));
  }

  @Test
  void theDashboardIsServedAtUi() {
    HttpResponse<Buffer> redirect = client.get(verticle.actualPort(), "127.0.0.1", "/ui").followRedirects(false)
        .send().await();
    assertEquals(302, redirect.statusCode());
    assertEquals("ui/", redirect.getHeader("location"));
    HttpResponse<Buffer> index = client.get(verticle.actualPort(), "127.0.0.1", "/ui/").send().await();
    assertEquals(200, index.statusCode());
    assertTrue(index.getHeader("content-type").startsWith("text/html"), index.getHeader("content-type"));
    assertTrue(index.bodyAsString().contains("<script src=\"app.js\">"));
    HttpResponse<Buffer> js = client.get(verticle.actualPort(), "127.0.0.1", "/ui/app.js").send().await();
    assertEquals(200, js.statusCode());
    HttpResponse<Buffer> none = client.get(verticle.actualPort(), "127.0.0.1", "/ui/nope.js").send().await();
    assertEquals(404, none.statusCode());
    assertEquals("not_found", none.bodyAsJsonObject().getString("error"));
  }
}
