package io.kshaka.core;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * The identity of one change, the same on every retry and takeover of it, so that a register applies it at most
 * once. {@code hash} names it (the first 8 bytes of the SHA-256 of the client's id string, or random for ids made
 * by a proposer); {@code stamp} is when it was first issued (milliseconds of the issuer's clock, 0 when unknown).
 *
 * <p>The stamp is never compared with a clock: a register that forgets old ids keeps the highest stamp it forgot
 * ({@link RequestLog#mayHaveForgotten}), and an id stamped above that cannot be among the forgotten. A skewed clock
 * only makes that proof fail more often (the outcome is then reported unknown); it never makes it wrong, as long as
 * every retry of a change carries the stamp of its first attempt.
 */
public record RequestId(long hash, long stamp) {
  public RequestId {
    if (stamp < 0) throw new IllegalArgumentException("stamp must be >= 0: " + stamp);
  }

  /** The id of a client's request id string (hashed: only 8 bytes are kept per remembered change). */
  public static RequestId of(String id, long stamp) {
    try {
      byte[] d = MessageDigest.getInstance("SHA-256").digest(id.getBytes(StandardCharsets.UTF_8));
      long h = 0;
      for (int i = 0; i < 8; i++) h = (h << 8) | (d[i] & 0xFF);
      return new RequestId(h, stamp);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is part of every JDK", e);
    }
  }

  @Override
  public String toString() {
    return Long.toHexString(hash) + "@" + stamp;
  }
}
