package io.kshaka.check;

import java.time.Duration;
import java.util.List;
import java.util.Locale;

/**
 * The verdict for one partition (key) of a history.
 *
 * @param key the partition key
 * @param verdict the verdict for this key
 * @param operations how many operations of the history belong to this key
 * @param elapsed how long the search for this key took
 * @param longestPrefix for {@link Verdict#LINEARIZABLE}, a linearization: every operation with a known outcome, and
 *     the unknown-outcome operations that took effect before the last of them (the others took effect after it, or
 *     never); otherwise the longest linearizable prefix the search found, in linearization order
 * @param unplaced for a key that is not linearizable (or unknown): the operations that could have come next after
 *     {@code longestPrefix} in real time, none of which can be placed there (the model rejects them or no
 *     linearization continues from them); empty for a linearizable key
 * @param report a readable text report: one line for a linearizable key, the details for the others
 */
public record KeyResult(
    String key,
    Verdict verdict,
    int operations,
    Duration elapsed,
    List<Op<?, ?>> longestPrefix,
    List<Op<?, ?>> unplaced,
    String report) {

  public KeyResult {
    longestPrefix = List.copyOf(longestPrefix);
    unplaced = List.copyOf(unplaced);
  }

  /** One line: key, verdict, operation count and time. */
  public String line() {
    return String.format(
        Locale.ROOT,
        "key %s: %s (%s, %.3f s)",
        quote(key),
        verdict,
        count(operations, "operation"),
        elapsed.toNanos() / 1e9);
  }

  /** "1 operation", "2 operations". */
  static String count(long n, String noun) {
    return n + " " + noun + (n == 1 ? "" : "s");
  }

  static String quote(String s) {
    StringBuilder b = new StringBuilder("\"");
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '"' || c == '\\') {
        b.append('\\').append(c);
      } else if (c < 0x20) {
        b.append(String.format(Locale.ROOT, "\\u%04x", (int) c));
      } else {
        b.append(c);
      }
    }
    return b.append('"').toString();
  }
}
