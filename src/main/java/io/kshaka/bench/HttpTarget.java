package io.kshaka.bench;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.PemTrustOptions;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Drives the HTTP contract of docs/http.md. Client {@code i} always talks to endpoint {@code i mod n}, over a
 * keep-alive connection pool with one connection per client at most and no pipelining.
 */
final class HttpTarget implements Target {
  private final Vertx vertx;
  private final HttpClientAgent client;
  private final List<Endpoint> endpoints;
  private final long timeoutMs;
  /** {@code Bearer <token>}, or null: sent as Authorization with every request. */
  private final String authorization;

  HttpTarget(Vertx vertx, List<Endpoint> endpoints, int clients, long timeoutMs) {
    this(vertx, endpoints, clients, timeoutMs, null, null);
  }

  /** @param token the bearer token for nodes with auth.tokensFile (null: none) */
  HttpTarget(Vertx vertx, List<Endpoint> endpoints, int clients, long timeoutMs, String token) {
    this(vertx, endpoints, clients, timeoutMs, token, null);
  }

  /**
   * @param token the bearer token for nodes with auth.tokensFile (null: none)
   * @param caFile PEM certificates to trust for https endpoints instead of the JVM's default trust store (null: the
   *     default); the server's certificate must also name the host of the URL (IP or DNS subject alternative name)
   */
  HttpTarget(Vertx vertx, List<Endpoint> endpoints, int clients, long timeoutMs, String token,
      java.nio.file.Path caFile) {
    this.vertx = vertx;
    this.authorization = token == null ? null : "Bearer " + token;
    this.endpoints = List.copyOf(endpoints);
    this.timeoutMs = timeoutMs;
    HttpClientOptions options = new HttpClientOptions()
        .setProtocolVersion(HttpVersion.HTTP_1_1)
        .setKeepAlive(true)
        .setPipelining(false)
        .setTcpNoDelay(true)
        .setConnectTimeout((int) Math.min(timeoutMs, Integer.MAX_VALUE));
    if (caFile != null) options.setTrustOptions(new PemTrustOptions().addCertPath(caFile.toString()));
    // a closed-loop client has at most one request in flight: one connection per client is enough
    PoolOptions pool = new PoolOptions().setHttp1MaxSize(Math.max(1, clients));
    this.client = vertx.createHttpClient(options, pool);
  }

  @Override
  public Future<OpOutcome> execute(int client, OpKind op, String key, byte[] value) {
    Endpoint endpoint = endpoints.get(client % endpoints.size());
    String uri = "/v1/kv/" + encodePath(key);
    Future<OpOutcome> outcome;
    switch (op) {
      case GET:
        outcome = exchange(endpoint, HttpMethod.GET, uri, null, null)
            .map(r -> r.status == 200 || r.status == 404 ? OpOutcome.OK : OpOutcome.ofStatus(r.status));
        break;
      case PUT:
        outcome = exchange(endpoint, HttpMethod.PUT, uri, null, Buffer.buffer(value)).map(HttpTarget::written);
        break;
      case CAS:
        outcome = exchange(endpoint, HttpMethod.GET, uri, null, null).compose(read -> {
          if (read.status != 200 && read.status != 404) return Future.succeededFuture(OpOutcome.ofStatus(read.status));
          long version = versionOf(read);
          if (version < 0) return Future.succeededFuture(OpOutcome.BAD_RESPONSE);
          return exchange(endpoint, HttpMethod.PUT, uri, "\"" + version + "\"", Buffer.buffer(value))
              .map(w -> w.status == 412 ? OpOutcome.CONFLICT : written(w));
        });
        break;
      case ADD:
        outcome = exchange(endpoint, HttpMethod.POST, uri + "?op=add&delta=1", null, null).map(HttpTarget::written);
        break;
      default:
        throw new IllegalStateException("unknown op " + op);
    }
    return outcome.otherwise(OpOutcome::ofHttpFailure);
  }

  /**
   * Probes every endpoint with one read of {@code key}; returns a line for each endpoint that could not be
   * connected to (an endpoint that answers anything, or is slow to answer, counts as reachable).
   */
  Future<List<String>> unreachable(String key) {
    List<Future<String>> probes = new ArrayList<>();
    for (Endpoint e : endpoints) {
      probes.add(exchange(e, HttpMethod.GET, "/v1/kv/" + encodePath(key), null, null)
          .map(r -> r.status == 401 ? e + ": 401 unauthorized (give --token a valid token)" : (String) null)
          .otherwise(t -> OpOutcome.ofHttpFailure(t) == OpOutcome.CONNECTION ? e + ": " + t.getMessage() : null));
    }
    return Future.all(probes).map(all -> {
      List<String> down = new ArrayList<>();
      for (Future<String> f : probes) {
        if (f.result() != null) down.add(f.result());
      }
      return down;
    });
  }

