package io.kshaka.check;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HistoryIoTest {

  static final List<Operation> EVERY_KIND =
      List.of(
          Operation.completed("k", Input.get(), 1, 2, Output.value(null, 0)),
          Operation.completed("k", Input.put("a \"quoted\"\nvalue"), 3, 4, Output.written(1)),
          Operation.completed("k", Input.get(), 5, 6, Output.value("a \"quoted\"\nvalue", 1)),
          Operation.completed("k", Input.cas(1, "b"), 7, 8, Output.cas(true, 2)),
          Operation.completed("k", Input.cas(1, "c"), 9, 10, Output.cas(false, 2)),
          Operation.completed("k", Input.add(5), 11, 12, Output.refused(Output.NOT_INTEGER, 2)),
          Operation.completed("k", Input.delete(1), 13, 14, Output.refused(Output.VERSION_MISMATCH, 2)),
          Operation.completed("k", Input.delete(2), 15, 16, Output.written(3)),
          Operation.completed("k", Input.delete(), 17, 18, Output.written(3)),
          Operation.completed("k", Input.add(-7), 19, 20, Output.value("-7", 4)),
          Operation.completed("ключ/2", Input.create("x"), 21, 22, Output.written(1)),
          Operation.unknown("k", Input.put("z"), Long.MAX_VALUE - 1));

  @Test
  void writesTheIssueFormat() {
    assertEquals(
        "{\"key\":\"k\",\"f\":\"cas\",\"arg\":[1,\"b\"],\"call\":7,\"ret\":8,\"out\":{\"ok\":true,\"version\":2}}",
        EVERY_KIND.get(3).toJson());
    assertEquals(
        "{\"key\":\"k\",\"f\":\"get\",\"arg\":null,\"call\":1,\"ret\":2,\"out\":{\"value\":null,\"version\":0}}",
        EVERY_KIND.get(0).toJson());
    assertEquals(
        "{\"key\":\"k\",\"f\":\"add\",\"arg\":5,\"call\":11,\"ret\":12,"
            + "\"out\":{\"error\":\"not_integer\",\"version\":2}}",
        EVERY_KIND.get(5).toJson());
    assertEquals(
        "{\"key\":\"k\",\"f\":\"delete\",\"arg\":null,\"call\":17,\"ret\":18,\"out\":{\"version\":3}}",
        EVERY_KIND.get(8).toJson());
    assertEquals(
        "{\"key\":\"k\",\"f\":\"put\",\"arg\":\"z\",\"call\":9223372036854775806,\"ret\":null,\"out\":null}",
        EVERY_KIND.get(11).toJson());
  }

  @Test
  void writerAndReaderRoundTripEveryKindOfOperation(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("h.jsonl");
    HistoryWriter.write(file, EVERY_KIND);
    assertEquals(EVERY_KIND.size(), Files.readAllLines(file).size());
    assertEquals(EVERY_KIND, HistoryReader.read(file));
    StringWriter text = new StringWriter();
    try (HistoryWriter w = new HistoryWriter(text)) {
      for (Operation op : EVERY_KIND) w.write(op);
    }
    assertEquals(EVERY_KIND, HistoryReader.parse(text.toString()));
  }

  @Test
  void readerSkipsBlankLinesAndAcceptsLenientForms() throws Exception {
    List<Operation> ops =
        HistoryReader.parse(
            "\n"
                + "{\"key\":\"k\",\"f\":\"cas\",\"arg\":[0,\"v\"],\"call\":1,\"ret\":2,"
                + "\"out\":{\"error\":\"version_mismatch\",\"version\":3}}\n"
                + "   \n"
                + "{\"key\":\"k\",\"f\":\"add\",\"arg\":2,\"call\":3,\"ret\":4,\"out\":{\"value\":5,\"version\":4}}\n"
                + "{\"key\":\"k\",\"f\":\"delete\",\"call\":5}\n");
    assertEquals(
        List.of(
            Operation.completed("k", Input.cas(0, "v"), 1, 2, Output.refused(Output.VERSION_MISMATCH, 3)),
            Operation.completed("k", Input.add(2), 3, 4, Output.value("5", 4)),
            Operation.unknown("k", Input.delete(), 5)),
        ops);
  }

  @Test
  void readerNamesTheLineOfAMalformedRecord() {
    String good = "{\"key\":\"k\",\"f\":\"get\",\"arg\":null,\"call\":1,\"ret\":2,\"out\":{\"value\":null,\"version\":0}}\n";
    String[][] cases = {
      {"not json", "not JSON"},
      {"[1,2]", "not a JSON object"},
      {"{\"f\":\"get\",\"call\":1,\"ret\":null}", "\"key\" must be a string"},
      {"{\"key\":\"k\",\"f\":\"frob\",\"call\":1,\"ret\":null}", "unknown \"f\": frob"},
      {"{\"key\":\"k\",\"f\":\"get\",\"call\":\"x\",\"ret\":null}", "\"call\" must be an integer"},
      {"{\"key\":\"k\",\"f\":\"get\",\"call\":5,\"ret\":4,\"out\":{\"value\":null,\"version\":0}}", "before \"call\""},
      {"{\"key\":\"k\",\"f\":\"put\",\"arg\":1,\"call\":1,\"ret\":null}", "arg of put must be a string"},
      {"{\"key\":\"k\",\"f\":\"cas\",\"arg\":[1],\"call\":1,\"ret\":null}", "arg of cas must be"},
      {"{\"key\":\"k\",\"f\":\"put\",\"arg\":\"v\",\"call\":1,\"ret\":2}", "\"out\" must be an object"},
      {"{\"key\":\"k\",\"f\":\"put\",\"arg\":\"v\",\"call\":1,\"ret\":2,\"out\":{}}", "out.version must be"},
      {"{\"key\":\"k\",\"f\":\"cas\",\"arg\":[1,\"v\"],\"call\":1,\"ret\":2,\"out\":{\"version\":1}}", "out.ok"},
      {"{\"key\":\"k\",\"f\":\"get\",\"call\":1,\"ret\":2,\"out\":{\"version\":1}}", "out.value is missing"},
    };
    for (String[] c : cases) {
      MalformedHistoryException e =
          assertThrows(MalformedHistoryException.class, () -> HistoryReader.parse(good + "\n" + good + c[0] + "\n"));
      assertEquals(4, e.lineNumber(), c[0]);
      assertTrue(e.getMessage().startsWith("line 4: "), e.getMessage());
      assertTrue(e.getMessage().contains(c[1]), c[0] + " -> " + e.getMessage());
    }
  }

  @Test
  void recorderTimesOperationsWithItsClockAndKeepsPendingOnesAsUnknown(@TempDir Path dir) throws Exception {
    long[] now = {100};
    HistoryRecorder history = new HistoryRecorder(() -> now[0]);
    HistoryRecorder.Pending put = history.call("k", Input.put("a"));
    now[0] = 110;
    HistoryRecorder.Pending get = history.call("k", Input.get());
    HistoryRecorder.Pending failed = history.call("k", Input.put("never"));
    HistoryRecorder.Pending lost = history.call("k", Input.delete());
    now[0] = 120;
    get.ok(Output.value("a", 1));
    failed.notApplied();
    now[0] = 130;
    put.ok(Output.written(1));
    HistoryRecorder.Pending inFlight = history.call("k", Input.add(1));
    lost.unknown();
    assertThrows(IllegalStateException.class, () -> get.ok(Output.value("a", 1)));
    List<Operation> expected =
        List.of(
            Operation.completed("k", Input.put("a"), 100, 130, Output.written(1)),
            Operation.completed("k", Input.get(), 110, 120, Output.value("a", 1)),
            Operation.unknown("k", Input.delete(), 110),
            Operation.unknown("k", Input.add(1), 130));
    assertEquals(expected, history.operations());
    assertEquals(130, inFlight.callTime());
    assertEquals(Verdict.LINEARIZABLE, history.check(java.time.Duration.ofSeconds(10)).verdict());
    Path file = dir.resolve("recorded.jsonl");
    history.writeTo(file);
    assertEquals(expected, HistoryReader.read(file));
  }
}
