package io.kshaka.faults;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.management.UnixOperatingSystemMXBean;
import io.kshaka.check.Input;
import io.kshaka.check.Output;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.lang.management.OperatingSystemMXBean;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.Random;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Malformed and hostile HTTP, byte for byte over raw sockets, against a live node: the node answers each with a 4xx
 * or closes the connection, never a 5xx; it never crashes; it stays ready throughout (a monitor polls
 * {@code /ready} the whole time); and the data it stores never changes (sentinel keys are read back, value and
 * version, after every test).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class BadInputTest {
  private static final Duration READ = Duration.ofSeconds(5);
  private static final Map<String, String> SENTINELS = Map.of("s1", "sentinel-one", "s2", "sentinel-two",
      "s3", "sentinel-three", "c", "41");

  private long seed;
  private Path dir;
  private NodeNetwork network;
  private NodeCluster cluster;
  private NodeProcess node;
  private String host;
  private int port;
  private KvHttp http;
  private final Map<String, Long> versions = new LinkedHashMap<>();
  private ReadyMonitor monitor;
  private boolean failed;

  @BeforeAll
  void startOneNode() {
    seed = Long.getLong("kshaka.faults.seed", new Random().nextLong() & Long.MAX_VALUE);
    dir = FaultRun.baseDir().resolve("bad-input-" + seed);
    FaultRun.deleteRecursively(dir);
    try {
      Files.createDirectories(dir);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    network = NodeNetwork.loopback(1, null);
    cluster = new NodeCluster(dir, 1, network, null, NodeCluster.defaultJvmOptions());
    node = cluster.node(1);
    host = network.host(1);
    port = network.httpPort(1);
    cluster.startAll();
    cluster.awaitAllReady(Duration.ofSeconds(120));
    http = new KvHttp(Duration.ofSeconds(10));
    for (Map.Entry<String, String> e : SENTINELS.entrySet()) {
      KvHttp.Result r = http.call(node.baseUrl, e.getKey(), Input.put(e.getValue()));
      assertEquals(KvHttp.Kind.OK, r.kind(), r.detail());
      versions.put(e.getKey(), r.output().version());
    }
    monitor = new ReadyMonitor(node.baseUrl);
    monitor.start();
    System.out.println("[bad-input " + seed + "] node " + node.baseUrl + " (pid " + node.pid() + "), files in " + dir);
  }

  @AfterAll
  void stopNode() {
    if (monitor != null) monitor.stop();
    if (cluster != null) cluster.close();
    if (network != null) network.close();
    if (!failed && !Boolean.getBoolean("kshaka.faults.keep")) FaultRun.deleteRecursively(dir.resolve("data"));
  }

  /**
   * Puts back a sentinel that an earlier failing test changed (that test has reported it), so that each test
   * judges only what it did itself.
   */
  @BeforeEach
  void restoreSentinels() {
    for (Map.Entry<String, String> e : SENTINELS.entrySet()) {
      KvHttp.Result r = http.call(node.baseUrl, e.getKey(), Input.get());
      if (r.kind() == KvHttp.Kind.OK && r.output().equals(Output.value(e.getValue(), versions.get(e.getKey())))) {
        continue;
      }
      KvHttp.Result w = http.call(node.baseUrl, e.getKey(), Input.put(e.getValue()));
      assertEquals(KvHttp.Kind.OK, w.kind(), w.detail());
      versions.put(e.getKey(), w.output().version());
    }
  }

  // ------------------------------------------------------------------------------------------------ the tests

  @Test
  void malformedRequestsAreRefusedWithoutChangingData() {
    Random random = new Random(seed);
    Map<String, String> outcomes = new LinkedHashMap<>();
    List<String> wrong = new ArrayList<>();
    String big = "a".repeat(100_000);
    StringBuilder manyHeaders = new StringBuilder();
    for (int i = 0; i < 10_000; i++) manyHeaders.append("X-H").append(i).append(": v\r\n");
    byte[] garbage = new byte[4096];
    random.nextBytes(garbage);

    refused(outcomes, wrong, "header of 100 KB", get("/v1/kv/s1", "X-Big: " + big + "\r\n"));
    refused(outcomes, wrong, "10,000 headers", get("/v1/kv/s1", manyHeaders.toString()));
    refused(outcomes, wrong, "request line of 10,000 bytes", get("/v1/kv/" + "k".repeat(10_000), ""));
    refused(outcomes, wrong, "invalid percent-encoding in a read", get("/v1/kv/%zz", ""));
    refused(outcomes, wrong, "invalid percent-encoding in a write", put("/v1/kv/s1%zz", "", "bad"));
    refused(outcomes, wrong, "truncated percent-encoding", put("/v1/kv/s1%", "", "bad"));
    refused(outcomes, wrong, "key not UTF-8", put("/v1/kv/%ff%fe", "", "bad"));
    refused(outcomes, wrong, "overlong UTF-8 slash in a key", put("/v1/kv/s1%C0%AF", "", "bad"));
    refused(outcomes, wrong, "key of 600 bytes", put("/v1/kv/" + "k".repeat(600), "", "bad"));
    refused(outcomes, wrong, "empty key", put("/v1/kv/", "", "bad"));
    refused(outcomes, wrong, "Content-Length of 2 GB", head("PUT", "/v1/kv/s1", "Content-Length: 2000000000\r\n")
        + "x".repeat(1000));
    refused(outcomes, wrong, "negative Content-Length", head("PUT", "/v1/kv/s1", "Content-Length: -5\r\n") + "bad");
    refused(outcomes, wrong, "Content-Length not a number",
        head("PUT", "/v1/kv/s1", "Content-Length: 12abc\r\n") + "bad");
    refused(outcomes, wrong, "two different Content-Lengths",
        head("PUT", "/v1/kv/s1", "Content-Length: 3\r\nContent-Length: 4\r\n") + "evil");
    refused(outcomes, wrong, "chunk size not hex",
        head("PUT", "/v1/kv/s1", "Transfer-Encoding: chunked\r\n") + "zz\r\nbad\r\n0\r\n\r\n");
    refused(outcomes, wrong, "chunk size over 64 bits",
        head("PUT", "/v1/kv/s1", "Transfer-Encoding: chunked\r\n") + "fffffffffffffffffff\r\nbad\r\n0\r\n\r\n");
    refused(outcomes, wrong, "chunked not the last Transfer-Encoding",
        head("PUT", "/v1/kv/s1", "Transfer-Encoding: chunked, rot13\r\n") + "3\r\nbad\r\n0\r\n\r\n");
    refusedOr(outcomes, wrong, "unknown Transfer-Encoding",
        head("PUT", "/v1/kv/s1", "Transfer-Encoding: rot13\r\n") + "bad", "501");
    refusedOr(outcomes, wrong, "4 KB of random bytes", new String(garbage, StandardCharsets.ISO_8859_1), "timeout");
    refusedOr(outcomes, wrong, "unknown method", head("FOO", "/v1/kv/s1", "Content-Length: 3\r\n") + "bad", "501");
    refusedOr(outcomes, wrong, "HTTP/0.9 request line", "GET /v1/kv/s1\r\n\r\n", "timeout");
    refusedOr(outcomes, wrong, "HTTP/9.9", "PUT /v1/kv/s1 HTTP/9.9\r\nHost: t\r\nContent-Length: 3\r\n\r\nbad",
        "501", "505");
    refused(outcomes, wrong, "header without a colon", head("PUT", "/v1/kv/s1", "Broken header\r\nContent-Length: 3\r\n")
        + "bad");
    refused(outcomes, wrong, "NUL in a header value", head("PUT", "/v1/kv/s1", "X-Nul: a\0b\r\nContent-Length: 3\r\n")
        + "bad");
    refused(outcomes, wrong, "space before a header colon",
        head("PUT", "/v1/kv/s1", "Content-Length : 3\r\n") + "bad");
    refused(outcomes, wrong, "If-Match not an entity tag", put("/v1/kv/s1", "If-Match: abc\r\n", "bad"));
    refusedOr(outcomes, wrong, "If-Match over 64 bits", put("/v1/kv/s1", "If-Match: \"99999999999999999999\"\r\n",
        "bad"), "412");
    refusedOr(outcomes, wrong, "If-Match negative", put("/v1/kv/s1", "If-Match: \"-1\"\r\n", "bad"), "412");
    refused(outcomes, wrong, "If-Match and If-None-Match together",
        put("/v1/kv/s1", "If-Match: \"1\"\r\nIf-None-Match: *\r\n", "bad"));
    refused(outcomes, wrong, "delta over 64 bits", post("/v1/kv/c?op=add&delta=9223372036854775808"));
    refused(outcomes, wrong, "delta not a number", post("/v1/kv/c?op=add&delta=1e3"));
    refused(outcomes, wrong, "delta missing", post("/v1/kv/c?op=add"));
    refused(outcomes, wrong, "unknown op", post("/v1/kv/c?op=mul&delta=2"));
    refused(outcomes, wrong, "invalid percent-encoding in the query", post("/v1/kv/c?op=add&delta=%zz"));
    refused(outcomes, wrong, "sum over 64 bits", post("/v1/kv/c?op=add&delta=9223372036854775807"));
    refused(outcomes, wrong, "Expect: 100-continue over the limit",
        head("PUT", "/v1/kv/s1", "Content-Length: 2000000\r\nExpect: 100-continue\r\n"));
    refused(outcomes, wrong, "method not allowed on a key", head("PATCH", "/v1/kv/s1", "Content-Length: 3\r\n") + "bad");

    // requests that are well-formed but aimed sideways: whatever they do, the sentinels stay
    anything(outcomes, "dot segments in a key", put("/v1/kv/s1/../s2", "", "dot"));
    anything(outcomes, "encoded dot segments in a key", put("/v1/kv/s1%2F..%2Fs2", "", "dot"));
    anything(outcomes, "dot-dot key", put("/v1/kv/..", "", "dot"));
    anything(outcomes, "Content-Length and chunked together (smuggling)",
        head("PUT", "/v1/kv/x-te-cl", "Content-Length: 4\r\nTransfer-Encoding: chunked\r\n")
            + "5\r\nevil1\r\n0\r\n\r\n");

    report("malformed requests", outcomes);
    String smuggled = valueOf("x-te-cl");
    assertTrue(smuggled == null || smuggled.equals("evil1"), "Content-Length + chunked stored " + smuggled);
    assertTrue(wrong.isEmpty(), "answers that are not a refusal:\n" + String.join("\n", wrong));
    assertIntact();
  }

  @Test
  void slowBodiesWrongLengthsAndPipeliningChangeNothing() throws IOException {
    Map<String, String> outcomes = new LinkedHashMap<>();
    List<String> wrong = new ArrayList<>();

    // a chunked body over the limit, sent slowly: refused as soon as it crosses 1 MiB, before the end
    try (RawHttp c = new RawHttp(host, port, READ)) {
      c.send(head("PUT", "/v1/kv/s1", "Transfer-Encoding: chunked\r\n"));
      byte[] chunk = ("10000\r\n" + "x".repeat(0x10000) + "\r\n").getBytes(StandardCharsets.ISO_8859_1);
      String outcome = null;
      try {
        for (int i = 0; i < 40; i++) { // up to 2.5 MiB
          c.send(chunk);
          LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(40));
          if (c.socket().getInputStream().available() > 0) break;
        }
      } catch (IOException closedWhileSending) {
        outcome = "closed";
      }
      String said = c.outcome();
      outcome = outcome == null || !said.equals("closed") ? said : outcome;
      check(outcomes, wrong, "chunked body over the limit, sent slowly", outcome, "413", "closed");
    }

    // a body under the limit, sent slowly, then abandoned with a reset: nothing stored
    try (RawHttp c = new RawHttp(host, port, READ)) {
      c.send(head("PUT", "/v1/kv/s2", "Content-Length: 200000\r\n"));
      c.sendSlowly("y".repeat(100_000).getBytes(StandardCharsets.ISO_8859_1), 10_000, Duration.ofMillis(100));
      c.socket().setSoLinger(true, 0);
      outcomes.put("body sent slowly then reset", "(reset by client)");
    }

    // Content-Length larger than the body, then the end of the stream: nothing stored
    try (RawHttp c = new RawHttp(host, port, READ)) {
      c.send(head("PUT", "/v1/kv/s3", "Content-Length: 100\r\n") + "short body");
      c.shutdownOutput();
      check(outcomes, wrong, "Content-Length over the body, then EOF", c.outcome(), "closed", "400", "timeout");
    }

    // Content-Length smaller than the body: the first bytes are the value, the rest is a bad next request
    try (RawHttp c = new RawHttp(host, port, READ)) {
      c.send(head("PUT", "/v1/kv/x-short", "Content-Length: 5\r\n") + "helloGARBAGE NOT HTTP\r\n\r\n");
      String first = c.outcome();
      String second = c.outcome();
      check(outcomes, wrong, "Content-Length under the body: first answer", first, "200");
      check(outcomes, wrong, "Content-Length under the body: the rest", second, "400", "closed");
      assertEquals("hello", valueOf("x-short"), "the value is exactly Content-Length bytes");
    }

    // exactly the limit is stored; one byte more is refused
    String limit = "v".repeat(1 << 20);
    try (RawHttp c = new RawHttp(host, port, Duration.ofSeconds(15))) {
      c.send(put("/v1/kv/x-limit", "", limit));
      check(outcomes, wrong, "value of exactly 1 MiB", c.outcome(), "200");
    }
    check(outcomes, wrong, "value of 1 MiB + 1 byte",
        RawHttp.exchange(host, port, put("/v1/kv/s1", "", limit + "v"), Duration.ofSeconds(15)), "413", "closed");

    // 100 pipelined reads in one write: 100 answers, in order
    try (RawHttp c = new RawHttp(host, port, READ)) {
      StringBuilder b = new StringBuilder();
      for (int i = 0; i < 100; i++) b.append(get(i % 2 == 0 ? "/v1/kv/s1" : "/v1/kv/nothing-here", ""));
      c.send(b.toString());
      int answered = 0;
      for (int i = 0; i < 100; i++) {
        RawHttp.Response r = c.read();
        if (r == null) break;
        String expected = i % 2 == 0 ? "200" : "404";
        if (!expected.equals(Integer.toString(r.status()))) wrong.add("pipelined read " + i + ": " + r.status());
        if (i % 2 == 0 && !r.bodyText().equals(SENTINELS.get("s1"))) wrong.add("pipelined read " + i + ": " + r.bodyText());
        answered++;
      }
      outcomes.put("100 pipelined reads", answered + " answered");
      if (answered != 100) wrong.add("100 pipelined reads: " + answered + " answered");
    }

    // slow headers on 50 connections at once (slowloris), a byte every 100 ms for 3 s
    List<RawHttp> slow = new ArrayList<>();
    try {
      for (int i = 0; i < 50; i++) slow.add(new RawHttp(host, port, READ));
      byte[] request = put("/v1/kv/s1", "X-Slow: " + "s".repeat(40) + "\r\n", "bad")
          .getBytes(StandardCharsets.ISO_8859_1);
      for (int step = 0; step < 30; step++) {
        for (RawHttp c : slow) c.send(new byte[] {request[step]});
        LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(100));
      }
      KvHttp.Result r = http.call(node.baseUrl, "s1", Input.get());
      check(outcomes, wrong, "a read while 50 slow clients send headers", Integer.toString(r.status()), "200");
    } finally {
      for (RawHttp c : slow) c.close();
    }

    report("slow and mis-framed bodies", outcomes);
    assertTrue(wrong.isEmpty(), "wrong answers:\n" + String.join("\n", wrong));
    assertIntact();
  }

  @Test
  void manyIdleConnectionsNeitherStopServiceNorChangeData() throws IOException {
    int count = idleConnectionCount();
    List<RawHttp> idle = new ArrayList<>();
    long start = System.nanoTime();
    try {
      for (int i = 0; i < count; i++) {
        RawHttp c = new RawHttp(host, port, READ);
        idle.add(c);
        switch (i % 3) {
          case 0:
            break; // silent
          case 1:
            c.send("GET /v1/kv/s1 HT"); // half a request line
            break;
          default:
            c.send(head("PUT", "/v1/kv/s1", "Content-Length: 10\r\n") + "half!"); // half a body
            break;
        }
      }
      double opened = (System.nanoTime() - start) / 1e9;
      // the node keeps serving while they hang
      long readStart = System.nanoTime();
      for (int i = 0; i < 50; i++) {
        KvHttp.Result r = http.call(node.baseUrl, "s" + (1 + i % 3), Input.get());
        assertEquals(KvHttp.Kind.OK, r.kind(), "read " + i + " with " + count + " idle connections: " + r.detail());
        KvHttp.Result w = http.call(node.baseUrl, "x-busy", Input.put("busy-" + i));
        assertEquals(KvHttp.Kind.OK, w.kind(), "write " + i + " with " + count + " idle connections: " + w.detail());
      }
      System.out.printf("[bad-input %d] %d idle connections opened in %.1f s; 50 reads + 50 writes meanwhile in %.2f s%n",
          seed, count, opened, (System.nanoTime() - readStart) / 1e9);
    } finally {
      for (int i = 0; i < idle.size(); i++) {
        RawHttp c = idle.get(i);
        if (i % 2 == 0) {
          try {
            c.socket().setSoLinger(true, 0); // half of them reset, half closed
          } catch (IOException ignored) {
            // already gone
          }
        }
        c.close();
      }
    }
    // connections opened and dropped in a tight loop, each with half a request
    for (int i = 0; i < 300; i++) {
      try (RawHttp c = new RawHttp(host, port, READ)) {
        c.send(head("PUT", "/v1/kv/s2", "Content-Length: 10\r\n") + "abc");
        c.socket().setSoLinger(true, 0);
      }
    }
    assertIntact();
  }

  // ------------------------------------------------------------------------------------------------ checks

  /** The node is alive, was ready at every probe, answers normally, and every sentinel has its value and version. */
  private void assertIntact() {
    try {
      assertTrue(node.running(), "the node process exited; log tail:\n" + node.logTail(40));
      List<String> notReady = monitor.failures();
      assertTrue(notReady.isEmpty(), "the node was not ready at " + notReady.size() + " probes: " + notReady);
      for (Map.Entry<String, String> e : SENTINELS.entrySet()) {
        KvHttp.Result r = http.call(node.baseUrl, e.getKey(), Input.get());
        assertEquals(KvHttp.Kind.OK, r.kind(), "read of " + e.getKey() + ": " + r.detail());
        assertEquals(Output.value(e.getValue(), versions.get(e.getKey())), r.output(), "sentinel " + e.getKey());
      }
      assertTrue(node.ready(), "not ready at the end");
      System.out.println("[bad-input " + seed + "] node intact after " + monitor.probes() + " readiness probes");
    } catch (AssertionError e) {
      failed = true;
      throw new AssertionError("seed " + seed + ", files in " + dir + ": " + e.getMessage(), e);
    }
  }

  private void refused(Map<String, String> outcomes, List<String> wrong, String name, String request) {
    refusedOr(outcomes, wrong, name, request);
  }

  /** The request gets a 4xx (or one of {@code alsoAllowed}), or the connection is closed without an answer. */
  private void refusedOr(Map<String, String> outcomes, List<String> wrong, String name, String request,
      String... alsoAllowed) {
    String outcome = RawHttp.exchange(host, port, request, READ);
    outcomes.put(name, outcome);
    boolean ok = outcome.equals("closed") || (outcome.matches("4\\d\\d"));
    for (String a : alsoAllowed) ok |= outcome.equals(a);
    if (!ok) wrong.add(name + ": " + outcome);
  }

  /** Any answer but a 5xx. */
  private void anything(Map<String, String> outcomes, String name, String request) {
    String outcome = RawHttp.exchange(host, port, request, READ);
    outcomes.put(name, outcome);
    assertTrue(!outcome.startsWith("5") && !outcome.startsWith("connect"), name + ": " + outcome);
  }

  private static void check(Map<String, String> outcomes, List<String> wrong, String name, String outcome,
      String... allowed) {
    outcomes.put(name, outcome);
    for (String a : allowed) {
      if (a.equals(outcome)) return;
    }
    wrong.add(name + ": " + outcome + " (expected one of " + String.join(", ", allowed) + ")");
  }

  private void report(String what, Map<String, String> outcomes) {
    StringBuilder b = new StringBuilder("[bad-input " + seed + "] " + what + ":\n");
    outcomes.forEach((k, v) -> b.append(String.format("  %-50s %s%n", k, v)));
    System.out.print(b);
  }

  private String valueOf(String key) {
    KvHttp.Result r = http.call(node.baseUrl, key, Input.get());
    assertEquals(KvHttp.Kind.OK, r.kind(), r.detail());
    return ((Output.Value) r.output()).value();
  }

  /** As many idle connections as fit in the file-descriptor limits of this process (the node has the same). */
  private static int idleConnectionCount() {
    int wanted = Integer.getInteger("kshaka.badinput.connections", 1_500);
    OperatingSystemMXBean os = ManagementFactory.getOperatingSystemMXBean();
    if (os instanceof UnixOperatingSystemMXBean) {
      UnixOperatingSystemMXBean unix = (UnixOperatingSystemMXBean) os;
      long room = unix.getMaxFileDescriptorCount() - unix.getOpenFileDescriptorCount() - 512;
      if (room < wanted) {
        System.out.println("[bad-input] file descriptor limit " + unix.getMaxFileDescriptorCount() + ": only "
            + Math.max(100, room) + " idle connections");
        return (int) Math.max(100, room);
      }
    }
    return wanted;
  }

  // ------------------------------------------------------------------------------------------------ requests

  private static String head(String method, String path, String headers) {
    return method + " " + path + " HTTP/1.1\r\nHost: t\r\n" + headers + "\r\n";
  }

  private static String get(String path, String headers) {
    return head("GET", path, headers);
  }

  private static String put(String path, String headers, String body) {
    return head("PUT", path, headers + "Content-Length: " + body.getBytes(StandardCharsets.ISO_8859_1).length
        + "\r\n") + body;
  }

  private static String post(String path) {
    return head("POST", path, "Content-Length: 0\r\n");
  }

  /** Polls {@code /ready} every 200 ms on its own thread, for at most 10 minutes; remembers every failed probe. */
  private static final class ReadyMonitor {
    private final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
        .connectTimeout(Duration.ofSeconds(3)).build();
    private final String url;
    private final Queue<String> failures = new ConcurrentLinkedQueue<>();
    private volatile boolean stopping;
    private volatile long probes;
    private final Thread thread;
    private final long origin = System.nanoTime();

    ReadyMonitor(String baseUrl) {
      this.url = baseUrl + "/ready";
      this.thread = new Thread(this::run, "ready-monitor");
      thread.setDaemon(true);
    }

    void start() {
      thread.start();
    }

    void stop() {
      stopping = true;
      try {
        thread.join(10_000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }

    long probes() {
      return probes;
    }

    List<String> failures() {
      return List.copyOf(failures);
    }

    private void run() {
      long end = System.nanoTime() + TimeUnit.MINUTES.toNanos(10);
      while (!stopping && System.nanoTime() < end) {
        String failure;
        try {
          HttpRequest req = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(3)).GET().build();
          int status = client.send(req, HttpResponse.BodyHandlers.discarding()).statusCode();
          failure = status == 200 ? null : "status " + status;
        } catch (IOException e) {
          failure = e.toString();
        } catch (InterruptedException e) {
          return;
        }
        probes++;
        if (failure != null) {
          failures.add(String.format("%.1f s: %s", (System.nanoTime() - origin) / 1e9, failure));
        }
        LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(200));
      }
    }
  }
}
