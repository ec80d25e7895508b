package io.kshaka.core;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * The value of one register: bytes or absent ({@code value == null}), and the number of changes applied to it.
 * A key never written is {@link #EMPTY}; a deleted key is a tombstone {@code (absent, v)} with {@code v > 0}.
 * The byte array is never mutated after construction.
 */
public record RegisterState(byte[] value, long version) {
  public static final RegisterState EMPTY = new RegisterState(null, 0);

  public RegisterState {
    if (version < 0) throw new IllegalArgumentException("version must be >= 0: " + version);
  }

  public boolean present() {
    return value != null;
  }

  /** The state after one applied change that leaves {@code newValue} (null = absent). */
  public RegisterState next(byte[] newValue) {
    return new RegisterState(newValue, version + 1);
  }

  public static RegisterState of(String utf8, long version) {
    return new RegisterState(utf8 == null ? null : utf8.getBytes(StandardCharsets.UTF_8), version);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof RegisterState s && version == s.version && Arrays.equals(value, s.value);
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
