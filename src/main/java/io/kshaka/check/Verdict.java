package io.kshaka.check;

/** The answer of a linearizability check. */
public enum Verdict {
  /** A linearization was found. */
  LINEARIZABLE,
  /** The search was exhaustive and found no linearization. */
  NOT_LINEARIZABLE,
  /** The search ran out of time (or was interrupted) before reaching an answer. Never counts as a pass. */
  UNKNOWN;

  /** The verdict of a history made of parts with these verdicts: any failure fails, then any unknown is unknown. */
  public static Verdict combine(Iterable<Verdict> parts) {
    boolean unknown = false;
    for (Verdict v : parts) {
      if (v == NOT_LINEARIZABLE) return NOT_LINEARIZABLE;
      if (v == UNKNOWN) unknown = true;
    }
    return unknown ? UNKNOWN : LINEARIZABLE;
  }
}
