package io.kshaka.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code kv list} and {@code kv watch} against {@link ContractFake}, a stand-in for the list and watch routes of the
 * contract (the real routes come with the list/watch work; KvCommandTest covers the rest on a real cluster).
 */
class KvListWatchTest {
  @TempDir
  Path noConf;

  Vertx vertx;
  ContractFake fake;

  @BeforeEach
  void start() {
    vertx = Vertx.vertx();
    fake = ContractFake.start(vertx);
  }

  @AfterEach
  void stop() {
    fake.closeQuietly();
    vertx.close().await();
  }

  Cli kv(String... args) {
    String[] all = new String[args.length + 4];
    System.arraycopy(args, 0, all, 0, args.length);
    all[args.length] = "--node";
    all[args.length + 1] = fake.url();
    all[args.length + 2] = "--conf";
    all[args.length + 3] = noConf.toString();
    return Cli.run(all);
  }

  void write(String key, String value) {
    Cli put = kv("put", key, value);
    assertEquals(0, put.code(), put.toString());
  }

  @Test
  void listFollowsTheNextCursorThroughEveryPage() {
    for (int i = 0; i < 25; i++) write(String.format("app/%02d", i), "v" + i);
    write("other", "x");
    Cli list = kv("list", "app/", "--limit", "7");
    assertEquals(0, list.code(), list.toString());
    String[] lines = list.out().strip().split("\n");
    assertEquals(25, lines.length, list.out());
    assertEquals("app/00\t1", lines[0]);
    assertEquals("app/24\t1", lines[24]);
  }

  @Test
  void listWithValuesAndJsonPrintsOneObjectPerKey() {
    write("k/a", "alpha");
    write("k/b", "beta");
    Cli list = kv("list", "k/", "--values", "--json", "--after", "k/a");
    assertEquals(0, list.code(), list.toString());
    JsonObject only = new JsonObject(list.out().strip());
    assertEquals("k/b", only.getString("key"));
    assertEquals("YmV0YQ==", only.getString("value"));
    Cli text = kv("list", "k/", "--values", "--max", "1");
    assertEquals("k/a\t1\talpha", text.out().strip());
  }

  @Test
  void watchPrintsTheCurrentStateThenEachNewOne() throws Exception {
    write("w", "one");
    CompletableFuture<Cli> watch = CompletableFuture.supplyAsync(() -> kv("watch", "w", "--count", "3",
        "--wait", "10s"));
    // each change is made once the watcher waits again (it printed the state before): no fixed sleeps
    awaitWatches(1);
    fake.put("w", "two");
    awaitWatches(2);
    fake.put("w", "three");
    Cli done = watch.get(60, TimeUnit.SECONDS);
    assertEquals(0, done.code(), done.toString());
    String[] lines = done.out().strip().split("\n");
    assertEquals(3, lines.length, done.toString());
    // states never go backwards and each comes once
    long last = 0;
    for (String line : lines) {
      long v = Long.parseLong(line.split("\t")[0]);
      assertTrue(v > last, done.out());
      last = v;
    }
  }

  @Test
  void watchFromAVersionSkipsOlderStatesAndPrintsJson() throws Exception {
    write("w2", "a");
    write("w2", "b");
    CompletableFuture<Cli> watch = CompletableFuture.supplyAsync(() -> kv("watch", "w2", "--from", "2",
        "--count", "1", "--json"));
    awaitWatches(1);
    fake.put("w2", "c");
    Cli done = watch.get(60, TimeUnit.SECONDS);
    assertEquals(0, done.code(), done.toString());
    JsonObject state = new JsonObject(done.out().strip());
    assertEquals(3, state.getLong("version"));
    assertEquals("Yw==", state.getString("value"));
  }

  @Test
  void aWatchWhoseNodeDiesResumesOnTheNextNodeFromTheLastVersionSeen() throws Exception {
    ContractFake second = ContractFake.start(vertx);
    try {
      write("w3", "one");
      second.put("w3", "one");
      CompletableFuture<Cli> watch = CompletableFuture.supplyAsync(() -> Cli.run("watch", "w3", "--count", "2",
          "--node", fake.url() + "," + second.url(), "--conf", noConf.toString()));
      awaitWatches(fake, 1);
      fake.close(); // the node carrying the watch goes away mid-wait
      awaitWatches(second, 1);
      second.put("w3", "two");
      Cli done = watch.get(60, TimeUnit.SECONDS);
      assertEquals(0, done.code(), done.toString());
      assertEquals("1\tone\n2\ttwo", done.out().strip(), "each state once, in order");
    } finally {
      second.close();
    }
  }

  void awaitWatches(int n) throws InterruptedException {
    awaitWatches(fake, n);
  }

  static void awaitWatches(ContractFake fake, int n) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (fake.watches() < n) {
      if (System.nanoTime() > deadline) throw new AssertionError("no watch request " + n + " within 60 s");
      Thread.sleep(10);
    }
  }

  @Test
  void statusesMapToTheContractsExitCodes() {
    assertEquals(0, KvCommand.exitCode(200));
    assertEquals(1, KvCommand.exitCode(500));
    assertEquals(2, KvCommand.exitCode(400));
    assertEquals(3, KvCommand.exitCode(404));
    assertEquals(4, KvCommand.exitCode(412));
    assertEquals(5, KvCommand.exitCode(503));
    assertEquals(5, KvCommand.exitCode(409));
    assertEquals(6, KvCommand.exitCode(504));
    assertEquals(7, KvCommand.exitCode(401));
    assertEquals(7, KvCommand.exitCode(403));
  }
}
