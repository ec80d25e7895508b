package io.kshaka.cli;

import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * The nodes a command line tool may talk to, in order: the ones given with {@code --node} (comma-separated), then
 * every node of {@code conf/node-*.json}. {@link #send} tries them in turn while a node cannot be connected to:
 * a refused or timed-out connection never carried the request, so trying the next node is always safe.
 */
public final class Nodes {
  /** The node tried first when none is given. */
  public static final String DEFAULT_NODE = "http://127.0.0.1:8081";

  /** No node could be connected to; {@code tried} lists them with why. */
  public static final class Unreachable extends IOException {
    private static final long serialVersionUID = 1L;

    Unreachable(String message) {
      super(message);
    }
  }

  private final List<String> urls;
  private final HttpClient http;
  private int current;

  private Nodes(List<String> urls, Duration connectTimeout, javax.net.ssl.SSLContext ssl) {
    this.urls = List.copyOf(urls);
    HttpClient.Builder b = HttpClient.newBuilder().connectTimeout(connectTimeout).version(HttpClient.Version.HTTP_1_1);
    if (ssl != null) b.sslContext(ssl);
    this.http = b.build();
  }

  /**
   * {@code given} (comma-separated URLs, may be null) then the {@code http} host and port of every
   * {@code node-*.json} in {@code confDir} (skipped when absent or unreadable), without repeats.
   */
  public static Nodes of(String given, Path confDir) {
    return of(given, confDir, null);
  }

  /** As {@link #of(String, Path)}, trusting {@code ssl} (null: the JVM's trust store) for https nodes. */
  public static Nodes of(String given, Path confDir, javax.net.ssl.SSLContext ssl) {
    Set<String> urls = new LinkedHashSet<>();
    if (given != null) {
      for (String u : given.split(",")) {
        String t = u.trim();
        if (t.isEmpty()) continue;
        urls.add(strip(t.contains("://") ? t : "http://" + t));
      }
    }
    if (urls.isEmpty()) urls.add(DEFAULT_NODE);
    urls.addAll(fromConf(confDir));
    return new Nodes(new ArrayList<>(urls), Duration.ofSeconds(3), ssl);
  }

  /** The URLs of the nodes configured in {@code confDir}/node-*.json (https with http.tls), in file-name order. */
  static List<String> fromConf(Path confDir) {
    List<String> out = new ArrayList<>();
    if (confDir == null || !Files.isDirectory(confDir)) return out;
    List<Path> files = new ArrayList<>();
    try (DirectoryStream<Path> ds = Files.newDirectoryStream(confDir, "node-*.json")) {
      ds.forEach(files::add);
    } catch (IOException e) {
      return out;
    }
    files.sort(null);
    for (Path f : files) {
      try {
        JsonObject http = new JsonObject(Files.readString(f)).getJsonObject("http");
        if (http == null || http.getInteger("port") == null) continue;
        String host = http.getString("host", "127.0.0.1");
        if (host.equals("0.0.0.0") || host.equals("::")) host = "127.0.0.1";
        String scheme = http.getValue("tls") instanceof JsonObject ? "https://" : "http://";
        out.add(scheme + (host.contains(":") ? "[" + host + "]" : host) + ":" + http.getInteger("port"));
      } catch (Exception ignored) {
        // a file that is not a node config: not a node to try
      }
    }
    return out;
  }

  private static String strip(String url) {
    return url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
  }

  public List<String> urls() {
    return urls;
  }

  /** The node the last request went to (or the first one). */
  public String current() {
    return urls.get(current);
  }

  /** Moves on to the next node (the current one broke off a request). */
  public void skip() {
    current = (current + 1) % urls.size();
  }

  public HttpClient http() {
    return http;
  }

  /**
   * Sends the request built by {@code request} (given a base URL) to the current node, moving on to the next one
   * while connecting fails. Other I/O failures (the request may have reached the node) are thrown as they are.
   */
  public HttpResponse<byte[]> send(java.util.function.Function<String, HttpRequest> request)
      throws IOException, InterruptedException {
    StringBuilder tried = new StringBuilder();
    for (int i = 0; i < urls.size(); i++) {
      int n = (current + i) % urls.size();
      String base = urls.get(n);
      try {
        HttpResponse<byte[]> r = http.send(request.apply(base), HttpResponse.BodyHandlers.ofByteArray());
        current = n;
        return r;
      } catch (ConnectException | HttpConnectTimeoutException e) {
        tried.append(tried.length() == 0 ? "" : "; ").append(base).append(": ").append(describe(e));
      } catch (IOException e) {
        if (!isConnectFailure(e)) throw e;
        tried.append(tried.length() == 0 ? "" : "; ").append(base).append(": ").append(describe(e));
      }
    }
    throw new Unreachable("no node could be reached (" + tried + ")");
  }

  private static boolean isConnectFailure(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof ConnectException || t instanceof HttpConnectTimeoutException
          || t instanceof java.nio.channels.UnresolvedAddressException) {
        return true;
      }
    }
    return false;
  }

  private static String describe(Throwable e) {
    Throwable t = e;
    while (t.getCause() != null && t.getMessage() == null) t = t.getCause();
    return t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
  }

  /** {@code base} + path as a URI. */
  public static URI uri(String base, String pathAndQuery) {
    return URI.create(base + pathAndQuery);
  }
}
