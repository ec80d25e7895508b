package io.kshaka.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kshaka.client.KshakaClient;
import io.kshaka.client.KshakaClientOptions;
import io.kshaka.client.KshakaException;
import io.kshaka.security.Role;
import io.kshaka.security.TestCa;
import io.kshaka.security.TlsSettings;
import io.kshaka.security.Tokens;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.eventbus.EventBusOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Everything on at once, as the README's secure cluster runs: HTTPS, mutual TLS on the event bus, the cluster
 * secret and bearer tokens. A user calls it over HTTPS with a token, and from a separate Vert.x application that
 * joins with Hazelcast's defaults (plus its own certificate from the cluster CA) through {@link KshakaClient}.
 */
class SecureClusterTest {
  @TempDir
  static Path dir;
  static TestCa ca;
  static TestCluster cluster;
  static Vertx app;
  static HttpClient https;
  static final Map<Role, String> TOKENS = new EnumMap<>(Role.class);

  @BeforeAll
  static void start() throws Exception {
    ca = TestCa.create("cluster", dir.resolve("certs"));
    JsonArray entries = new JsonArray();
    SecureRandom random = new SecureRandom();
    for (Role r : Role.values()) {
      TOKENS.put(r, Tokens.newToken(random));
      entries.add(Tokens.entry(r.label(), TOKENS.get(r), r));
    }
    Path tokens = Files.writeString(dir.resolve("tokens.json"), new JsonObject().put("tokens", entries).encode());
    Path secret = Files.writeString(dir.resolve("secret"), Tokens.newToken(random));
    List<TestCa.Issued> certs = new ArrayList<>();
    for (int i = 1; i <= 3; i++) certs.add(ca.issue("node-" + i));
    cluster = TestCluster.create(dir, 3, new JsonObject());
    cluster.startAll(node -> {
      JsonObject config = cluster.config(node);
      TestCa.Issued c = certs.get(node - 1);
      JsonObject tls = new JsonObject().put("cert", c.cert().toString()).put("key", c.key().toString());
      config.getJsonObject("http").put("tls", tls.copy());
      config.getJsonObject("cluster").put("tls", tls.copy().put("ca", ca.certFile().toString()))
          .put("secretFile", secret.toString());
      return config.put("auth", new JsonObject().put("tokensFile", tokens.toString()));
    });
    https = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(10))
        .sslContext(TlsSettings.trusting(ca.certFile())).build();
    // the application: Hazelcast's defaults + TCP-IP members (ForeignMemberTest), its own certificate on the bus
    JsonObject c = cluster.config(1).getJsonObject("cluster");
    List<String> members = new ArrayList<>();
    c.getJsonArray("members").forEach(m -> members.add((String) m));
    TestCa.Issued appCert = ca.issue("app");
    EventBusOptions bus = new EventBusOptions().setHost("127.0.0.1").setPort(0);
    new TlsSettings.Cluster(appCert.cert(), appCert.key(), ca.certFile()).applyTo(bus);
    app = TestCluster.await(Vertx.builder().with(new VertxOptions().setEventBusOptions(bus))
        .withClusterManager(new HazelcastClusterManager(ForeignMemberTest.foreignConfig(c.getString("name"),
            members)))
        .buildClustered());
  }

  @AfterAll
  static void stop() {
    if (app != null) TestCluster.await(app.close());
    if (cluster != null) cluster.close();
  }

  @Test
  void curlWithATokenOverHttpsWorksAndWithoutOneIsRefused() throws Exception {
    HttpResponse<String> put = send("PUT", 1, "/v1/kv/greeting", "hello", TOKENS.get(Role.WRITE));
    assertEquals(200, put.statusCode(), put.body());
    HttpResponse<String> get = send("GET", 2, "/v1/kv/greeting", null, TOKENS.get(Role.READ));
    assertEquals(200, get.statusCode(), get.body());
    assertEquals("hello", get.body());
    assertEquals(401, send("GET", 3, "/v1/kv/greeting", null, null).statusCode());
    assertEquals(403, send("PUT", 3, "/v1/kv/greeting", "x", TOKENS.get(Role.READ)).statusCode());
    assertEquals(403, send("GET", 3, "/v1/admin/membership", null, TOKENS.get(Role.WRITE)).statusCode());
    assertEquals(200, send("GET", 3, "/v1/admin/membership", null, TOKENS.get(Role.ADMIN)).statusCode());
  }

  @Test
  void aSeparateApplicationWithItsCertificateAndATokenUsesTheClient() {
    KshakaClient kv = KshakaClient.create(app, new KshakaClientOptions().setToken(TOKENS.get(Role.WRITE)));
    assertEquals(1L, TestCluster.await(kv.put("from-app", "v1")).version());
    assertEquals("v1", TestCluster.await(kv.get("from-app")).asString());
    assertEquals(2L, TestCluster.await(kv.compareAndSet("from-app", 1, "v2")).version());
    assertEquals(3L, TestCluster.await(kv.add("app-counter", 3)).asLong());
    KshakaClient anonymous = KshakaClient.create(app);
    IllegalStateException e = assertThrows(IllegalStateException.class,
        () -> TestCluster.await(anonymous.get("from-app")));
    assertTrue(e.getCause() instanceof KshakaException k && k.status() == 401, String.valueOf(e.getCause()));
  }

  private static HttpResponse<String> send(String method, int node, String path, String body, String token)
      throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("https://127.0.0.1:" + cluster.httpPort(node) + path))
        .timeout(Duration.ofSeconds(30)).method(method, body == null ? HttpRequest.BodyPublishers.noBody()
            : HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8));
    if (token != null) b.header("Authorization", "Bearer " + token);
    return https.send(b.build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
  }
}
