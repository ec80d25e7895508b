package io.kshaka.check;

import java.util.Objects;

/**
 * What a client got back from one Kshaka operation: the output of an {@link Operation}. Every output carries the
 * register's version as the client saw it (after the change if it applied, else the current one).
 */
public sealed interface Output {

  /** The register's version in this output. */
  long version();

  /** A get's result (value null = absent), or a successful add's sum. */
  static Output value(String value, long version) {
    return new Value(value, version);
  }

  /** A successful put, create or delete: the version after it. */
  static Output written(long version) {
    return new Written(version);
  }

  /** A compare-and-set's result. */
  static Output cas(boolean ok, long version) {
    return new CasResult(ok, version);
  }

  /** A refused change: {@link #VERSION_MISMATCH} or {@link #NOT_INTEGER}, with the version seen. */
  static Output refused(String error, long version) {
    return new Refused(error, version);
  }

  String VERSION_MISMATCH = "version_mismatch";
  String NOT_INTEGER = "not_integer";

  /** JSON {@code {"value": v|null, "version": n}}. */
  record Value(String value, long version) implements Output {}

  /** JSON {@code {"version": n}}. */
  record Written(long version) implements Output {}

  /** JSON {@code {"ok": bool, "version": n}}. */
  record CasResult(boolean ok, long version) implements Output {}

  /** JSON {@code {"error": code, "version": n}}. */
  record Refused(String error, long version) implements Output {
    public Refused {
      Objects.requireNonNull(error, "error");
    }
  }
}
