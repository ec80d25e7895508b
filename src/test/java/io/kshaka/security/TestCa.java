package io.kshaka.security;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.ArrayList;
import java.util.Date;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.ContentSigner;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * A certificate authority made at test time (EC P-256, valid for a day), which writes PEM files into a directory:
 * {@code NAME-ca.pem} for itself and, per {@link #issue}, {@code NAME.pem} (certificate) and {@code NAME.key}
 * (unencrypted PKCS#8 key). Issued certificates carry SAN IP 127.0.0.1 and DNS localhost (and any IP addresses
 * given), and may serve as TLS server and client.
 */
public final class TestCa {
  private static final AtomicLong SERIAL = new AtomicLong(System.currentTimeMillis());

  private final String name;
  private final Path dir;
  private final KeyPair keys;
  private final X509Certificate cert;
  private final Path certFile;

  /** The files of one issued certificate. */
  public record Issued(Path cert, Path key) {}

  private TestCa(String name, Path dir) throws IOException, GeneralSecurityException, OperatorCreationException {
    this.name = name;
    this.dir = dir;
    this.keys = ecKeys();
    X500Name subject = new X500Name("CN=" + name + " test CA");
    Instant now = Instant.now();
    JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
    X509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(subject, serial(),
        Date.from(now.minus(Duration.ofHours(1))), Date.from(now.plus(Duration.ofDays(1))), subject, keys.getPublic())
        .addExtension(Extension.basicConstraints, true, new BasicConstraints(true))
        .addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign))
        .addExtension(Extension.subjectKeyIdentifier, false, ext.createSubjectKeyIdentifier(keys.getPublic()));
    this.cert = toX509(b.build(signer(keys)));
    this.certFile = dir.resolve(name + "-ca.pem");
    Files.writeString(certFile, pem("CERTIFICATE", cert.getEncoded()), StandardCharsets.US_ASCII);
  }

  /** Makes a new CA named {@code name}, writing {@code dir/NAME-ca.pem}. */
  public static TestCa create(String name, Path dir) {
    try {
      Files.createDirectories(dir);
      return new TestCa(name, dir);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (GeneralSecurityException | OperatorCreationException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The CA certificate (PEM) to trust. */
  public Path certFile() {
    return certFile;
  }

  /** Issues a certificate for {@code subjectName} (CN) and writes {@code NAME.pem} and {@code NAME.key}. */
  public Issued issue(String subjectName) {
    return issue(subjectName, List.of());
  }

  /**
   * Issues a certificate for {@code subjectName} (CN) that also names {@code ipAddresses} in its SAN (besides
   * 127.0.0.1 and localhost), e.g. a node's address in a network namespace, and writes {@code NAME.pem} and
   * {@code NAME.key}.
   */
  public Issued issue(String subjectName, List<String> ipAddresses) {
    try {
      List<GeneralName> names = new ArrayList<>();
      names.add(new GeneralName(GeneralName.iPAddress, "127.0.0.1"));
      names.add(new GeneralName(GeneralName.dNSName, "localhost"));
      for (String ip : new LinkedHashSet<>(ipAddresses)) {
        if (!ip.equals("127.0.0.1")) names.add(new GeneralName(GeneralName.iPAddress, ip));
      }
      KeyPair leaf = ecKeys();
      Instant now = Instant.now();
      JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
      X509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(cert, serial(),
          Date.from(now.minus(Duration.ofHours(1))), Date.from(now.plus(Duration.ofDays(1))),
          new X500Name("CN=" + subjectName), leaf.getPublic())
          .addExtension(Extension.basicConstraints, true, new BasicConstraints(false))
          .addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature | KeyUsage.keyAgreement))
          .addExtension(Extension.extendedKeyUsage, false,
              new ExtendedKeyUsage(new KeyPurposeId[] {KeyPurposeId.id_kp_serverAuth, KeyPurposeId.id_kp_clientAuth}))
          .addExtension(Extension.subjectAlternativeName, false,
              new GeneralNames(names.toArray(new GeneralName[0])))
          .addExtension(Extension.authorityKeyIdentifier, false, ext.createAuthorityKeyIdentifier(cert))
          .addExtension(Extension.subjectKeyIdentifier, false, ext.createSubjectKeyIdentifier(leaf.getPublic()));
      X509Certificate issued = toX509(b.build(signer(keys)));
      Path certPath = dir.resolve(subjectName + ".pem");
      Path keyPath = dir.resolve(subjectName + ".key");
      Files.writeString(certPath, pem("CERTIFICATE", issued.getEncoded()), StandardCharsets.US_ASCII);
      Files.writeString(keyPath, pem("PRIVATE KEY", leaf.getPrivate().getEncoded()), StandardCharsets.US_ASCII);
      return new Issued(certPath, keyPath);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (GeneralSecurityException | OperatorCreationException e) {
      throw new IllegalStateException(e);
    }
  }

  @Override
  public String toString() {
    return "TestCa[" + name + "]";
  }

  private static KeyPair ecKeys() throws GeneralSecurityException {
    KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
    g.initialize(new ECGenParameterSpec("secp256r1"), new SecureRandom());
    return g.generateKeyPair();
  }

  private static ContentSigner signer(KeyPair keys) throws OperatorCreationException {
    return new JcaContentSignerBuilder("SHA256withECDSA").build(keys.getPrivate());
  }

  private static X509Certificate toX509(X509CertificateHolder holder) throws GeneralSecurityException {
    return new JcaX509CertificateConverter().getCertificate(holder);
  }

  private static BigInteger serial() {
    return BigInteger.valueOf(SERIAL.incrementAndGet());
  }

  private static String pem(String type, byte[] der) {
    String body = Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(der);
    return "-----BEGIN " + type + "-----\n" + body + "\n-----END " + type + "-----\n";
  }
}
