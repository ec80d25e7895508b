package io.kshaka.faults;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.IntConsumer;

/** Runs {@code body(0..count-1)} on {@code threads} threads (so that many requests are in flight), with a time limit. */
final class Parallel {
  private Parallel() {}

  /**
   * @throws IllegalStateException if the work did not finish within {@code limit} or a body threw (the first
   *     failure is the cause)
   */
  static void forEach(int count, int threads, Duration limit, IntConsumer body) {
    AtomicInteger next = new AtomicInteger();
    AtomicInteger done = new AtomicInteger();
    AtomicReference<Throwable> failure = new AtomicReference<>();
    long deadline = System.nanoTime() + limit.toNanos();
    List<Thread> workers = new ArrayList<>();
    for (int t = 0; t < threads; t++) {
      Thread w = new Thread(() -> {
        for (int i = next.getAndIncrement(); i < count && failure.get() == null && System.nanoTime() < deadline;
            i = next.getAndIncrement()) {
          try {
            body.accept(i);
            done.incrementAndGet();
          } catch (RuntimeException | Error e) {
            failure.compareAndSet(null, e);
          }
        }
      }, "parallel-" + t);
      w.setDaemon(true);
      workers.add(w);
      w.start();
    }
    for (Thread w : workers) {
      try {
        w.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime()) + 30_000));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted", e);
      }
    }
    if (failure.get() != null) throw new IllegalStateException("parallel work failed: " + failure.get(), failure.get());
    if (done.get() < count) {
      throw new IllegalStateException("only " + done.get() + " of " + count + " items done within "
          + limit.toSeconds() + " s");
    }
  }
}
