package io.kshaka;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kshaka.cluster.NodeConfig;
import io.kshaka.it.TestCluster;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link NodeRunner} as {@code ./run.sh node} uses it: a join that fails is tried again with a fresh member, and the
 * store read during the join is taken over.
 */
class NodeRunnerTest {
  @TempDir
  Path dir;

  @Test
  void aNodeWhoseJoinFailsTriesAgainAndServesOnceItJoins() throws Exception {
    int hzPort = TestCluster.freePort();
    int httpPort = TestCluster.freePort();
    NodeConfig config = NodeConfig.fromJson(new JsonObject()
        .put("nodeId", 1)
        .put("dataDir", dir.toString())
        .put("http", new JsonObject().put("host", "127.0.0.1").put("port", httpPort))
        .put("cluster", new JsonObject().put("name", "runner-" + hzPort).put("host", "127.0.0.1").put("port", hzPort)
            .put("members", new JsonArray().add("127.0.0.1:" + hzPort)))
        .put("acceptors", new JsonArray().add(1)));
    NodeRunner runner = new NodeRunner(config);
    CompletableFuture<Void> started;
    // something else holds the node's Hazelcast port: its member cannot start, so the join fails
    try (ServerSocket squatter = new ServerSocket(hzPort, 50, InetAddress.getByName("127.0.0.1"))) {
      started = CompletableFuture.runAsync(() -> {
        try {
          runner.start();
        } catch (Exception e) {
          throw new IllegalStateException(e);
        }
      });
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
      while (runner.failedJoins() < 2 && !started.isDone() && System.nanoTime() < deadline) {
        LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(50));
      }
      assertTrue(runner.failedJoins() >= 2, "the failed join was tried again (" + runner.failedJoins() + ")");
    }
    try {
      started.get(100, TimeUnit.SECONDS); // the port is free now: the next attempt joins
      awaitReady(HttpClient.newHttpClient(), httpPort); // on a later attempt
    } finally {
      runner.stop(Duration.ofSeconds(30));
    }
  }

  /**
   * A node restarted on its data reads its store while it joins and takes that over (its files are unchanged; the
   * node's own identity and membership files, written during the start, do not count), with every write in it; a
   * store below the threshold is read at deploy instead.
   */
  @Test
  void aRestartedNodeTakesOverTheStoreItReadWhileJoining() throws Exception {
    int hzPort = TestCluster.freePort();
    int httpPort = TestCluster.freePort();
    NodeConfig config = NodeConfig.fromJson(new JsonObject()
        .put("nodeId", 1)
        .put("dataDir", dir.toString())
        .put("http", new JsonObject().put("host", "127.0.0.1").put("port", httpPort))
        .put("cluster", new JsonObject().put("name", "runner-" + hzPort).put("host", "127.0.0.1").put("port", hzPort)
            .put("members", new JsonArray().add("127.0.0.1:" + hzPort)))
        .put("acceptors", new JsonArray().add(1)));
    HttpClient http = HttpClient.newHttpClient();
    URI key = URI.create("http://127.0.0.1:" + httpPort + "/v1/kv/kept");
    for (int start = 1; start <= 3; start++) {
      // starts 1 and 2 read ahead however small the store; start 3 has the default threshold, far above this store
      NodeRunner runner = start < 3 ? new NodeRunner(config, 1) : new NodeRunner(config);
      runner.start();
      try {
        awaitReady(http, httpPort);
        if (start == 1) {
          HttpResponse<String> put = http.send(HttpRequest.newBuilder(key).timeout(Duration.ofSeconds(30))
              .PUT(HttpRequest.BodyPublishers.ofString("across restarts")).build(), HttpResponse.BodyHandlers.ofString());
          assertEquals(200, put.statusCode(), put.body());
        } else {
          assertEquals(start == 2, runner.storeTakenOver(), "start " + start + " took over a store read ahead");
          HttpResponse<String> get = http.send(HttpRequest.newBuilder(key).timeout(Duration.ofSeconds(30)).build(),
              HttpResponse.BodyHandlers.ofString());
          assertEquals(200, get.statusCode(), get.body());
          assertEquals("across restarts", get.body());
        }
      } finally {
        runner.stop(Duration.ofSeconds(30));
      }
    }
  }

  private static void awaitReady(HttpClient http, int httpPort) throws InterruptedException {
    HttpRequest ready = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + httpPort + "/ready"))
        .timeout(Duration.ofSeconds(10)).build();
    int status = 0;
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (status != 200 && System.nanoTime() < deadline) {
      try {
        status = http.send(ready, HttpResponse.BodyHandlers.discarding()).statusCode();
      } catch (java.io.IOException e) {
        status = 0;
      }
      if (status != 200) LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(100));
    }
    assertEquals(200, status, "/ready");
  }
}
