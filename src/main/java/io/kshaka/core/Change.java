package io.kshaka.core;

import java.nio.charset.StandardCharsets;
import java.util.Objects;

/**
 * A side-effect-free function from a register's current state and the time to its next state. Applying a change
 * yields a {@link ChangeResult}: the state after it and whether it applied, or why not. A change that applies bumps
 * the version by exactly one; a refused change or a read leaves the state as it was.
 *
 * <p>Time: {@code now} is the applying proposer's wall clock (epoch milliseconds). A value whose expiry is at or
 * before {@code now} is treated as absent by every change ({@link RegisterState#live}): a read answers it absent at
 * its version, a create-only put succeeds, a compare-and-set fails as on an absent key, a delete changes nothing.
 * Writes with a TTL ({@code ttlMs > 0}) stamp {@code now + ttlMs} as the new value's expiry; writes without one
 * leave a value without expiry.
 */
public sealed interface Change {
  /** Applies the change to {@code current} at wall-clock time {@code now} (epoch ms). */
  ChangeResult apply(RegisterState current, long now);

  /** {@link #apply(RegisterState, long)} at time 0, before any expiry (changes that do not depend on time, tests). */
  default ChangeResult apply(RegisterState current) {
    return apply(current, 0);
  }

  /** The expiry a write with {@code ttlMs} stamps at {@code now}: none when {@code ttlMs <= 0}. */
  static long expiry(long now, long ttlMs) {
    if (ttlMs <= 0) return RegisterState.NO_EXPIRY;
    long at = now + ttlMs;
    return at < now ? Long.MAX_VALUE : Math.max(1, at);
  }

  /** True for changes that never modify the register. */
  default boolean readOnly() {
    return false;
  }

  /**
   * True for changes whose round must end with an accept even when its prepare shows the state chosen already
   * ({@link Touch}, {@link Forget}).
   */
  default boolean forcesAccept() {
    return false;
  }

  /**
   * The identity change of the membership rescan and of garbage collection: leaves the state as it is, but always
   * accepts it again at a new ballot, on the accept set of the configuration it runs under.
   */
  record Touch() implements Change {
    public static final Touch INSTANCE = new Touch();

    @Override
    public ChangeResult apply(RegisterState current, long now) {
      return ChangeResult.ok(current);
    }

    @Override
    public boolean readOnly() {
      return true;
    }

    @Override
    public boolean forcesAccept() {
      return true;
    }
  }

  /**
   * The first step of garbage collection: turns a tombstone {@code (absent, v > 0)} into {@code (absent, 0)} with
   * an empty request log (the proposer records no request id for it), and leaves any other state as it is. The
   * proposer applies it only to a tombstone whose ids are all stamped before its {@code forgottenBefore} (else it
   * changes nothing), so GC fences {@code forgottenBefore} past a tombstone's ids before forgetting it. The log
   * keeps only the highest stamp of the ids it drops ({@link RequestLog#forgetAll}), so that a repeat of the
   * tombstone's delete is answered UNKNOWN rather than applied again at version 0 (the simulator, seed 48 with 3
   * acceptors); a key that had no ids becomes exactly {@link RegisterState#EMPTY}. Like {@link Touch} it always
   * ends with an accept, so once chosen every acceptor of the accept set holds {@code (absent, 0)} at the round's
   * ballot Bc: an acceptor that later removes the key ({@code Acceptor.collectable}) then tells the same value and
   * version as one that has not removed it yet, and versions never go back to 0 after a later write built on the
   * tombstone.
   */
  record Forget() implements Change {
    public static final Forget INSTANCE = new Forget();

    @Override
    public ChangeResult apply(RegisterState current, long now) {
      if (current.present() || current.version() == 0) return ChangeResult.ok(current);
      return ChangeResult.ok(new RegisterState(null, 0, current.requests().forgetAll()));
    }

    @Override
    public boolean forcesAccept() {
      return true;
    }
  }

  /** Returns the current state as seen at {@code now}: an expired value reads as absent at its version. */
  record Read() implements Change {
    public static final Read INSTANCE = new Read();

    @Override
    public ChangeResult apply(RegisterState current, long now) {
      return ChangeResult.ok(current.at(now));
    }

    @Override
    public boolean readOnly() {
      return true;
    }
  }

  /** Unconditional write; with {@code ttlMs > 0} the value expires {@code ttlMs} after it is applied. */
  record Put(byte[] value, long ttlMs) implements Change {
    public Put {
      Objects.requireNonNull(value, "value");
      if (ttlMs < 0) throw new IllegalArgumentException("ttlMs must be >= 0: " + ttlMs);
    }

    public Put(byte[] value) {
      this(value, 0);
    }

    @Override
    public ChangeResult apply(RegisterState current, long now) {
      return ChangeResult.ok(current.next(value, Change.expiry(now, ttlMs)));
    }
  }

