package io.kshaka.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.kshaka.client.KshakaClient;
import io.kshaka.client.KshakaClientOptions;
import io.kshaka.client.KshakaException;
import io.kshaka.client.Versioned;
import io.vertx.core.Future;
import io.vertx.core.internal.VertxInternal;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two Kshaka clusters, namespaces "blue" and "green", each of nodes 1, 2 and 3, run side by side in one Vert.x
 * (Hazelcast) cluster of six members: a write through one namespace's client lands in that cluster only, the same
 * key holds a different value in each, and each stays available with one of its nodes gone.
 */
class NamespaceTest {
  @TempDir
  Path dir;

  private static <T> T await(Future<T> f) {
    return TestCluster.await(f);
  }

  private static String value(KshakaClient client, String key) {
    Versioned v = await(client.get(key));
    return v.present() ? v.asString() : null;
  }

  @Test
  void twoNamespacesShareOneVertxClusterAndNeitherSeesTheOthersWrites() {
    TestCluster all = TestCluster.create(dir, 6, new JsonObject());
    try (all) {
      // members 1-3: blue nodes 1-3; members 4-6: green nodes 1-3 (the same node ids, other addresses)
      all.startAll(i -> all.config(i).put("nodeId", i <= 3 ? i : i - 3).put("namespace", i <= 3 ? "blue" : "green")
          .put("acceptors", new JsonArray().add(1).add(2).add(3)));
      assertEquals(6, ((VertxInternal) all.vertx(1)).clusterManager().getNodes().size(), "one Vert.x cluster");

      // each client runs in a member of the other namespace: requests cross the shared cluster
      KshakaClient blue = KshakaClient.create(all.vertx(4), new KshakaClientOptions().setNamespace("blue"));
      KshakaClient green = KshakaClient.create(all.vertx(1), new KshakaClientOptions().setNamespace("green"));
      await(blue.put("shared", "blue value"));
      await(green.put("shared", "green value"));
      assertEquals("blue value", value(blue, "shared"));
      assertEquals("green value", value(green, "shared"));
      await(blue.put("blue-only", "b"));
      assertEquals(null, value(green, "blue-only"), "green never saw blue's key");

      // the HTTP API of each node serves its own namespace's data
      for (int i = 1; i <= 6; i++) {
        Http.Response r = Http.get(all.url(i) + "/v1/kv/shared");
        assertEquals(200, r.status(), r.body());
        assertEquals(i <= 3 ? "blue value" : "green value", r.body(), "node " + i);
      }

      // change functions go to the local node of the client's namespace (its own address and codec)
      KshakaClient greenLocal = KshakaClient.create(all.vertx(4), new KshakaClientOptions().setNamespace("green"));
      Versioned changed = await(greenLocal.change("shared",
          current -> (new String(current, StandardCharsets.UTF_8) + "!").getBytes(StandardCharsets.UTF_8)));
      assertEquals("green value!", changed.asString());
      assertEquals("blue value", value(blue, "shared"));

      // nothing listens on the default namespace
      KshakaClient none = KshakaClient.create(all.vertx(1),
          new KshakaClientOptions().setSendTimeoutMs(500).setDeadlineMs(2_000));
      Throwable failed = assertThrows(IllegalStateException.class, () -> await(none.get("shared")));
      assertInstanceOf(KshakaException.class, failed.getCause());

      // both stay available with one node of each gone
      all.stopNode(3);
      all.stopNode(6);
      for (int i = 0; i < 20; i++) {
        await(blue.put("after-" + i, "blue " + i));
        await(green.put("after-" + i, "green " + i));
      }
      for (int i = 0; i < 20; i++) {
        assertEquals("blue " + i, value(blue, "after-" + i));
        assertEquals("green " + i, value(green, "after-" + i));
      }
    }
  }
}
