package io.kshaka.storage;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/** Runs test steps on one Vert.x event-loop context (the store's owner) and waits for them on the test thread. */
final class OnContext {
  static final long TIMEOUT_SECONDS = 60;

  final Vertx vertx;
  final Context context;

  OnContext(Vertx vertx) {
    this.vertx = vertx;
    this.context = vertx.getOrCreateContext();
  }

  /** Runs {@code action} on the context and waits for its future; rethrows its failure. */
  <T> T await(Supplier<Future<T>> action) throws Exception {
    CompletableFuture<T> cf = new CompletableFuture<>();
    context.runOnContext(v -> {
      try {
        action.get().onComplete(ar -> {
          if (ar.succeeded()) cf.complete(ar.result());
          else cf.completeExceptionally(ar.cause());
        });
      } catch (Throwable t) {
        cf.completeExceptionally(t);
      }
    });
    try {
      return cf.get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      Throwable cause = e.getCause();
      if (cause instanceof Exception) throw (Exception) cause;
      if (cause instanceof Error) throw (Error) cause;
      throw e;
    }
  }

  /** Runs {@code action} on the context and returns what it returns (typically futures not yet complete). */
  <T> T run(Supplier<T> action) throws Exception {
    return await(() -> Future.succeededFuture(action.get()));
  }

  /** Runs {@code action} on the context, expects its future to fail, and returns the failure. */
  Throwable failure(Supplier<Future<?>> action) throws Exception {
    try {
      Object result = await(() -> action.get().map(x -> (Object) x));
      throw new AssertionError("expected a failure, got " + result);
    } catch (AssertionError e) {
      throw e;
    } catch (Exception e) {
      return e;
    }
  }

  /** Waits for {@code future} (completed on any thread). */
  static <T> T get(CompletableFuture<T> future) throws Exception {
    return future.get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
  }
}
