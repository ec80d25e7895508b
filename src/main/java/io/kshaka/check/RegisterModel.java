package io.kshaka.check;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * The Kshaka register (README, "How it works"), written independently of {@code io.kshaka.core} so that the checker does not
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

  /** Reads and refused changes (a failed cas, a version mismatch, not an integer) never change the state. */
  @Override
  public boolean preservesState(Input input, Output output) {
    if (input instanceof Input.Get || output instanceof Output.Refused) return true;
    return output instanceof Output.CasResult && !((Output.CasResult) output).ok();
  }

  /**
   * Checks that need no search, all from versions. Every change adds one to the version, so each version is produced
   * by exactly one change and names exactly one state. A violation is reported when:
   * <ul>
   *   <li>an operation returned an output its input can never give (a put refused, a cas that succeeded on another
   *       version, a negative version...);</li>
   *   <li>two operations that each certainly applied a change produced the same version;</li>
   *   <li>an operation saw a state at a version that contradicts the change known to have produced that version (a
   *       read of another value, an add on the wrong base);</li>
   *   <li>versions went backwards in real time: an operation needs a version below one that an operation which
   *       returned before its call had already produced.</li>
   * </ul>
   */
  @Override
  public Violation refute(List<Op<Input, Output>> partition) {
    List<Op<Input, Output>> done = new ArrayList<>();
    Map<Long, Op<Input, Output>> changedTo = new HashMap<>();
    for (Op<Input, Output> op : partition) {
      if (op.unknown()) continue;
      done.add(op);
      if (!possible(op.input(), op.output())) {
        return new Violation("this operation can never return this output", List.of(op));
      }
      if (certainlyChanges(op.input(), op.output())) {
        Op<Input, Output> other = changedTo.putIfAbsent(op.output().version(), op);
        if (other != null) {
          return new Violation(
              "two operations both applied a change that produced version " + op.output().version(),
              List.of(other, op));
        }
      }
    }
    for (Op<Input, Output> op : done) {
      Violation v = contradictsKnownState(op, changedTo);
      if (v != null) return v;
    }
    List<Op<Input, Output>> byReturn = new ArrayList<>(done);
    byReturn.sort(Comparator.comparingLong(Op::ret));
    List<Op<Input, Output>> byCall = new ArrayList<>(done);
    byCall.sort(Comparator.comparingLong(Op::call));
    int returned = 0;
    Op<Input, Output> newest = null; // of the operations returned so far, the one that left the highest version
    for (Op<Input, Output> op : byCall) {
      while (returned < byReturn.size() && byReturn.get(returned).ret() < op.call()) {
        Op<Input, Output> r = byReturn.get(returned++);
        if (newest == null || r.output().version() > newest.output().version()) newest = r;
      }
      if (newest != null && newest.output().version() > highestVersionBefore(op.input(), op.output())) {
        return new Violation(
            "versions never decrease, but the first operation left version "
                + newest.output().version()
                + " and returned before the second was called, which needs version "
                + highestVersionBefore(op.input(), op.output())
                + " or below",
            List.of(newest, op));
      }
    }
    return null;
  }

  /** False if no state gives this output to this input (checked against {@link #apply}). */
  private static boolean possible(Input input, Output output) {
    long v = output.version();
    if (v < 0) return false;
    boolean refusedMismatch =
        output instanceof Output.Refused && ((Output.Refused) output).error().equals(Output.VERSION_MISMATCH);
    if (input instanceof Input.Get) return output instanceof Output.Value;
    if (input instanceof Input.Put) return output instanceof Output.Written && v >= 1;
    if (input instanceof Input.Create) return (output instanceof Output.Written && v >= 1) || refusedMismatch;
    if (input instanceof Input.Cas) {
      long e = ((Input.Cas) input).expectedVersion();
      if (output instanceof Output.CasResult) return ((Output.CasResult) output).ok() ? v == e + 1 : v != e;
      return refusedMismatch && v != e;
    }
    if (input instanceof Input.Delete) {
      Long e = ((Input.Delete) input).expectedVersion();
      if (output instanceof Output.Written) return e == null || v == e || v == e + 1;
      return refusedMismatch && e != null && v != e;
    }
    if (input instanceof Input.Add) {
      if (output instanceof Output.Refused) return ((Output.Refused) output).error().equals(Output.NOT_INTEGER);
      if (!(output instanceof Output.Value) || v < 1) return false;
      String sum = ((Output.Value) output).value();
      try {
        return sum != null && Long.toString(Long.parseLong(sum)).equals(sum);
      } catch (NumberFormatException e) {
        return false;
      }
    }
    return false;
  }

  /**
   * A violation if {@code op} saw a state that contradicts the state known at its version: the initial one at
   * version 0, or the one left by the change that certainly produced that version.
   */
  private static Violation contradictsKnownState(Op<Input, Output> op, Map<Long, Op<Input, Output>> changedTo) {
    Input in = op.input();
    Output out = op.output();
    long seenAt; // the version of the state the operation saw
    if (in instanceof Input.Get || (in instanceof Input.Add && out instanceof Output.Refused)) {
      seenAt = out.version();
    } else if (in instanceof Input.Add) {
      seenAt = out.version() - 1;
    } else {
      return null;
    }
    String known;
    Op<Input, Output> producer = changedTo.get(seenAt);
    if (seenAt == 0) {
      known = null;
    } else if (producer != null) {
      known = valueAfter(producer);
    } else {
      return null;
    }
    boolean contradiction;
    if (in instanceof Input.Get) {
      contradiction = !Objects.equals(known, ((Output.Value) out).value());
    } else {
      Long base = decimal(known);
      long delta = ((Input.Add) in).delta();
      boolean addable = base != null && !overflows(base, delta);
      contradiction =
          out instanceof Output.Refused
              ? addable
              : !addable || !Long.toString(base + delta).equals(((Output.Value) out).value());
    }
    if (!contradiction) return null;
    String state = (known == null ? "absent" : KeyResult.quote(known)) + " at version " + seenAt;
    if (producer == null) {
      return new Violation("the register starts " + state + ", which the operation contradicts", List.of(op));
    }
    return new Violation(
        "the first operation left the register " + state + ", which the second contradicts", List.of(producer, op));
  }

  /** The value left by an operation that certainly applied a change. */
  private static String valueAfter(Op<Input, Output> op) {
    Input in = op.input();
    if (in instanceof Input.Put) return ((Input.Put) in).value();
    if (in instanceof Input.Create) return ((Input.Create) in).value();
    if (in instanceof Input.Cas) return ((Input.Cas) in).value();
    if (in instanceof Input.Add) return ((Output.Value) op.output()).value();
    return null; // a delete
  }

  private static Long decimal(String value) {
    if (value == null) return 0L;
    try {
      return Long.parseLong(value);
    } catch (NumberFormatException e) {
      return null;
    }
  }

  private static boolean overflows(long a, long b) {
    long sum = a + b;
    return ((a ^ sum) & (b ^ sum)) < 0;
  }

  /** True if the operation, with this output, certainly applied a change (the version went up by one). */
  private static boolean certainlyChanges(Input input, Output output) {
    if (output instanceof Output.CasResult) return ((Output.CasResult) output).ok();
    if (output instanceof Output.Value) return input instanceof Input.Add;
    if (output instanceof Output.Written) {
      if (input instanceof Input.Put || input instanceof Input.Create) return true;
      if (input instanceof Input.Delete) {
        // A conditional delete on version e that reports e + 1 removed a value; reporting e, it found none.
        Long e = ((Input.Delete) input).expectedVersion();
        return e != null && output.version() == e + 1;
      }
    }
    return false;
  }

  /** The highest version the register may have just before the operation for it to return this output. */
  private static long highestVersionBefore(Input input, Output output) {
    long needed = output.version();
    if (certainlyChanges(input, output)) needed--;
    if (input instanceof Input.Delete && output instanceof Output.Written) {
      Long expected = ((Input.Delete) input).expectedVersion();
      if (expected != null) needed = Math.min(needed, expected);
    }
    return needed;
  }

  /**
   * Versions never decrease: an output reporting version {@code v} needs the version to be {@code v} when it is
   * linearized, or {@code v - 1} if the operation certainly applied a change; a conditional delete that succeeded
   * needs its expected version.
   */
  @Override
  public boolean mayBecomeLegal(State state, Input input, Output output) {
    return state.version() <= highestVersionBefore(input, output);
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
