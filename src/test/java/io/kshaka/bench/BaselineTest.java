package io.kshaka.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * {@code --baseline FILE}: reading an earlier --json result, matching cases by workload identity, the now/before
 * ratios in the table and in the JSON, and the usage errors for a bad file. Crafted results; no cluster.
 */
class BaselineTest {
  private final StringWriter out = new StringWriter();
  private final StringWriter err = new StringWriter();

  @TempDir
  Path dir;

  /** A result of {@code ops} ops in 10 s, with the given p50 and p99 (microseconds). */
  private static RunResult result(String label, Mix mix, int keys, int clients, int valueSize, long ops, long ok,
      long p50, long p99, String target, long seed) {
    Workload w = new Workload(label, clients, keys, mix, valueSize, 2, 10, 5000, 0, seed, "bench");
    RunResult.Latency l = new RunResult.Latency(ok, 100, p50, p50, p50, p99, p99, p99);
    return new RunResult(w, target, List.of("http://127.0.0.1:8081"), "2026-11-30T10:00:00Z", 10.0, ops, ok,
        ops - ok, 0, Map.of(), Map.of(), 0, l, 1.0, 1.0, false);
  }

  private static RunResult put(int keys, int clients, long ops, long p50, long p99) {
    return result("put-" + keys + "-c" + clients, Mix.of(OpKind.PUT), keys, clients, 100, ops, ops, p50, p99, "http",
        1);
  }

  private static String suiteJson(RunResult... runs) {
    JsonArray array = new JsonArray();
    for (RunResult r : runs) array.add(r.toJson());
    return new JsonObject().put("suite", true).put("seed", 1).put("writtenAt", "2026-11-30T10:05:00Z")
        .put("runs", array).encodePrettily();
  }

  @Test
  void ratiosAreNowOverBeforeOfTheCaseWithTheSameWorkload() {
    Baseline b = Baseline.parse("before.json", suiteJson(put(1, 16, 20_000, 2000, 10_000), put(10_000, 16, 30_000,
        1000, 8000)));
    assertEquals("2026-11-30T10:05:00Z", b.writtenAt());
    RunResult now = result("now", Mix.of(OpKind.PUT), 10_000, 16, 100, 45_000, 36_000, 1500, 4000, "http", 99);

    Baseline.Comparison c = b.compare(List.of(now)).get(0);
    assertTrue(c.matched());
    assertEquals(3000.0, c.before().opsPerSec(), "the 10,000-key case, not the hot key one");
    assertEquals(1.5, c.opsRatio(), 1e-9, "4500 ops/s now / 3000 before");
    assertEquals(1.2, c.okRatio(), 1e-9, "3600 ok/s now / 3000 before");
    assertEquals(1.5, c.p50Ratio(), 1e-9, "p50 1500 / 1000");
    assertEquals(0.5, c.p99Ratio(), 1e-9, "p99 4000 / 8000");

    JsonObject j = b.toJson(now);
    assertEquals(Boolean.TRUE, j.getBoolean("matched"));
    assertEquals("before.json", j.getString("file"));
    assertEquals("put-10000-c16", j.getString("label"));
    assertEquals(3000.0, j.getDouble("opsPerSec"));
    assertEquals(1000L, j.getLong("p50Us"));
    JsonObject ratios = j.getJsonObject("ratios");
    assertEquals(1.5, ratios.getDouble("opsPerSec"));
    assertEquals(1.2, ratios.getDouble("okPerSec"));
    assertEquals(1.5, ratios.getDouble("p50"));
    assertEquals(0.5, ratios.getDouble("p99"));

    String table = b.report(List.of(now));
    assertTrue(table.contains("Compared with baseline before.json (written at 2026-11-30T10:05:00Z)"), table);
    String row = table.lines().filter(l -> l.startsWith("put ")).findFirst().orElseThrow();
    assertEquals(List.of("put", "10000", "16", "4500", "3000", "1.50", "1.20", "1500/1000", "1.50", "4000/8000",
        "0.50"), List.of(row.trim().split("\\s+")), row);
  }

  @Test
  void identityIsMixKeysClientsAndValueSizeOnly() {
    RunResult before = put(10_000, 16, 30_000, 1000, 8000);
    Baseline b = Baseline.parse("b.json", suiteJson(before));
    Baseline.Case c = b.cases().get(0);
    // seed, label, target, op counts differ: still the same workload
    assertSame(c, b.match(result("x", Mix.of(OpKind.PUT), 10_000, 16, 100, 1, 1, 1, 1, "event-bus", 7)));
    // any part of the identity differs: no match
    assertNull(b.match(result("x", Mix.of(OpKind.ADD), 10_000, 16, 100, 1, 1, 1, 1, "http", 1)), "mix");
    assertNull(b.match(result("x", Mix.of(OpKind.PUT), 1, 16, 100, 1, 1, 1, 1, "http", 1)), "keys");
    assertNull(b.match(result("x", Mix.of(OpKind.PUT), 10_000, 64, 100, 1, 1, 1, 1, "http", 1)), "clients");
    assertNull(b.match(result("x", Mix.of(OpKind.PUT), 10_000, 16, 1000, 1, 1, 1, 1, "http", 1)), "value size");
  }

