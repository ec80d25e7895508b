package io.kshaka.security;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The bearer tokens a node accepts, held only as SHA-256 hashes: a presented token is hashed and its hash compared
 * with every entry in constant time ({@link MessageDigest#isEqual}). No token is kept, returned or logged in clear.
 *
 * <pre>
 * {"tokens": [{"name": "ops", "sha256": "&lt;64 hex digits: SHA-256 of the token's UTF-8 bytes&gt;", "role": "admin"}]}
 * </pre>
 *
 * {@link #check} is the one decision shared by the HTTP API and the {@code kshaka.kv} event-bus API.
 *
 * <p>Tokens {@linkplain #watch watched} follow their file: a changed file is read again and, when it parses, its
 * tokens replace the ones held, at once for every later request. A file that does not parse changes nothing.
 */
public final class Tokens {
  private static final Logger LOG = LoggerFactory.getLogger(Tokens.class);
  /** The event-bus header that carries {@code Bearer <token>} (as HTTP's Authorization). */
  public static final String HEADER = "authorization";
  private static final String BEARER = "bearer ";
  private static final HexFormat HEX = HexFormat.of();

  private record Entry(String name, byte[] sha256, Role role) {}

  private volatile List<Entry> entries;

  private Tokens(List<Entry> entries) {
    this.entries = List.copyOf(entries);
  }

  /** How many tokens the file holds. */
  public int size() {
    return entries.size();
  }

  // ---------------------------------------------------------------- loading

  /**
   * Parses a tokens file; throws {@link IllegalArgumentException} naming the file and the field
   * ({@code tokens[2].sha256}) that is wrong: bad hex, unknown role, a hash or name given twice.
   */
  public static Tokens parse(String text, String source) {
    JsonObject root;
    try {
      root = new JsonObject(text);
    } catch (DecodeException | ClassCastException e) {
      throw bad(source, null, "is not a JSON object {\"tokens\": [...]}: " + e.getMessage());
    }
    if (!(root.getValue("tokens") instanceof JsonArray list)) {
      throw bad(source, "tokens", "must be an array of {\"name\", \"sha256\", \"role\"}");
    }
    List<Entry> entries = new ArrayList<>();
    Map<String, Integer> hashes = new HashMap<>();
    Map<String, Integer> names = new HashMap<>();
    for (int i = 0; i < list.size(); i++) {
      String at = "tokens[" + i + "]";
      if (!(list.getValue(i) instanceof JsonObject t)) throw bad(source, at, "must be an object");
      if (!(t.getValue("name") instanceof String name) || name.isBlank()) {
        throw bad(source, at + ".name", "must be a non-empty string");
      }
      Integer sameName = names.putIfAbsent(name, i);
      if (sameName != null) throw bad(source, at + ".name", "repeats the name of tokens[" + sameName + "]");
      Object hex = t.getValue("sha256");
      if (!(hex instanceof String h) || !h.matches("[0-9a-fA-F]{64}")) {
        throw bad(source, at + ".sha256", "must be 64 hex digits (the SHA-256 of the token; see ./run.sh token)");
      }
      Integer sameHash = hashes.putIfAbsent(h.toLowerCase(Locale.ROOT), i);
      if (sameHash != null) throw bad(source, at + ".sha256", "repeats the hash of tokens[" + sameHash + "]");
      Role role = Role.parse(t.getValue("role") instanceof String r ? r : null);
      if (role == null) throw bad(source, at + ".role", "must be one of read, write, admin");
      entries.add(new Entry(name, HEX.parseHex(h), role));
    }
    return new Tokens(entries);
  }

  /** Reads and parses the tokens file, blocking: for the command line, before any event loop runs. */
  public static Tokens load(java.nio.file.Path path) {
    try {
      return parse(java.nio.file.Files.readString(path, StandardCharsets.UTF_8), path.toString());
    } catch (java.io.IOException e) {
      throw new IllegalArgumentException("config: field 'auth.tokensFile': cannot read " + path + ": " + e);
    }
  }

  /**
   * Reads and parses the tokens file without blocking the event loop; then, every {@code reloadMs} (0: never),
   * reads it again and takes its tokens when its contents changed and parse. A file that cannot be read or does
   * not parse (one caught half-written, say) is logged once and the tokens held before stay. The re-reads run on a
   * timer of the calling verticle, and stop when it is undeployed.
   *
   * @param user who holds these tokens, for the log ("HTTP API")
   */
  public static Future<Tokens> watch(Vertx vertx, String path, long reloadMs, String user) {
    return vertx.fileSystem().readFile(path)
        .recover(t -> Future.failedFuture(new IllegalArgumentException("config: field 'auth.tokensFile': cannot "
            + "read " + path + ": " + t.getMessage())))
        .compose(b -> {
          try {
            Tokens tokens = parse(b.toString(StandardCharsets.UTF_8), path);
            if (reloadMs > 0) tokens.new Reload(vertx, path, b, user).every(reloadMs);
            return Future.succeededFuture(tokens);
          } catch (IllegalArgumentException e) {
            return Future.failedFuture(e);
          }
        });
  }

  /** The re-reads of a watched file; runs on the event loop of the verticle that called {@link #watch}. */
  private final class Reload {
    private final Vertx vertx;
    private final String path;
    private final String user;
    /** The contents the tokens held came from. */
    private Buffer taken;
    /** The contents, or the read error, last logged as refused: each is logged once. */
    private Object refused;
    private boolean reading;

    Reload(Vertx vertx, String path, Buffer taken, String user) {
      this.vertx = vertx;
      this.path = path;
      this.taken = taken;
      this.user = user;
    }

    void every(long ms) {
      vertx.setPeriodic(ms, ms, id -> {
        if (reading) return;
        reading = true;
        vertx.fileSystem().readFile(path).onComplete(ar -> {
          reading = false;
          if (ar.failed()) {
            refuse(String.valueOf(ar.cause().getMessage()), "cannot read it: " + ar.cause().getMessage());
          } else if (ar.result().equals(taken)) {
            refused = null;
          } else {
            take(ar.result());
          }
        });
      });
    }

    private void take(Buffer contents) {
      List<Entry> next;
      try {
        next = parse(contents.toString(StandardCharsets.UTF_8), path).entries;
      } catch (IllegalArgumentException e) {
        refuse(contents, e.getMessage());
        return;
      }
      entries = next;
      taken = contents;
      refused = null;
      LOG.info("{}: tokens file {} changed, {} tokens now", user, path, next.size());
    }

    private void refuse(Object what, String why) {
      if (what.equals(refused)) return;
      refused = what;
      LOG.warn("{}: tokens file {} not taken, the {} tokens held stay: {}", user, path, entries.size(), why);
    }
  }

  private static IllegalArgumentException bad(String source, String field, String why) {
    return new IllegalArgumentException("tokens file " + source + ": " + (field == null ? "" : "field '" + field
        + "' ") + why);
  }

  // ---------------------------------------------------------------- checking

  /** What a request may do. */
  public sealed interface Decision permits Allowed, Refused {}

  /** The token is known and its role is high enough. */
  public record Allowed(String name, Role role) implements Decision {}

  /**
   * Refused: {@code status} 401 ({@code error} unauthorized: no token, or an unknown one) or 403 (forbidden: the
   * token's role is too low). The message never contains the token.
   */
  public record Refused(int status, String error, String message) implements Decision {
    public JsonObject body() {
      return new JsonObject().put("error", error).put("message", message);
    }
  }

  /** Decides a request from all its {@code Authorization} values: exactly one {@code Bearer <token>} is accepted. */
  public Decision check(List<String> authorization, Role needed) {
    if (authorization.size() > 1) {
      return new Refused(401, "unauthorized", "send one Authorization header, not " + authorization.size());
    }
    return check(authorization.isEmpty() ? null : authorization.get(0), needed);
  }

  /**
   * Decides a request from its {@code Authorization} value ({@code Bearer <token>}, or null when absent).
   */
  public Decision check(String authorization, Role needed) {
    if (authorization == null || authorization.isBlank()) {
      return new Refused(401, "unauthorized", "this request needs a token with role " + needed.label()
          + ": send the header Authorization: Bearer <token>");
    }
    String value = authorization.strip();
    if (value.length() <= BEARER.length() || !value.regionMatches(true, 0, BEARER, 0, BEARER.length())) {
      return new Refused(401, "unauthorized", "the Authorization header must be \"Bearer <token>\"");
    }
    Entry entry = find(value.substring(BEARER.length()).strip());
    if (entry == null) return new Refused(401, "unauthorized", "the bearer token is not valid");
    if (!entry.role().allows(needed)) {
      return new Refused(403, "forbidden", "this request needs role " + needed.label() + "; the token '"
          + entry.name() + "' has role " + entry.role().label());
    }
    return new Allowed(entry.name(), entry.role());
  }

  /** The entry whose hash is the token's, comparing with every entry in constant time; null when none. */
  private Entry find(String token) {
    byte[] hash = sha256(token);
    Entry found = null;
    for (Entry e : entries) {
      if (MessageDigest.isEqual(e.sha256(), hash) && found == null) found = e;
    }
    return found;
  }

  // ---------------------------------------------------------------- making tokens

  /** A new random token: 32 bytes from {@link SecureRandom}, base64url without padding (43 characters). */
  public static String newToken(SecureRandom random) {
    byte[] bytes = new byte[32];
    random.nextBytes(bytes);
    return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
  }

  /** The SHA-256 of a token's UTF-8 bytes in lower-case hex: what the tokens file holds. */
  public static String sha256Hex(String token) {
    return HEX.formatHex(sha256(token));
  }

  /** The tokens-file entry for a token: {@code {"name":..,"sha256":..,"role":..}}. */
  public static JsonObject entry(String name, String token, Role role) {
    return new JsonObject().put("name", name).put("sha256", sha256Hex(token)).put("role", role.label());
  }

  private static byte[] sha256(String token) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.UTF_8));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is missing from this JVM", e);
    }
  }
}
