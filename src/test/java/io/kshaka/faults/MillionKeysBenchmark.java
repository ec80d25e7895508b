package io.kshaka.faults;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kshaka.check.Input;
import io.kshaka.check.Output;
import io.kshaka.core.AcceptorState;
import io.kshaka.core.Ballot;
import io.kshaka.core.RegisterState;
import io.kshaka.core.RequestId;
import io.kshaka.core.RequestLog;
import io.kshaka.storage.FileAcceptorStore;
import io.kshaka.storage.StoreOptions;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * A measurement, not a test (issue 5's memory target): three node processes with run.sh's heap ({@code -Xmx1g}),
 * each acceptor holding 1,000,000 keys of 100 bytes, each remembering {@code kshaka.bench.ids} request ids (4, the
 * bound); how long until every node is ready after a start and after a
 * kill -9 of all, and how much heap each node uses then. Run with
 * {@code mvn -B test -Dtest=MillionKeysBenchmark -Dkshaka.bench=true -Dsurefire.failIfNoSpecifiedTests=false}; the
 * figures are printed on lines starting with {@code BENCH}.
 */
@EnabledIfSystemProperty(named = "kshaka.bench", matches = "true")
class MillionKeysBenchmark {
  private static final int KEYS = Integer.getInteger("kshaka.bench.keys", 1_000_000);
  /** run.sh's heap and collector, or {@code -Dkshaka.bench.jvm="..."} (for instance with {@code -Xlog:gc}). */
  private static final List<String> JVM = List.of(System.getProperty("kshaka.bench.jvm",
      "-Xms128m -Xmx1g -XX:+UseSerialGC").trim().split("\\s+"));
  /** Request ids each register remembers: the bound (4) by default, as a key written 4 times or more holds. */
  private static final int IDS = Integer.getInteger("kshaka.bench.ids", RequestLog.DEFAULT_BOUND);

  @Test
  void aNodeWithAMillionKeysRunsInOneGigabyteAndRestartsQuickly() throws Exception {
    Path dir = FaultRun.baseDir().resolve("million-keys");
    FaultRun.deleteRecursively(dir);
    try (NodeNetwork net = NodeNetwork.loopback(3, null);
        NodeCluster cluster = new NodeCluster(dir, 3, net, null, JVM);
        BulkHttp http = new BulkHttp(32, Duration.ofSeconds(10))) {
      long t0 = System.nanoTime();
      fill(cluster.dataDir(1));
      for (int i = 2; i <= 3; i++) copy(cluster.dataDir(1), cluster.dataDir(i));
      report(String.format(Locale.ROOT, "%d keys of 100 bytes written to each of 3 data directories in %.1f s (%s)",
          KEYS, (System.nanoTime() - t0) / 1e9, files(cluster.dataDir(1))));

      cluster.startAll();
      report("start with that data: all 3 nodes ready in " + seconds(cluster.awaitAllReady(Duration.ofSeconds(300)))
          + " (load average " + load() + ")");
      readBack(http, cluster);
      heap(cluster);

      cluster.killAll();
      cluster.startAll();
      report("after kill -9 of every node: all ready in " + seconds(cluster.awaitAllReady(Duration.ofSeconds(300)))
          + " (load average " + load() + ")");
      readBack(http, cluster);
      heap(cluster);
      storeOpenTimes(cluster);
    } finally {
      FaultRun.deleteRecursively(dir);
    }
  }

  /** Writes KEYS accepted states through the real store, 512 puts in flight (group commit), on one context. */
  static void fill(Path dataDir) throws Exception {
    Vertx vertx = Vertx.vertx();
    try {
      Context ctx = vertx.getOrCreateContext();
      FileAcceptorStore store = new FileAcceptorStore(vertx, StoreOptions.defaults(dataDir.toString()));
      CompletableFuture<Void> done = new CompletableFuture<>();
      ctx.runOnContext(v -> store.open().compose(x -> {
        List<Future<Void>> writers = new ArrayList<>();
        for (int w = 0; w < 512; w++) {
          Promise<Void> p = Promise.promise();
          put(store, w, 512, p);
          writers.add(p.future());
        }
        return Future.all(writers);
      }).compose(x -> store.close()).onComplete(ar -> {
        if (ar.succeeded()) done.complete(null);
        else done.completeExceptionally(ar.cause());
      }));
      done.get(30, TimeUnit.MINUTES);
    } finally {
      vertx.close().toCompletionStage().toCompletableFuture().get(1, TimeUnit.MINUTES);
    }
  }

  private static void put(FileAcceptorStore store, int next, int stride, Promise<Void> finished) {
    if (next >= KEYS) {
      finished.complete();
      return;
    }
    Ballot b = new Ballot(1, 1);
    RequestLog ids = RequestLog.EMPTY;
    for (int v = 1; v <= IDS; v++) ids = ids.with(new RequestId(next * 31L + v, 1_764_547_200_000L + next), v, 0, IDS);
    RegisterState state = new RegisterState(value(next), Math.max(1, IDS), ids);
    store.put(key(next), new AcceptorState(b, b, state)).onComplete(ar -> {
      if (ar.failed()) finished.fail(ar.cause());
      else put(store, next + stride, stride, finished);
    });
  }

  private static String key(int i) {
    return String.format("m%07d", i);
  }

  /** 100 printable bytes, different per key. */
  private static byte[] value(int i) {
    String s = String.format("%07d", i);
    return (s + "-".repeat(100 - 2 * s.length()) + s).getBytes(StandardCharsets.US_ASCII);
  }

  /** 3,000 random keys read through the nodes, each must hold its value. */
  private static void readBack(BulkHttp http, NodeCluster cluster) {
    Random random = new Random(7);
    int[] keys = random.ints(3_000, 0, KEYS).toArray();
    long t0 = System.nanoTime();
    List<String> wrong = new ArrayList<>();
    BulkHttp.run(keys.length, 32, Duration.ofSeconds(60), Duration.ofSeconds(300), i -> {
      int node = 1 + i % 3;
      return http.call(cluster.network().host(node), cluster.network().httpPort(node), key(keys[i]), Input.get())
          .thenAccept(r -> {
            Output expected = Output.value(new String(value(keys[i]), StandardCharsets.US_ASCII), Math.max(1, IDS));
            if (r.kind() != KvHttp.Kind.OK || !expected.equals(r.output())) {
              synchronized (wrong) {
                wrong.add(key(keys[i]) + ": " + r);
              }
            }
          });
    });
    report(String.format(Locale.ROOT, "read %d random keys back through the 3 nodes in %.1f s: %d wrong",
        keys.length, (System.nanoTime() - t0) / 1e9, wrong.size()));
    assertTrue(wrong.isEmpty(), "wrong reads, e.g. " + wrong.subList(0, Math.min(5, wrong.size())));
  }

  private static final Pattern USED = Pattern.compile("used (\\d+)K");

  /** Each node's heap in use after a full GC ({@code jcmd GC.run}, then {@code GC.heap_info}). */
  private static void heap(NodeCluster cluster) throws IOException, InterruptedException {
    StringBuilder out = new StringBuilder("heap in use after a full GC (max 1024 MiB):");
    for (int i = 1; i <= 3; i++) {
      long pid = cluster.node(i).pid();
      jcmd(pid, "GC.run");
      Matcher m = USED.matcher(jcmd(pid, "GC.heap_info"));
      long usedK = 0;
      while (m.find()) usedK = Math.max(usedK, Long.parseLong(m.group(1)));
      out.append(" node ").append(i).append(' ').append(usedK >> 10).append(" MiB");
      assertTrue(usedK > 0, "no heap figure from jcmd for node " + i);
    }
    report(out.toString());
  }

  private static String jcmd(long pid, String command) throws IOException, InterruptedException {
    Process p = new ProcessBuilder("jcmd", String.valueOf(pid), command).redirectErrorStream(true).start();
    String text = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(60, TimeUnit.SECONDS), "jcmd " + command + " did not end");
    assertEquals(0, p.exitValue(), "jcmd " + command + ": " + text);
    return text;
  }

  static void copy(Path from, Path to) throws IOException {
    Files.createDirectories(to);
    try (Stream<Path> files = Files.list(from)) {
      for (Path f : files.toList()) Files.copy(f, to.resolve(f.getFileName()));
    }
  }

  private static String files(Path dir) throws IOException {
    StringBuilder b = new StringBuilder();
    try (Stream<Path> files = Files.list(dir)) {
      for (Path f : files.sorted().toList()) {
        b.append(b.length() == 0 ? "" : ", ").append(f.getFileName()).append(' ').append(Files.size(f) >> 20)
            .append(" MiB");
      }
    }
    return b.toString();
  }

  private static String seconds(Duration d) {
    return String.format(Locale.ROOT, "%.1f s", d.toMillis() / 1e3);
  }

  private static String load() {
    return String.format(Locale.ROOT, "%.1f",
        java.lang.management.ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage());
  }

  private static void report(String line) {
    System.out.println("BENCH " + line);
  }

  /** The store's own account of each open ("acceptor store ... open: N keys ... in T ms"), from the node logs. */
  /** Milestones of a node's start, as its log words them: where the seconds of a restart go. */
  private static final List<String> MILESTONES = List.of("===== harness", "Members {size", "acceptor store",
      "kshaka node", "membership voting", " starting: ", "joined the cluster", "WARN", "ERROR");

  private static void storeOpenTimes(NodeCluster cluster) throws IOException {
    for (int i = 1; i <= 3; i++) {
      for (String line : Files.readAllLines(cluster.node(i).log)) {
        if (line.contains("acceptor store") && line.contains(" open: ")) {
          report("node " + i + ": " + line.substring(line.indexOf("acceptor store")));
        }
      }
    }
    // the last start of each node, milestone by milestone
    for (int i = 1; i <= 3; i++) {
      List<String> lines = Files.readAllLines(cluster.node(i).log);
      int from = 0;
      for (int l = 0; l < lines.size(); l++) {
        if (lines.get(l).contains("===== harness") && lines.get(l).contains(": start #")) from = l;
      }
      for (String line : lines.subList(from, lines.size())) {
        if (MILESTONES.stream().anyMatch(line::contains)) {
          report("node " + i + " timeline: " + line.substring(0, Math.min(line.length(), 160)));
        }
      }
    }
  }
}
