package io.kshaka.sim;

import io.kshaka.check.CheckResult;
import io.kshaka.check.Checker;
import io.kshaka.check.Input;
import io.kshaka.check.Operation;
import io.kshaka.check.Output;
import io.kshaka.core.ChangeResult;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Turns a simulated history into the checker's {@link Operation}s, as the HTTP layer would report them: an applied
 * change gives its result; a change that was not applied did not happen and is left out; an unknown outcome has no
 * return ({@code ret = null}).
 */
final class HistoryCheck {
  /**
   * The checker's bound per key. Histories are kept small enough to check in well under a second of CPU time; the
   * bound is wall-clock time, so it is generous for loaded machines (a key that runs out of time fails the run).
   */
  static final Duration TIME_PER_KEY = Duration.ofSeconds(300);

  private HistoryCheck() {}

  /** Null if the history is linearizable; else the checker's summary line, then its report. */
  static String check(List<SimOp> history) {
    CheckResult r = Checker.check(operations(history), TIME_PER_KEY);
    return r.linearizable() ? null : r.summary() + "\n" + r.report();
  }

  static List<Operation> operations(List<SimOp> history) {
    List<Operation> ops = new ArrayList<>();
    for (SimOp op : history) {
      if (op.status == SimOp.Status.NOT_APPLIED) continue;
      if (op.status == SimOp.Status.DONE) {
        ops.add(Operation.completed(op.key, input(op), op.call, op.ret, output(op)));
      } else {
        ops.add(Operation.unknown(op.key, input(op), op.call));
      }
    }
    return ops;
  }

  static Input input(SimOp op) {
    switch (op.kind) {
      case GET:
        return Input.get();
      case PUT:
        return Input.put(op.value);
      case CAS:
        return Input.cas(op.expectedVersion, op.value);
      case DELETE:
        return op.expectedVersion == null ? Input.delete() : Input.delete(op.expectedVersion);
      case ADD:
        return Input.add(op.delta);
      case CREATE:
        return Input.create(op.value);
      default:
        throw new IllegalStateException("unknown kind " + op.kind);
    }
  }

  static Output output(SimOp op) {
    ChangeResult r = op.result;
    long version = r.state().version();
    boolean ok = r.status() == ChangeResult.Status.OK;
    switch (op.kind) {
      case GET:
        return Output.value(SimOp.text(r.state().value()), version);
      case PUT:
        return Output.written(version);
      case CAS:
        return Output.cas(ok, version);
      case DELETE:
      case CREATE:
        return ok ? Output.written(version) : Output.refused(Output.VERSION_MISMATCH, version);
      case ADD:
        return ok ? Output.value(SimOp.text(r.state().value()), version) : Output.refused(Output.NOT_INTEGER, version);
      default:
        throw new IllegalStateException("unknown kind " + op.kind);
    }
  }
}