  @Override
  public Future<Void> close() {
    return client.close();
  }

  private static OpOutcome written(Response r) {
    return r.status >= 200 && r.status < 300 ? OpOutcome.OK : OpOutcome.ofStatus(r.status);
  }

  /** The version a read saw: the ETag of a 200, the {@code version} of a 404 body (or its ETag, or 0); -1 if bad. */
  static long versionOf(Response r) {
    if (r.status == 404) {
      try {
        JsonObject body = new JsonObject(r.body);
        Object v = body.getValue("version");
        if (v instanceof Number) return ((Number) v).longValue();
      } catch (RuntimeException notJson) {
        // fall through to the ETag
      }
      return r.etag == null ? 0 : parseEtag(r.etag);
    }
    return r.etag == null ? -1 : parseEtag(r.etag);
  }

  /** {@code "12"} or {@code W/"12"} → 12; -1 when it is not a version. */
  static long parseEtag(String etag) {
    String s = etag.trim();
    if (s.startsWith("W/")) s = s.substring(2);
    if (s.length() >= 2 && s.startsWith("\"") && s.endsWith("\"")) s = s.substring(1, s.length() - 1);
    try {
      long v = Long.parseLong(s);
      return v < 0 ? -1 : v;
    } catch (NumberFormatException e) {
      return -1;
    }
  }

  /**
   * One request/response with a hard deadline of {@code timeoutMs} from now (connection included). On the deadline
   * the request is reset, which closes its connection, so a stuck server never holds a pool slot.
   */
  private Future<Response> exchange(Endpoint endpoint, HttpMethod method, String uri, String ifMatch, Buffer body) {
    Promise<Response> promise = Promise.promise();
    HttpClientRequest[] sent = new HttpClientRequest[1];
    long timer = vertx.setTimer(timeoutMs, id -> {
      if (promise.tryFail(RequestTimeout.INSTANCE) && sent[0] != null) sent[0].reset();
    });
    RequestOptions options = new RequestOptions()
        .setMethod(method)
        .setHost(endpoint.host())
        .setPort(endpoint.port())
        .setSsl(endpoint.tls())
        .setURI(uri)
        .setIdleTimeout(timeoutMs);
    client.request(options)
        .compose(req -> {
          if (promise.future().isComplete()) {
            req.reset();
            return Future.failedFuture(RequestTimeout.INSTANCE);
          }
          sent[0] = req;
          if (ifMatch != null) req.putHeader(HttpHeaders.IF_MATCH, ifMatch);
          if (authorization != null) req.putHeader(HttpHeaders.AUTHORIZATION, authorization);
          if (body != null) req.putHeader(HttpHeaders.CONTENT_TYPE, "application/octet-stream");
          return body == null ? req.send() : req.send(body);
        })
        .compose(resp -> resp.body().map(b -> new Response(resp.statusCode(), resp.getHeader(HttpHeaders.ETAG), b)))
        .onComplete(ar -> {
          vertx.cancelTimer(timer);
          if (ar.succeeded()) {
            promise.tryComplete(ar.result());
          } else {
            promise.tryFail(ar.cause());
          }
        });
    return promise.future();
  }

  /** Percent-encodes a key for the path: everything but unreserved characters and '/'. */
  static String encodePath(String key) {
    StringBuilder sb = null;
    byte[] bytes = key.getBytes(StandardCharsets.UTF_8);
    for (int i = 0; i < bytes.length; i++) {
      int b = bytes[i] & 0xff;
      boolean plain = (b >= 'a' && b <= 'z') || (b >= 'A' && b <= 'Z') || (b >= '0' && b <= '9')
          || b == '-' || b == '.' || b == '_' || b == '~' || b == '/';
      if (sb == null) {
        if (plain) continue;
        sb = new StringBuilder(bytes.length + 16).append(new String(bytes, 0, i, StandardCharsets.UTF_8));
      }
      if (plain) {
        sb.append((char) b);
      } else {
        sb.append('%').append(Character.toUpperCase(Character.forDigit(b >> 4, 16)))
            .append(Character.toUpperCase(Character.forDigit(b & 0xf, 16)));
      }
    }
    return sb == null ? key : sb.toString();
  }

  /** What the bench keeps of an HTTP response. */
  static final class Response {
    final int status;
    final String etag;
    final Buffer body;

    Response(int status, String etag, Buffer body) {
      this.status = status;
      this.etag = etag;
      this.body = body;
    }
  }

  /** The request's own deadline passed (no stack trace: it is an expected outcome). */
  static final class RequestTimeout extends RuntimeException {
    static final RequestTimeout INSTANCE = new RequestTimeout();

    private RequestTimeout() {
      super("no answer within the request timeout", null, false, false);
    }
  }
}
