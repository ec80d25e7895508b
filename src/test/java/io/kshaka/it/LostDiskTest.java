package io.kshaka.it;

import static io.kshaka.it.MembershipTest.awaitVoting;
import static io.kshaka.it.MembershipTest.waitFor;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 9's lost-disk scenario on a real 3-node cluster (A = node 1, B = node 2, C = node 3): C down, k written on A
 * and B; C back; B's dataDir deleted and B restarted; A away. Before membership, B voted with its empty store and the
 * read of k answered 404 from B and C, and a create-only put then succeeded over the acknowledged value.
 */
class LostDiskTest {
  @TempDir
  Path dir;

  @Test
  void anEmptyStoreOfANodeThatServedNeverVotesSoAnAcknowledgedWriteSurvives() {
    try (TestCluster cluster = TestCluster.start(dir, 3, new JsonObject().put("requestTimeoutMs", 2_000))) {
      awaitVoting(cluster, 1, 2, 3);
      // 1. C is down, and a put of k is acknowledged: A and B accepted it
      cluster.stopNode(3);
      Http.Response put = Http.put(cluster.url(1) + "/v1/kv/k", "acknowledged");
      assertEquals(200, put.status(), put.body());
      // 2. C comes back; B's disk is replaced and B starts on an empty dataDir
      cluster.startNode(3);
      awaitVoting(cluster, 3);
      cluster.stopNode(2);
      deleteTree(dir.resolve("node-2"));
      cluster.startNode(2);
      waitFor("B says it does not vote and how to replace it", 30_000, () -> {
        Http.Response r = Http.get(cluster.url(2) + "/ready");
        return r.status() == 503 && "not_voting".equals(r.json().getString("error"))
            && r.json().getString("message").contains("store of node 2 is empty but node 2 has served in cluster")
            && r.json().getString("message").contains("./run.sh admin replace 2");
      });
      assertFalse(cluster.verticle(2).membership().voting());
      assertTrue(cluster.verticle(2).membership().view().reason().contains("admin replace 2"));
      // 3. A is away: a read of k must not answer 404 (no quorum without A is the right answer)
      cluster.stopNode(1);
      for (int node : new int[] {2, 3}) {
        Http.Response read = Http.get(cluster.url(node) + "/v1/kv/k");
        assertNotEquals(404, read.status(), "read through node " + node + ": " + read.body());
        assertEquals(503, read.status(), read.body());
        assertEquals("no_quorum", read.json().getString("error"), read.body());
      }
      Http.Response create = Http.put(cluster.url(3) + "/v1/kv/k", "lost-it", "If-None-Match", "*");
      assertNotEquals(200, create.status(), create.body());
      // 4. A is back: the acknowledged write is read, and a create-only put of k is refused
      cluster.startNode(1);
      awaitVoting(cluster, 1);
      waitFor("k readable through node 3", 30_000, () -> Http.get(cluster.url(3) + "/v1/kv/k").status() == 200);
      for (int node = 1; node <= 3; node++) {
        assertEquals("acknowledged", Http.get(cluster.url(node) + "/v1/kv/k").body(), "read through node " + node);
      }
      Http.Response again = Http.put(cluster.url(2) + "/v1/kv/k", "lost-it", "If-None-Match", "*");
      assertEquals(412, again.status(), again.body());
      assertEquals("acknowledged", Http.get(cluster.url(3) + "/v1/kv/k").body());
      // B still waits for the replace
      assertFalse(cluster.verticle(2).membership().voting());
    }
  }

  private static void deleteTree(Path root) {
    try (Stream<Path> paths = Files.walk(root)) {
      paths.sorted(Comparator.reverseOrder()).forEach(p -> {
        try {
          Files.delete(p);
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
      });
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
