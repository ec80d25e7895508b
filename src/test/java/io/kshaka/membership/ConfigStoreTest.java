package io.kshaka.membership;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kshaka.core.ClusterConfig;
import io.kshaka.core.QuorumSpec;
import io.kshaka.storage.FileAcceptorStore;
import io.kshaka.storage.StoreOptions;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigStoreTest {
  @TempDir
  Path dir;
  Vertx vertx;

  @BeforeEach
  void start() {
    vertx = Vertx.vertx();
  }

  @AfterEach
  void stop() throws Exception {
    vertx.close().await(30, TimeUnit.SECONDS);
  }

  @Test
  void configAndIdentitySurviveAReopen() throws Exception {
    ConfigStore store = new ConfigStore(vertx, dir.toString());
    ConfigStore.Stored empty = store.load().await(30, TimeUnit.SECONDS);
    assertNull(empty.config());
    assertNull(empty.identity());
    ClusterConfig c = ClusterConfig.bootstrap("c-1", QuorumSpec.majority(List.of(1, 2, 3)))
        .next(new QuorumSpec(Set.of(1, 2, 3), 2, Set.of(1, 2, 3, 4), 3), Map.of(4, 2L)).fenced(77, 1234);
    Identity id = new Identity("c-1", 2, 3, true);
    store.saveConfig(c).await(30, TimeUnit.SECONDS);
    store.saveIdentity(id).await(30, TimeUnit.SECONDS);
    ConfigStore.Stored back = new ConfigStore(vertx, dir.toString()).load().await(30, TimeUnit.SECONDS);
    assertEquals(c, back.config());
    assertEquals(id, back.identity());
    assertTrue(Files.list(dir).noneMatch(p -> p.toString().endsWith(ConfigStore.TEMP_SUFFIX)), "no temporary file left");
  }

  @Test
  void aMalformedFileStopsTheNodeNamingTheFile() throws Exception {
    Files.writeString(dir.resolve(ConfigStore.CONFIG_FILE), "{\"clusterId\": \"x\", \"epoch\": ");
    Throwable t = assertFails(new ConfigStore(vertx, dir.toString()));
    assertTrue(t.getMessage().contains(dir.resolve(ConfigStore.CONFIG_FILE).toString()), t.getMessage());
    Files.delete(dir.resolve(ConfigStore.CONFIG_FILE));
    Files.writeString(dir.resolve(ConfigStore.IDENTITY_FILE), "{\"clusterId\": \"x\", \"nodeId\": 1}");
    t = assertFails(new ConfigStore(vertx, dir.toString()));
    assertTrue(t.getMessage().contains(dir.resolve(ConfigStore.IDENTITY_FILE).toString()), t.getMessage());
  }

  @Test
  void theAcceptorStoreOpeningInTheSameDirectoryLeavesAConfigFileBeingWrittenAlone() throws Exception {
    // At a node's start the membership writes cluster.json while the acceptor store opens in the same directory
    // and deletes the temporary files of its own unfinished snapshots: it must not take the membership's.
    Path writing = dir.resolve(ConfigStore.CONFIG_FILE + ConfigStore.TEMP_SUFFIX);
    Files.writeString(writing, "{}");
    FileAcceptorStore acceptors = new FileAcceptorStore(vertx, StoreOptions.defaults(dir.toString()));
    Context owner = vertx.getOrCreateContext(); // the store is opened and closed on its owner's context
    onContext(owner, acceptors::open);
    try {
      assertTrue(Files.exists(writing), "the acceptor store deleted " + writing);
      ClusterConfig c = ClusterConfig.bootstrap("c-1", QuorumSpec.majority(List.of(1, 2, 3)));
      new ConfigStore(vertx, dir.toString()).saveConfig(c).await(30, TimeUnit.SECONDS);
      assertEquals(c, new ConfigStore(vertx, dir.toString()).load().await(30, TimeUnit.SECONDS).config());
    } finally {
      onContext(owner, acceptors::close);
    }
  }

  private static void onContext(Context context, Supplier<Future<Void>> action) throws Exception {
    Promise<Void> done = Promise.promise();
    context.runOnContext(v -> action.get().onComplete(done));
    done.future().await(30, TimeUnit.SECONDS);
  }

  private static Throwable assertFails(ConfigStore store) {
    try {
      store.load().await(30, TimeUnit.SECONDS);
    } catch (Exception e) {
      return e;
    }
    throw new AssertionError("load succeeded");
  }
}
