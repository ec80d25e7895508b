package io.kshaka.client;

import io.kshaka.core.Outcome;
import java.util.OptionalLong;

/**
 * A request that failed, as the node told it (or as the transport did). The status mirrors the HTTP API:
 * 400 bad_request, 401 unauthorized (no token, or an unknown one), 403 forbidden (the token's role is too low),
 * 409 not_integer, 412 version_mismatch (with the current version), 413 value_too_large,
 * 422 change_rejected, 503 no_quorum (outcome not applied), 503 unreachable (no Kshaka node reachable on the event
 * bus: not applied), 504 outcome_unknown (outcome unknown).
 */
public final class KshakaException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final int status;
  private final String error;
  private final Outcome outcome;
  private final Long version;

  public KshakaException(int status, String error, Outcome outcome, Long version, String message) {
    super(message, null, false, false);
    this.status = status;
    this.error = error;
    this.outcome = outcome;
    this.version = version;
  }

  /** The HTTP-like status: 400, 401, 403, 409, 412, 413, 422, 503, 504 (500 for a reply the client could not read). */
  public int status() {
    return status;
  }

  /**
   * The error code: bad_request, not_integer, version_mismatch, value_too_large, no_quorum, unreachable,
   * outcome_unknown...
   */
  public String error() {
    return error;
  }

  /**
   * What may be concluded about the change: {@link Outcome#NOT_APPLIED} (it did not and will not take effect),
   * {@link Outcome#UNKNOWN} (it may still take effect: read before retrying a non-idempotent change), or null when
   * the node answered and refused it (a 4xx: nothing changed).
   */
  public Outcome outcome() {
    return outcome;
  }

  /** The register's current version, when the node told it (412 version_mismatch). */
  public OptionalLong version() {
    return version == null ? OptionalLong.empty() : OptionalLong.of(version);
  }

  @Override
  public String toString() {
    return "KshakaException{" + status + " " + error + (outcome == null ? "" : ", outcome " + outcome)
        + (version == null ? "" : ", version " + version) + ": " + getMessage() + "}";
  }
}
