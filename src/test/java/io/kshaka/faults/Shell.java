package io.kshaka.faults;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Runs short external commands ({@code ip}, {@code iptables}, {@code kill -STOP}) with a deadline. */
final class Shell {
  private Shell() {}

  /** What a command printed (stdout and stderr merged) and its exit code (-1: it did not finish in time). */
  record Result(int exitCode, String output) {
    boolean ok() {
      return exitCode == 0;
    }
  }

  /** Runs {@code command}; never throws for a failing command, only returns its exit code. */
  static Result run(List<String> command, Duration timeout) {
    return run(command, "", timeout);
  }

  /** Runs {@code command} with {@code input} on its standard input (small: a batch of commands). */
  static Result run(List<String> command, String input, Duration timeout) {
    Process p;
    try {
      p = new ProcessBuilder(command).redirectErrorStream(true).start();
    } catch (IOException e) {
      return new Result(127, "cannot run " + command.get(0) + ": " + e.getMessage());
    }
    try {
      try (var in = p.getOutputStream()) {
        in.write(input.getBytes(StandardCharsets.UTF_8));
      }
      // the output of these commands is small and they exit promptly: read to EOF, then wait for the exit
      byte[] out = p.getInputStream().readAllBytes();
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
  static String check(List<String> command) {
    return check(command, "");
  }

  /** Runs {@code command} with {@code input} on its standard input and throws with its output if it fails. */
  static String check(List<String> command, String input) {
    Result r = run(command, input, Duration.ofSeconds(20));
    if (!r.ok()) {
      throw new IllegalStateException(String.join(" ", command) + " failed (exit " + r.exitCode() + "): " + r.output()
          + (input.isEmpty() ? "" : "\ninput:\n" + input));
    }
    return r.output();
  }

  /** Sends a signal to one process by its PID ({@code kill -STOP <pid>}, {@code kill -CONT <pid>}). */
  static void signal(long pid, String signal) {
    check(List.of("kill", "-" + signal, Long.toString(pid)));
  }
}
