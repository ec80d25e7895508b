package io.kshaka.security;

import io.vertx.core.eventbus.EventBusOptions;
import io.vertx.core.http.ClientAuth;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.core.net.PemTrustOptions;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.util.Collection;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * The TLS settings of a node, read from its JSON and validated when the configuration is loaded: every named file
 * must exist, be readable and hold what it should (PEM certificates, a PEM private key), or loading fails with an
 * {@link IllegalArgumentException} naming the field.
 *
 * <pre>
 * "http":    { "tls": { "cert": "certs/node-1.pem", "key": "certs/node-1.key" } }                        HTTPS
 * "cluster": { "tls": { "cert": "certs/node-1.pem", "key": "certs/node-1.key", "ca": "certs/ca.pem" } }   mutual TLS
 * </pre>
 *
 * Relative paths resolve against the process working directory.
 *
 * @param http HTTPS for the HTTP API, or null for plain HTTP
 * @param cluster mutual TLS on the clustered event bus, or null for plain TCP
 */
public record TlsSettings(Http http, Cluster cluster) {

  /** No TLS anywhere (today's behaviour). */
  public static final TlsSettings NONE = new TlsSettings(null, null);

  /** HTTPS: this node's certificate (chain) and private key, both PEM. */
  public record Http(Path cert, Path key) {
    /** Turns {@code options} into an HTTPS server with this certificate. */
    public HttpServerOptions applyTo(HttpServerOptions options) {
      return options.setSsl(true).setKeyCertOptions(new PemKeyCertOptions()
          .setCertPath(cert.toString()).setKeyPath(key.toString()));
    }
  }

  /**
   * Mutual TLS on the clustered event bus: this member's certificate and key, and the cluster CA that every member's
   * certificate must be signed by. The event bus is both server (other members connect to it) and client (it
   * connects to them); both directions present this certificate and accept only peers signed by the CA.
   *
   * <p>Vert.x does not verify host names on event-bus connections, so the CA is the whole trust boundary: any
   * certificate it signed is a member. Use a CA of its own for each cluster.
   */
  public record Cluster(Path cert, Path key, Path ca) {
    /** Validates three files given outside a node JSON (for example on a command line), naming them by option. */
    public static Cluster of(String certOption, Path cert, String keyOption, Path key, String caOption, Path ca) {
      checkCertificates(certOption, cert);
      checkKey(keyOption, key);
      checkCertificates(caOption, ca);
      return new Cluster(cert, key, ca);
    }

    /** Makes {@code options} speak TLS only, present this certificate, and require one signed by the CA. */
    public EventBusOptions applyTo(EventBusOptions options) {
      options.setSsl(true)
          .setKeyCertOptions(new PemKeyCertOptions().setCertPath(cert.toString()).setKeyPath(key.toString()))
          .setTrustOptions(new PemTrustOptions().addCertPath(ca.toString()))
          .setClientAuth(ClientAuth.REQUIRED);
      options.setTrustAll(false);
      return options;
    }
  }

  /** Reads and validates {@code http.tls} and {@code cluster.tls} of a node's JSON; absent means off. */
  public static TlsSettings from(JsonObject nodeJson) {
    if (nodeJson == null) return NONE;
    JsonObject http = tlsObject(nodeJson, "http");
    JsonObject cluster = tlsObject(nodeJson, "cluster");
    Http h = null;
    if (http != null) {
      h = new Http(file(http, "http.tls.cert"), file(http, "http.tls.key"));
      checkCertificates("http.tls.cert", h.cert());
      checkKey("http.tls.key", h.key());
    }
    Cluster c = null;
    if (cluster != null) {
      c = new Cluster(file(cluster, "cluster.tls.cert"), file(cluster, "cluster.tls.key"),
          file(cluster, "cluster.tls.ca"));
      checkCertificates("cluster.tls.cert", c.cert());
      checkKey("cluster.tls.key", c.key());
      checkCertificates("cluster.tls.ca", c.ca());
    }
    return h == null && c == null ? NONE : new TlsSettings(h, c);
  }

