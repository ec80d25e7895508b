package io.kshaka.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kshaka.bench.BenchCommand;
import io.kshaka.client.KshakaClient;
import io.kshaka.cluster.HazelcastSetup;
import io.kshaka.security.TestCa;
import io.kshaka.security.TlsSettings;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.EventBusOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.core.json.JsonObject;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.SSLContext;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * HTTPS on the HTTP API ({@code http.tls}) and mutual TLS on the event bus ({@code cluster.tls}) of a real 3-node
 * cluster, with certificates from a CA made at test time. A member without a certificate from the cluster CA (none,
 * or one from another CA) joins Hazelcast, but gets nothing in or out of a Kshaka address.
 */
class MutualTlsTest {
  private static final Duration DEADLINE = Duration.ofSeconds(60);
  /** Kshaka's addresses, spelled out (the namespace is the default one). */
  private static final List<String> ADDRESSES = List.of("kshaka.kv", "kshaka.kv.1", "kshaka.acceptor.1",
      "kshaka.acceptor.2");

  @TempDir
  static Path dir;

  static TestCa ca;
  static TestCa rogueCa;
  static TestCluster cluster;
  static HttpClient https;
  static Vertx member;

  @BeforeAll
  static void start() {
    ca = TestCa.create("cluster", dir.resolve("certs"));
    rogueCa = TestCa.create("rogue", dir.resolve("rogue-certs"));
    List<TestCa.Issued> certs = new ArrayList<>();
    for (int i = 1; i <= 3; i++) certs.add(ca.issue("node-" + i));
    cluster = TestCluster.create(dir, 3, new JsonObject());
    cluster.startAll(node -> {
      JsonObject config = cluster.config(node);
      TestCa.Issued c = certs.get(node - 1);
      JsonObject tls = new JsonObject().put("cert", c.cert().toString()).put("key", c.key().toString());
      config.getJsonObject("http").put("tls", tls.copy());
      config.getJsonObject("cluster").put("tls", tls.copy().put("ca", ca.certFile().toString()));
      return config;
    });
    https = client(TlsSettings.trusting(ca.certFile()));
    TestCa.Issued app = ca.issue("app");
    member = join(new TlsSettings.Cluster(app.cert(), app.key(), ca.certFile()));
  }

  @AfterAll
  static void stop() {
    if (member != null) TestCluster.await(member.close());
    if (cluster != null) cluster.close();
  }

  @Test
  void httpsAnswersAClientThatTrustsTheClusterCa() throws Exception {
    HttpResponse<String> r = https.send(get(1, "/health"), HttpResponse.BodyHandlers.ofString());
    assertEquals(200, r.statusCode());
    assertEquals("up", new JsonObject(r.body()).getString("status"));
  }

