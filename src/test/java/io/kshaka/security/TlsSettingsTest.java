package io.kshaka.security;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kshaka.cluster.NodeConfig;
import io.vertx.core.eventbus.EventBusOptions;
import io.vertx.core.http.ClientAuth;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TlsSettingsTest {
  @TempDir
  static Path dir;
  static TestCa ca;
  static TestCa.Issued node;

  @BeforeAll
  static void makeCa() {
    ca = TestCa.create("cluster", dir);
    node = ca.issue("node-1");
  }

  private static JsonObject nodeJson(JsonObject httpTls, JsonObject clusterTls) {
    JsonObject http = new JsonObject().put("port", 8081);
    if (httpTls != null) http.put("tls", httpTls);
    JsonObject cluster = new JsonObject().put("members", new JsonArray().add("127.0.0.1:5701"));
    if (clusterTls != null) cluster.put("tls", clusterTls);
    return new JsonObject().put("nodeId", 1).put("http", http).put("cluster", cluster)
        .put("acceptors", new JsonArray().add(1));
  }

  private static JsonObject httpTls() {
    return new JsonObject().put("cert", node.cert().toString()).put("key", node.key().toString());
  }

  private static JsonObject clusterTls() {
    return httpTls().put("ca", ca.certFile().toString());
  }

  private static String refusal(JsonObject json) {
    return assertThrows(IllegalArgumentException.class, () -> NodeConfig.fromJson(json)).getMessage();
  }

  @Test
  void withoutTlsSectionsNothingChanges() {
    assertSame(TlsSettings.NONE, NodeConfig.fromJson(nodeJson(null, null)).tls());
  }

  @Test
  void validFilesAreAccepted() {
    TlsSettings tls = NodeConfig.fromJson(nodeJson(httpTls(), clusterTls())).tls();
    assertEquals(node.cert(), tls.http().cert());
    assertEquals(ca.certFile(), tls.cluster().ca());
    EventBusOptions bus = tls.cluster().applyTo(new EventBusOptions());
    assertTrue(bus.isSsl());
    assertEquals(ClientAuth.REQUIRED, bus.getClientAuth());
    assertFalse(bus.isTrustAll());
    assertNotNull(bus.getKeyCertOptions());
    assertNotNull(bus.getTrustOptions());
  }

  @Test
  void httpTlsAloneLeavesTheBusPlain() {
    TlsSettings tls = NodeConfig.fromJson(nodeJson(httpTls(), null)).tls();
    assertNotNull(tls.http());
    assertNull(tls.cluster());
  }

  @Test
  void aMissingFileIsRefusedNamingTheField() {
    String m = refusal(nodeJson(httpTls().put("key", dir.resolve("nope.key").toString()), null));
    assertTrue(m.contains("'http.tls.key'") && m.contains("does not exist") && m.contains("nope.key"), m);
    m = refusal(nodeJson(null, clusterTls().put("ca", dir.resolve("nope-ca.pem").toString())));
    assertTrue(m.contains("'cluster.tls.ca'") && m.contains("does not exist"), m);
  }

  @Test
  void aMissingFieldIsRefusedNamingIt() {
    JsonObject noCa = clusterTls();
    noCa.remove("ca");
    assertTrue(refusal(nodeJson(null, noCa)).contains("'cluster.tls.ca' is required"));
    JsonObject noCert = httpTls();
    noCert.remove("cert");
    assertTrue(refusal(nodeJson(noCert, null)).contains("'http.tls.cert' is required"));
    assertTrue(refusal(nodeJson(null, null).put("http", new JsonObject().put("tls", "yes")))
        .contains("'http.tls' must be an object"));
  }

  @Test
  void aKeyGivenAsCertificateAndACertificateGivenAsKeyAreRefused() {
    String m = refusal(nodeJson(httpTls().put("cert", node.key().toString()), null));
    assertTrue(m.contains("'http.tls.cert'") && m.contains("certificate"), m);
    m = refusal(nodeJson(null, clusterTls().put("key", node.cert().toString())));
    assertTrue(m.contains("'cluster.tls.key'") && m.contains("private key"), m);
  }

  @Test
  void anEncryptedKeyIsRefusedWithTheReason() throws Exception {
    Path enc = dir.resolve("enc.key");
    Files.writeString(enc, "-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED PRIVATE KEY-----\n");
    String m = refusal(nodeJson(httpTls().put("key", enc.toString()), null));
    assertTrue(m.contains("'http.tls.key'") && m.contains("encrypted"), m);
  }

  @Test
  void anUnreadableFileIsRefused() throws Exception {
    Path locked = dir.resolve("locked.pem");
    Files.copy(node.cert(), locked);
    assertTrue(locked.toFile().setReadable(false, false));
    try {
      if (Files.isReadable(locked)) return; // running as root: every file is readable
      String m = refusal(nodeJson(httpTls().put("cert", locked.toString()), null));
      assertTrue(m.contains("'http.tls.cert'") && m.contains("cannot read"), m);
    } finally {
      locked.toFile().setReadable(true, false);
    }
  }

  @Test
  void theOpensslScriptMakesFilesTheConfigAccepts() throws Exception {
    Path script = Path.of("conf/make-certs.sh");
    Assumptions.assumeTrue(Files.isExecutable(script), "conf/make-certs.sh not found from " + Path.of("").toAbsolutePath());
    Assumptions.assumeTrue(new ProcessBuilder("openssl", "version").start().waitFor() == 0, "no openssl");
    Path out = dir.resolve("openssl-certs");
    Process p = new ProcessBuilder(script.toString(), out.toString(), "2").redirectErrorStream(true).start();
    String log = new String(p.getInputStream().readAllBytes());
    assertTrue(p.waitFor(60, java.util.concurrent.TimeUnit.SECONDS), "make-certs.sh did not finish");
    assertEquals(0, p.exitValue(), log);
    JsonObject tls = new JsonObject().put("cert", out.resolve("node-2.pem").toString())
        .put("key", out.resolve("node-2.key").toString());
    TlsSettings settings = NodeConfig.fromJson(nodeJson(tls.copy(), tls.copy().put("ca",
        out.resolve("ca.pem").toString()))).tls();
    assertEquals(out.resolve("ca.pem"), settings.cluster().ca());
    assertNotNull(TlsSettings.trusting(out.resolve("ca.pem")));
  }

  @Test
  void trustingMakesAContextFromThePemCa() {
    assertNotNull(TlsSettings.trusting(ca.certFile()));
    assertThrows(IllegalArgumentException.class, () -> TlsSettings.trusting(dir.resolve("none.pem")));
  }
}
