package io.kshaka.cluster;

import io.vertx.core.json.JsonObject;

/**
 * Whether the node binds an HTTP server of its own ({@code "http": {"enabled": true}}, the default). With
 * {@code false} nothing listens; the node still runs (acceptor, proposer, event-bus API, membership) and the host
 * application can mount the API's router on its own server ({@code KshakaVerticle.httpRouter()}).
 */
public record HttpServing(boolean enabled) {
  public static final HttpServing DEFAULT = new HttpServing(true);

  /** Reads and validates {@code http.enabled} of a node's JSON config. */
  public static HttpServing from(JsonObject nodeJson) {
    Object http = nodeJson == null ? null : nodeJson.getValue("http");
    if (!(http instanceof JsonObject o)) return DEFAULT; // NodeConfig names a missing or malformed "http" itself
    Object enabled = o.getValue("enabled");
    if (enabled == null) return DEFAULT;
    if (!(enabled instanceof Boolean b)) {
      throw new IllegalArgumentException("config: field 'http.enabled' must be true or false");
    }
    return new HttpServing(b);
  }
}
