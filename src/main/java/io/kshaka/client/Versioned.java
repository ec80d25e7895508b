package io.kshaka.client;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * A register as the node answered it: its value ({@code null} when absent: never written, deleted, or expired), its
 * version (the number of changes applied to it; 0 for a key never written), and when the value expires
 * ({@code expiresAt}, epoch ms; 0 when it has no TTL).
 */
public record Versioned(byte[] value, long version, long expiresAt) {

  public Versioned(byte[] value, long version) {
    this(value, version, 0);
  }

  /** True when the value has a TTL ({@link #expiresAt}). */
  public boolean expiring() {
    return expiresAt != 0;
  }

  /** True when the register holds a value. */
  public boolean present() {
    return value != null;
  }

  /** The value as UTF-8 text, or null when absent. */
  public String asString() {
    return value == null ? null : new String(value, StandardCharsets.UTF_8);
  }

  /**
   * The value read as a decimal long, as {@code add} keeps it; absent counts as 0.
   *
   * @throws NumberFormatException when the value is not a decimal long
   */
  public long asLong() {
    return value == null ? 0L : Long.parseLong(asString());
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Versioned v && version == v.version && expiresAt == v.expiresAt
        && Arrays.equals(value, v.value);
  }

  @Override
  public int hashCode() {
    return 31 * Long.hashCode(version) + Arrays.hashCode(value);
  }

  @Override
  public String toString() {
    if (value == null) return "Versioned(absent, v" + version + ")";
    return "Versioned(" + value.length + " bytes, v" + version + ")";
  }
}
