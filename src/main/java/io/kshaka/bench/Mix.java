package io.kshaka.bench;

import java.util.EnumMap;
import java.util.Map;
import java.util.StringJoiner;
import picocli.CommandLine;

/**
 * The share of each operation in whole percent, adding up to 100, as written on the command line:
 * {@code get=10,put=80,cas=5,add=5}. Ops left out get 0.
 */
public final class Mix {
  private final EnumMap<OpKind, Integer> percent;
  /** cumulative[i] = sum of the percentages of ops 0..i, in {@link OpKind} order. */
  private final int[] cumulative;

  private Mix(EnumMap<OpKind, Integer> percent) {
    this.percent = percent;
    OpKind[] ops = OpKind.values();
    this.cumulative = new int[ops.length];
    int sum = 0;
    for (int i = 0; i < ops.length; i++) {
      sum += percent.getOrDefault(ops[i], 0);
      cumulative[i] = sum;
    }
  }

  /** 100% of one op. */
  public static Mix of(OpKind op) {
    EnumMap<OpKind, Integer> p = new EnumMap<>(OpKind.class);
    p.put(op, 100);
    return new Mix(p);
  }

  /**
   * Parses {@code op=percent[,op=percent...]}.
   *
   * @throws IllegalArgumentException with a message fit for the user when the text is not a valid mix
   */
  public static Mix parse(String text) {
    if (text == null || text.isBlank()) {
      throw new IllegalArgumentException("empty mix; expected op=percent pairs such as get=10,put=90 (ops: "
          + OpKind.names() + ")");
    }
    EnumMap<OpKind, Integer> p = new EnumMap<>(OpKind.class);
    for (String raw : text.split(",", -1)) {
      String part = raw.trim();
      int eq = part.indexOf('=');
      if (eq <= 0) {
        throw new IllegalArgumentException("'" + part + "' is not op=percent (ops: " + OpKind.names() + ")");
      }
      String name = part.substring(0, eq).trim();
      OpKind op = OpKind.byName(name);
      if (op == null) {
        throw new IllegalArgumentException("unknown op '" + name + "' (ops: " + OpKind.names() + ")");
      }
      if (p.containsKey(op)) {
        throw new IllegalArgumentException("op '" + op.wireName() + "' is given twice");
      }
      String number = part.substring(eq + 1).trim();
      int value;
      try {
        value = Integer.parseInt(number);
      } catch (NumberFormatException e) {
        value = -1;
      }
      if (value < 0 || value > 100) {
        throw new IllegalArgumentException("the percentage of '" + op.wireName()
            + "' must be a whole number from 0 to 100, got '" + number + "'");
      }
      p.put(op, value);
    }
    int sum = 0;
    for (int v : p.values()) sum += v;
    if (sum != 100) {
      throw new IllegalArgumentException("percentages must add up to 100, got " + sum + " in '" + text.trim() + "'");
    }
    return new Mix(p);
  }

  /** The op for a roll in [0, 100): each op gets as many of the 100 values as its percentage. */
  public OpKind pick(int roll) {
    OpKind[] ops = OpKind.values();
    for (int i = 0; i < ops.length; i++) {
      if (roll < cumulative[i]) return ops[i];
    }
    throw new IllegalArgumentException("roll must be in [0, 100), got " + roll);
  }

  public int percent(OpKind op) {
    return percent.getOrDefault(op, 0);
  }

  /** Every op with its percentage (0 included), in {@link OpKind} order. */
  public Map<OpKind, Integer> asMap() {
    EnumMap<OpKind, Integer> all = new EnumMap<>(OpKind.class);
    for (OpKind op : OpKind.values()) all.put(op, percent(op));
    return all;
  }

  /** The canonical form: ops in {@link OpKind} order, zeros left out ({@code put=90,cas=10}). */
  @Override
  public String toString() {
    StringJoiner j = new StringJoiner(",");
    for (OpKind op : OpKind.values()) {
      int v = percent(op);
      if (v > 0) j.add(op.wireName() + "=" + v);
    }
    return j.toString();
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Mix && ((Mix) o).asMap().equals(asMap());
  }

  @Override
  public int hashCode() {
    return asMap().hashCode();
  }

  /** picocli converter: a bad mix becomes a usage error (exit code 2) carrying the parse message. */
  public static final class Converter implements CommandLine.ITypeConverter<Mix> {
    @Override
    public Mix convert(String value) {
      try {
        return parse(value);
      } catch (IllegalArgumentException e) {
        throw new CommandLine.TypeConversionException(e.getMessage());
      }
    }
  }
}
