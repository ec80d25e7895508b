package io.kshaka.it;

import static io.kshaka.it.TestCluster.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kshaka.KshakaVerticle;
import io.kshaka.client.KshakaClient;
import io.kshaka.client.KshakaClientOptions;
import io.kshaka.cluster.HazelcastSetup;
import io.kshaka.cluster.NodeConfig;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.healthchecks.CheckResult;
import io.vertx.ext.healthchecks.HealthChecks;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.micrometer.MicrometerMetricsOptions;
import io.vertx.micrometer.VertxPrometheusOptions;
import io.vertx.micrometer.backends.BackendRegistries;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Path;
import java.util.UUID;
import java.util.function.Predicate;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * Kshaka embedded as a user embeds it: node 3 of a real 3-node cluster is deployed BY NAME into a host application's
 * clustered Vert.x (Micrometer metrics with Prometheus on), with {@code http.enabled=false}; the host mounts its
 * router under {@code /kshaka} on its own server and registers its readiness as a health check. Nodes 1 and 2 run
 * the usual way. The tests share the cluster; the last one stops nodes 1 and 2.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class EmbeddingTest {
  @TempDir
  static Path dir;

  private TestCluster cluster;
  private Vertx host;
  private String registryName;
  private String deployment;
  private KshakaVerticle kshaka;
  private WebClient web;
  private int hostPort;

  @BeforeAll
  void startClusterWithAnEmbeddedNode() {
    cluster = TestCluster.create(dir, 3, null);
    JsonObject config = cluster.config(3);
    config.getJsonObject("http").put("enabled", false);
    NodeConfig nodeConfig = NodeConfig.fromJson(config);
    registryName = "embedding-test-" + UUID.randomUUID();
    // nodes 1 and 2 first, then the host joins their cluster: three members joining each other at the same moment
    // can stay without a cluster for minutes on a loaded machine, and the host gets no join retry
    Future<Vertx> node1 = cluster.startNodeAsync(1);
    Future<Vertx> node2 = cluster.startNodeAsync(2);
    await(node1);
    await(node2);
    // the host application: its own clustered Vert.x with Micrometer metrics (Prometheus backend) enabled
    Future<String> embedded = Vertx.builder()
        .with(HazelcastSetup.vertxOptions(nodeConfig).setMetricsOptions(new MicrometerMetricsOptions()
            .setEnabled(true).setRegistryName(registryName)
            .setPrometheusOptions(new VertxPrometheusOptions().setEnabled(true))))
        .withClusterManager(new HazelcastClusterManager(HazelcastSetup.hazelcast(nodeConfig)))
        .buildClustered()
        .compose(v -> {
          host = v;
          return v.deployVerticle("io.kshaka.KshakaVerticle", new DeploymentOptions().setConfig(config));
        });
    deployment = await(embedded);
    kshaka = KshakaVerticle.deployed(deployment);
    assertNotNull(kshaka, "the node deployed by name is found by its deployment id");
    Router router = Router.router(host);
    router.get("/app/hello").handler(ctx -> ctx.response().end("hello from the host"));
    router.route("/kshaka/*").subRouter(kshaka.httpRouter());
    hostPort = await(host.createHttpServer().requestHandler(router).listen(0, "127.0.0.1")).actualPort();
    web = WebClient.create(host);
  }

  @AfterAll
  void stop() {
    if (web != null) web.close();
    if (host != null) await(host.close());
    if (cluster != null) cluster.close();
  }

  private HttpResponse<Buffer> call(int port, HttpMethod method, String uri, String body) {
    var request = web.request(method, port, "127.0.0.1", uri);
    return await(body == null ? request.send() : request.sendBuffer(Buffer.buffer(body)));
  }

  /** Polls {@code probe} until {@code done} holds (60 s at most, 100 ms apart); returns the last value. */
  private static <T> T eventually(Supplier<T> probe, Predicate<T> done, String what) {
    long deadline = System.nanoTime() + 60_000_000_000L;
    T last = probe.get();
    while (!done.test(last)) {
      if (System.nanoTime() > deadline) throw new AssertionError("not within 60 s: " + what + "; last: " + last);
      try {
        Thread.sleep(100);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError(e);
      }
      last = probe.get();
    }
    return last;
  }

  @Test
  @Order(1)
  void deployedByNameFromDeploymentOptionsConfig() {
    assertTrue(host.deploymentIDs().contains(deployment));
    assertEquals(3, kshaka.membership().current().members().size());
    assertEquals(-1, kshaka.httpPort());
    assertTrue(KshakaVerticle.deployed("no-such-deployment") == null);
  }

  @Test
  @Order(2)
  void withHttpDisabledNoPortIsBoundAndTheEventBusServes() {
    int port = cluster.httpPort(3);
    assertThrows(ConnectException.class, () -> {
      try (Socket s = new Socket()) {
        s.connect(new InetSocketAddress("127.0.0.1", port), 2_000);
      }
    }, "nothing listens on the embedded node's configured HTTP port " + port);
    // the node's own proposer, through its per-node address, and the shared address
    KshakaClient viaNode3 = KshakaClient.create(host, new KshakaClientOptions().setAddress("kshaka.kv.3"));
    assertEquals(1L, await(viaNode3.put("bus-key", "from the host")).version());
    assertEquals("from the host", await(KshakaClient.create(host).get("bus-key")).asString());
    HttpResponse<Buffer> r = call(cluster.httpPort(1), HttpMethod.GET, "/v1/kv/bus-key", null);
    assertEquals("from the host", r.bodyAsString(), "node 1 serves what the embedded node wrote");
  }

  @Test
  @Order(3)
  void routerMountedOnTheHostServerServesGetAndPutUnderItsPath() {
    assertEquals(200, call(hostPort, HttpMethod.PUT, "/kshaka/v1/kv/mounted", "via the host").statusCode());
    HttpResponse<Buffer> r = call(hostPort, HttpMethod.GET, "/kshaka/v1/kv/mounted", null);
    assertEquals(200, r.statusCode());
    assertEquals("via the host", r.bodyAsString());
    assertEquals("\"1\"", r.getHeader("ETag"));
    assertEquals("via the host", call(cluster.httpPort(2), HttpMethod.GET, "/v1/kv/mounted", null).bodyAsString());
    eventually(() -> call(hostPort, HttpMethod.GET, "/kshaka/ready", null).statusCode(), s -> s == 200,
        "/kshaka/ready answers 200");
    assertEquals(200, call(hostPort, HttpMethod.GET, "/kshaka/v1/cluster", null).statusCode());
    assertEquals(200, call(hostPort, HttpMethod.GET, "/kshaka/v1/admin/membership", null).statusCode());
    HttpResponse<Buffer> missing = call(hostPort, HttpMethod.GET, "/kshaka/nope", null);
    assertEquals(404, missing.statusCode());
    assertEquals("not_found", missing.bodyAsJsonObject().getString("error"));
    assertEquals("hello from the host", call(hostPort, HttpMethod.GET, "/app/hello", null).bodyAsString());
  }

  @Test
  @Order(4)
  void metersGoToTheHostsMicrometerRegistryAndMetricsServesIt() {
    MeterRegistry hostRegistry = BackendRegistries.getNow(registryName);
    assertNotNull(hostRegistry);
    assertSame(hostRegistry, kshaka.registry(), "the node registered its meters in the host's registry");
    Counter.builder("embedding_host_probe").register(hostRegistry).increment();
    await(KshakaClient.create(host, new KshakaClientOptions().setAddress("kshaka.kv.3")).put("metered", "x"));
    assertNotNull(hostRegistry.find("kshaka_store_flush").timer());
    String text = call(hostPort, HttpMethod.GET, "/kshaka/metrics", null).bodyAsString();
    assertTrue(text.contains("kshaka_store_flush_seconds_count"), text);
    assertTrue(text.contains("embedding_host_probe_total"), "the host's own meters are in the same registry");
    assertTrue(text.contains("vertx_"), "and Vert.x's");
  }

  @Test
  @Order(5)
  void readinessProcedureReportsUpThenDownWhenQuorumIsLost() {
    HealthChecks checks = HealthChecks.create(host);
    checks.register("kshaka", 15_000, kshaka.readinessProcedure());
    CheckResult up = eventually(() -> await(checks.checkStatus("kshaka")), CheckResult::isUp, "health check up");
    assertEquals("ready", up.getData().getString("status"), up.toJson().encode());
    cluster.stopNode(1);
    cluster.stopNode(2);
    CheckResult down = eventually(() -> await(checks.checkStatus("kshaka")), r -> !CheckResult.isUp(r),
        "health check down once nodes 1 and 2 are gone");
    assertEquals("not_ready", down.getData().getString("status"), down.toJson().encode());
    assertEquals("no_quorum", down.getData().getString("error"), down.toJson().encode());
    // the same data as GET /ready
    JsonObject ready = call(hostPort, HttpMethod.GET, "/kshaka/ready", null).bodyAsJsonObject();
    assertEquals(ready.getString("error"), down.getData().getString("error"));
  }
}
