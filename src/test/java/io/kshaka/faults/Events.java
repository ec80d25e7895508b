package io.kshaka.faults;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Locale;

/**
 * The run's log of what the harness did (faults, heals, phases), with times on the history's clock
 * ({@link System#nanoTime()}) and as seconds since the run started: {@code events.log} next to the history, and
 * standard output (the test report).
 */
final class Events {
  private final Path file;
  private final long origin;
  private final String prefix;

  Events(Path file, String prefix) {
    this.file = file;
    this.prefix = prefix;
    this.origin = System.nanoTime();
  }

  /** The run's start on the history clock. */
  long origin() {
    return origin;
  }

  /** Seconds since the run started. */
  double seconds() {
    return (System.nanoTime() - origin) / 1e9;
  }

  synchronized void log(String what) {
    long now = System.nanoTime();
    String line = String.format(Locale.ROOT, "%8.3f s  [t=%d] %s", (now - origin) / 1e9, now, what);
    System.out.println(prefix + line);
    try {
      Files.writeString(file, line + "\n", StandardCharsets.UTF_8, StandardOpenOption.CREATE,
          StandardOpenOption.APPEND);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
