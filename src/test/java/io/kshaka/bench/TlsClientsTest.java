package io.kshaka.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kshaka.membership.AdminCommand;
import io.kshaka.security.TestCa;
import io.kshaka.security.TlsSettings;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.json.JsonObject;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The clients' side of TLS: the bench's HTTP target and {@code ./run.sh admin} call https URLs, trusting the CA of
 * {@code --cacert}; the bench's TLS options are checked like its others (exit 2 with a message).
 */
class TlsClientsTest {
  @TempDir
  static Path dir;
  static TestCa ca;
  static TestCa otherCa;
  static Vertx vertx;
  static HttpServer server;

  @BeforeAll
  static void start() throws Exception {
    ca = TestCa.create("cluster", dir);
    otherCa = TestCa.create("other", dir);
    TestCa.Issued node = ca.issue("node-1");
    vertx = Vertx.vertx();
    HttpServerOptions options = new TlsSettings.Http(node.cert(), node.key()).applyTo(new HttpServerOptions());
    server = await(vertx.createHttpServer(options)
        .requestHandler(r -> {
          if (r.path().equals("/v1/admin/membership")) {
            r.response().putHeader("content-type", "application/json").end(new JsonObject().encode());
          } else {
            r.response().setStatusCode(404).end(new JsonObject().put("version", 0).encode());
          }
        })
        .listen(0, "127.0.0.1"));
  }

  @AfterAll
  static void stop() throws Exception {
    if (vertx != null) await(vertx.close());
  }

  static <T> T await(Future<T> f) throws Exception {
    return f.toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
  }

  private static String url() {
    return "https://127.0.0.1:" + server.actualPort();
  }

  @Test
  void httpsEndpointsParseWithTheirScheme() {
    Endpoint e = Endpoint.parse("https://127.0.0.1:8443");
    assertTrue(e.tls());
    assertEquals("https://127.0.0.1:8443", e.url());
    assertEquals(443, Endpoint.parse("https://localhost").port());
    assertFalse(Endpoint.parse("http://127.0.0.1:8081").tls());
  }

  @Test
  void theBenchTargetReachesAnHttpsNodeThroughTheCaOfCacert() throws Exception {
    HttpTarget trusting = new HttpTarget(vertx, List.of(Endpoint.parse(url())), 1, 10_000, null, ca.certFile());
    HttpTarget other = new HttpTarget(vertx, List.of(Endpoint.parse(url())), 1, 10_000, null, otherCa.certFile());
    try {
      assertEquals(OpOutcome.OK, await(trusting.execute(0, OpKind.GET, "k", null)));
      OpOutcome refused = await(other.execute(0, OpKind.GET, "k", null));
      assertNotEquals(OpOutcome.OK, refused);
    } finally {
      await(trusting.close());
      await(other.close());
    }
  }

  @Test
  void adminTalksToAnHttpsNodeWithCacertAndRefusesAnUntrustedOne() {
    assertEquals(0, AdminCommand.run(new String[] {"status", "--json", "--node", url(), "--cacert",
        ca.certFile().toString()}));
    assertEquals(1, AdminCommand.run(new String[] {"status", "--json", "--node", url(), "--cacert",
        otherCa.certFile().toString()}));
    assertEquals(2, AdminCommand.run(new String[] {"status", "--node", url(), "--cacert",
        dir.resolve("missing.pem").toString()}));
  }

  @Test
  void benchTlsOptionsAreCheckedLikeTheOthers() {
    String missing = dir.resolve("missing.pem").toString();
    String cert = ca.issue("bench").cert().toString();
    expectUsage("--cacert", "--event-bus", "--cacert", ca.certFile().toString());
    expectUsage("only applies with --event-bus", "--cluster-cert", cert, "--cluster-key", cert, "--cluster-ca",
        cert);
    expectUsage("go together", "--event-bus", "--cluster-cert", cert);
    expectUsage("--cacert names a file that does not exist", "--cacert", missing);
    expectUsage("--cluster-key is not a PEM private key", "--event-bus", "--cluster-cert", cert, "--cluster-key",
        cert, "--cluster-ca", ca.certFile().toString());
  }

  private static void expectUsage(String message, String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code = BenchCommand.run(new PrintWriter(out, true), new PrintWriter(err, true), args);
    assertEquals(2, code, err.toString());
    assertTrue(err.toString().contains(message), err.toString());
  }
}
