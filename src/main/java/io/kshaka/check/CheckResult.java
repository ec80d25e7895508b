package io.kshaka.check;

import java.time.Duration;
import java.util.List;
import java.util.Locale;

/**
 * The verdict for a whole history: {@link Verdict#NOT_LINEARIZABLE} if any key is not linearizable, else
 * {@link Verdict#UNKNOWN} if any key timed out, else {@link Verdict#LINEARIZABLE}.
 *
 * @param verdict the overall verdict
 * @param keys one result per key, sorted by key
 * @param elapsed wall-clock time of the whole check
 */
public record CheckResult(Verdict verdict, List<KeyResult> keys, Duration elapsed) {

  public CheckResult {
    keys = List.copyOf(keys);
  }

  /** True only for {@link Verdict#LINEARIZABLE}; an unknown verdict is not a pass. */
  public boolean linearizable() {
    return verdict == Verdict.LINEARIZABLE;
  }

  /** The result for one key, or null if the history has no operation on it. */
  public KeyResult key(String key) {
    for (KeyResult k : keys) {
      if (k.key().equals(key)) return k;
    }
    return null;
  }

  /** The summary line: verdict, counts of keys by verdict, operations, time. */
  public String summary() {
    int ops = 0;
    int[] byVerdict = new int[Verdict.values().length];
    for (KeyResult k : keys) {
      ops += k.operations();
      byVerdict[k.verdict().ordinal()]++;
    }
    return String.format(
        Locale.ROOT,
        "%s: %s (%d linearizable, %d not linearizable, %d unknown), %s, %.3f s",
        verdict,
        KeyResult.count(keys.size(), "key"),
        byVerdict[Verdict.LINEARIZABLE.ordinal()],
        byVerdict[Verdict.NOT_LINEARIZABLE.ordinal()],
        byVerdict[Verdict.UNKNOWN.ordinal()],
        KeyResult.count(ops, "operation"),
        elapsed.toNanos() / 1e9);
  }

  /**
   * The readable report: one line per key, then the details of every key that is not linearizable or unknown, then
   * the summary line.
   */
  public String report() {
    StringBuilder b = new StringBuilder();
    for (KeyResult k : keys) b.append(k.line()).append('\n');
    for (KeyResult k : keys) {
      if (k.verdict() != Verdict.LINEARIZABLE) b.append('\n').append(k.report());
    }
    if (keys.stream().anyMatch(k -> k.verdict() != Verdict.LINEARIZABLE)) b.append('\n');
    b.append(summary()).append('\n');
    return b.toString();
  }

  @Override
  public String toString() {
    return summary();
  }
}
