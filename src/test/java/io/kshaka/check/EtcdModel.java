package io.kshaka.check;

/**
 * A second {@link Model}: the register of Jepsen's etcd test (one key, small integers). State: the value, nil
 * initially. read returns the value; write sets it; cas [from to] sets {@code to} iff the value is {@code from}, and
 * reports whether it did. Used to validate the generic checker against Porcupine's published verdicts.
 */
final class EtcdModel implements Model<EtcdModel.State, EtcdModel.Input, EtcdModel.Output> {

  static final EtcdModel INSTANCE = new EtcdModel();

  /** The register; {@code value == null} is nil. */
  record State(Integer value) {
    static final State NIL = new State(null);
  }

  sealed interface Input {}

  record Read() implements Input {}

  record Write(int value) implements Input {}

  record Cas(int from, int to) implements Input {}

  sealed interface Output {}

  /** A read's value (null = nil). */
  record ReadOk(Integer value) implements Output {}

  record WriteOk() implements Output {}

  /** A cas's result: ok, or the compare failed (definitely not applied). */
  record CasDone(boolean ok) implements Output {}

  /** One operation of a Jepsen history. */
  record Operation(int process, Input input, long call, Long ret, Output output) implements Op<Input, Output> {}

  @Override
  public State init() {
    return State.NIL;
  }

  @Override
  public State step(State state, Input input, Output output) {
    if (input instanceof Read) {
      if (output == null) return state;
      return output instanceof ReadOk && java.util.Objects.equals(((ReadOk) output).value(), state.value())
          ? state
          : null;
    }
    if (input instanceof Write) {
      if (output != null && !(output instanceof WriteOk)) return null;
      return new State(((Write) input).value());
    }
    Cas cas = (Cas) input;
    boolean matches = state.value() != null && state.value() == cas.from();
    if (output == null) return matches ? new State(cas.to()) : state;
    if (!(output instanceof CasDone)) return null;
    boolean ok = ((CasDone) output).ok();
    if (ok != matches) return null;
    return ok ? new State(cas.to()) : state;
  }

  @Override
  public boolean isReadOnly(Input input) {
    return input instanceof Read;
  }

  /** Reads and failed compare-and-sets never change the register. */
  @Override
  public boolean preservesState(Input input, Output output) {
    return input instanceof Read || (output instanceof CasDone && !((CasDone) output).ok());
  }

  @Override
  public String describeOperation(Input input, Output output) {
    String in;
    if (input instanceof Read) {
      in = "read";
    } else if (input instanceof Write) {
      in = "write " + ((Write) input).value();
    } else {
      Cas c = (Cas) input;
      in = "cas [" + c.from() + " " + c.to() + "]";
    }
    String out;
    if (output == null) {
      out = "?";
    } else if (output instanceof ReadOk) {
      Integer v = ((ReadOk) output).value();
      out = v == null ? "nil" : v.toString();
    } else if (output instanceof WriteOk) {
      out = "ok";
    } else {
      out = ((CasDone) output).ok() ? "ok" : "fail";
    }
    return in + " -> " + out;
  }

  @Override
  public String describeState(State state) {
    return state.value() == null ? "nil" : state.value().toString();
  }

  @Override
  public String name() {
    return "jepsen-etcd-register";
  }
}
