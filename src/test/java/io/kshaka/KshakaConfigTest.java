package io.kshaka;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The node's configuration through vertx-config: file &lt; KSHAKA_* environment &lt; -Dkshaka.* system properties,
 * validated with NodeConfig's messages. The environment cannot be set inside this JVM: the order test runs
 * {@code Main config FILE} in a child JVM with its environment and system properties set (the real env and sys
 * stores); the mapping rules are tested on {@link KshakaConfig#merge} directly.
 */
class KshakaConfigTest {
  @TempDir
  Path dir;

  private static JsonObject file() {
    return new JsonObject()
        .put("nodeId", 1)
        .put("dataDir", "data/node-1")
        .put("http", new JsonObject().put("host", "127.0.0.1").put("port", 8081).put("maxValueBytes", 4096))
        .put("cluster", new JsonObject().put("host", "127.0.0.1").put("port", 5701)
            .put("members", new JsonArray().add("127.0.0.1:5701")))
        .put("acceptors", new JsonArray().add(1));
  }

  /** Runs {@code Main config FILE} in a child JVM with this environment and these -D options; stdout and status. */
  private record Run(int status, String out, String err) {}

  private Run child(Path conf, Map<String, String> env, List<String> sysprops) throws Exception {
    List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-cp", System.getProperty("java.class.path"), "-Xmx96m", "-XX:TieredStopAtLevel=1"));
    cmd.addAll(sysprops);
    cmd.addAll(List.of("-Dlogback.configurationFile=" + Path.of("conf/logback.xml").toAbsolutePath(),
        "io.kshaka.Main", "config", conf.toString()));
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectOutput(dir.resolve("out.txt").toFile())
        .redirectError(dir.resolve("err.txt").toFile());
    pb.environment().keySet().removeIf(k -> k.startsWith("KSHAKA_"));
    pb.environment().putAll(env);
    Process p = pb.start();
    if (!p.waitFor(120, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new AssertionError("Main config did not finish within 120 s");
    }
    return new Run(p.exitValue(), Files.readString(dir.resolve("out.txt")), Files.readString(dir.resolve("err.txt")));
  }

  private Path write(JsonObject json) throws IOException {
    Path conf = dir.resolve("node.json");
    Files.writeString(conf, json.encodePrettily(), StandardCharsets.UTF_8);
    return conf;
  }

  @Test
  void overridesApplyInOrderFileThenEnvironmentThenSystemProperties() throws Exception {
    Path conf = write(file());
    Run run = child(conf,
        Map.of("KSHAKA_HTTP_PORT", "9001", "KSHAKA_HTTP_HOST", "10.0.0.1", "KSHAKA_HTTP_MAXVALUEBYTES", "2048",
            "KSHAKA_PROPOSER_REQUESTTIMEOUTMS", "3000", "KSHAKA_JAVA_OPTS", "-Xmx1g"),
        List.of("-Dkshaka.http.port=9002", "-Dkshaka.cluster.members=[\"10.0.0.1:5701\",\"10.0.0.2:5701\"]"));
    assertEquals(0, run.status(), run.err());
    JsonObject effective = new JsonObject(run.out());
    JsonObject http = effective.getJsonObject("http");
    assertEquals(9002, http.getInteger("port"), "system property over environment over file");
    assertEquals("10.0.0.1", http.getString("host"), "environment over file");
    assertEquals(2048, http.getInteger("maxValueBytes"), "camelCase field reached from the environment");
    assertEquals(3000, effective.getJsonObject("proposer").getInteger("requestTimeoutMs"),
        "a section the file does not have");
    assertEquals(new JsonArray().add("10.0.0.1:5701").add("10.0.0.2:5701"),
        effective.getJsonObject("cluster").getJsonArray("members"));
    assertEquals(1, effective.getInteger("nodeId"), "the rest stays as in the file");
    assertEquals(false, effective.containsKey("java"), "KSHAKA_JAVA_OPTS is not configuration");
  }

  @Test
  void badOverrideIsRefusedWithNodeConfigsMessageNamingTheOverride() throws Exception {
    Path conf = write(file());
    Run run = child(conf, Map.of("KSHAKA_HTTP_PORT", "eighty"), List.of());
    assertEquals(2, run.status(), run.out());
    assertTrue(run.err().contains("config: field 'http.port' must be an integer in 0..65535"), run.err());
    assertTrue(run.err().contains("KSHAKA_HTTP_PORT -> http.port"), run.err());
  }

  @Test
  void fileAloneGivesTheSameConfigAndValidationMessagesAsBefore() throws Exception {
    Vertx vertx = Vertx.vertx();
    try {
      // no KSHAKA_* variable or kshaka.* property is set in the test JVM
      KshakaConfig.Loaded loaded = KshakaConfig.load(vertx, write(file()).toString()).await(30, TimeUnit.SECONDS);
      assertEquals(file(), loaded.json());
      assertEquals(8081, loaded.config().httpPort());
      Path bad = write(file().put("acceptors", new JsonArray()));
      Exception e = assertThrows(Exception.class,
          () -> KshakaConfig.load(vertx, bad.toString()).await(30, TimeUnit.SECONDS));
      assertEquals("config: field 'acceptors' must list at least one node id", rootMessage(e));
    } finally {
      vertx.close();
    }
  }

  private static String rootMessage(Throwable t) {
    while (t.getCause() != null && !(t instanceof IllegalArgumentException)) t = t.getCause();
    return t.getMessage();
  }

  @Test
  void environmentSegmentsMatchFieldsIgnoringCaseAndValuesKeepTheFieldsType() {
    List<String> applied = new ArrayList<>();
    List<String> ignored = new ArrayList<>();
    JsonObject f = file().put("dataDir", "x");
    JsonObject out = KshakaConfig.merge(f,
        Map.of("KSHAKA_DATADIR", "123", "KSHAKA_HTTP_ENABLED", "false", "KSHAKA_NODEID", "7",
            "KSHAKA_HTPP_PORT", "1", "PATH", "/bin"),
        Map.of("kshaka.failureDetector.pingIntervalMs", "50", "java.version", "17"), applied, ignored);
    assertEquals("123", out.getString("dataDir"), "a string field stays a string");
    assertEquals(false, out.getJsonObject("http").getBoolean("enabled"));
    assertEquals(7, out.getInteger("nodeId"));
    assertEquals(50, out.getJsonObject("failureDetector").getInteger("pingIntervalMs"));
    assertEquals(List.of("KSHAKA_HTPP_PORT (no field 'HTPP')"), ignored);
    assertEquals(4, applied.size(), applied.toString());
    assertEquals(8081, out.getJsonObject("http").getInteger("port"), "the misspelt override changed nothing");
  }
}
