package io.kshaka.core;

/** What a client may conclude about its change. */
public enum Outcome {
  /** The change is chosen (or, for a refused change, definitely had no effect but the read was linearizable). */
  APPLIED,
  /** No accept was sent: the change did not and will not take effect. */
  NOT_APPLIED,
  /** An accept was sent but no quorum confirmed it: a later round may still make it take effect. */
  UNKNOWN
}
