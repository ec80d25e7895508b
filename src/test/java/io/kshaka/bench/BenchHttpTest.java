package io.kshaka.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Runs the bench against {@link FakeKvServer}, an in-memory server of the HTTP contract, and reads its JSON. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class BenchHttpTest {
  private Vertx vertx;
  private final List<FakeKvServer> servers = new ArrayList<>();
  private final StringWriter out = new StringWriter();
  private final StringWriter err = new StringWriter();

  @TempDir
  Path dir;

  @BeforeEach
  void startVertx() {
    vertx = Vertx.vertx();
  }

  @AfterEach
  void closeAll() throws Exception {
    for (FakeKvServer s : servers) await(s.close());
    await(vertx.close());
  }

  @Test
  void mixedOpsOnHotKeyCountConflictsAndNoErrors() throws Exception {
    FakeKvServer fake = server(FakeKvServer.Mode.NORMAL);
    Path json = dir.resolve("run.json");
    int code = bench("--endpoints", fake.url(), "--clients", "8", "--hot-key", "--mix", "get=20,put=20,cas=40,add=20",
        "--duration", "2", "--warmup", "0", "--max-ops", "6000", "--seed", "42", "--json", json.toString());
    assertEquals(0, code, () -> "exit code; stderr: " + err);
    JsonObject r = read(json);

    long ops = r.getLong("ops");
    assertTrue(ops > 0 && ops <= 6000, "ops within the cap: " + ops);
    assertEquals(0L, r.getLong("errors"), () -> "no errors: " + r.getJsonObject("errorsByKind"));
    assertTrue(r.getLong("conflicts") > 0, "8 clients doing cas on one key must conflict sometimes");
    assertEquals(ops, r.getLong("ok") + r.getLong("conflicts") + r.getLong("errors"), "ops = ok + conflicts + errors");
    assertTrue(r.getDouble("opsPerSec") > 0);
    assertTrue(r.getDouble("elapsedSeconds") > 0 && r.getDouble("elapsedSeconds") <= 2 + 5, "within duration + timeout");
    assertEquals(1, r.getInteger("keys"));
    assertEquals(Boolean.TRUE, r.getBoolean("hotKey"));
    assertEquals(42L, r.getLong("seed"));
    assertPercentilesMonotone(r.getJsonObject("latencyUs"), ops);
    assertTrue(r.getDouble("loadAvgStart") >= 0 && r.getDouble("loadAvgEnd") >= 0, "load average is read");

    // with no warm-up and no errors, the server's state must account for every op the bench counted
    JsonObject byOp = r.getJsonObject("opsByOp");
    long puts = byOp.getLong("put");
    long cas = byOp.getLong("cas");
    long adds = byOp.getLong("add");
    assertTrue(byOp.getLong("get") > 0 && puts > 0 && cas > 0 && adds > 0, "every op of the mix ran: " + byOp);
    assertEquals(ops, byOp.getLong("get") + puts + cas + adds);
    assertEquals(puts + cas - r.getLong("conflicts"), fake.entry("bench-0").version(),
        "the register's version = puts + successful cas");
    assertEquals(String.valueOf(adds), new String(fake.entry("bench-ctr-0").value(), StandardCharsets.UTF_8),
        "the counter = number of adds");
    assertEquals(2, fake.size(), "a hot key run touches one register and one counter");

    String printed = out.toString();
    assertTrue(printed.contains("Result of run against http"), printed);
    assertTrue(printed.contains("p99.9"), printed);
  }

  @Test
  void warmGeneratorDrivesEveryOpAgainstItsOwnStubFirstAndNeverTheTarget() throws Exception {
    FakeKvServer fake = server(FakeKvServer.Mode.NORMAL);
    Path json = dir.resolve("warm.json");
    int code = bench("--endpoints", fake.url(), "--clients", "4", "--hot-key", "--mix", "get=20,put=20,cas=40,add=20",
        "--warm-generator", "1", "--duration", "1", "--warmup", "0", "--seed", "7", "--json", json.toString());
    assertEquals(0, code, () -> "exit code; stderr: " + err);
    String printed = out.toString();
    java.util.regex.Matcher line = java.util.regex.Pattern
        .compile("load generator warmed up for 1 s against a stub server in its own JVM \\(([0-9,]+) ops/s, (\\d+) errors\\)")
        .matcher(printed);
    assertTrue(line.find(), printed);
    assertTrue(Long.parseLong(line.group(1).replace(",", "")) > 0, "the stub answered: " + line.group());
    assertEquals("0", line.group(2), "the stub answers every op of the mix as a node would: " + line.group());
    assertTrue(printed.indexOf(line.group()) < printed.indexOf("== run"), "before the run: " + printed);

    // every op the target saw is one of the measured run's: the warm-up went to the stub only
    JsonObject r = read(json);
    assertEquals(0L, r.getLong("errors"), () -> r.encode());
    JsonObject byOp = r.getJsonObject("opsByOp");
    assertEquals(byOp.getLong("put") + byOp.getLong("cas") - r.getLong("conflicts"), fake.entry("bench-0").version());
    assertEquals(String.valueOf(byOp.getLong("add")),
        new String(fake.entry("bench-ctr-0").value(), StandardCharsets.UTF_8));
  }

  @Test
  void warmGeneratorIsRefusedWhereItCannotApply() {
    assertEquals(2, bench("--event-bus", "--warm-generator", "1"), () -> out + " " + err);
    assertTrue(err.toString().contains("--warm-generator is for HTTP targets only"), err.toString());
  }

  @Test
  void maxOpsCapsMeasuredOpsAndWarmupIsNotCounted() throws Exception {
    FakeKvServer fake = server(FakeKvServer.Mode.NORMAL);
    Path json = dir.resolve("cap.json");
    long t0 = System.nanoTime();
    int code = bench("--endpoints", fake.url(), "--clients", "4", "--keys", "100", "--warmup", "1.2", "--duration",
        "20", "--max-ops", "200", "--json", json.toString());
    double wall = (System.nanoTime() - t0) / 1e9;
    assertEquals(0, code, () -> "stderr: " + err);
    JsonObject r = read(json);
    assertEquals(200L, r.getLong("ops"), "exactly the capped number of measured ops");
    assertEquals(200L, r.getLong("ok"));
    assertTrue(r.getLong("warmupOps") > 0, "warm-up ran and was counted apart");
    assertEquals(200L, r.getJsonObject("latencyUs").getLong("count"), "only measured ops are in the histogram");
    assertTrue(wall < 15, "the cap ends the run long before --duration: " + wall + " s");
    assertTrue(fake.size() > 1 && fake.size() <= 100, "puts spread over the 100 keys: " + fake.size());
    // keep-alive: the probe's connection and one per client at most, reused for every op
    assertTrue(fake.connections() <= 4 + 1, "connections: " + fake.connections());
    assertTrue(out.toString().contains("warm-up"), "a progress line during warm-up: " + out);
  }

  @Test
  void errorsAreCountedByKind() throws Exception {
    FakeKvServer fake = server(FakeKvServer.Mode.ALWAYS_503);
    Path json = dir.resolve("503.json");
    int code = bench("--endpoints", fake.url(), "--clients", "2", "--duration", "0.5", "--warmup", "0", "--json",
        json.toString());
    assertEquals(0, code, "errors of the load are reported, not fatal; stderr: " + err);
    JsonObject r = read(json);
    assertTrue(r.getLong("errors") > 0);
    assertEquals(r.getLong("errors"), r.getJsonObject("errorsByKind").getLong("503"));
    assertEquals(0L, r.getLong("ok"));
    assertEquals(0L, r.getJsonObject("latencyUs").getLong("count"), "errors carry no latency");
  }

  @Test
  void timeoutsAreCountedAndTheRunStaysBounded() throws Exception {
    FakeKvServer fake = server(FakeKvServer.Mode.SILENT);
    Path json = dir.resolve("timeout.json");
    long t0 = System.nanoTime();
    int code = bench("--endpoints", fake.url(), "--clients", "3", "--duration", "1", "--warmup", "0", "--timeout",
        "200", "--json", json.toString());
    double wall = (System.nanoTime() - t0) / 1e9;
    assertEquals(0, code, () -> "stderr: " + err);
    JsonObject r = read(json);
    long timeouts = r.getJsonObject("errorsByKind").getLong("timeout");
    assertTrue(timeouts >= 3, "each client timed out at least once: " + timeouts);
    assertEquals(r.getLong("errors"), timeouts);
    assertTrue(wall < 10, "bounded by duration + timeout: " + wall + " s");
  }

  @Test
  void aDownEndpointCountsConnectionErrorsForItsClients() throws Exception {
    FakeKvServer up = server(FakeKvServer.Mode.NORMAL);
    FakeKvServer down = server(FakeKvServer.Mode.NORMAL);
    String downUrl = down.url();
    await(down.close());
    servers.remove(down);
    Path json = dir.resolve("down.json");
    int code = bench("--endpoints", up.url() + "," + downUrl, "--clients", "2", "--duration", "0.6", "--warmup", "0",
        "--json", json.toString());
    assertEquals(0, code, () -> "stderr: " + err);
    assertTrue(err.toString().contains("warning: endpoint unreachable"), err.toString());
    JsonObject r = read(json);
    long refused = r.getJsonObject("errorsByKind").getLong("connection");
    assertTrue(refused > 0, "client 1 talks to the down endpoint: " + r.encode());
    assertTrue(refused <= 0.6 * 1000 / LoadVerticle.PAUSE_AFTER_UNREACHABLE_MS + 1,
        "a refused client pauses between attempts: " + refused);
    assertEquals(refused, r.getLong("errors"));
    assertTrue(r.getLong("ok") > 0, "client 0 talks to the live endpoint");
  }

  @Test
  void unreachableClusterExitsWithOne() throws Exception {
    FakeKvServer fake = server(FakeKvServer.Mode.NORMAL);
    String url = fake.url();
    await(fake.close());
    servers.remove(fake);
    int code = bench("--endpoints", url, "--duration", "1", "--warmup", "0");
    assertEquals(1, code);
    assertTrue(err.toString().contains("no endpoint could be reached"), err.toString());
  }

  @Test
  void suiteRunsTheMatrixAndPrintsOneTable() throws Exception {
    FakeKvServer a = server(FakeKvServer.Mode.NORMAL);
    FakeKvServer b = server(FakeKvServer.Mode.NORMAL);
    Path json = dir.resolve("suite.json");
    int code = bench("--suite", "--endpoints", a.url() + "," + b.url(), "--suite-clients", "1,4", "--suite-keys",
        "1,50", "--suite-ops", "put,add", "--duration", "0.3", "--warmup", "0.1", "--json", json.toString());
    assertEquals(0, code, () -> "stderr: " + err);
    JsonObject suite = read(json);
    JsonArray runs = suite.getJsonArray("runs");
    assertEquals(8, runs.size(), "2 ops x 2 key counts x 2 client counts");
    List<String> labels = new ArrayList<>();
    for (int i = 0; i < runs.size(); i++) {
      JsonObject r = runs.getJsonObject(i);
      labels.add(r.getString("label"));
      assertTrue(r.getLong("ops") > 0, r.encode());
      assertEquals(0L, r.getLong("errors"), r.encode());
      assertPercentilesMonotone(r.getJsonObject("latencyUs"), r.getLong("ops"));
    }
    assertEquals(List.of("put-hot-c1", "put-hot-c4", "put-50keys-c1", "put-50keys-c4", "add-hot-c1", "add-hot-c4",
        "add-50keys-c1", "add-50keys-c4"), labels);
    String printed = out.toString();
    assertTrue(printed.contains("Suite results"), printed);
    assertTrue(printed.contains("load 1m start>end"), printed);
    long rows = printed.lines().filter(l -> l.startsWith("put ") || l.startsWith("add ")).count();
    assertEquals(8, rows, printed);
    assertTrue(a.size() > 0 && b.size() > 0, "clients are spread over both endpoints");
  }

  private static void assertPercentilesMonotone(JsonObject l, long ops) {
    assertNotNull(l);
    long p50 = l.getLong("p50");
    long p90 = l.getLong("p90");
    long p99 = l.getLong("p99");
    long p999 = l.getLong("p999");
    long max = l.getLong("max");
    assertTrue(l.getLong("count") > 0 && l.getLong("count") <= ops, l.encode());
    assertTrue(p50 > 0, "an HTTP round trip takes some microseconds: " + l.encode());
    assertTrue(l.getLong("min") <= p50 && p50 <= p90 && p90 <= p99 && p99 <= p999 && p999 <= max,
        "percentiles are monotone: " + l.encode());
    assertTrue(max < 10_000_000, "no answer took 10 s: " + l.encode());
  }

  private FakeKvServer server(FakeKvServer.Mode mode) throws Exception {
    FakeKvServer s = await(FakeKvServer.start(vertx, mode));
    servers.add(s);
    return s;
  }

  private int bench(String... args) {
    return BenchCommand.run(new PrintWriter(out, true), new PrintWriter(err, true), args);
  }

  private static JsonObject read(Path json) throws Exception {
    return new JsonObject(Files.readString(json));
  }

  private static <T> T await(Future<T> f) throws Exception {
    return f.toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }
}
