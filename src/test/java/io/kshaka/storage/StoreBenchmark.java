package io.kshaka.storage;

import io.kshaka.core.AcceptorState;
import io.kshaka.core.Ballot;
import io.kshaka.core.RegisterState;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.junit5.VertxExtension;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Measurements, not tests: disabled unless {@code -Dkshaka.bench=true}. Run with
 * {@code mvn -B -q test -Dtest=StoreBenchmark -Dkshaka.bench=true} and read
 * {@code target/surefire-reports/io.kshaka.storage.StoreBenchmark-output.txt}.
 */
@ExtendWith(VertxExtension.class)
@EnabledIfSystemProperty(named = "kshaka.bench", matches = "true")
class StoreBenchmark {
  private static final Logger LOG = LoggerFactory.getLogger(StoreBenchmark.class);

  @TempDir
  Path dir;

  private OnContext on;

  @BeforeEach
  void setUp(Vertx vertx) {
    on = new OnContext(vertx);
  }

  private static AcceptorState state(long counter, long version) {
    byte[] value = new byte[100];
    for (int i = 0; i < value.length; i++) value[i] = (byte) ('a' + (counter + i) % 26);
    Ballot b = new Ballot(counter, 1);
    return new AcceptorState(b, b, new RegisterState(value, version));
  }

  /**
   * Each writer puts one key at a time (the next after the previous is durable) for {@code seconds}, into a store
   * whose log grows {@code preallocate} bytes at a time (0: as each batch is appended).
   */
  private void writers(int writers, int keys, double seconds, long preallocate) throws Exception {
    RecordingMetrics metrics = new RecordingMetrics();
    Path sub = dir.resolve("writers-" + writers + "-" + preallocate + "-" + System.nanoTime());
    FileAcceptorStore store = new FileAcceptorStore(on.vertx,
        StoreOptions.defaults(sub.toString()).withMetrics(metrics).withPreallocateBytes(preallocate));
    on.await(store::open);
    AtomicLong done = new AtomicLong();
    long[] latencies = new long[2_000_000];
    AtomicLong latencyCount = new AtomicLong();
    long start = System.nanoTime();
    long deadline = start + (long) (seconds * 1e9);
    on.await(() -> {
      List<Future<Void>> all = new ArrayList<>();
      for (int w = 0; w < writers; w++) {
        Promise<Void> p = Promise.promise();
        loop(store, w, writers, keys, deadline, done, latencies, latencyCount, p);
        all.add(p.future());
      }
      return Future.all(all).mapEmpty();
    });
    double elapsed = (System.nanoTime() - start) / 1e9;
    int n = (int) Math.min(latencyCount.get(), latencies.length);
    long[] sorted = java.util.Arrays.copyOf(latencies, n);
    java.util.Arrays.sort(sorted);
    String line = String.format(Locale.ROOT,
        "(load average %.1f) group commit, %d writers, preallocation %s: %d durable puts in %.1f s = %.0f puts/s; %d flushes (%.1f records/flush); "
            + "put latency p50 %.2f ms, p99 %.2f ms",
        ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage(),
        writers, preallocate == 0 ? "off" : (preallocate >> 20) + " MiB", done.get(), elapsed, done.get() / elapsed, metrics.flushes.get(),
        metrics.records.get() / (double) Math.max(1, metrics.flushes.get()),
        sorted[n / 2] / 1e6, sorted[(int) (n * 0.99)] / 1e6);
    LOG.info(line);
    System.out.println("BENCH " + line);
    on.await(store::close);
  }

  private void loop(FileAcceptorStore store, int w, int writers, int keys, long deadline, AtomicLong done,
                    long[] latencies, AtomicLong latencyCount, Promise<Void> finished) {
    if (System.nanoTime() > deadline) {
      finished.complete();
      return;
    }
    long i = done.get();
    String key = "key-" + ((w + i * writers) % keys);
    long t0 = System.nanoTime();
    store.put(key, state(i + 1, i + 1)).onComplete(ar -> {
      if (ar.failed()) {
        finished.fail(ar.cause());
        return;
      }
      long idx = latencyCount.getAndIncrement();
      if (idx < latencies.length) latencies[(int) idx] = System.nanoTime() - t0;
      done.incrementAndGet();
      loop(store, w, writers, keys, deadline, done, latencies, latencyCount, finished);
    });
  }

  @Test
  void groupCommitThroughput() throws Exception {
    // preallocation off and on in turn, twice, so that both see the same machine
    for (int round = 0; round < 2; round++) {
      for (long preallocate : new long[] {0, StoreOptions.DEFAULT_PREALLOCATE_BYTES}) {
        writers(1, 10_000, 5, preallocate);
        writers(64, 10_000, 5, preallocate);
      }
    }
    writers(256, 10_000, 10, StoreOptions.DEFAULT_PREALLOCATE_BYTES);
  }

