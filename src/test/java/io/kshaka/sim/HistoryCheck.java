package io.kshaka.sim;

import io.kshaka.check.CheckResult;
import io.kshaka.check.Checker;
import io.kshaka.check.Input;
import io.kshaka.check.LinearizabilityChecker;
import io.kshaka.check.Model;
import io.kshaka.check.Op;
import io.kshaka.check.Operation;
import io.kshaka.check.Output;
import io.kshaka.check.RegisterModel;
import io.kshaka.core.ChangeResult;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

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

  /**
   * Garbage collection of a key: a tombstone {@code (absent, v)} may become {@code (absent, 0)}, once, at any point
   * after {@code call} (or never: the collection may have found the key written again). The one departure from
   * {@link RegisterModel}: a collected key's version restarts (the documented semantics of issue 9).
   */
  record Forget(String key, long call) {}

  /**
   * As {@link #check(List)}, with garbage collections: keys never collected are checked with {@link RegisterModel}
   * (all its pruning); collected keys with {@link GcRegisterModel}, the same register plus the forget step, without
   * the pruning that assumes versions never decrease.
   */
  static String check(List<SimOp> history, List<Forget> forgets) {
    if (forgets.isEmpty()) return check(history);
    Set<String> collected = new TreeSet<>();
    for (Forget f : forgets) collected.add(f.key());
    List<Operation> plain = new ArrayList<>();
    List<GcOp> gc = new ArrayList<>();
    for (Operation op : operations(history)) {
      if (collected.contains(op.key())) gc.add(new GcOp(op.key(), new GcInput(op.input()), op.call(), op.ret(), op.output()));
      else plain.add(op);
    }
    for (Forget f : forgets) gc.add(new GcOp(f.key(), GcInput.FORGET, f.call(), null, null));
    StringBuilder bad = new StringBuilder();
    if (!plain.isEmpty()) {
      CheckResult r = Checker.check(plain, TIME_PER_KEY);
      if (!r.linearizable()) bad.append(r.summary()).append('\n').append(r.report());
    }
    CheckResult r = LinearizabilityChecker.check(GcRegisterModel.INSTANCE, gc, TIME_PER_KEY);
    if (!r.linearizable()) bad.append(r.summary()).append('\n').append(r.report());
    return bad.length() == 0 ? null : bad.toString();
  }

  /** A register operation, or (register == null) the forget step of a garbage collection. */
  record GcInput(Input register) {
    static final GcInput FORGET = new GcInput(null);

    boolean forget() {
      return register == null;
    }
  }

  record GcOp(String key, GcInput input, long call, Long ret, Output output) implements Op<GcInput, Output> {}

  /** {@link RegisterModel} plus forget: {@code (absent, v > 0) -> (absent, 0)}; any other state stays. */
  static final class GcRegisterModel implements Model<RegisterModel.State, GcInput, Output> {
    static final GcRegisterModel INSTANCE = new GcRegisterModel();
    private static final RegisterModel REGISTER = RegisterModel.INSTANCE;

    @Override
    public RegisterModel.State init() {
      return REGISTER.init();
    }

    @Override
    public RegisterModel.State step(RegisterModel.State state, GcInput input, Output output) {
      if (input.forget()) {
        return state.value() == null && state.version() > 0 ? RegisterModel.State.INITIAL : state;
      }
      return REGISTER.step(state, input.register(), output);
    }

    @Override
    public boolean isReadOnly(GcInput input) {
      return !input.forget() && REGISTER.isReadOnly(input.register());
    }

    @Override
    public boolean preservesState(GcInput input, Output output) {
      return !input.forget() && REGISTER.preservesState(input.register(), output);
    }

    @Override
    public String describeOperation(GcInput input, Output output) {
      return input.forget() ? "gc (a tombstone may become absent v0)" : REGISTER.describeOperation(input.register(),
          output);
    }

    @Override
    public String describeState(RegisterModel.State state) {
      return REGISTER.describeState(state);
    }

    @Override
    public String name() {
      return "kshaka-register-with-gc";
    }
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
