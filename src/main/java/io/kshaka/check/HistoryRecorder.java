package io.kshaka.check;

import java.time.Duration;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.function.LongSupplier;

/**
 * Records a history while clients run: thread-safe, one instance shared by all clients of a test.
 *
 * <pre>{@code
 * HistoryRecorder history = new HistoryRecorder(System::nanoTime);   // or the simulator's clock
 * HistoryRecorder.Pending p = history.call("k", Input.put("v"));      // just before sending
 * ...
 * p.ok(Output.written(3));        // the reply (a refusal is a reply too: Output.cas(false, 7))
 * p.unknown();                    // or: timeout / 504 / crash, outcome unknown
 * p.notApplied();                 // or: definitely not applied (503), nothing observed
 * ...
 * CheckResult result = history.check(Duration.ofSeconds(30));
 * assertEquals(Verdict.LINEARIZABLE, result.verdict(), result.report());
 * }</pre>
 *
 * <p>Operations still pending when {@link #operations()} is called are included with an unknown outcome.
 */
public final class HistoryRecorder {

  private final LongSupplier clock;
  private final List<Operation> done = new ArrayList<>();
  private final Set<Pending> pending = new LinkedHashSet<>();

  /** @param clock a monotonic clock shared by all clients ({@code System::nanoTime}, or simulated time) */
  public HistoryRecorder(LongSupplier clock) {
    this.clock = Objects.requireNonNull(clock, "clock");
  }

  /** Starts an operation now (reads the clock). */
  public Pending call(String key, Input input) {
    Objects.requireNonNull(key, "key");
    Objects.requireNonNull(input, "input");
    synchronized (this) {
      Pending p = new Pending(key, input, clock.getAsLong());
      pending.add(p);
      return p;
    }
  }

  /** Adds an operation built elsewhere. */
  public synchronized void add(Operation op) {
    done.add(Objects.requireNonNull(op, "op"));
  }

  /**
   * A snapshot of the history, sorted by call time: the completed operations, and the pending ones as unknown.
   */
  public synchronized List<Operation> operations() {
    List<Operation> all = new ArrayList<>(done);
    for (Pending p : pending) all.add(Operation.unknown(p.key, p.input, p.call));
    all.sort(Comparator.comparingLong(Operation::call));
    return all;
  }

  /** Checks the current snapshot with {@link Checker#check(List, Duration)}. */
  public CheckResult check(Duration timeoutPerKey) {
    return Checker.check(operations(), timeoutPerKey);
  }

  /** Writes the current snapshot as JSON lines (see {@link HistoryWriter}). */
  public void writeTo(Path path) {
    HistoryWriter.write(path, operations());
  }

  /** An operation that has been called and not yet completed. Complete it exactly once. */
  public final class Pending {
    private final String key;
    private final Input input;
    private final long call;

    private Pending(String key, Input input, long call) {
      this.key = key;
      this.input = input;
      this.call = call;
    }

    /** The call time. */
    public long callTime() {
      return call;
    }

    /** Completes with a reply (reads the clock). */
    public Operation ok(Output output) {
      Objects.requireNonNull(output, "output");
      synchronized (HistoryRecorder.this) {
        finish();
        Operation op = new Operation(key, input, call, Math.max(call, clock.getAsLong()), output);
        done.add(op);
        return op;
      }
    }

    /** Completes with an unknown outcome: the change may take effect at any time after the call, or never. */
    public Operation unknown() {
      synchronized (HistoryRecorder.this) {
        finish();
        Operation op = Operation.unknown(key, input, call);
        done.add(op);
        return op;
      }
    }

    /** Completes with a definite "not applied" that observed nothing: the operation is left out of the history. */
    public void notApplied() {
      synchronized (HistoryRecorder.this) {
        finish();
      }
    }

    private void finish() {
      if (!pending.remove(this)) throw new IllegalStateException("operation already completed: " + input + " on " + key);
    }
  }
}
