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
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
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
   * Runs {@code op(0..count-1)}, at most {@code inFlight} at a time. A slow machine only makes it slower: it fails
   * when no operation completed for {@code stall}, or when the whole run exceeds {@code cap}.
   *
   * @throws IllegalStateException if an operation threw, or the run stalled or ran out of time
   */
  static void run(int count, int inFlight, Duration stall, Duration cap, IntFunction<CompletableFuture<?>> op) {
    Semaphore permits = new Semaphore(inFlight);
    AtomicReference<Throwable> failure = new AtomicReference<>();
    AtomicInteger done = new AtomicInteger();
    long start = System.nanoTime();
    long capAt = start + cap.toNanos();
    AtomicLong lastProgress = new AtomicLong(start);
    try {
      int started = 0;
      while (done.get() < count && failure.get() == null) {
        long now = System.nanoTime();
        if (now - lastProgress.get() > stall.toNanos() || now > capAt) {
          throw new IllegalStateException(String.format("%d of %d done in %.0f s (%d started): %s", done.get(),
              count, (now - start) / 1e9, started, now > capAt ? "over the limit of " + cap.toSeconds() + " s"
                  : "none completed for " + stall.toSeconds() + " s"));
        }
        if (started < count && permits.tryAcquire(100, TimeUnit.MILLISECONDS)) {
          op.apply(started++).whenComplete((v, e) -> {
            if (e != null) failure.compareAndSet(null, e);
            lastProgress.set(System.nanoTime());
            done.incrementAndGet();
            permits.release();
          });
        } else if (started == count) {
          Thread.sleep(20);
        }
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
