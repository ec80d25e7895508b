package io.kshaka.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Three real clustered nodes in this JVM, exercised through HTTP as a user would. */
class ClusterTest {
  @TempDir
  static Path dir;

  static TestCluster cluster;

  @BeforeAll
  static void start() {
    cluster = TestCluster.start(dir, 3, new JsonObject().put("requestTimeoutMs", 5_000));
  }

  @AfterAll
  static void stop() {
    if (cluster != null) cluster.close();
  }

  static String kv(int node, String key) {
    return cluster.url(node) + "/v1/kv/" + key;
  }

  @Test
  void putThenGetThroughAnyNodeReturnsValueAndVersion() {
    Http.Response put = Http.put(kv(1, "greeting"), "hello");
    assertEquals(200, put.status(), put.body());
    assertEquals(1, put.json().getLong("version"));
    for (int node = 1; node <= 3; node++) {
      Http.Response get = Http.get(kv(node, "greeting"));
      assertEquals(200, get.status());
      assertEquals("hello", get.body());
      assertEquals("\"1\"", get.etag());
    }
  }

  @Test
  void getOfAbsentKeyIs404WithItsVersion() {
    Http.Response r = Http.get(kv(2, "never-written"));
    assertEquals(404, r.status());
    assertEquals(0, r.json().getLong("version"));
    Http.put(kv(2, "deleted-key"), "x");
    Http.Response del = Http.send("DELETE", kv(3, "deleted-key"), null);
    assertEquals(200, del.status(), del.body());
    assertEquals(2, del.json().getLong("version"));
    Http.Response gone = Http.get(kv(1, "deleted-key"));
    assertEquals(404, gone.status());
    assertEquals(2, gone.json().getLong("version"));
  }

  @Test
  void casConflictGives412AndChangesNothing() {
    Http.put(kv(1, "cas"), "v1");
    Http.Response ok = Http.put(kv(2, "cas"), "v2", "If-Match", "\"1\"");
    assertEquals(200, ok.status(), ok.body());
    assertEquals(2, ok.json().getLong("version"));
    Http.Response stale = Http.put(kv(3, "cas"), "v3", "If-Match", "\"1\"");
    assertEquals(412, stale.status(), stale.body());
    assertEquals("version_mismatch", stale.json().getString("error"));
    assertEquals(2, stale.json().getLong("version"));
    Http.Response get = Http.get(kv(1, "cas"));
    assertEquals("v2", get.body());
    assertEquals("\"2\"", get.etag());
  }

  @Test
  void createOnlyPutFailsWhenPresent() {
    assertEquals(200, Http.put(kv(1, "create"), "a", "If-None-Match", "*").status());
    Http.Response again = Http.put(kv(2, "create"), "b", "If-None-Match", "*");
    assertEquals(412, again.status());
    assertEquals(1, again.json().getLong("version"));
    assertEquals("a", Http.get(kv(3, "create")).body());
  }

  @Test
  void addCountsFromZeroAndRefusesNonIntegers() {
    Http.Response a = Http.send("POST", kv(1, "counter") + "?op=add&delta=5", null);
    assertEquals(200, a.status(), a.body());
    assertEquals("5", a.json().getString("value"));
    Http.Response b = Http.send("POST", kv(2, "counter") + "?op=add&delta=-2", null);
    assertEquals("3", b.json().getString("value"));
    assertEquals(2, b.json().getLong("version"));
    Http.put(kv(1, "text"), "abc");
    Http.Response bad = Http.send("POST", kv(3, "text") + "?op=add&delta=1", null);
    assertEquals(409, bad.status(), bad.body());
    assertEquals("abc", Http.get(kv(1, "text")).body());
  }

  @Test
  void sixtyFourConcurrentAddsThroughThreeNodesEndAtExactly64() {
    List<CompletableFuture<Http.Response>> all = new ArrayList<>();
    for (int i = 0; i < 64; i++) {
      all.add(Http.sendAsync("POST", kv(1 + i % 3, "hot") + "?op=add&delta=1", null));
    }
    for (CompletableFuture<Http.Response> f : all) assertEquals(200, f.join().status(), f.join().body());
    Http.Response get = Http.get(kv(2, "hot"));
    assertEquals("64", get.body());
    assertEquals("\"64\"", get.etag());
  }

