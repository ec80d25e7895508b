package io.kshaka.storage;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.kshaka.core.AcceptorState;
import io.kshaka.core.Ballot;
import io.kshaka.core.RegisterState;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.junit5.VertxExtension;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Measurement, not a test (needs {@code -Dkshaka.bench=true}): the event-loop thread CPU time of the synchronous part of
 * {@link FileAcceptorStore#put} (encode, map, key index), without the disk: new keys (which enter the index) against
 * updates of known keys (which never touch it); and of {@link FileAcceptorStore#get} (which decodes the key's
 * record). Run with {@code mvn -B -q test -Dtest=PutCostBenchmark -Dkshaka.bench=true} and read its -output.txt
 * report.
 */
@ExtendWith(VertxExtension.class)
@EnabledIfSystemProperty(named = "kshaka.bench", matches = "true")
class PutCostBenchmark {
  @TempDir
  Path dir;

  private static AcceptorState state(long counter) {
    Ballot b = new Ballot(counter, 1);
    return new AcceptorState(b, b, new RegisterState(new byte[100], counter));
  }

  /** CPU time of the event-loop thread (not wall time: other processes share the cores). */
  private static long cpu() {
    return java.lang.management.ManagementFactory.getThreadMXBean().getCurrentThreadCpuTime();
  }

  private long timedPuts(OnContext on, FileAcceptorStore store, String[] names, int batch, long counter)
      throws Exception {
    int keys = names.length;
    long[] nanos = {0};
    for (int from = 0; from < keys; from += batch) {
      int start = from;
      on.await(() -> {
        List<Future<Void>> all = new ArrayList<>(batch);
        AcceptorState s = state(counter);
        long t0 = cpu();
        for (int i = start; i < start + batch; i++) all.add(store.put(names[i], s));
        nanos[0] += cpu() - t0;
        return Future.all(all).mapEmpty();
      });
    }
    return nanos[0];
  }

  /** CPU time of reading every key once (the acceptor's read before each request), and a checksum of the reads. */
  private static long[] timedGets(FileAcceptorStore store, String[] names) {
    long sum = 0;
    long t0 = cpu();
    for (String name : names) sum += store.get(name).state().version();
    return new long[] {cpu() - t0, sum};
  }

  @Test
  void putCpuCostOfNewKeysAndUpdates(Vertx vertx) throws Exception {
    OnContext on = new OnContext(vertx);
    int keys = 500_000;
    int batch = 5_000;
    String[] names = new String[keys];
    for (int i = 0; i < keys; i++) names[i] = String.format("key-%07d", i);
    for (int round = 1; round <= 3; round++) {
      FileAcceptorStore store = new FileAcceptorStore(vertx, StoreOptions.defaults(dir.resolve("r" + round).toString()));
      on.await(store::open);
      long fresh = timedPuts(on, store, names, batch, 1);
      long updates = timedPuts(on, store, names, batch, 2);
      long[] gets = timedGets(store, names);
      assertEquals(2L * keys, gets[1], "every key read back at version 2");
      String line = String.format(Locale.ROOT, "round %d: put() of %d new keys %.0f ns each; of %d updates %.0f ns "
          + "each; get() %.0f ns each", round, keys, fresh / (double) keys, keys, updates / (double) keys,
          gets[0] / (double) keys);
      System.out.println("BENCH " + line);
      on.await(store::close);
    }
  }
}