  private static long processCpuNanos() {
    java.lang.management.OperatingSystemMXBean os = ManagementFactory.getOperatingSystemMXBean();
    return os instanceof com.sun.management.OperatingSystemMXBean
        ? ((com.sun.management.OperatingSystemMXBean) os).getProcessCpuTime() : -1;
  }

  private static long gcMillis() {
    long total = 0;
    for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) total += gc.getCollectionTime();
    return total;
  }

  private static long usedHeapAfterGc() {
    for (int i = 0; i < 3; i++) System.gc();
    Runtime r = Runtime.getRuntime();
    return r.totalMemory() - r.freeMemory();
  }

  @Test
  void millionKeysMemoryAndReopenTime() throws Exception {
    int keys = 1_000_000;
    int writers = 512;
    Path sub = dir.resolve("million");
    RecordingMetrics metrics = new RecordingMetrics();
    StoreOptions opts = StoreOptions.defaults(sub.toString()).withMetrics(metrics);
    long heapBefore = usedHeapAfterGc();
    FileAcceptorStore[] holder = {new FileAcceptorStore(on.vertx, opts)};
    FileAcceptorStore first = holder[0];
    on.await(first::open);
    long start = System.nanoTime();
    on.await(() -> {
      List<Future<Void>> all = new ArrayList<>();
      for (int w = 0; w < writers; w++) {
        int writer = w;
        Promise<Void> p = Promise.promise();
        fill(holder[0], writer, writers, keys, writer, p);
        all.add(p.future());
      }
      return Future.all(all).mapEmpty();
    });
    double fillSeconds = (System.nanoTime() - start) / 1e9;
    long heapFilled = usedHeapAfterGc();
    String fill = String.format(Locale.ROOT,
        "1M keys x 100-byte values: filled in %.1f s (%.0f puts/s, %d flushes, %d snapshots); heap %d MiB "
            + "(store ~%d bytes/key); max heap %d MiB",
        fillSeconds, keys / fillSeconds, metrics.flushes.get(), metrics.snapshots.get(),
        (heapFilled) >> 20, (heapFilled - heapBefore) / keys, Runtime.getRuntime().maxMemory() >> 20);
    LOG.info(fill);
    System.out.println("BENCH " + fill);
    on.await(first::close);
    first = null;
    holder[0] = null;
    StringBuilder files = new StringBuilder();
    try (Stream<Path> s = Files.list(sub)) {
      for (Path p : (Iterable<Path>) s::iterator) {
        files.append(p.getFileName()).append('=').append(Files.size(p) >> 20).append("MiB ");
      }
    }
    for (int attempt = 1; attempt <= 3; attempt++) {
      long heapEmpty = usedHeapAfterGc(); // the previous store is garbage: start like a fresh JVM
      FileAcceptorStore reopened = new FileAcceptorStore(on.vertx, opts);
      long cpu0 = processCpuNanos();
      long gc0 = gcMillis();
      long t0 = System.nanoTime();
      on.await(reopened::open);
      double openSeconds = (System.nanoTime() - t0) / 1e9;
      double cpuSeconds = (processCpuNanos() - cpu0) / 1e9;
      long gcMs = gcMillis() - gc0;
      long heapReopened = usedHeapAfterGc();
      String reopen = String.format(Locale.ROOT,
          "reopen #%d of %d keys: %.2f s wall (process CPU %.2f s, GC %d ms, load average %.1f); heap %d MiB "
              + "(store ~%d bytes/key); files %s",
          attempt, reopened.size(), openSeconds, cpuSeconds, gcMs,
          ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage(), heapReopened >> 20, (heapReopened - heapEmpty) / reopened.size(),
          files);
      LOG.info(reopen);
      System.out.println("BENCH " + reopen);
      if (reopened.size() != keys) throw new AssertionError("expected " + keys + " keys, got " + reopened.size());
      if (attempt == 2) {
        // worst case for the next reopen: the snapshot plus a log just under the 64 MiB snapshot threshold
        int overwrites = 400_000;
        on.await(() -> {
          List<Future<Void>> all = new ArrayList<>();
          for (int w = 0; w < writers; w++) {
            Promise<Void> p = Promise.promise();
            fill(reopened, w, writers, overwrites, w, p);
            all.add(p.future());
          }
          return Future.all(all).mapEmpty();
        });
        System.out.println("BENCH overwrote " + overwrites + " keys: log now " + (reopened.logBytes() >> 20) + " MiB");
      }
      on.await(reopened::close);
      files.setLength(0);
      try (Stream<Path> s = Files.list(sub)) {
        for (Path p : (Iterable<Path>) s::iterator) {
          files.append(p.getFileName()).append('=').append(Files.size(p) >> 20).append("MiB ");
        }
      }
    }
  }

  private void fill(FileAcceptorStore store, int next, int writers, int keys, int writer, Promise<Void> finished) {
    if (next >= keys) {
      finished.complete();
      return;
    }
    store.put(String.format("key-%07d", next), state(next + 1, 1)).onComplete(ar -> {
      if (ar.failed()) finished.fail(ar.cause());
      else fill(store, next + writers, writers, keys, writer, finished);
    });
  }
}
