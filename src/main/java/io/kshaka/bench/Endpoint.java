package io.kshaka.bench;

import java.net.URI;
import java.net.URISyntaxException;

/** One HTTP endpoint of the cluster, given as {@code http://host:port} or {@code https://host:port}. */
public record Endpoint(String host, int port, boolean tls) {

  /** A plain HTTP endpoint (or a cluster member). */
  public Endpoint(String host, int port) {
    this(host, port, false);
  }

  /**
   * Parses {@code http://host[:port][/]} or {@code https://host[:port][/]}.
   *
   * @throws IllegalArgumentException with a message fit for the user
   */
  public static Endpoint parse(String text) {
    String s = text == null ? "" : text.trim();
    URI uri;
    try {
      uri = new URI(s);
    } catch (URISyntaxException e) {
      throw new IllegalArgumentException("endpoint '" + s + "' is not a URL: " + e.getMessage());
    }
    boolean tls = "https".equalsIgnoreCase(uri.getScheme());
    if (!tls && !"http".equalsIgnoreCase(uri.getScheme())) {
      throw new IllegalArgumentException("endpoint '" + s + "' must start with http:// or https:// (e.g. "
          + "http://127.0.0.1:8081)");
    }
    if (uri.getHost() == null) {
      throw new IllegalArgumentException("endpoint '" + s + "' has no host");
    }
    String path = uri.getRawPath();
    if ((path != null && !path.isEmpty() && !path.equals("/")) || uri.getRawQuery() != null) {
      throw new IllegalArgumentException("endpoint '" + s + "' must be just http://host:port, without a path");
    }
    return new Endpoint(uri.getHost(), uri.getPort() < 0 ? (tls ? 443 : 80) : uri.getPort(), tls);
  }

  /** Parses a {@code host:port} cluster member. */
  public static Endpoint parseMember(String text) {
    String s = text == null ? "" : text.trim();
    int colon = s.lastIndexOf(':');
    if (colon <= 0 || colon == s.length() - 1) {
      throw new IllegalArgumentException("member '" + s + "' must be host:port (e.g. 127.0.0.1:5701)");
    }
    int port;
    try {
      port = Integer.parseInt(s.substring(colon + 1));
    } catch (NumberFormatException e) {
      port = -1;
    }
    if (port < 1 || port > 65535) {
      throw new IllegalArgumentException("member '" + s + "' has no valid port");
    }
    return new Endpoint(s.substring(0, colon), port);
  }

  public String url() {
    return (tls ? "https://" : "http://") + hostPort();
  }

  public String hostPort() {
    return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + port;
  }

  @Override
  public String toString() {
    return url();
  }
}
