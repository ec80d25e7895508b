package io.kshaka.check;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * Validates the generic checker, with {@link EtcdModel}, against the 102 Jepsen etcd histories published with
 * Porcupine and their verdicts. The data is not in the repository: it is read from {@code ../shared/data/jepsen-etcd}
 * relative to the project directory (override with {@code -Dkshaka.jepsen.etcd.dir=DIR}); without it the test is
 * skipped.
 */
class JepsenEtcdTest {

  private static final Duration PER_FILE = Duration.ofSeconds(30);

  static Path dataDir() {
    String override = System.getProperty("kshaka.jepsen.etcd.dir");
    if (override != null && !override.isBlank()) return Path.of(override);
    return Path.of(System.getProperty("user.dir")).resolve("../shared/data/jepsen-etcd").normalize();
  }

  @Test
  void jepsenEtcdHistoriesGetPorcupinesVerdicts() throws IOException {
    Path dir = dataDir();
    Assumptions.assumeTrue(
        Files.isRegularFile(dir.resolve("VERDICTS")),
        "Jepsen etcd histories not found at " + dir + " (expected ../shared/data/jepsen-etcd relative to the"
            + " project directory, or -Dkshaka.jepsen.etcd.dir=DIR): skipping the Porcupine validation");
    Map<String, Verdict> expected = new TreeMap<>();
    for (String line : Files.readAllLines(dir.resolve("VERDICTS"), StandardCharsets.UTF_8)) {
      if (line.isBlank()) continue;
      String[] parts = line.trim().split("\\s+");
      assertEquals(2, parts.length, "VERDICTS line: " + line);
      Verdict v;
      if (parts[1].equals("linearizable")) {
        v = Verdict.LINEARIZABLE;
      } else if (parts[1].equals("not-linearizable")) {
        v = Verdict.NOT_LINEARIZABLE;
      } else {
        throw new AssertionError("VERDICTS line: " + line);
      }
      expected.put(parts[0], v);
    }
    assertEquals(102, expected.size(), "number of histories in VERDICTS");

    long start = System.nanoTime();
    String slowest = null;
    Duration slowestTime = Duration.ZERO;
    int linearizable = 0;
    List<String> wrong = new ArrayList<>();
    for (Map.Entry<String, Verdict> e : expected.entrySet()) {
      List<EtcdModel.Operation> history = JepsenEtcdLog.read(dir.resolve(e.getKey()));
      CheckResult result = LinearizabilityChecker.check(EtcdModel.INSTANCE, history, PER_FILE);
      if (result.verdict() != e.getValue()) {
        wrong.add(e.getKey() + ": expected " + e.getValue() + ", got " + result.report());
      }
      if (result.verdict() == Verdict.LINEARIZABLE) linearizable++;
      assertTrue(
          result.elapsed().compareTo(PER_FILE) <= 0, e.getKey() + " took " + result.elapsed() + " > " + PER_FILE);
      if (result.elapsed().compareTo(slowestTime) > 0) {
        slowestTime = result.elapsed();
        slowest = e.getKey();
      }
    }
    double total = (System.nanoTime() - start) / 1e9;
    System.out.printf(
        Locale.ROOT,
        "Jepsen etcd: %d histories (%d linearizable) checked in %.3f s; slowest %s in %.3f s%n",
        expected.size(),
        linearizable,
        total,
        slowest,
        slowestTime.toNanos() / 1e9);
    assertTrue(wrong.isEmpty(), wrong.size() + " wrong verdicts:\n" + String.join("\n", wrong));
  }
}
