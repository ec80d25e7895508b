package io.kshaka.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kshaka.it.Http;
import io.kshaka.it.TestCluster;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code ./run.sh kv get|put|cas|create|delete|add} against three real clustered nodes in this JVM: answers,
 * exit codes of docs/cli.md, values from arguments, files and stdin, and failover to the next node.
 */
class KvCommandTest {
  @TempDir
  static Path dir;

  static TestCluster cluster;
  static Path noConf;

  @BeforeAll
  static void start() throws Exception {
    cluster = TestCluster.start(dir.resolve("cluster"), 3, new JsonObject().put("requestTimeoutMs", 5_000));
    noConf = Files.createDirectories(dir.resolve("empty-conf"));
    long deadline = System.nanoTime() + 120_000_000_000L;
    for (int n = 1; n <= 3; n++) {
      while (Http.get(cluster.url(n) + "/ready").status() != 200) {
        if (System.nanoTime() > deadline) throw new AssertionError("node " + n + " not ready after 120 s");
        Thread.sleep(100);
      }
    }
  }

  @AfterAll
  static void stop() {
    if (cluster != null) cluster.close();
  }

  /** The command with --node node 1 and no conf/ to fall over to. */
  static Cli kv(String... args) {
    return kvOn(cluster.url(1), args);
  }

  static Cli kvOn(String nodes, String... args) {
    String[] all = new String[args.length + 4];
    System.arraycopy(args, 0, all, 0, args.length);
    all[args.length] = "--node";
    all[args.length + 1] = nodes;
    all[args.length + 2] = "--conf";
    all[args.length + 3] = noConf.toString();
    return Cli.run(all);
  }

  @Test
  void putThenGetPrintsTheValueAndTheVersion() {
    Cli put = kv("put", "cli/greeting", "hello");
    assertEquals(0, put.code(), put.toString());
    assertEquals("version 1", put.out().strip());
    Cli get = kv("get", "cli/greeting", "-v");
    assertEquals(0, get.code(), get.toString());
    assertEquals("hello", get.out());
    assertTrue(get.err().contains("version 1"), get.toString());
    Cli json = kv("get", "cli/greeting", "--json");
    JsonObject state = new JsonObject(json.out().strip());
    assertEquals(1, state.getLong("version"));
    assertEquals("hello", new String(Base64.getDecoder().decode(state.getString("value")), StandardCharsets.UTF_8));
    // what the CLI wrote, HTTP reads
    assertEquals("hello", Http.get(cluster.url(3) + "/v1/kv/cli/greeting").body());
  }

  @Test
  void absentKeyExits3WithItsVersion() {
    Cli get = kv("get", "cli/never-written");
    assertEquals(KvCommand.NOT_FOUND, get.code(), get.toString());
    Cli json = kv("get", "cli/never-written", "--json");
    assertEquals(KvCommand.NOT_FOUND, json.code(), json.toString());
    assertEquals(0, new JsonObject(json.out().strip()).getLong("version"));
  }

  @Test
  void casExits4OnAStaleVersionAnd0OnTheCurrentOne() {
    assertEquals(0, kv("put", "cli/cas", "a").code());
    Cli stale = kv("cas", "cli/cas", "7", "b");
    assertEquals(KvCommand.PRECONDITION_FAILED, stale.code(), stale.toString());
    assertTrue(stale.err().contains("version_mismatch") && stale.err().contains("(version 1)"), stale.toString());
    Cli ok = kv("cas", "cli/cas", "1", "b");
    assertEquals(0, ok.code(), ok.toString());
    assertEquals("version 2", ok.out().strip());
    assertEquals("b", kv("get", "cli/cas").out());
  }

  @Test
  void createExits4WhenTheKeyHasAValue() {
    Cli first = kv("create", "cli/lock", "me");
    assertEquals(0, first.code(), first.toString());
    Cli second = kv("create", "cli/lock", "you");
    assertEquals(KvCommand.PRECONDITION_FAILED, second.code(), second.toString());
    assertEquals("me", kv("get", "cli/lock").out());
  }

  @Test
  void deleteMakesTheKeyAbsentAndConditionalDeleteChecksTheVersion() {
    assertEquals(0, kv("put", "cli/del", "x").code());
    Cli stale = kv("delete", "cli/del", "--if-version", "5");
    assertEquals(KvCommand.PRECONDITION_FAILED, stale.code(), stale.toString());
    Cli del = kv("delete", "cli/del", "--if-version", "1", "--json");
    assertEquals(0, del.code(), del.toString());
    assertEquals(2, new JsonObject(del.out().strip()).getLong("version"));
    assertEquals(KvCommand.NOT_FOUND, kv("get", "cli/del").code());
  }

  @Test
  void addPrintsTheSumAndExits5OnANonInteger() {
    assertEquals("5", kv("add", "cli/counter", "5").out().strip());
    Cli neg = kv("add", "cli/counter", "-2");
    assertEquals(0, neg.code(), neg.toString());
    assertEquals("3", neg.out().strip());
    assertEquals(0, kv("put", "cli/text", "abc").code());
    Cli notInt = kv("add", "cli/text", "1");
    assertEquals(KvCommand.NOT_APPLIED, notInt.code(), notInt.toString());
    assertTrue(notInt.err().contains("not_integer"), notInt.toString());
  }

