package io.kshaka;

import io.kshaka.cluster.NodeConfig;
import io.vertx.config.ConfigRetriever;
import io.vertx.config.ConfigRetrieverOptions;
import io.vertx.config.ConfigStoreOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * A node's configuration through vertx-config: the JSON file, then environment variables, then system properties
 * (each overriding the one before), validated by {@link NodeConfig#fromJson} with its usual messages.
 *
 * <p>Overrides name a field by its path:
 * <ul>
 *   <li>environment: {@code KSHAKA_} + the path's segments joined by {@code _}, in any case; a camelCase field is
 *       written without separator: {@code KSHAKA_HTTP_PORT=8091}, {@code KSHAKA_HTTP_MAXVALUEBYTES=2097152},
 *       {@code KSHAKA_DATADIR=/var/lib/kshaka}. Segments match the field names case-insensitively.</li>
 *   <li>system properties: {@code kshaka.} + the path joined by dots: {@code -Dkshaka.http.port=8091},
 *       {@code -Dkshaka.proposer.requestTimeoutMs=3000}.</li>
 * </ul>
 * A value takes the type of the field it replaces in the file (a string stays a string); for a field the file does
 * not have: {@code true}/{@code false} is a boolean, an integer is a number, {@code [...]} or {@code {...}} is JSON
 * ({@code KSHAKA_CLUSTER_MEMBERS='["10.0.0.1:5701","10.0.0.2:5701"]'}), anything else a string. An override whose
 * first segment names no field of the file or of the documented configuration is ignored (and reported), as is
 * {@code KSHAKA_JAVA_OPTS} and {@code KSHAKA_CDS} (the launcher's) and {@code KSHAKA_TOKEN} (the tools').
 */
public final class KshakaConfig {
  public static final String ENV_PREFIX = "KSHAKA_";
  public static final String SYS_PREFIX = "kshaka.";
  /** Environment variables with the prefix that are not configuration. */
  static final Set<String> ENV_NOT_CONFIG = Set.of("KSHAKA_JAVA_OPTS", "KSHAKA_CDS", "KSHAKA_TOKEN");

  /** The documented top-level fields (an override must start with one of these or with a field of the file). */
  static final Set<String> TOP_LEVEL = Set.of("nodeId", "dataDir", "http", "cluster", "acceptors", "prepare",
      "accept", "proposer", "failureDetector", "storage", "gc", "eventLoops", "namespace", "auth");
  /** The documented field names at any depth, for matching environment segments (which lose case). */
  static final Set<String> FIELDS = Set.of("nodeId", "dataDir", "http", "host", "port", "maxValueBytes", "enabled",
      "cluster", "name", "members", "acceptors", "prepare", "accept", "nodes", "quorum", "proposer",
      "sendTimeoutMs", "requestTimeoutMs", "backoffMinMs", "backoffMaxMs", "batchMax", "counterBlock", "oneRtt",
      "cacheTtlMs", "requestLogBound", "failureDetector", "pingIntervalMs", "suspectAfterMs", "rejoinAfterMs",
      "storage", "snapshotBytes", "gc", "intervalMs", "tombstoneAgeMs", "concurrency", "eventLoops", "namespace",
      "busPort", "tls", "cert", "key", "ca", "secretFile", "auth", "tokensFile", "readyOpen", "metricsOpen",
      "tokensReloadMs");

  private KshakaConfig() {}

  /**
   * The effective configuration: {@code json} is what {@link NodeConfig#fromJson} accepted; {@code applied} names
   * each override used ({@code KSHAKA_HTTP_PORT -> http.port}), in the order applied; {@code ignored} the ones
   * that name no known field.
   */
  public record Loaded(JsonObject json, NodeConfig config, List<String> applied, List<String> ignored) {}

  /**
   * Loads {@code path} (JSON) through a vertx-config file store, overrides it from the environment and the system
   * properties (vertx-config env and sys stores, raw data), and validates it. Fails with the
   * {@link IllegalArgumentException} of {@link NodeConfig#fromJson} (naming the overrides applied, if any), or
   * with the store's error for a missing or malformed file.
   */
  public static Future<Loaded> load(Vertx vertx, String path) {
    ConfigStoreOptions file = new ConfigStoreOptions().setType("file").setFormat("json")
        .setConfig(new JsonObject().put("path", path));
    ConfigStoreOptions env = new ConfigStoreOptions().setType("env")
        .setConfig(new JsonObject().put("raw-data", true));
    ConfigStoreOptions sys = new ConfigStoreOptions().setType("sys")
        .setConfig(new JsonObject().put("raw-data", true).put("cache", false));
    return read(vertx, file).compose(f -> read(vertx, env).compose(e -> read(vertx, sys).map(s -> {
      List<String> applied = new ArrayList<>();
      List<String> ignored = new ArrayList<>();
      JsonObject merged = merge(f, strings(e, ENV_PREFIX), strings(s, SYS_PREFIX), applied, ignored);
      try {
        return new Loaded(merged, NodeConfig.fromJson(merged), List.copyOf(applied), List.copyOf(ignored));
      } catch (IllegalArgumentException bad) {
        if (applied.isEmpty()) throw bad;
        throw new IllegalArgumentException(bad.getMessage() + " (overrides applied: " + String.join(", ", applied)
            + ")", bad);
      }
    })));
  }

  /** One store read once (no periodic scan). */
  private static Future<JsonObject> read(Vertx vertx, ConfigStoreOptions store) {
    ConfigRetriever retriever = ConfigRetriever.create(vertx,
        new ConfigRetrieverOptions().setScanPeriod(0).addStore(store));
    return retriever.getConfig().eventually(retriever::close);
  }

  /** The entries of a flat store whose key starts with {@code prefix}, as strings. */
  private static Map<String, String> strings(JsonObject flat, String prefix) {
    Map<String, String> out = new TreeMap<>();
    for (Map.Entry<String, Object> e : flat) {
      if (e.getKey().startsWith(prefix) && e.getValue() != null) out.put(e.getKey(), e.getValue().toString());
    }
    return out;
  }

  /**
   * {@code file} with the environment overrides, then the system-property ones, applied (pure: the tests feed it
   * maps). {@code env} keys start with {@link #ENV_PREFIX}, {@code sys} keys with {@link #SYS_PREFIX}; other keys
   * are skipped.
   */
  static JsonObject merge(JsonObject file, Map<String, String> env, Map<String, String> sys, List<String> applied,
      List<String> ignored) {
    JsonObject out = file.copy();
    new TreeMap<>(env).forEach((name, value) -> {
      if (!name.startsWith(ENV_PREFIX) || ENV_NOT_CONFIG.contains(name)) return;
      override(out, name, name.substring(ENV_PREFIX.length()).split("_", -1), value, applied, ignored);
    });
    new TreeMap<>(sys).forEach((name, value) -> {
      if (!name.startsWith(SYS_PREFIX)) return;
      override(out, name, name.substring(SYS_PREFIX.length()).split("\\.", -1), value, applied, ignored);
    });
    return out;
  }

  private static void override(JsonObject root, String name, String[] segments, String value, List<String> applied,
      List<String> ignored) {
    for (String segment : segments) {
      if (segment.isEmpty()) {
        ignored.add(name + " (empty path segment)");
        return;
      }
    }
    String top = fieldName(root, segments[0]);
    if (!root.containsKey(top) && !TOP_LEVEL.contains(top)) {
      ignored.add(name + " (no field '" + segments[0] + "')");
      return;
    }
    JsonObject parent = root;
    StringBuilder path = new StringBuilder();
    for (int i = 0; i < segments.length - 1; i++) {
      String field = fieldName(parent, segments[i]);
      path.append(path.length() == 0 ? "" : ".").append(field);
      Object child = parent.getValue(field);
      if (child == null) {
        child = new JsonObject();
        parent.put(field, child);
      }
      if (!(child instanceof JsonObject o)) {
        throw new IllegalArgumentException("config: field '" + path + "' must be an object (" + name
            + " sets a field inside it)");
      }
      parent = o;
    }
    String leaf = fieldName(parent, segments[segments.length - 1]);
    path.append(path.length() == 0 ? "" : ".").append(leaf);
    parent.put(leaf, typed(parent.getValue(leaf), value));
    applied.add(name + " -> " + path);
  }

  /** The field of {@code object} (or a documented field) that {@code segment} names, ignoring case. */
  private static String fieldName(JsonObject object, String segment) {
    if (object.containsKey(segment)) return segment;
    for (String key : object.fieldNames()) {
      if (key.equalsIgnoreCase(segment)) return key;
    }
    for (String known : FIELDS) {
      if (known.equalsIgnoreCase(segment)) return known;
    }
    return segment.equals(segment.toUpperCase(Locale.ROOT)) ? segment.toLowerCase(Locale.ROOT) : segment;
  }

  /** {@code raw} as the type of the value it replaces, or inferred when there is none. */
  static Object typed(Object current, String raw) {
    String s = raw.trim();
    if (current instanceof String) return raw;
    if (current instanceof Boolean) {
      return s.equalsIgnoreCase("true") ? Boolean.TRUE : s.equalsIgnoreCase("false") ? Boolean.FALSE : raw;
    }
    if (current instanceof Number) return number(s, raw);
    if (current instanceof JsonArray || current instanceof JsonObject) return json(s, raw);
    if (s.equals("true") || s.equals("false")) return Boolean.valueOf(s);
    if (s.matches("-?\\d{1,18}")) return Long.parseLong(s);
    if (s.startsWith("[") || s.startsWith("{")) return json(s, raw);
    return raw;
  }

  private static Object number(String s, String raw) {
    try {
      return Long.parseLong(s);
    } catch (NumberFormatException notLong) {
      try {
        return Double.parseDouble(s);
      } catch (NumberFormatException notNumber) {
        return raw; // NodeConfig names the field and what it must be
      }
    }
  }

  private static Object json(String s, String raw) {
    try {
      return Json.decodeValue(s);
    } catch (DecodeException e) {
      return raw; // NodeConfig names the field and what it must be
    }
  }
}