  /**
   * An SSL context that trusts exactly the PEM certificates in {@code caFile} (for clients such as
   * {@code ./run.sh admin --cacert}).
   */
  public static SSLContext trusting(Path caFile) {
    try {
      KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
      store.load(null, null);
      int i = 0;
      for (Certificate c : readCertificates(caFile)) store.setCertificateEntry("ca-" + i++, c);
      TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      tmf.init(store);
      SSLContext ctx = SSLContext.getInstance("TLS");
      ctx.init(null, tmf.getTrustManagers(), null);
      return ctx;
    } catch (IOException | GeneralSecurityException e) {
      throw new IllegalArgumentException(caFile + ": cannot use as CA certificates: " + e.getMessage(), e);
    }
  }

  /** Checks that {@code file} is a readable file of one or more PEM certificates. */
  public static void checkCertificates(String field, Path file) {
    checkReadable(field, file);
    try {
      if (readCertificates(file).isEmpty()) throw bad(field, "holds no PEM certificate: " + file);
    } catch (IOException | CertificateException e) {
      throw bad(field, "is not a PEM certificate file (" + file + "): " + e.getMessage());
    }
  }

  /** Checks that {@code file} is a readable, unencrypted PEM private key (PKCS#8, or PKCS#1 RSA / SEC1 EC). */
  public static void checkKey(String field, Path file) {
    checkReadable(field, file);
    String text;
    try {
      text = Files.readString(file, StandardCharsets.US_ASCII);
    } catch (IOException e) {
      throw bad(field, "cannot be read (" + file + "): " + e.getMessage());
    }
    if (text.contains("-----BEGIN ENCRYPTED PRIVATE KEY-----") || text.contains("Proc-Type: 4,ENCRYPTED")) {
      throw bad(field, "is an encrypted private key (" + file + "); give an unencrypted one (openssl -nodes)");
    }
    if (!text.contains("-----BEGIN PRIVATE KEY-----") && !text.contains("-----BEGIN RSA PRIVATE KEY-----")
        && !text.contains("-----BEGIN EC PRIVATE KEY-----")) {
      throw bad(field, "is not a PEM private key (" + file + "): expected -----BEGIN PRIVATE KEY-----");
    }
  }

  private static Collection<? extends Certificate> readCertificates(Path file)
      throws IOException, CertificateException {
    try (InputStream in = Files.newInputStream(file)) {
      return CertificateFactory.getInstance("X.509").generateCertificates(in);
    }
  }

  private static void checkReadable(String field, Path file) {
    if (!Files.exists(file)) throw bad(field, "names a file that does not exist: " + file.toAbsolutePath());
    if (!Files.isRegularFile(file)) throw bad(field, "is not a regular file: " + file.toAbsolutePath());
    if (!Files.isReadable(file)) throw bad(field, "names a file this process cannot read: " + file.toAbsolutePath());
  }

  private static JsonObject tlsObject(JsonObject nodeJson, String section) {
    Object s = nodeJson.getValue(section);
    if (!(s instanceof JsonObject o)) return null; // NodeConfig reports a malformed section
    Object tls = o.getValue("tls");
    if (tls == null) return null;
    if (!(tls instanceof JsonObject t)) throw bad(section + ".tls", "must be an object");
    return t;
  }

  private static Path file(JsonObject tls, String field) {
    Object v = tls.getValue(field.substring(field.lastIndexOf('.') + 1));
    if (v == null) throw bad(field, "is required");
    if (!(v instanceof String s) || s.isBlank()) throw bad(field, "must be a non-empty path");
    return Path.of(s);
  }

  private static IllegalArgumentException bad(String field, String why) {
    return new IllegalArgumentException(field.startsWith("--") ? field + " " + why
        : "config: field '" + field + "' " + why);
  }
}
