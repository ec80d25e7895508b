package io.kshaka.bench;

import io.vertx.core.Vertx;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import java.io.PrintWriter;
import java.io.Writer;
import java.util.List;
import java.util.Locale;

/**
 * {@code --warm-generator}: the bench's own JVM compiles its HTTP client, histogram and load loop while it runs,
 * which on a machine shared with the cluster takes about ten seconds. To measure how fast a freshly started
 * cluster gets up to speed, and not how fast the load generator does, the bench first drives the same workload
 * (clients, mix, value size) for a while against a stub in its own JVM: an HTTP server on 127.0.0.1 that answers
 * every request of the KV contract at once, with no storage and no cluster behind it.
 */
final class GeneratorWarmup {
  private GeneratorWarmup() {
  }

  /** Runs {@code w}'s clients against the stub for {@code seconds} and prints one line on {@code out}. */
  static void run(Vertx vertx, Workload w, double seconds, int eventLoops, PrintWriter out)
      throws InterruptedException {
    HttpServer stub;
    try {
      stub = vertx.createHttpServer(new HttpServerOptions().setHost("127.0.0.1").setPort(0).setTcpNoDelay(true))
          .requestHandler(GeneratorWarmup::answer).listen().toCompletionStage().toCompletableFuture()
          .get(10, java.util.concurrent.TimeUnit.SECONDS);
    } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
      throw new BenchFailure("the load generator's stub server did not start: " + e);
    }
    Endpoint endpoint = new Endpoint("127.0.0.1", stub.actualPort());
    HttpTarget target = new HttpTarget(vertx, List.of(endpoint), w.clients(), w.timeoutMs());
    try {
      Workload warm = new Workload("generator warm-up", w.clients(), w.keys(), w.mix(), w.valueSize(), 0, seconds,
          w.timeoutMs(), 0, w.seed() ^ 0x5DEECE66DL, w.keyPrefix());
      PrintWriter quiet = new PrintWriter(Writer.nullWriter());
      RunResult r = new BenchRun(vertx, target, "http", List.of(endpoint.url()), eventLoops, quiet).run(warm);
      out.printf(Locale.ROOT, "load generator warmed up for %s s against a stub server in its own JVM (%,.0f ops/s, "
          + "%d errors): the figures below are the cluster's%n", BenchRun.num(seconds), r.opsPerSec(), r.errors());
      out.flush();
    } finally {
      BenchRun.awaitQuietly(target.close(), 10);
      BenchRun.awaitQuietly(stub.close(), 10);
    }
  }

  /** What a node answers, minus the work: a read finds version 1, a write or an add makes version 2. */
  private static void answer(io.vertx.core.http.HttpServerRequest req) {
    req.body().onComplete(body -> {
      var resp = req.response();
      if (req.method() == HttpMethod.GET) {
        resp.putHeader(HttpHeaders.ETAG, "\"1\"").putHeader(HttpHeaders.CONTENT_TYPE, "application/octet-stream")
            .end("0");
      } else {
        resp.putHeader(HttpHeaders.ETAG, "\"2\"").putHeader(HttpHeaders.CONTENT_TYPE, "application/json")
            .end(req.method() == HttpMethod.POST ? "{\"value\":1,\"version\":2}" : "{\"version\":2}");
      }
    });
  }
}
