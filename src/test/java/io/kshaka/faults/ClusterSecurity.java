package io.kshaka.faults;

import io.kshaka.security.ClusterSecret;
import io.kshaka.security.Role;
import io.kshaka.security.TestCa;
import io.kshaka.security.TlsSettings;
import io.kshaka.security.Tokens;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import javax.net.ssl.SSLContext;

/**
 * The secure mode of a test cluster, all or nothing: every node serves HTTPS ({@code http.tls}), uses mutual TLS on
 * the event bus ({@code cluster.tls}), authenticates node-to-node messages ({@code cluster.secretFile}) and takes
 * bearer tokens ({@code auth.tokensFile}); every harness client then calls over HTTPS trusting the test CA and
 * sends a write token (admin for the admin API). {@link #PLAIN} changes nothing.
 *
 * <p>The files go under {@code dir/security/}: a {@link TestCa} whose node certificates also name each node's
 * address on the {@link NodeNetwork} (namespace IPs), the cluster secret and the tokens file (hashes only).
 */
final class ClusterSecurity {
  static final ClusterSecurity PLAIN = new ClusterSecurity(null, null, null, null, null, null);

  private final TestCa ca;
  private final List<TestCa.Issued> certs;
  private final Path secretFile;
  private final Path tokensFile;
  private final String writeToken;
  private final String adminToken;
  private final SSLContext ssl;

  private ClusterSecurity(TestCa ca, List<TestCa.Issued> certs, Path secretFile, Path tokensFile, String writeToken,
      String adminToken) {
    this.ca = ca;
    this.certs = certs;
    this.secretFile = secretFile;
    this.tokensFile = tokensFile;
    this.writeToken = writeToken;
    this.adminToken = adminToken;
    this.ssl = ca == null ? null : TlsSettings.trusting(ca.certFile());
  }

  /** Makes a CA, a certificate per node (naming its host on {@code network}), a cluster secret and two tokens. */
  static ClusterSecurity create(Path dir, NodeNetwork network, int nodes) {
    try {
      Path sec = Files.createDirectories(dir.resolve("security"));
      TestCa ca = TestCa.create("faults", sec);
      List<TestCa.Issued> certs = new ArrayList<>();
      for (int i = 1; i <= nodes; i++) certs.add(ca.issue("node-" + i, List.of(network.host(i))));
      SecureRandom random = new SecureRandom();
      Path secret = sec.resolve("cluster.secret");
      Files.writeString(secret, ClusterSecret.generate(), StandardCharsets.US_ASCII);
      String write = Tokens.newToken(random);
      String admin = Tokens.newToken(random);
      Path tokens = sec.resolve("tokens.json");
      Files.writeString(tokens, new JsonObject().put("tokens", new JsonArray()
          .add(Tokens.entry("faults-write", write, Role.WRITE))
          .add(Tokens.entry("faults-admin", admin, Role.ADMIN))).encodePrettily(), StandardCharsets.UTF_8);
      return new ClusterSecurity(ca, List.copyOf(certs), secret, tokens, write, admin);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  boolean on() {
    return ca != null;
  }

  /** The scheme of the nodes' base URLs. */
  String scheme() {
    return on() ? "https" : "http";
  }

  /** Adds TLS, the cluster secret and the tokens file to node {@code node}'s config (nothing when plain). */
  JsonObject configure(JsonObject conf, int node) {
    if (!on()) return conf;
    TestCa.Issued cert = certs.get(node - 1);
    conf.getJsonObject("http").put("tls", new JsonObject().put("cert", cert.cert().toString())
        .put("key", cert.key().toString()));
    conf.getJsonObject("cluster")
        .put("tls", new JsonObject().put("cert", cert.cert().toString()).put("key", cert.key().toString())
            .put("ca", ca.certFile().toString()))
        .put("secretFile", secretFile.toString());
    conf.put("auth", new JsonObject().put("tokensFile", tokensFile.toString()));
    return conf;
  }

  /** An HTTP/1.1 client builder, trusting the test CA when secure. */
  HttpClient.Builder client(Duration connectTimeout) {
    HttpClient.Builder b = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(connectTimeout);
    return ssl == null ? b : b.sslContext(ssl);
  }

  /** Adds {@code Authorization: Bearer} with the write token (KV calls, readiness) when secure. */
  HttpRequest.Builder write(HttpRequest.Builder request) {
    return writeToken == null ? request : request.header("Authorization", "Bearer " + writeToken);
  }

  /** Adds {@code Authorization: Bearer} with the admin token (membership API) when secure. */
  HttpRequest.Builder admin(HttpRequest.Builder request) {
    return adminToken == null ? request : request.header("Authorization", "Bearer " + adminToken);
  }

  @Override
  public String toString() {
    return on() ? "secure (HTTPS, mutual TLS on the bus, cluster secret, tokens)" : "plain";
  }
}
