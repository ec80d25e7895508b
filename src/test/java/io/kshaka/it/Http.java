package io.kshaka.it;

import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;

/** A tiny blocking HTTP client for tests (java.net.http), with generous timeouts. */
public final class Http {
  private static final HttpClient CLIENT = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(10)).build();

  private Http() {}

  public record Response(int status, String body, String etag) {
    public JsonObject json() {
      return new JsonObject(body);
    }
  }

  public static Response send(String method, String url, String body, String... headers) {
    try {
      return sendAsync(method, url, body, headers).get();
    } catch (Exception e) {
      throw new IllegalStateException(method + " " + url + ": " + e, e);
    }
  }

  public static CompletableFuture<Response> sendAsync(String method, String url, String body, String... headers) {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(30))
        .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
            : HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8));
    for (int i = 0; i + 1 < headers.length; i += 2) b.header(headers[i], headers[i + 1]);
    return CLIENT.sendAsync(b.build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8))
        .thenApply(r -> new Response(r.statusCode(), r.body(), r.headers().firstValue("ETag").orElse(null)));
  }

  /**
   * Writes {@code head} (request line and headers, CRLF-terminated) on a raw socket, sends no body, and returns
   * the status code of the answer: for requests a well-behaved client could not send.
   */
  public static int rawStatus(int port, String head) {
    try (java.net.Socket socket = new java.net.Socket("127.0.0.1", port)) {
      socket.setSoTimeout(30_000);
      socket.getOutputStream().write(head.getBytes(StandardCharsets.ISO_8859_1));
      socket.getOutputStream().flush();
      java.io.BufferedReader in = new java.io.BufferedReader(
          new java.io.InputStreamReader(socket.getInputStream(), StandardCharsets.ISO_8859_1));
      String statusLine = in.readLine();
      if (statusLine == null) throw new IllegalStateException("connection closed without an answer");
      return Integer.parseInt(statusLine.split(" ")[1]);
    } catch (java.io.IOException e) {
      throw new IllegalStateException(e);
    }
  }

  public static Response get(String url) {
    return send("GET", url, null);
  }

  public static Response put(String url, String body, String... headers) {
    return send("PUT", url, body, headers);
  }
}
