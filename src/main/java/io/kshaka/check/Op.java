package io.kshaka.check;

/**
 * One operation of a history, as seen by a client: invoked at {@link #call()}, completed at {@link #ret()} with
 * {@link #output()}, or never completed ({@code ret() == null}: the outcome is unknown, the operation may take effect
 * at any time after its call or never, and its output is ignored).
 *
 * <p>Times are longs in any monotonic unit shared by all clients of one history. Operation A precedes operation B in
 * real time iff {@code A.ret() < B.call()}; operations whose intervals touch ({@code A.ret() == B.call()}) are
 * concurrent.
 *
 * <p>Records implement this interface by declaring components with these names; see {@link Operation}.
 *
 * @param <I> input
 * @param <O> output
 */
public interface Op<I, O> {

  /** The partition key ({@link Model#partition} may override it). Defaults to the empty string (one partition). */
  default String key() {
    return "";
  }

  I input();

  /** The output; ignored (may be null) when the outcome is unknown. */
  O output();

  /** Invocation time. */
  long call();

  /** Completion time, or {@code null} if the outcome is unknown. */
  Long ret();

  /** True if the operation never returned, so its outcome is unknown. */
  default boolean unknown() {
    return ret() == null;
  }
}
