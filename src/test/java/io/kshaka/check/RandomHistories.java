package io.kshaka.check;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Random Kshaka histories for tests: operations with random overlapping intervals are applied, at a random point
 * inside their interval, to a simulated register (written here a third time, apart from {@link RegisterModel} and
 * {@code io.kshaka.core}), which gives a linearizable history; {@link #corrupt} then changes one output.
 */
final class RandomHistories {

  private static final String[] VALUES = {"1", "2", "x"};
  private static final long[] DELTAS = {1, -2, 5, Long.MAX_VALUE};

  private RandomHistories() {}

  /** A state of the simulated register. */
  private static final class Register {
    String value;
    long version;
  }

  /**
   * A linearizable history of {@code n} operations over {@code keys}; intervals start in [0, horizon) and last up to
   * {@code maxLength}; each operation's outcome is unknown with probability {@code pUnknown} (and then it took effect
   * or not, half and half).
   */
  static List<Operation> linearizable(Random rnd, int n, List<String> keys, int horizon, int maxLength, double pUnknown) {
    long[] call = new long[n];
    long[] ret = new long[n];
    long[] at = new long[n];
    boolean[] unknown = new boolean[n];
    boolean[] applied = new boolean[n];
    String[] key = new String[n];
    Input[] input = new Input[n];
    for (int i = 0; i < n; i++) {
      key[i] = keys.get(rnd.nextInt(keys.size()));
      input[i] = randomInput(rnd);
      call[i] = rnd.nextInt(horizon);
      ret[i] = call[i] + rnd.nextInt(maxLength + 1);
      at[i] = call[i] + (long) Math.floor(rnd.nextDouble() * (ret[i] - call[i] + 1));
      unknown[i] = rnd.nextDouble() < pUnknown;
      applied[i] = !unknown[i] || rnd.nextBoolean();
    }
    return simulate(rnd, n, key, input, call, ret, at, unknown, applied);
  }

  /**
   * A linearizable history of {@code clients} sequential clients (each waits for its reply before the next call), as
   * a real test would record; random think times and latencies.
   */
  static List<Operation> clients(
      Random rnd, int clients, int opsPerClient, List<String> keys, int maxLatency, double pUnknown) {
    int n = clients * opsPerClient;
    long[] call = new long[n];
    long[] ret = new long[n];
    long[] at = new long[n];
    boolean[] unknown = new boolean[n];
    boolean[] applied = new boolean[n];
    String[] key = new String[n];
    Input[] input = new Input[n];
    int i = 0;
    for (int c = 0; c < clients; c++) {
      long t = rnd.nextInt(maxLatency + 1);
      for (int k = 0; k < opsPerClient; k++, i++) {
        key[i] = keys.get(rnd.nextInt(keys.size()));
        input[i] = realisticInput(rnd);
        call[i] = t;
        ret[i] = t + 1 + rnd.nextInt(maxLatency);
        at[i] = call[i] + (long) Math.floor(rnd.nextDouble() * (ret[i] - call[i] + 1));
        unknown[i] = rnd.nextDouble() < pUnknown;
        applied[i] = !unknown[i] || rnd.nextBoolean();
        t = ret[i] + rnd.nextInt(3);
      }
    }
    return simulate(rnd, n, key, input, call, ret, at, unknown, applied);
  }

  /**
   * Like {@link #randomInput}, but a cas or conditional delete names a recent version (the version when it takes
   * effect, or one or two before), as a client that read the key shortly before would.
   */
  static Input realisticInput(Random rnd) {
    Input in = randomInput(rnd);
    if (in instanceof Input.Cas) return Input.cas(RECENT, ((Input.Cas) in).value());
    if (in instanceof Input.Delete && ((Input.Delete) in).expectedVersion() != null) return Input.delete(RECENT);
    return in;
  }

  /** Placeholder expected version, resolved when the operation takes effect. */
  private static final long RECENT = -1;

  private static List<Operation> simulate(
      Random rnd,
      int n,
      String[] key,
      Input[] input,
      long[] call,
      long[] ret,
      long[] at,
      boolean[] unknown,
      boolean[] applied) {
    List<Integer> order = new ArrayList<>();
    for (int i = 0; i < n; i++) order.add(i);
    order.sort(Comparator.<Integer>comparingLong(i -> at[i]).thenComparingInt(i -> i));
    Map<String, Register> registers = new HashMap<>();
    Output[] output = new Output[n];
    for (int i : order) {
      Register r = registers.computeIfAbsent(key[i], k -> new Register());
      input[i] = resolve(rnd, r, input[i]);
      if (!applied[i]) continue;
      output[i] = apply(r, input[i]);
    }
    List<Operation> history = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      history.add(
          unknown[i]
              ? Operation.unknown(key[i], input[i], call[i])
              : Operation.completed(key[i], input[i], call[i], ret[i], output[i]));
    }
    return history;
  }

  private static Input resolve(Random rnd, Register r, Input in) {
    long recent = Math.max(0, r.version - (rnd.nextBoolean() ? 0 : rnd.nextInt(3)));
    if (in instanceof Input.Cas && ((Input.Cas) in).expectedVersion() == RECENT) {
      return Input.cas(recent, ((Input.Cas) in).value());
    }
    if (in instanceof Input.Delete && Long.valueOf(RECENT).equals(((Input.Delete) in).expectedVersion())) {
      return Input.delete(recent);
    }
    return in;
  }

  static Input randomInput(Random rnd) {
    switch (rnd.nextInt(8)) {
      case 0:
      case 1:
        return Input.get();
      case 2:
        return Input.put(VALUES[rnd.nextInt(VALUES.length)]);
      case 3:
        return Input.cas(rnd.nextInt(4), VALUES[rnd.nextInt(VALUES.length)]);
      case 4:
        return rnd.nextBoolean() ? Input.delete() : Input.delete(rnd.nextInt(4));
      case 5:
      case 6:
        return Input.add(DELTAS[rnd.nextInt(DELTAS.length)]);
      default:
        return Input.create(VALUES[rnd.nextInt(VALUES.length)]);
    }
  }

  /** The simulated register: applies one operation and returns what the client sees. */
  private static Output apply(Register r, Input in) {
    if (in instanceof Input.Get) return Output.value(r.value, r.version);
    if (in instanceof Input.Put) {
      r.value = ((Input.Put) in).value();
      return Output.written(++r.version);
    }
    if (in instanceof Input.Cas) {
      Input.Cas cas = (Input.Cas) in;
      if (cas.expectedVersion() != r.version) return Output.cas(false, r.version);
      r.value = cas.value();
      return Output.cas(true, ++r.version);
    }
    if (in instanceof Input.Delete) {
      Long expected = ((Input.Delete) in).expectedVersion();
      if (expected != null && expected != r.version) return Output.refused("version_mismatch", r.version);
      if (r.value != null) {
        r.value = null;
        r.version++;
      }
      return Output.written(r.version);
    }
    if (in instanceof Input.Add) {
      long delta = ((Input.Add) in).delta();
      long base;
      if (r.value == null) {
        base = 0;
      } else if (r.value.matches("[+-]?[0-9]+")) {
        try {
          base = Long.parseLong(r.value);
        } catch (NumberFormatException e) {
          return Output.refused("not_integer", r.version);
        }
      } else {
        return Output.refused("not_integer", r.version);
      }
      long sum = base + delta;
      if (((base ^ sum) & (delta ^ sum)) < 0) return Output.refused("not_integer", r.version);
      r.value = Long.toString(sum);
      return Output.value(r.value, ++r.version);
    }
    Input.Create create = (Input.Create) in;
    if (r.value != null) return Output.refused("version_mismatch", r.version);
    r.value = create.value();
    return Output.written(++r.version);
  }

  /** Replaces the output of one random completed operation with a different, plausible one. */
  static List<Operation> corrupt(Random rnd, List<Operation> history) {
    List<Integer> completed = new ArrayList<>();
    for (int i = 0; i < history.size(); i++) {
      if (history.get(i).ret() != null) completed.add(i);
    }
    if (completed.isEmpty()) return history;
    int i = completed.get(rnd.nextInt(completed.size()));
    Operation op = history.get(i);
    Output bad = mutate(rnd, op.output());
    List<Operation> copy = new ArrayList<>(history);
    copy.set(i, new Operation(op.key(), op.input(), op.call(), op.ret(), bad));
    return copy;
  }

  private static Output mutate(Random rnd, Output out) {
    long v = out.version();
    long otherVersion = rnd.nextBoolean() || v == 0 ? v + 1 : v - 1;
    if (out instanceof Output.Value) {
      Output.Value value = (Output.Value) out;
      if (rnd.nextBoolean()) return Output.value(value.value(), otherVersion);
      String[] choices = {null, "1", "2", "x", "3", "6"};
      String other;
      do {
        other = choices[rnd.nextInt(choices.length)];
      } while (java.util.Objects.equals(other, value.value()));
      return Output.value(other, v);
    }
    if (out instanceof Output.CasResult) {
      Output.CasResult cas = (Output.CasResult) out;
      return rnd.nextBoolean() ? Output.cas(!cas.ok(), v) : Output.cas(cas.ok(), otherVersion);
    }
    if (out instanceof Output.Refused) {
      return rnd.nextBoolean()
          ? Output.refused(((Output.Refused) out).error(), otherVersion)
          : Output.written(v);
    }
    return rnd.nextBoolean() ? Output.written(otherVersion) : Output.refused("version_mismatch", v);
  }
}
