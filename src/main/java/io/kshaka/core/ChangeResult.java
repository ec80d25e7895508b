package io.kshaka.core;

/**
 * The effect of one change on a register: the state after it (unchanged unless {@code status == OK} and the change
 * wrote), the verdict, and a message for refused changes.
 */
public record ChangeResult(RegisterState state, Status status, String message) {
  public enum Status {
    /** Applied (or, for reads and no-op deletes, nothing to apply). */
    OK,
    /** A compare-and-set, create-only put or conditional delete found another version. */
    VERSION_MISMATCH,
    /** An add found a value that is not a 64-bit integer, or overflowed. */
    NOT_INTEGER,
    /** A user change function threw. */
    REJECTED,
    /** The state the change would leave is bigger than the proposer may send (nothing was sent). */
    TOO_LARGE
  }

  public static ChangeResult ok(RegisterState state) {
    return new ChangeResult(state, Status.OK, null);
  }

  public static ChangeResult versionMismatch(RegisterState current) {
    return new ChangeResult(current, Status.VERSION_MISMATCH, "expected version does not match");
  }

  public static ChangeResult refused(RegisterState current, Status status, String message) {
    return new ChangeResult(current, status, message);
  }
}
