package io.kshaka.http;

/**
 * Durations in query parameters (docs/http.md): {@code <int>(ms|s|m|h)}, for example {@code 500ms}, {@code 30s},
 * {@code 5m}, {@code 1h}.
 */
public final class Durations {
  private Durations() {}

  /** Thrown for a malformed duration; the message names what is wrong. */
  public static final class BadDuration extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    BadDuration(String message) {
      super(message);
    }
  }

  /** The duration in milliseconds; a malformed one (or one over 2^63 ms) throws {@link BadDuration}. */
  public static long parseMillis(String text) {
    if (text == null || text.isEmpty()) throw new BadDuration("empty duration (use e.g. 500ms, 30s, 5m, 1h)");
    int unitAt = 0;
    while (unitAt < text.length() && Character.isDigit(text.charAt(unitAt)) && text.charAt(unitAt) < 0x80) unitAt++;
    if (unitAt == 0 || unitAt > 18) {
      throw new BadDuration("'" + text + "' is not a duration <int>(ms|s|m|h), e.g. 500ms, 30s, 5m, 1h");
    }
    long n = Long.parseLong(text.substring(0, unitAt));
    long factor = switch (text.substring(unitAt)) {
      case "ms" -> 1;
      case "s" -> 1_000;
      case "m" -> 60_000;
      case "h" -> 3_600_000;
      default -> throw new BadDuration("'" + text + "' has no unit ms, s, m or h (e.g. 500ms, 30s, 5m, 1h)");
    };
    try {
      return Math.multiplyExact(n, factor);
    } catch (ArithmeticException e) {
      throw new BadDuration("'" + text + "' is too long");
    }
  }
}