  @Test
  void valuesComeFromStdinAndFilesByteForByte() throws Exception {
    byte[] bytes = {0, 1, 2, (byte) 0xff, '\n'};
    String[] args = {"put", "cli/stdin", "-", "--node", cluster.url(2), "--conf", noConf.toString()};
    Cli stdin = Cli.run(bytes, args);
    assertEquals(0, stdin.code(), stdin.toString());
    Cli json = kv("get", "cli/stdin", "--json");
    assertEquals(Base64.getEncoder().encodeToString(bytes), new JsonObject(json.out().strip()).getString("value"));
    Path f = dir.resolve("value.bin");
    Files.write(f, bytes);
    assertEquals(0, kv("put", "cli/file", "--file", f.toString()).code());
    assertEquals(Base64.getEncoder().encodeToString(bytes),
        new JsonObject(kv("get", "cli/file", "--json").out().strip()).getString("value"));
  }

  @Test
  void keysWithSpacesSlashesAndUnicodeRoundTrip() {
    String key = "cli/a b/é?#%";
    assertEquals(0, kv("put", key, "v").code());
    assertEquals("v", kv("get", key).out());
  }

  @Test
  void usageErrorsExit2() {
    assertEquals(KvCommand.USAGE, kv("put", "cli/novalue").code());
    assertEquals(KvCommand.USAGE, kv("cas", "cli/x", "notanumber", "v").code());
    assertEquals(KvCommand.USAGE, kv("frobnicate").code());
    Cli badTtl = kv("get", "cli/x", "--wat");
    assertEquals(KvCommand.USAGE, badTtl.code(), badTtl.toString());
  }

  @Test
  void aNodeThatRefusesConnectionsIsSkippedForTheNext() {
    int dead = TestCluster.freePort();
    Cli put = kvOn("http://127.0.0.1:" + dead + "," + cluster.url(2), "put", "cli/failover", "ok");
    assertEquals(0, put.code(), put.toString());
    Cli get = kvOn("http://127.0.0.1:" + dead + "," + cluster.url(3), "get", "cli/failover");
    assertEquals("ok", get.out());
  }

  @Test
  void theNodesOfConfAreTriedAfterTheGivenOne() throws Exception {
    Path conf = Files.createDirectories(dir.resolve("conf"));
    Files.writeString(conf.resolve("node-2.json"), new JsonObject().put("nodeId", 2)
        .put("http", new JsonObject().put("host", "127.0.0.1").put("port", cluster.httpPort(2))).encode());
    int dead = TestCluster.freePort();
    Cli put = Cli.run("put", "cli/conf", "v", "--node", "http://127.0.0.1:" + dead, "--conf", conf.toString());
    assertEquals(0, put.code(), put.toString());
  }

  @Test
  void listAndTtlOnARealClusterWhereItServesThem() {
    org.junit.jupiter.api.Assumptions.assumeTrue(Http.get(cluster.url(1) + "/v1/kv?limit=1").status() == 200,
        "this build has no list route (KvListWatchTest covers list against a stand-in)");
    for (int i = 0; i < 5; i++) assertEquals(0, kv("put", "cli-list/" + i, "v" + i).code());
    Cli list = kv("list", "cli-list/", "--limit", "2", "--values");
    assertEquals(0, list.code(), list.toString());
    assertEquals("cli-list/0\t1\tv0\ncli-list/1\t1\tv1\ncli-list/2\t1\tv2\ncli-list/3\t1\tv3\ncli-list/4\t1\tv4",
        list.out().strip());
    Cli leased = kv("create", "cli-list/lock", "me", "--ttl", "1h", "--json");
    assertEquals(0, leased.code(), leased.toString());
    Cli get = kv("get", "cli-list/lock", "--json");
    assertTrue(new JsonObject(get.out().strip()).getLong("expiresAt", 0L) > System.currentTimeMillis(), get.toString());
    Cli badTtl = kv("put", "cli-list/x", "v", "--ttl", "0s");
    assertEquals(KvCommand.USAGE, badTtl.code(), badTtl.toString());
  }

  @Test
  void watchFromAVersionPrintsTheNextStateOnARealCluster() throws Exception {
    assertEquals(0, kv("put", "cli/watched", "one").code());
    java.util.concurrent.CompletableFuture<Cli> watch = java.util.concurrent.CompletableFuture.supplyAsync(
        () -> kvOn(cluster.url(2), "watch", "cli/watched", "--from", "1", "--count", "1", "--wait", "20s"));
    // answered at once if the change lands first, else when it does: no race either way
    assertEquals(0, kv("put", "cli/watched", "two").code());
    Cli done = watch.get(120, java.util.concurrent.TimeUnit.SECONDS);
    assertEquals(0, done.code(), done.toString());
    assertEquals("2\ttwo", done.out().strip());
  }

  @Test
  void noReachableNodeExits1() {
    int dead = TestCluster.freePort();
    Cli get = kvOn("http://127.0.0.1:" + dead, "get", "cli/x");
    assertEquals(KvCommand.ERROR, get.code(), get.toString());
    assertTrue(get.err().contains("no node could be reached"), get.toString());
  }
}
