package io.kshaka.check;

import java.util.Objects;

/**
 * One client operation on one Kshaka key, as recorded in a history: the key, the {@link Input}, the call time, the
 * return time and the {@link Output}; or, for an operation whose outcome is unknown (a timeout, a 504, a crash),
 * {@code ret == null} and {@code output == null}: it may have taken effect at any time after its call, or never.
 *
 * <p>An operation that failed with a definite "not applied" (a 503, a refused connection before sending) and whose
 * reply carries no state should simply be left out of the history. A refused change that reports the state it saw
 * (a compare-and-set that failed, a conditional delete's version mismatch, an add on a non-integer) is a completed
 * operation with that output.
 *
 * <p>Times are longs in any monotonic unit (for example {@link System#nanoTime()}, or simulated time) shared by all
 * clients of the history. Build one with the constructor, {@link #unknown}, or a {@link HistoryRecorder}.
 *
 * @param key the key (never null)
 * @param input what was asked (never null)
 * @param call when the client sent it
 * @param ret when the client got the answer ({@code >= call}), or null if it never did
 * @param output the answer (never null when {@code ret} is set; ignored when {@code ret} is null)
 */
public record Operation(String key, Input input, long call, Long ret, Output output) implements Op<Input, Output> {

  public Operation {
    Objects.requireNonNull(key, "key");
    Objects.requireNonNull(input, "input");
    if (ret != null) {
      if (ret < call) throw new IllegalArgumentException("ret " + ret + " is before call " + call);
      Objects.requireNonNull(output, "output of a completed operation");
    } else {
      output = null;
    }
  }

  /** A completed operation. */
  public static Operation completed(String key, Input input, long call, long ret, Output output) {
    return new Operation(key, input, call, ret, output);
  }

  /** An operation whose outcome is unknown: it may take effect at any time after {@code call}, or never. */
  public static Operation unknown(String key, Input input, long call) {
    return new Operation(key, input, call, null, null);
  }

  /** This operation as one line of the JSON lines format (no trailing newline). */
  public String toJson() {
    return HistoryWriter.toJson(this);
  }
}
