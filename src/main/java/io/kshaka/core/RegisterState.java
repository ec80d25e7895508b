package io.kshaka.core;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Objects;

/**
 * The value of one register: bytes or absent ({@code value == null}), the number of changes applied to it, and the
 * ids of its latest writes ({@link RequestLog}). A key never written is {@link #EMPTY}; a deleted key is a
 * tombstone {@code (absent, v)} with {@code v > 0}. The byte array is never mutated after construction.
 */
public record RegisterState(byte[] value, long version, RequestLog requests) {
  public static final RegisterState EMPTY = new RegisterState(null, 0);

  public RegisterState {
    if (version < 0) throw new IllegalArgumentException("version must be >= 0: " + version);
    Objects.requireNonNull(requests, "requests");
  }

  public RegisterState(byte[] value, long version) {
    this(value, version, RequestLog.EMPTY);
  }

  public boolean present() {
    return value != null;
  }

  /** The state after one applied change that leaves {@code newValue} (null = absent); the id log is kept. */
  public RegisterState next(byte[] newValue) {
    return new RegisterState(newValue, version + 1, requests);
  }

  /** This state with {@code id} recorded as the change that produced it. */
  public RegisterState recording(RequestId id, long sum, int bound) {
    return new RegisterState(value, version, requests.with(id, version, sum, bound));
  }

  public static RegisterState of(String utf8, long version) {
    return new RegisterState(utf8 == null ? null : utf8.getBytes(StandardCharsets.UTF_8), version);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof RegisterState s && version == s.version && Arrays.equals(value, s.value)
        && requests.equals(s.requests);
  }

  @Override
  public int hashCode() {
    return 31 * Long.hashCode(version) + Arrays.hashCode(value);
  }

  @Override
  public String toString() {
    if (value == null) return "(absent, v" + version + ")";
    String text = new String(value, StandardCharsets.UTF_8);
    if (text.length() > 40) text = text.substring(0, 40) + "...";
    return "(" + text + ", v" + version + ")";
  }
}
