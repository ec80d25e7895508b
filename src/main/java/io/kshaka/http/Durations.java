package io.kshaka.http;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Durations in query parameters: a whole number and a unit, {@code 500ms}, {@code 30s}, {@code 5m}, {@code 1h}. */
public final class Durations {
  private static final Pattern FORM = Pattern.compile("([0-9]{1,12})(ms|s|m|h)");

  private Durations() {}

  /**
   * The duration in milliseconds.
   *
   * @throws IllegalArgumentException naming the parameter and the accepted form, or the bounds
   */
  public static long parseMillis(String name, String text, long minMs, long maxMs) {
    Matcher m = text == null ? null : FORM.matcher(text);
    if (m == null || !m.matches()) {
      throw new IllegalArgumentException("query parameter '" + name + "' must be a duration such as 500ms, 30s, 5m or 1h");
    }
    long n = Long.parseLong(m.group(1));
    long unit = switch (m.group(2)) {
      case "ms" -> 1L;
      case "s" -> 1_000L;
      case "m" -> 60_000L;
      default -> 3_600_000L;
    };
    long ms = n > maxMs / unit + 1 ? Long.MAX_VALUE : n * unit;
    if (ms < minMs || ms > maxMs) {
      throw new IllegalArgumentException("query parameter '" + name + "' must be from " + minMs + " ms to " + maxMs
          + " ms, got " + text);
    }
    return ms;
  }
}
