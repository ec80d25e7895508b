package io.kshaka.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.kshaka.client.KshakaClient;
import io.kshaka.cluster.HazelcastSetup;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.internal.VertxInternal;
import io.vertx.core.json.JsonObject;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A node started with {@code cluster.busPort} listens for the clustered event bus there, and is reached there. */
class BusPortTest {
  @TempDir
  Path dir;

  @Test
  void aNodeWithAFixedBusPortListensThereAndOtherMembersReachIt() {
    try (TestCluster cluster = TestCluster.start(dir, 1, new JsonObject())) {
      int busPort = TestCluster.freePort();
      JsonObject config = cluster.config(1);
      config.getJsonObject("cluster").put("busPort", busPort);
      cluster.stopNode(1);
      cluster.startNode(1, config);

      assertEquals(busPort, ((VertxInternal) cluster.vertx(1)).clusterManager().getNodeInfo().port(),
          "the port the node announces to the cluster");
      assertThrows(IOException.class, () -> {
        try (ServerSocket s = new ServerSocket()) {
          s.bind(new InetSocketAddress("127.0.0.1", busPort));
        }
      }, "the node listens on " + busPort);

      JsonObject c = config.getJsonObject("cluster");
      List<String> members = new ArrayList<>();
      c.getJsonArray("members").forEach(m -> members.add((String) m));
      var hz = HazelcastSetup.hazelcast(c.getString("name"), "127.0.0.1", TestCluster.freePort(), members);
      hz.setLiteMember(true);
      Vertx app = TestCluster.await(Vertx.builder()
          .with(new VertxOptions().setEventBusOptions(new io.vertx.core.eventbus.EventBusOptions()
              .setHost("127.0.0.1").setPort(0)))
          .withClusterManager(new HazelcastClusterManager(hz))
          .buildClustered());
      try {
        KshakaClient client = KshakaClient.create(app);
        assertEquals(1, TestCluster.await(client.put("bus-port-key", "over the fixed port")).version());
        assertEquals("over the fixed port", TestCluster.await(client.get("bus-port-key")).asString());
      } finally {
        TestCluster.await(app.close());
      }
    }
  }
}
