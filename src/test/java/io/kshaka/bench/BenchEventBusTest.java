package io.kshaka.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.hazelcast.config.Config;
import com.hazelcast.config.JoinConfig;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonObject;
import io.vertx.spi.cluster.hazelcast.ConfigUtil;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * Runs the bench with {@code --event-bus} against a clustered Vert.x member (in this JVM, random cluster name)
 * whose {@code kshaka.kv} consumer keeps registers in memory and fails like the contract: 412 on a version mismatch.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class BenchEventBusTest {
  private static Vertx member;
  private static int memberPort;
  private static final String CLUSTER = "bench-test-" + UUID.randomUUID();

  @TempDir
  Path dir;

  @BeforeAll
  static void startMember() throws Exception {
    quietLogs();
    memberPort = freePort();
    Config config = ConfigUtil.loadConfig();
    config.setClusterName(CLUSTER);
    config.setProperty("hazelcast.phone.home.enabled", "false");
    config.setProperty("hazelcast.wait.seconds.before.join", "0");
    config.setProperty("hazelcast.socket.bind.any", "false");
    config.setProperty("hazelcast.partition.count", "11"); // faster start; the bench must be told the same
    config.getNetworkConfig().setPort(memberPort).setPortAutoIncrement(false);
    config.getNetworkConfig().getInterfaces().setEnabled(true).addInterface("127.0.0.1");
    JoinConfig join = config.getNetworkConfig().getJoin();
    join.getMulticastConfig().setEnabled(false);
    join.getAutoDetectionConfig().setEnabled(false);
    join.getTcpIpConfig().setEnabled(true).setMembers(List.of("127.0.0.1:" + memberPort));
    member = await(Vertx.builder().withClusterManager(new HazelcastClusterManager(config)).buildClustered(), 60);
    Map<String, JsonObject> store = new HashMap<>(); // only touched by the consumer's context
    MessageConsumer<JsonObject> consumer =
        member.eventBus().consumer(EventBusTarget.ADDRESS, msg -> handle(store, msg));
    await(consumer.completion(), 10);
  }

  @AfterAll
  static void closeMember() throws Exception {
    if (member != null) await(member.close(), 30);
  }

  @Test
  void mixedOpsOverTheEventBus() throws Exception {
    Path json = dir.resolve("bus.json");
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code = BenchCommand.run(new PrintWriter(out, true), new PrintWriter(err, true), "--event-bus",
        "--members", "127.0.0.1:" + memberPort, "--cluster-name", CLUSTER,
        "--hz-property", "hazelcast.partition.count=11", "--cluster-port",
        String.valueOf(freePort()), "--clients", "6", "--hot-key", "--mix", "get=25,put=25,cas=25,add=25",
        "--duration", "1.5", "--warmup", "0.3", "--timeout", "2000", "--seed", "3", "--json", json.toString());
    System.out.println(out); // into the surefire report, for reading
    assertEquals(0, code, () -> "stdout:\n" + out + "\nstderr:\n" + err);
    JsonObject r = new JsonObject(Files.readString(json));
    assertEquals("event-bus", r.getString("target"));
    assertTrue(r.getLong("ops") > 0, r.encode());
    assertEquals(0L, r.getLong("errors"), () -> r.getJsonObject("errorsByKind").encode());
    assertTrue(r.getLong("conflicts") > 0, "6 clients doing cas on one key must conflict sometimes: " + r.encode());
    JsonObject l = r.getJsonObject("latencyUs");
    assertTrue(l.getLong("p50") <= l.getLong("p99") && l.getLong("p99") <= l.getLong("p999")
        && l.getLong("p999") <= l.getLong("max"), l.encode());
  }

  @Test
  void noClusterExitsWithOne() throws Exception {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    // a member address where nothing listens: the bench, a lite member, cannot form a cluster on its own (it
    // fails at once, or runs into --join-timeout on a busy machine: both say the same)
    int code = BenchCommand.run(new PrintWriter(out, true), new PrintWriter(err, true), "--event-bus",
        "--members", "127.0.0.1:" + freePort(), "--cluster-name", "bench-test-" + UUID.randomUUID(),
        "--cluster-port", String.valueOf(freePort()), "--join-timeout", "4", "--duration", "1");
    assertEquals(1, code, () -> "stdout:\n" + out + "\nstderr:\n" + err);
    assertTrue(err.toString().contains("could not join the cluster"), err.toString());
    assertTrue(err.toString().contains("is the cluster running"), err.toString());
  }

  /** The event-bus contract in memory: get/put/cas/add on a JSON register {value: base64, version}. */
  private static void handle(Map<String, JsonObject> store, Message<JsonObject> msg) {
    JsonObject req = msg.body();
    String key = req.getString("key");
    JsonObject cur = store.getOrDefault(key, new JsonObject().put("version", 0L));
    long version = cur.getLong("version");
    switch (req.getString("op")) {
      case "get":
        msg.reply(cur.copy());
        break;
      case "put":
        store.put(key, new JsonObject().put("value", req.getString("value")).put("version", version + 1));
        msg.reply(new JsonObject().put("version", version + 1));
        break;
      case "cas":
        if (req.getLong("version") != version) {
          msg.fail(412, new JsonObject().put("error", "version_mismatch").put("version", version).encode());
        } else {
          store.put(key, new JsonObject().put("value", req.getString("value")).put("version", version + 1));
          msg.reply(new JsonObject().put("version", version + 1));
        }
        break;
      case "add":
        String v = cur.getString("value");
        long n = v == null ? 0 : Long.parseLong(new String(Base64.getDecoder().decode(v), StandardCharsets.UTF_8));
        String sum = Base64.getEncoder().encodeToString(
            Long.toString(n + req.getLong("delta")).getBytes(StandardCharsets.UTF_8));
        store.put(key, new JsonObject().put("value", sum).put("version", version + 1));
        msg.reply(new JsonObject().put("value", sum).put("version", version + 1));
        break;
      default:
        msg.fail(400, new JsonObject().put("error", "bad_request").encode());
    }
  }

  /** Hazelcast and Netty at DEBUG would fill the test log; keep INFO and above. */
  private static void quietLogs() {
    org.slf4j.Logger root = LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    if (root instanceof ch.qos.logback.classic.Logger) {
      ((ch.qos.logback.classic.Logger) root).setLevel(ch.qos.logback.classic.Level.INFO);
    }
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  private static <T> T await(Future<T> f, long seconds) throws Exception {
    return f.toCompletionStage().toCompletableFuture().get(seconds, TimeUnit.SECONDS);
  }
}
