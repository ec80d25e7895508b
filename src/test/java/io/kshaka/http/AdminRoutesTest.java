package io.kshaka.http;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.kshaka.cluster.AdminService;
import io.kshaka.cluster.NodeConfig;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.junit5.VertxExtension;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** {@code GET|POST /v1/admin/membership}: the routes hand the request to the {@link AdminService} as it is. */
@ExtendWith(VertxExtension.class)
class AdminRoutesTest {
  @Test
  void adminRoutesPassRequestsAndAnswersThrough(Vertx vertx) {
    NodeConfig config = NodeConfig.fromJson(new JsonObject().put("nodeId", 1)
        .put("http", new JsonObject().put("host", "127.0.0.1").put("port", 0))
        .put("cluster", new JsonObject().put("members", new JsonArray()))
        .put("acceptors", new JsonArray().add(1)));
    HttpVerticle http = new HttpVerticle(config, new FakeKvService(1024),
        new PrometheusMeterRegistry(PrometheusConfig.DEFAULT));
    vertx.deployVerticle(http).await();
    WebClient client = WebClient.create(vertx);
    int port = http.actualPort();
    try {
      HttpResponse<Buffer> none = client.get(port, "127.0.0.1", "/v1/admin/membership").send().await();
      assertEquals(503, none.statusCode(), "no admin service yet");
      assertEquals("unavailable", none.bodyAsJsonObject().getString("error"));

      List<JsonObject> seen = new ArrayList<>();
      http.admin(request -> {
        seen.add(request);
        return Future.succeededFuture(request.containsKey("acceptors")
            ? new AdminService.Reply(409, new JsonObject().put("error", "change_running"))
            : new AdminService.Reply(200, new JsonObject().put("epoch", 7)));
      });
      HttpResponse<Buffer> get = client.get(port, "127.0.0.1", "/v1/admin/membership").send().await();
      assertEquals(200, get.statusCode());
      assertEquals(7, get.bodyAsJsonObject().getInteger("epoch"));
      assertEquals(new JsonObject().put("op", "status"), seen.get(0));

      HttpResponse<Buffer> post = client.post(port, "127.0.0.1", "/v1/admin/membership")
          .sendBuffer(Buffer.buffer("{\"acceptors\":[1,2,3,4],\"forwarded\":true}")).await();
      assertEquals(409, post.statusCode());
      assertEquals(new JsonObject().put("acceptors", new JsonArray().add(1).add(2).add(3).add(4)), seen.get(1),
          "a client cannot mark its request as forwarded");

      for (String bad : new String[] {"", "[1,2]", "{not json", "42"}) {
        HttpResponse<Buffer> r = client.post(port, "127.0.0.1", "/v1/admin/membership")
            .sendBuffer(Buffer.buffer(bad)).await();
        assertEquals(400, r.statusCode(), bad);
        assertEquals("bad_request", r.bodyAsJsonObject().getString("error"));
      }
      assertEquals(2, seen.size());
    } finally {
      client.close();
    }
  }
}
