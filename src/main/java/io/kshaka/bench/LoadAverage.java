package io.kshaka.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/** The 1-minute load average from /proc/loadavg (Linux), read on the reporting thread, never on an event loop. */
final class LoadAverage {
  private static final Path LOADAVG = Path.of("/proc/loadavg");

  private LoadAverage() {}

  /** The 1-minute load average, or null where /proc/loadavg cannot be read. */
  static Double oneMinute() {
    try {
      String text = new String(Files.readAllBytes(LOADAVG), StandardCharsets.US_ASCII).trim();
      int space = text.indexOf(' ');
      return Double.valueOf(space < 0 ? text : text.substring(0, space));
    } catch (IOException | RuntimeException e) {
      return null;
    }
  }

  static String format(Double load) {
    return load == null ? "n/a" : String.format(java.util.Locale.ROOT, "%.2f", load);
  }
}