  @Test
  void plainHttpToTheHttpsPortFails() {
    HttpClient plain = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
        .connectTimeout(Duration.ofSeconds(5)).build();
    HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + cluster.httpPort(1) + "/health"))
        .timeout(Duration.ofSeconds(10)).build();
    assertThrows(IOException.class, () -> plain.send(request, HttpResponse.BodyHandlers.ofString()));
  }

  @Test
  void httpsRefusesAClientThatTrustsAnotherCa() {
    HttpClient other = client(TlsSettings.trusting(rogueCa.certFile()));
    assertThrows(IOException.class, () -> other.send(get(1, "/health"), HttpResponse.BodyHandlers.ofString()));
  }

  @Test
  void theClusterWorksEndToEndOverMutualTls() throws Exception {
    // HTTPS in on node 1, proposer to acceptors over the TLS bus, read back through the other nodes
    HttpResponse<String> put = https.send(HttpRequest.newBuilder(uri(1, "/v1/kv/tls-e2e"))
        .PUT(HttpRequest.BodyPublishers.ofString("over-tls")).timeout(Duration.ofSeconds(30)).build(),
        HttpResponse.BodyHandlers.ofString());
    assertEquals(200, put.statusCode(), put.body());
    for (int node = 2; node <= 3; node++) {
      HttpResponse<String> r = https.send(get(node, "/v1/kv/tls-e2e"), HttpResponse.BodyHandlers.ofString());
      assertEquals(200, r.statusCode());
      assertEquals("over-tls", r.body());
    }
    // a member with a certificate from the cluster CA calls kshaka.kv (request to a node, reply back to it)
    KshakaClient client = KshakaClient.create(member);
    assertEquals("over-tls", TestCluster.await(client.get("tls-e2e")).asString());
    long version = TestCluster.await(client.put("tls-member", "from-member")).version();
    assertTrue(version > 0);
    HttpResponse<String> r = https.send(get(3, "/v1/kv/tls-member"), HttpResponse.BodyHandlers.ofString());
    assertEquals("from-member", r.body());
  }

  @Test
  void theBenchDrivesTheClusterOverHttpsAndOverTheTlsBus() throws Exception {
    TestCa.Issued bench = ca.issue("bench");
    Path httpJson = dir.resolve("bench-https.json");
    runBench("--endpoints", "https://127.0.0.1:" + cluster.httpPort(1) + ",https://127.0.0.1:" + cluster.httpPort(2),
        "--cacert", ca.certFile().toString(), "--clients", "4", "--keys", "50", "--duration", "1", "--warmup", "0.2",
        "--max-ops", "200", "--seed", "5", "--json", httpJson.toString());
    JsonObject http = new JsonObject(Files.readString(httpJson));
    assertTrue(http.getLong("ops") > 0, http.encode());
    assertEquals(0L, http.getLong("errors"), http.encode());
    Path busJson = dir.resolve("bench-bus.json");
    runBench("--event-bus", "--members", String.join(",", members()), "--cluster-name", clusterName(),
        "--cluster-port", String.valueOf(TestCluster.freePort()), "--cluster-cert", bench.cert().toString(),
        "--cluster-key", bench.key().toString(), "--cluster-ca", ca.certFile().toString(), "--join-timeout", "60",
        "--clients", "4", "--keys", "50", "--duration", "1", "--warmup", "0.2", "--max-ops", "200", "--seed", "5",
        "--json", busJson.toString());
    JsonObject bus = new JsonObject(Files.readString(busJson));
    assertTrue(bus.getLong("ops") > 0, bus.encode());
    assertEquals(0L, bus.getLong("errors"), bus.encode());
  }

  private static void runBench(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code = BenchCommand.run(new PrintWriter(out, true), new PrintWriter(err, true), args);
    assertEquals(0, code, () -> "stdout:\n" + out + "\nstderr:\n" + err);
  }

  @Test
  void aMemberWithoutACertificateGetsNothingInOrOut() throws Exception {
    assertShutOut("plain", join(null));
  }

  @Test
  void aMemberWithACertificateFromAnotherCaGetsNothingInOrOut() throws Exception {
    TestCa.Issued rogue = rogueCa.issue("rogue-member");
    assertShutOut("rogue-ca", join(new TlsSettings.Cluster(rogue.cert(), rogue.key(), rogueCa.certFile())));
  }

  /**
   * The member {@code rogue} (already in the Hazelcast cluster) can send nothing to a Kshaka address, and receives
   * nothing on the Kshaka addresses it registers, while the nodes keep serving correct answers.
   */
  private static void assertShutOut(String kind, Vertx rogue) throws Exception {
    try {
      // the same kind of request from the legitimate member reaches the handler: the control
      // (generous timeouts: the first request opens a TLS connection, which takes seconds on a loaded machine)
      DeliveryOptions quick = new DeliveryOptions().setSendTimeout(20_000);
      assertTrue(reached(member.eventBus().request("kshaka.acceptor.1", Buffer.buffer("junk"), quick)),
          "the control did not reach acceptor 1");

      // 1. sending: a write to kshaka.kv and a message to an acceptor never reach a handler
      String key = "rogue-" + kind;
      JsonObject put = new JsonObject().put("op", "put").put("key", key).put("value", "cm9ndWU=");
      DeliveryOptions rogueSend = new DeliveryOptions().setSendTimeout(5_000);
      assertFalse(reached(rogue.eventBus().request("kshaka.kv", put, rogueSend)),
          "the rogue's write reached kshaka.kv");
      assertFalse(reached(rogue.eventBus().request("kshaka.acceptor.1", Buffer.buffer("junk"), rogueSend)),
          "the rogue's message reached acceptor 1");
      assertEquals(404, https.send(get(2, "/v1/kv/" + key), HttpResponse.BodyHandlers.ofString()).statusCode());

      // 2. receiving: consumers on Kshaka addresses get nothing, though the nodes do pick them for sends
      AtomicInteger received = new AtomicInteger();
      List<Future<Void>> registered = new ArrayList<>();
      for (String address : ADDRESSES) {
        MessageConsumer<Object> c = rogue.eventBus().consumer(address, m -> {
          received.incrementAndGet();
          m.reply(new JsonObject().put("version", 1));
        });
        registered.add(c.completion());
      }
      TestCluster.await(Future.all(registered));
      // node 1 spreads kshaka.kv requests over every registration: wait until one was sent the rogue's way (it fails)
      Vertx node1 = cluster.vertx(1);
      long deadline = System.nanoTime() + DEADLINE.toNanos();
      int failed = 0;
      int answered = 0;
      for (int i = 0; i < 400 && failed == 0; i++) {
        assertTrue(System.nanoTime() < deadline, "no request from node 1 was ever routed to the rogue");
        JsonObject read = new JsonObject().put("op", "get").put("key", "tls-probe");
        try {
          TestCluster.await(node1.eventBus().request("kshaka.kv", read, new DeliveryOptions().setSendTimeout(3_000)));
          answered++;
        } catch (IllegalStateException e) {
          if (!(e.getCause() instanceof ReplyException re) || re.failureType() == ReplyFailure.RECIPIENT_FAILURE) {
            answered++; // a node answered (404 for the absent key)
          } else {
            failed++;
          }
        }
      }
      assertTrue(failed > 0, "no request was routed to the rogue after " + answered + " answered");
      // writes go on while the rogue also sits on acceptor and forwarding addresses: a message the nodes route to
      // it is lost (a missing vote, or a forward that times out into a 504, outcome unknown), never a wrong answer
      int ok = 0;
      List<Integer> unknown = new ArrayList<>();
      for (int i = 0; i < 6; i++) {
        HttpResponse<String> w = https.send(HttpRequest.newBuilder(uri(1 + i % 3, "/v1/kv/" + key + "-" + i))
            .PUT(HttpRequest.BodyPublishers.ofString("v" + i)).timeout(Duration.ofSeconds(30)).build(),
            HttpResponse.BodyHandlers.ofString());
        if (w.statusCode() == 200) {
          ok++;
        } else {
          assertTrue(w.statusCode() == 503 || w.statusCode() == 504, w.statusCode() + " " + w.body());
          unknown.add(i);
        }
      }
      assertTrue(ok > 0, "no write succeeded while the rogue was registered");
      assertEquals(0, received.get(), "messages from the nodes reached the rogue's consumers");
      TestCluster.await(rogue.close());
      rogue = null;
      // with the rogue gone every node serves again, and every write that was answered 200 is there
      for (int i = 0; i < 6; i++) {
        HttpResponse<String> r = readSoon(1 + (i + 1) % 3, "/v1/kv/" + key + "-" + i);
        if (unknown.contains(i)) {
          assertTrue(r.statusCode() == 404 || r.body().equals("v" + i), r.statusCode() + " " + r.body());
        } else {
          assertEquals(200, r.statusCode(), r.body());
          assertEquals("v" + i, r.body());
        }
      }
    } finally {
      if (rogue != null) TestCluster.await(rogue.close());
    }
  }

  /** A GET answered 200 or 404 (a node may still route to a departed member for a moment: retried). */
  private static HttpResponse<String> readSoon(int node, String path) throws Exception {
    long deadline = System.nanoTime() + DEADLINE.toNanos();
    for (int attempt = 0; ; attempt++) {
      HttpResponse<String> r = https.send(get(node, path), HttpResponse.BodyHandlers.ofString());
      if (r.statusCode() == 200 || r.statusCode() == 404 || attempt >= 20 || System.nanoTime() > deadline) return r;
    }
  }

  /** A clustered Vert.x (Hazelcast lite member) joining the test cluster, with this event-bus TLS or none. */
  private static Vertx join(TlsSettings.Cluster tls) {
    var hz = HazelcastSetup.hazelcast(clusterName(), "127.0.0.1", TestCluster.freePort(), members());
    hz.setLiteMember(true);
    EventBusOptions bus = new EventBusOptions().setHost("127.0.0.1").setPort(0);
    if (tls != null) tls.applyTo(bus);
    return TestCluster.await(Vertx.builder()
        .with(new VertxOptions().setEventBusOptions(bus))
        .withClusterManager(new HazelcastClusterManager(hz))
        .buildClustered());
  }

  /** Whether a handler got the request: it replied, or failed it itself (not a timeout or no handler). */
  private static boolean reached(Future<? extends Message<?>> request) {
    try {
      TestCluster.await(request);
      return true;
    } catch (IllegalStateException e) {
      assertTrue(e.getCause() instanceof ReplyException, "not a ReplyException: " + e.getCause());
      return ((ReplyException) e.getCause()).failureType() == ReplyFailure.RECIPIENT_FAILURE;
    }
  }

  private static String clusterName() {
    return cluster.config(1).getJsonObject("cluster").getString("name");
  }

  private static List<String> members() {
    List<String> members = new ArrayList<>();
    cluster.config(1).getJsonObject("cluster").getJsonArray("members").forEach(m -> members.add((String) m));
    return members;
  }

  private static HttpClient client(SSLContext ssl) {
    return HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).sslContext(ssl)
        .connectTimeout(Duration.ofSeconds(5)).build();
  }

  private static URI uri(int node, String path) {
    return URI.create("https://127.0.0.1:" + cluster.httpPort(node) + path);
  }

  private static HttpRequest get(int node, String path) {
    return HttpRequest.newBuilder(uri(node, path)).timeout(Duration.ofSeconds(30)).build();
  }
}
