package io.kshaka.bench;

/**
 * One benchmark case: who issues what for how long.
 *
 * @param label      the case name in reports ("run" for a single run)
 * @param clients    closed-loop clients: each issues its next op when the previous one is answered
 * @param keys       the number of distinct keys (1 = a single hot key)
 * @param mix        the share of each op
 * @param valueSize  bytes per written value
 * @param warmupSeconds   ops started before this are not measured
 * @param durationSeconds the measured phase; no op starts after it
 * @param timeoutMs  the timeout of each request
 * @param maxOps     a cap on measured ops, 0 for none
 * @param seed       seeds the choice of ops, keys and values
 * @param keyPrefix  keys are {@code <prefix>-<i>}, counters for add {@code <prefix>-ctr-<i>}
 */
public record Workload(
    String label,
    int clients,
    int keys,
    Mix mix,
    int valueSize,
    double warmupSeconds,
    double durationSeconds,
    long timeoutMs,
    long maxOps,
    long seed,
    String keyPrefix) {

  /** The key of register {@code i}, for get, put and cas. */
  public String registerKey(int i) {
    return keyPrefix + "-" + i;
  }

  /**
   * The key of counter {@code i}, for add. Counters live apart from the registers because add needs an integer
   * value (a put of random bytes would make every later add answer 409).
   */
  public String counterKey(int i) {
    return keyPrefix + "-ctr-" + i;
  }

  public String keysText() {
    return keys == 1 ? "1 hot key" : keys + " keys";
  }
}
