package io.kshaka.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs short external commands ({@code ip}, {@code iptables}, {@code kill -STOP}) with a deadline: for the bench's
 * fault mode and the fault tests.
 */
public final class Commands {
  private static final long TIMEOUT_MS = 20_000;

  private Commands() {}

  /** Exit code (-1: did not finish or could not start) and output (stdout and stderr merged). */
  public record Result(int exitCode, String output) {
    public boolean ok() {
      return exitCode == 0;
    }
  }

  /** Runs {@code command}; never throws for a failing command, only returns its exit code. */
  public static Result run(List<String> command, Duration timeout) {
    return run(command, "", timeout);
  }

  static Result run(List<String> command, String input) {
    return run(command, input, Duration.ofMillis(TIMEOUT_MS));
  }

  /** Runs {@code command} with {@code input} on its standard input (small: a batch of commands). */
  public static Result run(List<String> command, String input, Duration timeout) {
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
      if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        p.destroyForcibly();
        return new Result(-1, String.join(" ", command) + ": no exit within " + timeout.toMillis() + " ms");
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

  /** Runs {@code command} and throws with its output if it fails. */
  public static String check(List<String> command) {
    return check(command, "");
  }

  /** Runs {@code command} with {@code input} on its stdin; throws with its output if it fails. */
  public static String check(List<String> command, String input) {
    Result r = run(command, input);
    if (!r.ok()) {
      throw new BenchFailure(String.join(" ", command) + " failed (exit " + r.exitCode() + "): " + r.output()
          + (input.isEmpty() ? "" : "\ninput:\n" + input));
    }
    return r.output();
  }

  /** Sends a signal to one process by its PID ({@code kill -STOP <pid>}, {@code kill -CONT <pid>}). */
  public static void signal(long pid, String signal) {
    check(List.of("kill", "-" + signal, Long.toString(pid)));
  }
}
