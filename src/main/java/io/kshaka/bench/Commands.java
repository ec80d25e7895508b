package io.kshaka.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Runs short external commands ({@code ip}, {@code kill -STOP}) with a deadline, from the bench's own threads. */
final class Commands {
  private static final long TIMEOUT_MS = 20_000;

  private Commands() {}

  /** Exit code (-1: did not finish or could not start) and output (stdout and stderr merged). */
  record Result(int exitCode, String output) {
    boolean ok() {
      return exitCode == 0;
    }
  }

  static Result run(List<String> command, String input) {
    Process p;
    try {
      p = new ProcessBuilder(command).redirectErrorStream(true).start();
    } catch (IOException e) {
      return new Result(-1, "cannot run " + command.get(0) + ": " + e.getMessage());
    }
    try {
      try (var in = p.getOutputStream()) {
        in.write(input.getBytes(StandardCharsets.UTF_8));
      }
      byte[] out = p.getInputStream().readAllBytes(); // small outputs, prompt exits
      if (!p.waitFor(TIMEOUT_MS, TimeUnit.MILLISECONDS)) {
        p.destroyForcibly();
        return new Result(-1, String.join(" ", command) + ": no exit within " + TIMEOUT_MS + " ms");
      }
      return new Result(p.exitValue(), new String(out, StandardCharsets.UTF_8).trim());
    } catch (IOException e) {
      p.destroyForcibly();
      return new Result(-1, String.join(" ", command) + ": " + e.getMessage());
    } catch (InterruptedException e) {
      p.destroyForcibly();
      Thread.currentThread().interrupt();
      return new Result(-1, String.join(" ", command) + ": interrupted");
    }
  }

  /** Runs {@code command} with {@code input} on its stdin; throws with its output if it fails. */
  static String check(List<String> command, String input) {
    Result r = run(command, input);
    if (!r.ok()) {
      throw new BenchFailure(String.join(" ", command) + " failed (exit " + r.exitCode() + "): " + r.output());
    }
    return r.output();
  }
}
