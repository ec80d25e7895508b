package io.kshaka.faults;

import io.kshaka.check.Input;
import io.kshaka.check.Output;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;

/**
 * One Kshaka operation over HTTP (docs/http.md) and its exact outcome, as the checker needs it:
 *
 * <ul>
 *   <li>{@link Kind#OK}: a reply that says what happened: 2xx, a 404 read, a 412 version mismatch, a 409 add on a
 *       non-integer (each carries the version the node saw);
 *   <li>{@link Kind#NOT_APPLIED}: a 503 whose body says {@code "outcome":"not_applied"}, or a connection that was
 *       never established (nothing was sent);
 *   <li>{@link Kind#UNKNOWN}: a 504, a timeout, a connection that broke after the request may have been sent, and
 *       anything unexpected (also flagged {@link Result#unexpected()}, so a test can fail on it).
 * </ul>
 *
 * <p>Uses {@code java.net.http} over HTTP/1.1 with a per-request timeout; the JDK retries nothing but GET/HEAD and
 * refused connects (where nothing was sent), so a reply always belongs to exactly one attempt of a change.
 */
final class KvHttp {
  enum Kind { OK, NOT_APPLIED, UNKNOWN }

  /**
   * @param output for {@link Kind#OK}: the output in the checker's terms
   * @param status the HTTP status, or 0 if there was none
   * @param unexpected true if the answer breaks the HTTP contract (a 500, a 400 for a well-formed request, ...)
   */
  record Result(Kind kind, Output output, int status, boolean unexpected, String detail) {
    static Result ok(Output output, int status) {
      return new Result(Kind.OK, output, status, false, null);
    }

    static Result notApplied(int status, String detail) {
      return new Result(Kind.NOT_APPLIED, null, status, false, detail);
    }

    static Result unknown(int status, String detail) {
      return new Result(Kind.UNKNOWN, null, status, false, detail);
    }

    static Result unexpected(int status, String detail) {
      return new Result(Kind.UNKNOWN, null, status, true, detail);
    }
  }

  private final HttpClient client;
  private final Duration timeout;
  private final ClusterSecurity security;

  KvHttp(Duration requestTimeout) {
    this(requestTimeout, ClusterSecurity.PLAIN);
  }

  /** @param security HTTPS and the write token when the cluster is secure */
  KvHttp(Duration requestTimeout, ClusterSecurity security) {
    this.timeout = requestTimeout;
    this.security = security;
    this.client = security.client(Duration.ofSeconds(2)).followRedirects(HttpClient.Redirect.NEVER).build();
  }

  Duration timeout() {
    return timeout;
  }

  /** Runs {@code input} on {@code key} through the node at {@code baseUrl} and waits for its outcome. */
  Result call(String baseUrl, String key, Input input) {
    try {
      return callAsync(baseUrl, key, input).get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return Result.unknown(0, "interrupted");
    } catch (ExecutionException e) {
      return failure(e.getCause());
    }
  }

