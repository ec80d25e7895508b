package io.kshaka.check;

import java.util.List;

/**
 * A sequential specification that the checker tests a concurrent history against.
 *
 * <p>The checker needs only {@link #init} and {@link #step}: the initial state, and whether an operation with a given
 * input may return a given output from a given state (and which state follows). {@link #partition} splits a history
 * into independent parts (one search each, in parallel). The other methods have safe defaults: some let the search
 * prune ({@link #isReadOnly}, {@link #preservesState}, {@link #mayBecomeLegal}, {@link #refute}) and must then be
 * exact where they claim something; the rest are for the failure report.
 *
 * <p>To plug in a model: implement it, make the history's operations implement {@link Op}, and call
 * {@link LinearizabilityChecker#check(Model, java.util.List, java.time.Duration)}.
 *
 * <p>Contract:
 * <ul>
 *   <li>States are immutable, never null, and have value-based {@code equals}/{@code hashCode}: the search memoises
 *       (set of linearized operations, state) pairs and must recognise a state it has seen.</li>
 *   <li>{@link #step} is a pure function. It returns the next state, or {@code null} when {@code output} is
 *       impossible from {@code state} ("illegal"). A change that is refused (for example a compare-and-set that
 *       finds another version) is legal when the output reports that refusal, and returns {@code state} unchanged.</li>
 *   <li>{@code output == null} means the outcome is unknown (the operation has no return): any output is allowed,
 *       so {@link #step} must then return a non-null state (the state as if the operation took effect).</li>
 *   <li>Operations with different {@link #partition} keys must be independent (a step for one key never reads or
 *       changes the state of another); each partition is checked from {@link #init()}.</li>
 * </ul>
 *
 * @param <S> state
 * @param <I> operation input
 * @param <O> operation output
 */
public interface Model<S, I, O> {

  /** The state before any operation. */
  S init();

  /**
   * Applies one operation.
   *
   * @return the state after the operation, or {@code null} if {@code output} cannot be observed from {@code state}
   *     ({@code output == null}: outcome unknown, never illegal)
   */
  S step(S state, I input, O output);

  /**
   * The partition (key) an operation belongs to. Partitions are checked separately and in parallel. The default
   * uses {@link Op#key()}.
   */
  default String partition(Op<I, O> op) {
    return op.key();
  }

  /**
   * True if an operation with this input never changes the state, whatever the state. The checker drops such
   * operations when their outcome is unknown (they can neither be observed nor constrain anything). The default is
   * the conservative {@code false}.
   */
  default boolean isReadOnly(I input) {
    return false;
  }

  /**
   * True if this operation, with this output, leaves the state unchanged from every state where it is legal: a
   * read, a refused change (a failed compare-and-set). The checker linearizes such an operation as soon as it is
   * legal, without trying alternatives first, which is what makes long histories with many concurrent reads fast.
   * Returning true for an operation that may change the state makes the checker unsound; the default,
   * {@link #isReadOnly(Object) isReadOnly(input)}, is safe.
   */
  default boolean preservesState(I input, O output) {
    return isReadOnly(input);
  }

  /**
   * False only if no sequence of steps from {@code state} can reach a state where this completed operation is legal
   * with this output (for example: a register's version never decreases, and the output reports an older version).
   * The checker abandons a configuration where an operation that could come next can never become legal. The
   * default, {@code true}, never prunes; returning false wrongly makes the checker unsound.
   */
  default boolean mayBecomeLegal(S state, I input, O output) {
    return true;
  }

  /**
   * An optional fast check, run before the search on the operations of one partition (unknown-outcome reads already
   * dropped), for violations that need no search (for a register with versions: a version going backwards in real
   * time). Returns the violation, or null if it finds none, and then the search decides. It must be sound: a
   * violation makes the verdict NOT_LINEARIZABLE whatever the search finds. The default finds nothing.
   */
  default Violation refute(List<Op<I, O>> partition) {
    return null;
  }

  /** A short human-readable form of one operation, for reports; {@code output == null} means unknown. */
  default String describeOperation(I input, O output) {
    return input + " -> " + (output == null ? "?" : output);
  }

  /** A short human-readable form of a state, for reports. */
  default String describeState(S state) {
    return String.valueOf(state);
  }

  /** The model's name, for reports. */
  default String name() {
    return getClass().getSimpleName();
  }
}
