package io.kshaka.sim;

import java.util.ArrayList;
import java.util.List;

/**
 * What happened in one run: a running 64-bit hash of every event (so that two runs of one seed can be compared
 * cheaply) and, when asked for, the same events as readable lines. Only values with a deterministic hash go in:
 * numbers, strings, byte contents; never identity hash codes.
 */
final class Trace {
  private long hash = 0xcbf29ce484222325L;
  private final List<String> lines;

  Trace(boolean keepLines) {
    this.lines = keepLines ? new ArrayList<>() : null;
  }

  void mix(long v) {
    long h = hash ^ v;
    h *= 0x100000001b3L;
    h ^= h >>> 29;
    hash = h * 0xbf58476d1ce4e5b9L;
  }

  void mix(long a, long b, long c, long d) {
    mix(a);
    mix(b);
    mix(c);
    mix(d);
  }

  boolean keepsLines() {
    return lines != null;
  }

  void line(long now, String text) {
    if (lines != null) lines.add(String.format("%7d  %s", now, text));
  }

  long hash() {
    return hash;
  }

  List<String> lines() {
    return lines == null ? List.of() : lines;
  }
}
