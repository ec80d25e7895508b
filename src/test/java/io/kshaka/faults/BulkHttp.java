package io.kshaka.faults;

import io.kshaka.check.Input;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import java.net.ConnectException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.IntFunction;

/**
 * Many simple requests with little CPU: a Vert.x HTTP client on one event loop, for bulk loads (the durability
 * test's 10,000 puts and 30,000 reads), where {@code java.net.http} costs the test JVM about a core. Outcomes are
 * judged by {@link KvHttp#interpret}, as in the fault workload.
 */
final class BulkHttp implements AutoCloseable {
  private final Vertx vertx;
  private final HttpClientAgent client;
  private final Duration timeout;

  BulkHttp(int connectionsPerNode, Duration timeout) {
    this.timeout = timeout;
    this.vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(1).setWorkerPoolSize(1));
    this.client = vertx.createHttpClient(new HttpClientOptions().setKeepAlive(true).setConnectTimeout(2_000),
        new PoolOptions().setHttp1MaxSize(connectionsPerNode));
  }

  /** Runs {@code input} on {@code key} through the node at {@code host:port}. */
  CompletableFuture<KvHttp.Result> call(String host, int port, String key, Input input) {
    RequestOptions options = new RequestOptions().setHost(host).setPort(port).setURI("/v1/kv/" + key)
        .setTimeout(timeout.toMillis());
    Buffer body = null;
    if (input instanceof Input.Get) {
      options.setMethod(HttpMethod.GET);
    } else if (input instanceof Input.Put) {
      options.setMethod(HttpMethod.PUT);
      body = Buffer.buffer(((Input.Put) input).value().getBytes(StandardCharsets.UTF_8));
    } else {
      throw new IllegalArgumentException("bulk requests are get and put: " + input);
    }
    Buffer payload = body;
    Future<KvHttp.Result> result = client.request(options)
        .compose(req -> payload == null ? req.send() : req.send(payload))
        .compose(resp -> resp.body().map(b -> KvHttp.interpret(input, resp.statusCode(), b.toString(StandardCharsets.UTF_8),
            resp.getHeader("ETag"))))
        .recover(e -> Future.succeededFuture(e instanceof ConnectException
            ? KvHttp.Result.notApplied(0, e.toString()) : KvHttp.Result.unknown(0, e.toString())));
    return result.toCompletionStage().toCompletableFuture();
  }

  /**
   * Runs {@code op(0..count-1)}, at most {@code inFlight} at a time, within {@code limit}.
   *
   * @throws IllegalStateException if an operation threw or the time ran out
   */
  static void run(int count, int inFlight, Duration limit, IntFunction<CompletableFuture<?>> op) {
    Semaphore permits = new Semaphore(inFlight);
    AtomicReference<Throwable> failure = new AtomicReference<>();
    java.util.concurrent.atomic.AtomicInteger done = new java.util.concurrent.atomic.AtomicInteger();
    long deadline = System.nanoTime() + limit.toNanos();
    try {
      for (int i = 0; i < count && failure.get() == null; i++) {
        if (!permits.tryAcquire(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS)) {
          throw new IllegalStateException("only " + i + " of " + count + " started within " + limit.toSeconds() + " s");
        }
        op.apply(i).whenComplete((v, e) -> {
          if (e != null) failure.compareAndSet(null, e);
          done.incrementAndGet();
          permits.release();
        });
      }
      if (!permits.tryAcquire(inFlight, Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS)) {
        throw new IllegalStateException("not all of " + count + " done within " + limit.toSeconds() + " s (" + done
              + " done)");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
    if (failure.get() != null) throw new IllegalStateException("bulk operation failed: " + failure.get(), failure.get());
  }

  @Override
  public void close() {
    vertx.close().toCompletionStage().toCompletableFuture().orTimeout(10, TimeUnit.SECONDS).join();
  }
}
