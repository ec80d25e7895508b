package io.kshaka.core;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Objects;

/**
 * The value of one register: bytes or absent ({@code value == null}), the number of changes applied to it, the
 * ids of its latest writes ({@link RequestLog}), and when the value expires ({@code expiresAt}, epoch milliseconds
 * stamped by the proposer that applied the write: its clock + the TTL; {@link #NO_EXPIRY} = never). A key never
 * written is {@link #EMPTY}; a deleted key is a tombstone {@code (absent, v)} with {@code v > 0}. A value whose
 * expiry has passed is still held (until garbage collection deletes it) but every change and read treats it as
 * absent ({@link #live}). The byte array is never mutated after construction.
 */
public record RegisterState(byte[] value, long version, RequestLog requests, long expiresAt) {
  public static final RegisterState EMPTY = new RegisterState(null, 0);
  /** {@code expiresAt} of a value without a TTL (and of every absent state). */
  public static final long NO_EXPIRY = 0;

  public RegisterState {
    if (version < 0) throw new IllegalArgumentException("version must be >= 0: " + version);
    if (expiresAt < 0) throw new IllegalArgumentException("expiresAt must be >= 0: " + expiresAt);
    Objects.requireNonNull(requests, "requests");
    if (value == null) expiresAt = NO_EXPIRY;
  }

  public RegisterState(byte[] value, long version, RequestLog requests) {
    this(value, version, requests, NO_EXPIRY);
  }

  public RegisterState(byte[] value, long version) {
    this(value, version, RequestLog.EMPTY, NO_EXPIRY);
  }

  /** True when the register holds a value (expired or not: see {@link #live}). */
  public boolean present() {
    return value != null;
  }

  /** True when the value has a TTL. */
  public boolean expiring() {
    return expiresAt != NO_EXPIRY;
  }

  /** True when the register holds a value whose expiry is at or before {@code now} (epoch ms). */
  public boolean expired(long now) {
    return value != null && expiresAt != NO_EXPIRY && expiresAt <= now;
  }

  /** True when the register holds a value that has not expired at {@code now}. */
  public boolean live(long now) {
    return value != null && !expired(now);
  }

  /**
   * The state as a reader sees it at {@code now}: this one, or for an expired value the absent state at the same
   * version (and ids).
   */
  public RegisterState at(long now) {
    return expired(now) ? new RegisterState(null, version, requests, NO_EXPIRY) : this;
  }

  /** The state after one applied change that leaves {@code newValue} (null = absent), without a TTL; ids kept. */
  public RegisterState next(byte[] newValue) {
    return new RegisterState(newValue, version + 1, requests, NO_EXPIRY);
  }

  /** The state after one applied change that leaves {@code newValue} expiring at {@code expiresAt}; ids kept. */
  public RegisterState next(byte[] newValue, long expiresAt) {
    return new RegisterState(newValue, version + 1, requests, expiresAt);
  }

  /** This state with {@code id} recorded as the change that produced it. */
  public RegisterState recording(RequestId id, long sum, int bound) {
    return new RegisterState(value, version, requests.with(id, version, sum, bound), expiresAt);
  }

  public static RegisterState of(String utf8, long version) {
    return new RegisterState(utf8 == null ? null : utf8.getBytes(StandardCharsets.UTF_8), version);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof RegisterState s && version == s.version && expiresAt == s.expiresAt
        && Arrays.equals(value, s.value) && requests.equals(s.requests);
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
    return "(" + text + ", v" + version + (expiresAt == NO_EXPIRY ? "" : ", expires " + expiresAt) + ")";
  }
}
