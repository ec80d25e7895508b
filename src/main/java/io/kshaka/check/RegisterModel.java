package io.kshaka.check;

import java.util.Locale;

/**
 * The Kshaka register (design.md §1), written independently of {@code io.kshaka.core} so that the checker does not
 * trust the code it checks.
 *
 * <p>State {@code (value: string | absent, version)}, initially {@code (absent, 0)}. Each operation's output is a
 * function of the state it is linearized at, so {@link #step} computes the expected output and the next state and
 * accepts the operation iff the recorded output equals the expected one:
 * <ul>
 *   <li>get: {@code Value(value, version)}, no change.</li>
 *   <li>put v: {@code Written(version+1)}, value := v.</li>
 *   <li>cas [e, v]: if version == e, {@code CasResult(true, version+1)}, value := v; else
 *       {@code CasResult(false, version)} (a {@code Refused("version_mismatch", version)} output is accepted as the
 *       same thing), no change.</li>
 *   <li>delete [e]: if e is given and differs from version, {@code Refused("version_mismatch", version)}, no change;
 *       else if absent, {@code Written(version)}, no change; else {@code Written(version+1)}, value := absent.</li>
 *   <li>add d: absent counts as 0; a value that is not a decimal long, or an overflowing sum, gives
 *       {@code Refused("not_integer", version)}, no change; else {@code Value(sum, version+1)}, value := sum.</li>
 *   <li>create v: if present, {@code Refused("version_mismatch", version)}, no change; else
 *       {@code Written(version+1)}, value := v.</li>
 * </ul>
 * Keys are independent: the model partitions by {@link Operation#key()}.
 */
public final class RegisterModel implements Model<RegisterModel.State, Input, Output> {

  public static final RegisterModel INSTANCE = new RegisterModel();

  /** A register's state: value (null = absent) and version. */
  public record State(String value, long version) {
    public static final State INITIAL = new State(null, 0);
  }

  /** The expected output of an operation and the state after it. */
  private record Effect(Output output, State next) {}

  @Override
  public State init() {
    return State.INITIAL;
  }

  @Override
  public State step(State state, Input input, Output output) {
    Effect e = apply(state, input);
    if (output == null || e.output.equals(output)) return e.next;
    if (input instanceof Input.Cas && output instanceof Output.Refused) {
      Output.Refused r = (Output.Refused) output;
      if (r.error().equals(Output.VERSION_MISMATCH) && e.output.equals(Output.cas(false, r.version()))) {
        return e.next;
      }
    }
    return null;
  }

  /** The output an operation returns at {@code state}, and the state after it. */
  private static Effect apply(State s, Input input) {
    long v = s.version();
    if (input instanceof Input.Get) {
      return new Effect(Output.value(s.value(), v), s);
    }
    if (input instanceof Input.Put) {
      return new Effect(Output.written(v + 1), new State(((Input.Put) input).value(), v + 1));
    }
    if (input instanceof Input.Cas) {
      Input.Cas cas = (Input.Cas) input;
      if (cas.expectedVersion() != v) return new Effect(Output.cas(false, v), s);
      return new Effect(Output.cas(true, v + 1), new State(cas.value(), v + 1));
    }
    if (input instanceof Input.Delete) {
      Long expected = ((Input.Delete) input).expectedVersion();
      if (expected != null && expected != v) return new Effect(Output.refused(Output.VERSION_MISMATCH, v), s);
      if (s.value() == null) return new Effect(Output.written(v), s);
      return new Effect(Output.written(v + 1), new State(null, v + 1));
    }
    if (input instanceof Input.Add) {
      long base = 0;
      if (s.value() != null) {
        try {
          base = Long.parseLong(s.value());
        } catch (NumberFormatException notDecimal) {
          return new Effect(Output.refused(Output.NOT_INTEGER, v), s);
        }
      }
      long sum;
      try {
        sum = Math.addExact(base, ((Input.Add) input).delta());
      } catch (ArithmeticException overflow) {
        return new Effect(Output.refused(Output.NOT_INTEGER, v), s);
      }
      String text = Long.toString(sum);
      return new Effect(Output.value(text, v + 1), new State(text, v + 1));
    }
    if (input instanceof Input.Create) {
      if (s.value() != null) return new Effect(Output.refused(Output.VERSION_MISMATCH, v), s);
      return new Effect(Output.written(v + 1), new State(((Input.Create) input).value(), v + 1));
    }
    throw new IllegalArgumentException("unknown input " + input);
  }

  @Override
  public boolean isReadOnly(Input input) {
    return input instanceof Input.Get;
  }

  @Override
  public String describeOperation(Input input, Output output) {
    StringBuilder b = new StringBuilder(input.f());
    if (input instanceof Input.Put) {
      b.append(' ').append(text(((Input.Put) input).value()));
    } else if (input instanceof Input.Cas) {
      Input.Cas cas = (Input.Cas) input;
      b.append(" if v").append(cas.expectedVersion()).append(' ').append(text(cas.value()));
    } else if (input instanceof Input.Delete) {
      Long expected = ((Input.Delete) input).expectedVersion();
      if (expected != null) b.append(" if v").append(expected);
    } else if (input instanceof Input.Add) {
      b.append(' ').append(((Input.Add) input).delta());
    } else if (input instanceof Input.Create) {
      b.append(' ').append(text(((Input.Create) input).value()));
    }
    b.append(" -> ");
    if (output == null) {
      b.append("? (outcome unknown)");
    } else if (output instanceof Output.Value) {
      b.append(text(((Output.Value) output).value())).append(" v").append(output.version());
    } else if (output instanceof Output.Written) {
      b.append('v').append(output.version());
    } else if (output instanceof Output.CasResult) {
      b.append(((Output.CasResult) output).ok() ? "ok v" : "failed, saw v").append(output.version());
    } else if (output instanceof Output.Refused) {
      b.append(((Output.Refused) output).error()).append(", saw v").append(output.version());
    }
    return b.toString();
  }

  @Override
  public String describeState(State state) {
    return text(state.value()) + " v" + state.version();
  }

  @Override
  public String name() {
    return "kshaka-register";
  }

  private static String text(String value) {
    if (value == null) return "absent";
    String shown = value.length() > 40 ? value.substring(0, 40) + "..." : value;
    return KeyResult.quote(shown) + (value.length() > 40 ? String.format(Locale.ROOT, "(%d chars)", value.length()) : "");
  }
}
