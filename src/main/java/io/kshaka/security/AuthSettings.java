package io.kshaka.security;

import io.vertx.core.json.JsonObject;

/**
 * Client authentication ({@code "auth"} in the node JSON). Without {@code tokensFile} the client API is open, as
 * before.
 *
 * <pre>
 * "auth": { "tokensFile": "conf/tokens.json",   bearer tokens, stored hashed (see {@link Tokens})
 *           "readyOpen": true,                   GET /ready without a token (default true)
 *           "metricsOpen": false,                GET /metrics without a token (default false: role read)
 *           "tokensReloadMs": 2000 }             how often the tokens file is read again (0: only at start)
 * </pre>
 *
 * {@code auth.tokensFile} requires {@code cluster.secretFile}: without the cluster secret the node-to-node
 * addresses stay open, and anyone on the event bus could go around the tokens.
 *
 * @param tokensFile the tokens file, or null when authentication is off
 * @param tokensReloadMs how often the tokens file is read again, taking its tokens when it changed (0: never)
 */
public record AuthSettings(String tokensFile, boolean readyOpen, boolean metricsOpen, long tokensReloadMs) {
  /** The default of {@code auth.tokensReloadMs}. */
  public static final long DEFAULT_RELOAD_MS = 2_000;
  /** Authentication off: everything open. */
  public static final AuthSettings OFF = new AuthSettings(null, true, true, DEFAULT_RELOAD_MS);

  /** True when requests must carry a bearer token. */
  public boolean enabled() {
    return tokensFile != null;
  }

  /** Whether {@code GET /ready} answers without a token. */
  public boolean readyNeedsToken() {
    return enabled() && !readyOpen;
  }

  /** Whether {@code GET /metrics} needs a token (role read). */
  public boolean metricsNeedsToken() {
    return enabled() && !metricsOpen;
  }

  /**
   * Reads and validates the {@code auth} object of a node's JSON; throws {@link IllegalArgumentException} naming
   * the field. Does no I/O: the tokens file is read by {@link Tokens#watch}.
   */
  public static AuthSettings from(JsonObject nodeJson) {
    Object a = nodeJson.getValue("auth");
    if (a == null) return OFF;
    if (!(a instanceof JsonObject auth)) throw bad("auth", "must be an object");
    Object file = auth.getValue("tokensFile");
    if (file != null && (!(file instanceof String s) || s.isBlank())) {
      throw bad("auth.tokensFile", "must be a non-empty string (the path of the tokens file)");
    }
    boolean readyOpen = flag(auth, "readyOpen", true);
    boolean metricsOpen = flag(auth, "metricsOpen", false);
    Object reload = auth.containsKey("tokensReloadMs") ? auth.getValue("tokensReloadMs") : DEFAULT_RELOAD_MS;
    if (!(reload instanceof Integer || reload instanceof Long) || ((Number) reload).longValue() < 0) {
      throw bad("auth.tokensReloadMs", "must be a whole number of milliseconds >= 0 (0: read the file only at "
          + "start)");
    }
    long reloadMs = ((Number) reload).longValue();
    if (file == null) return new AuthSettings(null, readyOpen, metricsOpen, reloadMs);
    Object cluster = nodeJson.getValue("cluster");
    Object secret = cluster instanceof JsonObject c ? c.getValue("secretFile") : null;
    if (!(secret instanceof String s) || s.isBlank()) {
      throw bad("auth.tokensFile", "requires cluster.secretFile: without the cluster secret the node-to-node "
          + "addresses (kshaka.acceptor.<id>, kshaka.kv.<id>) stay open, and any member of the cluster could "
          + "go around the tokens");
    }
    return new AuthSettings((String) file, readyOpen, metricsOpen, reloadMs);
  }

  private static boolean flag(JsonObject auth, String field, boolean dflt) {
    Object v = auth.getValue(field);
    if (v == null) return dflt;
    if (!(v instanceof Boolean b)) throw bad("auth." + field, "must be true or false");
    return b;
  }

  private static IllegalArgumentException bad(String field, String why) {
    return new IllegalArgumentException("config: field '" + field + "' " + why);
  }
}
