package io.kshaka.cluster;

import io.kshaka.core.Outcome;

/** The client-visible error kinds, with the HTTP status each maps to (docs/http.md). */
public enum KvError {
  BAD_REQUEST(400, "bad_request", null),
  NOT_INTEGER(409, "not_integer", null),
  VERSION_MISMATCH(412, "version_mismatch", null),
  VALUE_TOO_LARGE(413, "value_too_large", Outcome.NOT_APPLIED),
  CHANGE_REJECTED(422, "change_rejected", null),
  NO_QUORUM(503, "no_quorum", Outcome.NOT_APPLIED),
  OUTCOME_UNKNOWN(504, "outcome_unknown", Outcome.UNKNOWN);

  public final int status;
  public final String code;
  /** The outcome the client may conclude, or null when the request was answered (it changed nothing). */
  public final Outcome outcome;

  KvError(int status, String code, Outcome outcome) {
    this.status = status;
    this.code = code;
    this.outcome = outcome;
  }

  public static KvError byStatus(int status) {
    for (KvError e : values()) if (e.status == status) return e;
    return null;
  }

  /** The wire name of an outcome: {@code not_applied} or {@code unknown}. */
  public static String outcomeName(Outcome outcome) {
    return outcome == null ? null : outcome.name().toLowerCase(java.util.Locale.ROOT);
  }
}
