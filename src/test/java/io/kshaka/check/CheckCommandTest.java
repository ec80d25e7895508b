package io.kshaka.check;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CheckCommandTest {

  @TempDir Path dir;

  private final StringWriter out = new StringWriter();
  private final StringWriter err = new StringWriter();

  private int run(String... args) {
    return CheckCommand.run(new PrintWriter(out, true), new PrintWriter(err, true), args);
  }

  private Path file(List<Operation> ops) {
    Path f = dir.resolve("history.jsonl");
    HistoryWriter.write(f, ops);
    return f;
  }

  @Test
  void linearizableHistoryExitsZeroWithOneLinePerKeyAndSummary() {
    Path f =
        file(
            List.of(
                Operation.completed("a", Input.put("1"), 0, 10, Output.written(1)),
                Operation.completed("b", Input.get(), 0, 10, Output.value(null, 0)),
                Operation.completed("a", Input.get(), 5, 12, Output.value("1", 1))));
    assertEquals(0, run(f.toString()), out + "\n" + err);
    String[] lines = out.toString().split("\n");
    assertEquals(3, lines.length, out.toString());
    assertTrue(lines[0].startsWith("key \"a\": LINEARIZABLE (2 operations"), lines[0]);
    assertTrue(lines[1].startsWith("key \"b\": LINEARIZABLE (1 operation,"), lines[1]);
    assertTrue(lines[2].startsWith("LINEARIZABLE: 2 keys"), lines[2]);
  }

  @Test
  void nonLinearizableHistoryExitsOneWithReport() {
    Path f =
        file(
            List.of(
                Operation.completed("a", Input.put("1"), 0, 10, Output.written(1)),
                Operation.completed("a", Input.get(), 20, 30, Output.value(null, 0))));
    assertEquals(1, run(f.toString()), out + "\n" + err);
    assertTrue(out.toString().contains("key \"a\": NOT_LINEARIZABLE"), out.toString());
    assertTrue(out.toString().contains("operations that could not be placed next:"), out.toString());
    String[] lines = out.toString().split("\n");
    assertTrue(lines[0].startsWith("key \"a\": NOT_LINEARIZABLE (2 operations"), lines[0]);
    assertTrue(lines[lines.length - 1].startsWith("NOT_LINEARIZABLE: 1 key "), lines[lines.length - 1]);
  }

  @Test
  void malformedRecordExitsTwoNamingItsLine() throws Exception {
    Path f = file(List.of(Operation.completed("a", Input.put("1"), 0, 10, Output.written(1))));
    List<String> lines = new ArrayList<>(Files.readAllLines(f, StandardCharsets.UTF_8));
    lines.add("");
    lines.add("{\"key\":\"a\",\"f\":\"get\",\"call\":11,\"ret\":12,\"out\":{\"value\":\"1\"}}");
    Files.write(f, lines, StandardCharsets.UTF_8);
    assertEquals(2, run(f.toString()));
    assertTrue(err.toString().contains("line 3: out.version must be an integer"), err.toString());
  }

  @Test
  void unknownVerdictExitsTwo() {
    Path f = file(LinearizabilityCheckerTest.hardHistory("k", 20));
    assertEquals(2, run("--timeout-per-key", "0.000000001", f.toString()), out + "\n" + err);
    assertTrue(out.toString().contains("key \"k\": UNKNOWN"), out.toString());
  }

  @Test
  void badInvocationExitsTwo() {
    assertEquals(2, run());
    assertTrue(err.toString().contains("Missing required parameter"), err.toString());
    assertEquals(2, run(dir.resolve("missing.jsonl").toString()));
    assertTrue(err.toString().contains("no such file"), err.toString());
    assertEquals(2, run("--timeout-per-key", "0", dir.resolve("missing.jsonl").toString()));
    assertEquals(2, run("--timeout-per-key", "soon", "x"));
  }

  @Test
  void helpExitsZero() {
    assertEquals(0, run("--help"));
    assertTrue(out.toString().contains("--timeout-per-key"), out.toString());
  }
}
