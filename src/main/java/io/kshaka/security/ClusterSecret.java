package io.kshaka.security;

import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.Base64;

/**
 * The cluster secret ({@code "cluster": {"secretFile": "path"}}): the key every node-to-node event-bus message is
 * authenticated with ({@link BusAuth}). The file holds the secret as text; surrounding whitespace is ignored and
 * at least {@link #MIN_CHARS} characters must remain. Without {@code secretFile} node messages are not
 * authenticated (the behaviour before the secret existed). A relative path resolves against the working
 * directory. The secret itself never appears in {@link #toString} or in any message.
 */
public final class ClusterSecret {
  /** The shortest secret accepted, in characters after trimming. */
  public static final int MIN_CHARS = 32;
  private static final String FIELD = "cluster.secretFile";
  /** No secret: node messages are not authenticated. */
  public static final ClusterSecret NONE = new ClusterSecret(null, null);

  private final Path file;
  private final byte[] key;

  private ClusterSecret(Path file, byte[] key) {
    this.file = file;
    this.key = key;
  }

  /**
   * Reads {@code cluster.secretFile} of a node's JSON config and loads the secret; throws
   * {@link IllegalArgumentException} naming the field when it is not a non-empty string, the file cannot be read,
   * or the secret is too short.
   */
  public static ClusterSecret from(JsonObject nodeJson) {
    Object cluster = nodeJson == null ? null : nodeJson.getValue("cluster");
    if (!(cluster instanceof JsonObject c)) return NONE;
    Object v = c.getValue("secretFile");
    if (v == null) return NONE;
    if (!(v instanceof String s) || s.isBlank()) throw bad("must be a non-empty string (a file path)");
    Path file = Path.of(s);
    String text;
    try {
      text = Files.readString(file, StandardCharsets.UTF_8);
    } catch (IOException | RuntimeException e) {
      throw bad("names " + file.toAbsolutePath() + ", which cannot be read (" + e.getClass().getSimpleName()
          + (e.getMessage() == null ? "" : ": " + e.getMessage()) + ")");
    }
    String secret = text.strip();
    if (secret.length() < MIN_CHARS) {
      throw bad("names " + file.toAbsolutePath() + ", whose secret has " + secret.length() + " characters after "
          + "trimming; at least " + MIN_CHARS + " are needed (make one with ./run.sh secret)");
    }
    return new ClusterSecret(file, secret.getBytes(StandardCharsets.UTF_8));
  }

  /** True when a secret is configured: node messages are then authenticated. */
  public boolean enabled() {
    return key != null;
  }

  /** The file the secret came from, or null. */
  public Path file() {
    return file;
  }

  /** The authenticator of this secret, or null when none is configured. */
  public BusAuth auth() {
    return key == null ? null : new BusAuth(key);
  }

  /** A new random secret: 32 bytes from {@link SecureRandom}, base64url without padding (43 characters). */
  public static String generate() {
    byte[] bytes = new byte[32];
    new SecureRandom().nextBytes(bytes);
    return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
  }

  @Override
  public String toString() {
    return key == null ? "ClusterSecret[none]" : "ClusterSecret[file=" + file + "]";
  }

  private static IllegalArgumentException bad(String why) {
    return new IllegalArgumentException("config: field '" + FIELD + "' " + why);
  }
}