  @Test
  void mixIsComparedInItsCanonicalForm() {
    // a hand-written baseline may list ops in another order, with or without zeros
    JsonObject run = put(1, 4, 1000, 10, 20).toJson()
        .put("mix", new JsonObject().put("cas", 0).put("add", 5).put("put", 90).put("get", 5));
    Baseline b = Baseline.parse("b.json", run.encode());
    assertEquals("get=5,put=90,add=5", b.cases().get(0).identity().mix());
    assertTrue(b.match(result("x", Mix.parse("put=90,get=5,add=5"), 1, 4, 100, 1, 1, 1, 1, "http", 1)) != null);
  }

  @Test
  void aSingleRunFileIsOneCaseDatedByItsStart() throws Exception {
    Path file = dir.resolve("run.json");
    Files.writeString(file, put(1, 16, 5000, 100, 200).toJson().encodePrettily());
    Baseline b = Baseline.read(file);
    assertEquals(1, b.cases().size());
    assertEquals("2026-11-30T10:00:00Z", b.writtenAt());
    assertEquals(500.0, b.cases().get(0).opsPerSec());
  }

  @Test
  void aCaseWithoutBaselineSaysSoInTheTableAndTheJson() {
    Baseline b = Baseline.parse("b.json", suiteJson(put(1, 16, 20_000, 2000, 10_000)));
    RunResult matched = put(1, 16, 10_000, 4000, 10_000);
    RunResult unmatched = put(1, 64, 10_000, 4000, 10_000);
    String table = b.report(List.of(matched, unmatched));
    List<String> rows = table.lines().filter(l -> l.startsWith("put ")).toList();
    assertEquals(2, rows.size(), table);
    assertTrue(rows.get(0).contains("0.50"), rows.get(0));
    assertTrue(rows.get(1).contains("no baseline case"), rows.get(1));
    assertTrue(rows.get(1).contains("64 clients"), "names the identity it looked for: " + rows.get(1));
    JsonObject j = b.toJson(unmatched);
    assertEquals(Boolean.FALSE, j.getBoolean("matched"));
    assertFalse(j.containsKey("ratios"));
  }

  @Test
  void aZeroBaselineFigureGivesNoRatio() {
    Baseline b = Baseline.parse("b.json", suiteJson(result("z", Mix.of(OpKind.PUT), 1, 1, 100, 0, 0, 0, 0, "http",
        1)));
    RunResult now = put(1, 1, 100, 50, 60);
    Baseline.Comparison c = b.compare(List.of(now)).get(0);
    assertNull(c.opsRatio());
    assertNull(c.p99Ratio());
    assertTrue(b.report(List.of(now)).contains("n/a"));
    assertTrue(b.toJson(now).getJsonObject("ratios").containsKey("p50"), "present, as null");
    assertNull(b.toJson(now).getJsonObject("ratios").getValue("p50"));
  }

