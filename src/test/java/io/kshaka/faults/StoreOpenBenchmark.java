package io.kshaka.faults;

import io.kshaka.storage.FileAcceptorStore;
import io.kshaka.storage.StoreOptions;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * How long one acceptor store takes to open (recover) with {@code kshaka.bench.keys} keys (1,000,000), alone in its
 * JVM: the store part of a node's restart. Run with {@code mvn -B test -Dtest=StoreOpenBenchmark -Dkshaka.bench=true
 * -Dsurefire.failIfNoSpecifiedTests=false}; figures on the lines starting with {@code BENCH}.
 */
@EnabledIfSystemProperty(named = "kshaka.bench", matches = "true")
class StoreOpenBenchmark {
  @Test
  void openAStoreOfAMillionKeys() throws Exception {
    Path dir = FaultRun.baseDir().resolve("store-open");
    FaultRun.deleteRecursively(dir);
    try {
      long t0 = System.nanoTime();
      MillionKeysBenchmark.fill(dir);
      System.out.printf("BENCH filled in %.1f s%n", (System.nanoTime() - t0) / 1e9);
      for (int round = 1; round <= 3; round++) {
        Vertx vertx = Vertx.vertx();
        try {
          Context ctx = vertx.getOrCreateContext();
          FileAcceptorStore store = new FileAcceptorStore(vertx, StoreOptions.defaults(dir.toString()));
          CompletableFuture<Long> opened = new CompletableFuture<>();
          long start = System.nanoTime();
          ctx.runOnContext(v -> store.open().onComplete(ar -> {
            long took = System.nanoTime() - start;
            store.close().onComplete(c -> {
              if (ar.succeeded()) opened.complete(took);
              else opened.completeExceptionally(ar.cause());
            });
          }));
          long took = opened.get(5, TimeUnit.MINUTES);
          System.out.printf("BENCH round %d: %d keys open in %.2f s%n", round, store.size(), took / 1e9);
        } finally {
          vertx.close().toCompletionStage().toCompletableFuture().get(1, TimeUnit.MINUTES);
        }
      }
    } finally {
      FaultRun.deleteRecursively(dir);
    }
  }
}