  CompletableFuture<Result> callAsync(String baseUrl, String key, Input input) {
    HttpRequest request = request(baseUrl, key, input);
    return client.sendAsync(request, HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8))
        .handle((response, error) -> error != null ? failure(error)
            : interpret(input, response.statusCode(), response.body(),
                response.headers().firstValue("ETag").orElse(null)));
  }

  private HttpRequest request(String baseUrl, String key, Input input) {
    if (!key.matches("[A-Za-z0-9._~-]{1,200}")) throw new IllegalArgumentException("key needs no encoding: " + key);
    String url = baseUrl + "/v1/kv/" + key;
    HttpRequest.Builder b = security.write(HttpRequest.newBuilder().timeout(timeout));
    if (input instanceof Input.Get) {
      b.uri(URI.create(url)).GET();
    } else if (input instanceof Input.Put) {
      b.uri(URI.create(url)).PUT(body(((Input.Put) input).value()));
    } else if (input instanceof Input.Cas) {
      Input.Cas cas = (Input.Cas) input;
      b.uri(URI.create(url)).header("If-Match", "\"" + cas.expectedVersion() + "\"").PUT(body(cas.value()));
    } else if (input instanceof Input.Create) {
      b.uri(URI.create(url)).header("If-None-Match", "*").PUT(body(((Input.Create) input).value()));
    } else if (input instanceof Input.Delete) {
      Long expected = ((Input.Delete) input).expectedVersion();
      if (expected != null) b.header("If-Match", "\"" + expected + "\"");
      b.uri(URI.create(url)).DELETE();
    } else if (input instanceof Input.Add) {
      b.uri(URI.create(url + "?op=add&delta=" + ((Input.Add) input).delta())).POST(HttpRequest.BodyPublishers.noBody());
    } else {
      throw new IllegalArgumentException("no HTTP request for " + input);
    }
    return b.build();
  }

  private static HttpRequest.BodyPublisher body(String value) {
    return HttpRequest.BodyPublishers.ofString(value, StandardCharsets.UTF_8);
  }

  /** The outcome of a reply (status, body, ETag header or null), following the HTTP contract exactly. */
  static Result interpret(Input input, int status, String body, String etagHeader) {
    if (status == 503) {
      JsonObject json = json(body);
      if (json != null && "not_applied".equals(json.getString("outcome"))) return Result.notApplied(503, body);
      return Result.unexpected(503, "503 without outcome not_applied: " + body);
    }
    if (status == 504) {
      JsonObject json = json(body);
      if (json != null && "unknown".equals(json.getString("outcome"))) return Result.unknown(504, body);
      return Result.unexpected(504, "504 without outcome unknown: " + body);
    }
    try {
      if (input instanceof Input.Get) {
        if (status == 200) {
          Long version = etag(etagHeader);
          if (version == null) return Result.unexpected(status, "200 without ETag");
          return Result.ok(Output.value(body, version), status);
        }
        if (status == 404) return Result.ok(Output.value(null, version(body)), status);
      } else if (input instanceof Input.Put) {
        if (status == 200) return Result.ok(Output.written(version(body)), status);
      } else if (input instanceof Input.Cas) {
        if (status == 200) return Result.ok(Output.cas(true, version(body)), status);
        if (status == 412) return Result.ok(Output.cas(false, version(body)), status);
      } else if (input instanceof Input.Create) {
        if (status == 200) return Result.ok(Output.written(version(body)), status);
        if (status == 412) return Result.ok(Output.refused(Output.VERSION_MISMATCH, version(body)), status);
      } else if (input instanceof Input.Delete) {
        if (status == 200) return Result.ok(Output.written(version(body)), status);
        if (status == 412) return Result.ok(Output.refused(Output.VERSION_MISMATCH, version(body)), status);
      } else if (input instanceof Input.Add) {
        if (status == 200) {
          JsonObject json = json(body);
          if (json == null || json.getString("value") == null) return Result.unexpected(status, "add reply: " + body);
          return Result.ok(Output.value(json.getString("value"), version(body)), status);
        }
        if (status == 409) {
          JsonObject json = json(body);
          if (json != null && json.getValue("version") instanceof Number) {
            return Result.ok(Output.refused(Output.NOT_INTEGER, json.getLong("version")), status);
          }
          return Result.notApplied(status, "409 without a version (nothing observed): " + body);
        }
      }
    } catch (IllegalArgumentException e) {
      return Result.unexpected(status, e.getMessage());
    }
    return Result.unexpected(status, "status " + status + " for " + input.f() + ": " + body);
  }

  /** The outcome of an exception: refused or timed-out connects sent nothing; anything later may have. */
  static Result failure(Throwable error) {
    Throwable e = error;
    while ((e instanceof CompletionException || e instanceof ExecutionException) && e.getCause() != null) {
      e = e.getCause();
    }
    if (e instanceof HttpConnectTimeoutException || e instanceof ConnectException) {
      return Result.notApplied(0, e.toString());
    }
    return Result.unknown(0, e.toString());
  }

  private static JsonObject json(String body) {
    try {
      return body == null || body.isEmpty() ? null : new JsonObject(body);
    } catch (DecodeException | ClassCastException e) {
      return null;
    }
  }

  private static long version(String body) {
    JsonObject json = json(body);
    if (json == null || !(json.getValue("version") instanceof Number)) {
      throw new IllegalArgumentException("reply without a version: " + body);
    }
    return json.getLong("version");
  }

  private static Long etag(String tag) {
    if (tag == null) return null;
    String t = tag.startsWith("W/") ? tag.substring(2) : tag;
    if (t.length() < 3 || t.charAt(0) != '"' || t.charAt(t.length() - 1) != '"') return null;
    try {
      return Long.parseLong(t.substring(1, t.length() - 1));
    } catch (NumberFormatException e) {
      return null;
    }
  }
}
