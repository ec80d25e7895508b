package io.kshaka.core;

import java.nio.charset.StandardCharsets;
import java.util.Objects;

/**
 * A side-effect-free function from a register's current state to its next state. Applying a change yields a
 * {@link ChangeResult}: the state after it and whether it applied, or why not. A change that applies bumps the
 * version by exactly one; a refused change or a read leaves the state as it was.
 */
public sealed interface Change {
  ChangeResult apply(RegisterState current);

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
    public ChangeResult apply(RegisterState current) {
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
    public ChangeResult apply(RegisterState current) {
      if (current.present() || current.version() == 0) return ChangeResult.ok(current);
      return ChangeResult.ok(new RegisterState(null, 0, current.requests().forgetAll()));
    }

    @Override
    public boolean forcesAccept() {
      return true;
    }
  }

  /** Returns the current state. */
  record Read() implements Change {
    public static final Read INSTANCE = new Read();

    @Override
    public ChangeResult apply(RegisterState current) {
      return ChangeResult.ok(current);
    }

    @Override
    public boolean readOnly() {
      return true;
    }
  }

  /** Unconditional write. */
  record Put(byte[] value) implements Change {
    public Put {
      Objects.requireNonNull(value, "value");
    }

    @Override
    public ChangeResult apply(RegisterState current) {
      return ChangeResult.ok(current.next(value));
    }
  }

  /** Write only if the current version is {@code expectedVersion}. */
  record CompareAndSet(long expectedVersion, byte[] value) implements Change {
    public CompareAndSet {
      Objects.requireNonNull(value, "value");
    }

    @Override
    public ChangeResult apply(RegisterState current) {
      if (current.version() != expectedVersion) return ChangeResult.versionMismatch(current);
      return ChangeResult.ok(current.next(value));
    }
  }

  /** Write only if the register is absent (never written, or deleted). */
  record PutIfAbsent(byte[] value) implements Change {
    public PutIfAbsent {
      Objects.requireNonNull(value, "value");
    }

    @Override
    public ChangeResult apply(RegisterState current) {
      if (current.present()) return ChangeResult.versionMismatch(current);
      return ChangeResult.ok(current.next(value));
    }
  }

  /**
   * Delete, leaving a tombstone {@code (absent, v+1)}. With {@code expectedVersion} not null it is conditional.
   * Deleting an absent register changes nothing (no new version).
   */
  record Delete(Long expectedVersion) implements Change {
    public static final Delete UNCONDITIONAL = new Delete(null);

    @Override
    public ChangeResult apply(RegisterState current) {
      if (expectedVersion != null && current.version() != expectedVersion) {
        return ChangeResult.versionMismatch(current);
      }
      if (!current.present()) return ChangeResult.ok(current);
      return ChangeResult.ok(current.next(null));
    }
  }

  /**
   * Adds {@code delta} to the register read as a decimal long (absent counts as 0). A value that is not a decimal
   * long, or a sum that overflows, is refused with {@link ChangeResult.Status#NOT_INTEGER}.
   */
  record Add(long delta) implements Change {
    @Override
    public ChangeResult apply(RegisterState current) {
      long base = 0;
      if (current.present()) {
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
    public ChangeResult apply(RegisterState current) {
      byte[] next;
      try {
        // A copy: the register's own array must never be seen (or changed) by user code.
        next = function.apply(current.present() ? current.value().clone() : null);
      } catch (RuntimeException | StackOverflowError e) {
        return ChangeResult.refused(current, ChangeResult.Status.REJECTED, String.valueOf(e.getMessage()));
      }
      if (next == null && !current.present()) return ChangeResult.ok(current);
      return ChangeResult.ok(current.next(next));
    }
  }

  /** The user function of {@link Custom}. */
  @FunctionalInterface
  interface ChangeFunction {
    byte[] apply(byte[] current);
  }
}