  @Test
  void theFirstOfSeveralMatchingCasesIsUsed() {
    Baseline b = Baseline.parse("b.json", suiteJson(put(1, 16, 20_000, 1, 1), put(1, 16, 40_000, 1, 1)));
    assertEquals(2000.0, b.match(put(1, 16, 1, 1, 1)).opsPerSec());
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "''                                          | is empty",
      "not json                                    | is not a JSON object",
      "[1,2]                                       | is not a JSON object",
      "'{\"suite\":true}'                          | without a \"runs\" array",
      "'{\"suite\":true,\"runs\":[]}'              | suite with no runs",
      "'{\"suite\":true,\"runs\":[3]}'             | runs[0] is not an object",
      "'{\"fault\":{},\"run\":{}}'                 | fault-mode result",
      "'{\"clients\":1}'                           | has no \"mix\" object",
      "'{\"mix\":{\"put\":50},\"clients\":1}'      | bad \"mix\": percentages must add up to 100",
      "'{\"mix\":{\"put\":100},\"keys\":1,\"valueSize\":1}' | has no \"clients\"",
      "'{\"mix\":{\"put\":100},\"clients\":\"x\"}' | \"clients\" that is not a number",
      "'{\"mix\":{\"put\":100},\"clients\":1.5}'   | bad \"clients\""})
  void aMalformedFileIsRejectedNamingTheProblem(String text, String message) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Baseline.parse("x.json", text));
    assertTrue(e.getMessage().startsWith("--baseline x.json: "), e.getMessage());
    assertTrue(e.getMessage().contains(message), e.getMessage());
  }

  @Test
  void aRunWithoutLatencyIsRejected() {
    JsonObject run = put(1, 1, 1, 1, 1).toJson();
    run.remove("latencyUs");
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> Baseline.parse("x.json", new JsonObject().put("suite", true).put("runs", new JsonArray().add(run))
            .encode()));
    assertEquals("--baseline x.json: runs[0] has no \"latencyUs\" object", e.getMessage());
  }

  @Test
  void aMalformedBaselineIsAUsageErrorBeforeAnyLoad() throws Exception {
    Path bad = dir.resolve("before.json");
    Files.writeString(bad, "{\"suite\":true,\"runs\":[{\"label\":\"put\"");
    int code = bench("--endpoints", "http://127.0.0.1:1", "--baseline", bad.toString());
    assertEquals(2, code, () -> "stderr: " + err);
    assertTrue(err.toString().contains("--baseline " + bad + ": is not a JSON object"), err.toString());
    assertEquals("", out.toString(), "nothing ran");
  }

  @Test
  void aMissingOrUnreadableBaselineIsAUsageError() throws Exception {
    Path missing = dir.resolve("nope.json");
    assertEquals(2, bench("--suite", "--endpoints", "http://127.0.0.1:1", "--baseline", missing.toString()));
    assertTrue(err.toString().contains("--baseline " + missing + ": no such file"), err.toString());
    assertEquals(2, bench("--endpoints", "http://127.0.0.1:1", "--baseline", dir.toString()));
    assertTrue(err.toString().contains("--baseline " + dir + ": is a directory"), err.toString());
    Path binary = dir.resolve("bin.json");
    Files.write(binary, new byte[] {(byte) 0xff, (byte) 0xfe, 0x00});
    assertEquals(2, bench("--endpoints", "http://127.0.0.1:1", "--baseline", binary.toString()));
    assertTrue(err.toString().contains("is not UTF-8 text"), err.toString());
    assertEquals("", out.toString(), "nothing ran");
  }

  @Test
  void baselineDoesNotApplyWithFault() throws Exception {
    Path file = dir.resolve("run.json");
    Files.writeString(file, put(1, 16, 5000, 100, 200).toJson().encode());
    assertEquals(2, bench("--fault", "kill", "--clients", "3", "--duration", "20", "--baseline", file.toString()));
    assertTrue(err.toString().contains("--baseline does not apply with --fault"), err.toString());
  }

  @Test
  void helpListsBaseline() {
    assertEquals(0, bench("--help"));
    assertTrue(out.toString().contains("--baseline"), out.toString());
    assertTrue(out.toString().contains("--baseline before.json"), "the example");
  }

  /** The wiring through BenchCommand, against the in-memory fake server: a few hundred ops, no cluster. */
  @Test
  @Timeout(value = 30, unit = TimeUnit.SECONDS)
  void aRunPrintsAndWritesItsComparison() throws Exception {
    Vertx vertx = Vertx.vertx();
    try {
      FakeKvServer fake = await(FakeKvServer.start(vertx, FakeKvServer.Mode.NORMAL));
      try {
        Path before = dir.resolve("before.json");
        Files.writeString(before, suiteJson(put(7, 2, 1000, 100, 200)));
        Path after = dir.resolve("after.json");
        int code = bench("--endpoints", fake.url(), "--clients", "2", "--keys", "7", "--duration", "2", "--warmup",
            "0", "--max-ops", "200", "--seed", "5", "--json", after.toString(), "--baseline", before.toString());
        assertEquals(0, code, () -> "stderr: " + err);
        String printed = out.toString();
        assertTrue(printed.indexOf("Compared with baseline " + before) > printed.indexOf("Result of run"), printed);
        JsonObject r = new JsonObject(Files.readString(after));
        JsonObject cmp = r.getJsonObject("baseline");
        assertEquals(Boolean.TRUE, cmp.getBoolean("matched"), cmp.encode());
        assertEquals(100.0, cmp.getDouble("opsPerSec"));
        double expected = Math.round(r.getDouble("opsPerSec") / 100.0 * 1000) / 1000.0;
        assertEquals(expected, cmp.getJsonObject("ratios").getDouble("opsPerSec"), 0.0011, cmp.encode());
      } finally {
        await(fake.close());
      }
    } finally {
      await(vertx.close());
    }
  }

  private int bench(String... args) {
    return BenchCommand.run(new PrintWriter(out, true), new PrintWriter(err, true), args);
  }

  private static <T> T await(Future<T> f) throws Exception {
    return f.toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }
}