  @Test
  void operationalEndpointsAnswer() {
    assertEquals(200, Http.get(cluster.url(1) + "/health").status());
    assertEquals(200, Http.get(cluster.url(2) + "/ready").status());
    Http.Response info = Http.get(cluster.url(3) + "/v1/cluster");
    assertEquals(200, info.status());
    assertEquals(3, info.json().getInteger("nodeId"));
    assertEquals(3, info.json().getJsonArray("reachable").size());
    Http.put(kv(1, "metered"), "x");
    Http.Response metrics = Http.get(cluster.url(1) + "/metrics");
    assertEquals(200, metrics.status());
    assertTrue(metrics.body().contains("kshaka_proposer_rounds"), "proposer metrics missing");
    assertTrue(metrics.body().contains("kshaka_store_flush"), "store metrics missing");
  }

  /**
   * The latency breakdown an operator reads in /metrics: node 1 times the requests it forwards to each other home,
   * and a home times each acceptor's round trips. A key homed on each of nodes 2 and 3 is put through node 1.
   */
  @Test
  void forwardAndAcceptorRoundTripsAreTimedPerNode() {
    List<Integer> nodes = List.of(1, 2, 3);
    for (int home : List.of(2, 3)) {
      String key = null;
      for (int i = 0; key == null; i++) {
        if (io.kshaka.cluster.KvRouter.home("timed-" + i, nodes) == home) key = "timed-" + i;
      }
      assertEquals(200, Http.put(kv(1, key), "x").status());
      assertTrue(sample(cluster.url(1), "kshaka_router_forward_seconds_count{home=\"" + home + "\"}") >= 1,
          "node 1 did not time its forward to home " + home);
      for (int acceptor : nodes) {
        assertTrue(sample(cluster.url(home), "kshaka_proposer_acceptor_seconds_count{acceptor=\"" + acceptor
            + "\"}") >= 1, "home " + home + " did not time acceptor " + acceptor);
      }
    }
    // node 1 forwarded nothing to itself
    assertEquals(-1, sample(cluster.url(1), "kshaka_router_forward_seconds_count{home=\"1\"}"));
  }

  /** The value of one Prometheus sample line of a node's /metrics (series and labels as printed), or -1. */
  private static double sample(String nodeUrl, String series) {
    for (String line : Http.get(nodeUrl + "/metrics").body().split("\n")) {
      if (line.startsWith(series + " ")) return Double.parseDouble(line.substring(series.length() + 1).trim());
    }
    return -1;
  }

  @Test
  void badInputGetsA4xxWithJsonBody() {
    Http.Response badIfMatch = Http.put(kv(1, "k"), "v", "If-Match", "nope");
    assertEquals(400, badIfMatch.status());
    assertTrue(badIfMatch.json().containsKey("error"));
    Http.Response badDelta = Http.send("POST", kv(1, "k") + "?op=add&delta=x", null);
    assertEquals(400, badDelta.status());
    Http.Response badOp = Http.send("POST", kv(1, "k") + "?op=frobnicate", null);
    assertEquals(400, badOp.status());
    Http.Response emptyKey = Http.get(cluster.url(1) + "/v1/kv/");
    assertEquals(400, emptyKey.status());
    Http.Response tooLong = Http.get(kv(1, "k".repeat(513)));
    assertEquals(400, tooLong.status());
    Http.Response tooBig = Http.put(kv(1, "big"), "x".repeat((1 << 20) + 1));
    assertEquals(413, tooBig.status());
    // A huge declared body is refused from its headers alone, without waiting for the bytes.
    assertEquals(413, Http.rawStatus(cluster.httpPort(1),
        "PUT /v1/kv/big HTTP/1.1\r\nHost: x\r\nContent-Length: 10000000000\r\n\r\n"));
    assertEquals(404, Http.get(kv(2, "big")).status());
  }
}