  /**
   * Write only if the current version is {@code expectedVersion} and the register is not an expired value (which
   * counts as absent: it fails as any mismatch). With {@code ttlMs > 0} the new value expires {@code ttlMs} after
   * it is applied: writing the same value back refreshes a TTL.
   */
  record CompareAndSet(long expectedVersion, byte[] value, long ttlMs) implements Change {
    public CompareAndSet {
      Objects.requireNonNull(value, "value");
      if (ttlMs < 0) throw new IllegalArgumentException("ttlMs must be >= 0: " + ttlMs);
    }

    public CompareAndSet(long expectedVersion, byte[] value) {
      this(expectedVersion, value, 0);
    }

    @Override
    public ChangeResult apply(RegisterState current, long now) {
      if (current.version() != expectedVersion || current.expired(now)) {
        return ChangeResult.versionMismatch(current.at(now));
      }
      return ChangeResult.ok(current.next(value, Change.expiry(now, ttlMs)));
    }
  }

  /** Write only if the register is absent (never written, deleted, or expired at {@code now}); optional TTL. */
  record PutIfAbsent(byte[] value, long ttlMs) implements Change {
    public PutIfAbsent {
      Objects.requireNonNull(value, "value");
      if (ttlMs < 0) throw new IllegalArgumentException("ttlMs must be >= 0: " + ttlMs);
    }

    public PutIfAbsent(byte[] value) {
      this(value, 0);
    }

    @Override
    public ChangeResult apply(RegisterState current, long now) {
      if (current.live(now)) return ChangeResult.versionMismatch(current);
      return ChangeResult.ok(current.next(value, Change.expiry(now, ttlMs)));
    }
  }

  /**
   * The first step of collecting an expired key: deletes the value (a tombstone {@code (absent, v+1)}) only if it
   * has expired at {@code now}; any other state is left as it is. Garbage collection then collects the tombstone.
   */
  record Expire() implements Change {
    public static final Expire INSTANCE = new Expire();

    @Override
    public ChangeResult apply(RegisterState current, long now) {
      if (!current.expired(now)) return ChangeResult.ok(current);
      return ChangeResult.ok(current.next(null));
    }
  }

  /**
   * Delete, leaving a tombstone {@code (absent, v+1)}. With {@code expectedVersion} not null it is conditional.
   * Deleting an absent register changes nothing (no new version).
   */
  record Delete(Long expectedVersion) implements Change {
    public static final Delete UNCONDITIONAL = new Delete(null);

    @Override
    public ChangeResult apply(RegisterState current, long now) {
      if (expectedVersion != null && current.version() != expectedVersion) {
        return ChangeResult.versionMismatch(current.at(now));
      }
      if (!current.live(now)) return ChangeResult.ok(current.at(now));
      return ChangeResult.ok(current.next(null));
    }
  }

  /**
   * Adds {@code delta} to the register read as a decimal long (absent counts as 0). A value that is not a decimal
   * long, or a sum that overflows, is refused with {@link ChangeResult.Status#NOT_INTEGER}. An expired value counts as
   * absent; the sum has no TTL.
   */
  record Add(long delta) implements Change {
    @Override
    public ChangeResult apply(RegisterState current, long now) {
      long base = 0;
      if (current.live(now)) {
        try {
          base = Long.parseLong(new String(current.value(), StandardCharsets.UTF_8));
        } catch (NumberFormatException e) {
          return ChangeResult.refused(current, ChangeResult.Status.NOT_INTEGER, "value is not an integer");
        }
      }
      long sum;
      try {
        sum = Math.addExact(base, delta);
      } catch (ArithmeticException e) {
        return ChangeResult.refused(current, ChangeResult.Status.NOT_INTEGER, "sum overflows a 64-bit integer");
      }
      return ChangeResult.ok(current.next(Long.toString(sum).getBytes(StandardCharsets.UTF_8)));
    }
  }

  /**
   * A user function from the current value (null = absent) to the next value (null = delete). It must be
   * side-effect free: it may run more than once. A function that throws changes nothing; the call fails with
   * {@link ChangeResult.Status#REJECTED}. Functions never cross the network: only the local proposer runs them.
   */
  record Custom(ChangeFunction function) implements Change {
    public Custom {
      Objects.requireNonNull(function, "function");
    }

    @Override
    public ChangeResult apply(RegisterState current, long now) {
      byte[] next;
      boolean live = current.live(now);
      try {
        // A copy: the register's own array must never be seen (or changed) by user code.
        next = function.apply(live ? current.value().clone() : null);
      } catch (RuntimeException | StackOverflowError e) {
        return ChangeResult.refused(current, ChangeResult.Status.REJECTED, String.valueOf(e.getMessage()));
      }
      if (next == null && !live) return ChangeResult.ok(current.at(now));
      return ChangeResult.ok(current.next(next));
    }
  }

  /** The user function of {@link Custom}. */
  @FunctionalInterface
  interface ChangeFunction {
    byte[] apply(byte[] current);
  }
}
