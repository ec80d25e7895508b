package io.kshaka.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * One seed is one run, exactly: a sample of seeds is replayed and the trace hashes (every event, its time and its
 * contents) must agree. Hidden nondeterminism (iteration over a hash set of unstable order, identity hash codes,
 * wall-clock time, a per-JVM salt) fails here. Replays in this JVM and in a fresh one, since some orders (for
 * example of {@code Set.copyOf}) change only from one JVM to the next.
 */
class DeterminismTest {
  private static final long[] SAMPLE = {0, 1, 2, 3, 5, 8, 13, 21, 34, 55, 89, 144};

  @Test
  void sameSeedSameTraceInThisJvm() {
    for (SimConfig config : configs()) {
      for (long seed : SAMPLE) {
        SimResult a = Simulation.run(config, seed);
        SimResult b = Simulation.runUnchecked(config, seed);
        assertEquals(a.traceHash(), b.traceHash(), () -> "seed " + seed + " (" + config + ") ran two ways");
        if (b.failure() != null) {
          assertEquals(withoutTimes(a.failure()), withoutTimes(b.failure()),
              () -> "seed " + seed + " (" + config + ") ended two ways");
        }
        SimResult traced = Simulation.runTraced(config, seed);
        assertEquals(a.traceHash(), traced.traceHash(), () -> "seed " + seed + " (" + config + ") ran another way"
            + " when traced");
      }
    }
  }

  @Test
  void sameSeedSameTraceInAnotherJvm() throws IOException, InterruptedException {
    for (SimConfig config : configs()) {
      Map<Long, String> here = new LinkedHashMap<>();
      for (long seed : SAMPLE) here.put(seed, Long.toHexString(Simulation.runUnchecked(config, seed).traceHash()));
      Map<Long, String> there = inAnotherJvm(config);
      assertEquals(here, there, () -> "trace hashes differ between JVMs for " + config);
    }
  }

  /** A failure's text without the checker's wall-clock durations. */
  static String withoutTimes(String failure) {
    return failure == null ? null : failure.replaceAll("\\d+\\.\\d+ s\\b", "_ s");
  }

  private static List<SimConfig> configs() {
    return List.of(SimConfig.of(3), SimConfig.of(5).withOneRtt(false),
        SimConfig.of(3).withVariant(Variant.QUORUM_OF_ONE), SimConfig.membership(3));
  }

  private static Map<Long, String> inAnotherJvm(SimConfig config) throws IOException, InterruptedException {
    String classpath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
    List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-XX:+UseSerialGC", "-cp", classpath, TraceHashMain.class.getName(), config.acceptors() + (config.membership() ? "m" : ""),
        config.variant().name(), Boolean.toString(config.oneRtt())));
    for (long seed : SAMPLE) cmd.add(Long.toString(seed));
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!p.waitFor(5, TimeUnit.MINUTES)) {
      p.destroyForcibly();
      throw new AssertionError("the other JVM did not finish");
    }
    assertEquals(0, p.exitValue(), () -> "the other JVM failed:\n" + out);
    Map<Long, String> hashes = new LinkedHashMap<>();
    for (String line : out.split("\n")) {
      String[] parts = line.trim().split(" ");
      if (parts.length == 2) hashes.put(Long.parseLong(parts[0]), parts[1]);
    }
    return hashes;
  }
}
