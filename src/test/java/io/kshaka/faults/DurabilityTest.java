package io.kshaka.faults;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kshaka.check.Input;
import io.kshaka.check.Output;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.IntFunction;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Nothing is replied before it is durable (README, "How it works"): every acknowledged put survives kill -9 of every node, and
 * survives a torn tail (the newest acceptor log file of every node cut by a few bytes, as a crash in the middle of a
 * write leaves it).
 */
class DurabilityTest {
  private static final int KEYS = Integer.getInteger("kshaka.durability.keys", 10_000);
  private static final int IN_FLIGHT = Integer.getInteger("kshaka.durability.inFlight", 64);
  /** A phase fails when no operation completed for this long (a slow disk or machine only makes it slower). */
  private static final Duration STALL = Duration.ofSeconds(60);
  /** ... or when it runs this long: about 10x what a busy 2-core machine needs. */
  private static final Duration PHASE_CAP = Duration.ofSeconds(420);

  /** What a put was acknowledged with. */
  private record Ack(String value, long version) {}

  @Test
  void everyAcknowledgedPutSurvivesKillNineOfEveryNodeAndATornTail() {
    long seed = Long.getLong("kshaka.faults.seed", new Random().nextLong() & Long.MAX_VALUE);
    Random random = new Random(seed);
    Path dir = FaultRun.baseDir().resolve("durability-" + seed);
    FaultRun.deleteRecursively(dir);
    try {
      Files.createDirectories(dir);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    Events events = new Events(dir.resolve("events.log"), "[durability " + seed + "] ");
    events.log("seed " + seed + ": " + KEYS + " keys, " + IN_FLIGHT + " in flight (rerun: -Dkshaka.faults.seed="
        + seed + ")");
    boolean passed = false;
    try (NodeNetwork net = NodeNetwork.loopback(3, null);
        NodeCluster cluster = new NodeCluster(dir, 3, net, null, NodeCluster.defaultJvmOptions());
        BulkHttp http = new BulkHttp(IN_FLIGHT, Duration.ofSeconds(10))) {
      cluster.startAll();
      events.log("nodes ready after " + cluster.awaitAllReady(Duration.ofSeconds(120)).toMillis() + " ms");

      // phase 1: acknowledged puts, kill -9 of every node, restart, read back through every node
      Map<String, Ack> acked = writeAll(http, cluster, "a" + seed, events);
      events.log("kill -9 of every node");
      cluster.killAll();
      cluster.startAll();
      events.log("restarted; ready after " + cluster.awaitAllReady(Duration.ofSeconds(120)).toMillis() + " ms");
      verifyAll(http, cluster, acked, "after kill -9 of every node (seed " + seed + ")", events);

      // phase 2: overwrite every key, then a tail of puts on other keys that the torn tail may cut
      acked = writeAll(http, cluster, "b" + seed, events);
      writeTail(http, cluster);
      events.log("kill -9 of every node, then tear the last record of the newest acceptor log of each by a few bytes");
      cluster.killAll();
      for (int i = 1; i <= cluster.size(); i++) events.log(tearTail(cluster.dataDir(i), random));
      cluster.startAll();
      events.log("restarted; ready after " + cluster.awaitAllReady(Duration.ofSeconds(120)).toMillis() + " ms");
      verifyAll(http, cluster, acked, "after kill -9 and a torn tail on every node (seed " + seed + ")", events);
      passed = true;
    } finally {
      if (passed && !Boolean.getBoolean("kshaka.faults.keep")) {
        FaultRun.deleteRecursively(dir.resolve("data"));
      } else {
        System.out.println("[durability " + seed + "] files kept in " + dir);
      }
    }
  }

  /**
   * Puts a unique value to each of the keys d0..d{KEYS-1}, IN_FLIGHT at a time, spread over the nodes; a put that is
   * not acknowledged is sent again (the same value: a retry cannot make a wrong state). Returns what was
   * acknowledged.
   */
  private static Map<String, Ack> writeAll(BulkHttp http, NodeCluster cluster, String tag, Events events) {
    Map<String, Ack> acked = new ConcurrentHashMap<>();
    Retries unacked = new Retries();
    long start = System.nanoTime();
    Retries.run(unacked, events, KEYS, i -> {
      String key = key(i);
      Input put = Input.put(tag + "-" + i);
      return retry(http, cluster.network(), 1 + i % cluster.size(), key, put, unacked)
          .thenAccept(r -> {
            if (r.kind() == KvHttp.Kind.OK) acked.put(key, new Ack(((Input.Put) put).value(), r.output().version()));
          });
    });
    events.log(String.format("%d of %d puts acknowledged in %.1f s (attempts not acknowledged: %s)", acked.size(),
        KEYS, (System.nanoTime() - start) / 1e9, unacked));
    assertEquals(KEYS, acked.size(), "puts not acknowledged on a healthy cluster");
    return acked;
  }

  /** Sequential puts on other keys through every node: the last records of every acceptor log belong to them. */
  private static void writeTail(BulkHttp http, NodeCluster cluster) {
    for (int i = 0; i < 60; i++) {
      int node = 1 + i % cluster.size();
      http.call(cluster.network().host(node), cluster.network().httpPort(node), "tail-" + (i % 3),
          Input.put("tail-" + i)).join();
    }
  }

  /**
   * Reads every acknowledged key through every node: the value must be there, at the acknowledged version or
   * later.
   */
  private static void verifyAll(BulkHttp http, NodeCluster cluster, Map<String, Ack> acked, String when,
      Events events) {
    Queue<String> lost = new ConcurrentLinkedQueue<>();
    AtomicLong lostCount = new AtomicLong();
    Retries retries = new Retries();
    long start = System.nanoTime();
    int nodes = cluster.size();
    Retries.run(retries, events, KEYS * nodes, i -> {
      String key = key(i / nodes);
      int node = 1 + i % nodes;
      Ack ack = acked.get(key);
      return retry(http, cluster.network(), node, key, Input.get(), retries).thenAccept(r -> {
        String problem = null;
        if (r.kind() != KvHttp.Kind.OK) {
          problem = "no answer (" + r.status() + " " + r.detail() + ")";
        } else {
          Output.Value v = (Output.Value) r.output();
          if (!ack.value().equals(v.value()) || v.version() < ack.version()) {
            problem = "read " + (v.value() == null ? "absent" : "\"" + v.value() + "\"") + " v" + v.version();
          }
        }
        if (problem != null) {
          lostCount.incrementAndGet();
          if (lost.size() < 20) {
            lost.add(key + " via node " + node + ": acknowledged \"" + ack.value() + "\" v" + ack.version() + ", "
                + problem);
          }
        }
      });
    });
    events.log(String.format("verified %d reads %s in %.1f s: %d lost, reads retried: %s", KEYS * nodes, when,
        (System.nanoTime() - start) / 1e9, lostCount.get(), retries));
    assertTrue(lost.isEmpty(), lostCount.get() + " acknowledged writes not read back " + when + ", e.g.:\n"
        + String.join("\n", lost));
  }

  /** Sends {@code input} until it gets a result (not 503/504/timeout), 50 ms apart, for up to 30 s. */
  private static CompletableFuture<KvHttp.Result> retry(BulkHttp http, NodeNetwork net, int node, String key,
      Input input, Retries failures) {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    return attempt(http, net, node, key, input, failures, deadline);
  }

  private static CompletableFuture<KvHttp.Result> attempt(BulkHttp http, NodeNetwork net, int node, String key,
      Input input, Retries failures, long deadline) {
    return http.call(net.host(node), net.httpPort(node), key, input).thenCompose(r -> {
      if (r.kind() == KvHttp.Kind.OK || System.nanoTime() > deadline) return CompletableFuture.completedFuture(r);
      failures.add(r);
      Executor later = CompletableFuture.delayedExecutor(50, TimeUnit.MILLISECONDS);
      return CompletableFuture.supplyAsync(() -> null, later)
          .thenCompose(v -> attempt(http, net, node, key, input, failures, deadline));
    });
  }

  /** Answers that were not results, counted by kind: what a slow or failed phase reports. */
  private static final class Retries {
    private final Map<String, AtomicLong> byKind = new ConcurrentHashMap<>();

    void add(KvHttp.Result r) {
      String detail = r.detail() == null ? "" : " " + r.detail();
      String kind = r.status() + (detail.length() > 60 ? detail.substring(0, 60) + "..." : detail);
      byKind.computeIfAbsent(kind, k -> new AtomicLong()).incrementAndGet();
    }

    /** Runs a phase; if it does not finish in time, the failure says what the retried answers were. */
    static void run(Retries retries, Events events, int count, IntFunction<CompletableFuture<?>> op) {
      try {
        BulkHttp.run(count, IN_FLIGHT, STALL, PHASE_CAP, op);
      } catch (IllegalStateException e) {
        String message = e.getMessage() + "; answers retried: " + retries;
        events.log(message);
        throw new IllegalStateException(message, e);
      }
    }

    @Override
    public String toString() {
      if (byKind.isEmpty()) return "none";
      StringBuilder out = new StringBuilder();
      byKind.entrySet().stream()
          .sorted((a, b) -> Long.compare(b.getValue().get(), a.getValue().get()))
          .limit(4)
          .forEach(e -> out.append(out.length() == 0 ? "" : ", ").append(e.getValue().get()).append(" x ")
              .append(e.getKey()));
      return out.toString();
    }
  }

  private static String key(int i) {
    return "d" + i;
  }

  /** Log segments of the file store: {@code log-NNNNNN.bin}, appended to in number order (FileAcceptorStore). */
  private static final Pattern SEGMENT = Pattern.compile("log-(\\d+)\\.bin");

  /**
   * Tears the last record of the newest acceptor log segment under {@code dataDir} (the highest number: the only one
   * appended to) by 1..7 bytes, as a crash in the middle of its last write would leave it: the bytes are cut off, or,
   * when the segment ends in preallocated space (zero bytes, as a kill -9 leaves it), zeroed. Returns what it did.
   */
  static String tearTail(Path dataDir, Random random) {
    Path newest = null;
    long newestNumber = -1;
    try (Stream<Path> files = Files.list(dataDir)) {
      for (Path p : files.toList()) {
        Matcher m = SEGMENT.matcher(p.getFileName().toString());
        if (m.matches() && Long.parseLong(m.group(1)) > newestNumber) {
          newestNumber = Long.parseLong(m.group(1));
          newest = p;
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    if (newest == null) throw new IllegalStateException("no acceptor log segment in " + dataDir + ": " + list(dataDir));
    try (FileChannel ch = FileChannel.open(newest, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
      long size = ch.size();
      long end = dataEnd(ch);
      if (end < 2) return "newest segment " + newest + " holds " + end + " bytes of records: nothing to tear";
      int cut = 1 + random.nextInt((int) Math.min(7, end - 1));
      if (end == size) {
        ch.truncate(size - cut);
      } else {
        ch.write(ByteBuffer.allocate(cut), end - cut);
      }
      ch.force(true);
      return (end == size ? "cut " : "zeroed ") + cut + " bytes at the end of the records of " + newest + " ("
          + end + " of " + size + " bytes)";
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Offset just after the last non-zero byte of the file. */
  private static long dataEnd(FileChannel ch) throws IOException {
    ByteBuffer buf = ByteBuffer.allocate(64 * 1024);
    long end = ch.size();
    while (end > 0) {
      long from = Math.max(0, end - buf.capacity());
      buf.clear().limit((int) (end - from));
      while (buf.hasRemaining() && ch.read(buf, from + buf.position()) > 0) { }
      for (int i = buf.position() - 1; i >= 0; i--) {
        if (buf.get(i) != 0) return from + i + 1;
      }
      end = from;
    }
    return 0;
  }

  private static long size(Path p) {
    try {
      return Files.size(p);
    } catch (IOException e) {
      return -1;
    }
  }

  private static List<String> list(Path dir) {
    List<String> out = new ArrayList<>();
    try (Stream<Path> files = Files.walk(dir)) {
      files.forEach(p -> out.add(dir.relativize(p) + " " + size(p)));
    } catch (IOException e) {
      out.add(e.toString());
    }
    return out;
  }
}
