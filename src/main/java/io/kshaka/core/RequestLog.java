package io.kshaka.core;

import java.util.Arrays;

/**
 * The ids of a register's latest writes, newest last, each with the version it produced and, for an add, the sum
 * it answered: what lets a proposer that re-runs a change (a takeover from a lost home, a client's retry) find out
 * whether it was applied already. Immutable.
 *
 * <p>Bounded: the oldest id goes when a write would exceed the bound. The log keeps the highest stamp of every id
 * it dropped, so an id stamped above it is known never to have been dropped; for other ids not in the log the
 * answer is "may have been forgotten", and the change's outcome is unknown.
 *
 * <p>Cost: 32 bytes an entry in memory, on the wire and on disk (hash, stamp, version, sum), plus a 16-byte array
 * header in memory: 144 bytes for a register holding the default bound of {@value #DEFAULT_BOUND}.
 */
public final class RequestLog {
  /** How many ids a register remembers unless configured otherwise. */
  public static final int DEFAULT_BOUND = 4;
  /** {@link #forgottenStamp()} of a log that never dropped an id. */
  public static final long NONE = -1;
  public static final RequestLog EMPTY = new RequestLog(new long[0], NONE);
  private static final int WIDTH = 4;

  /** One remembered write. {@code sum} is the value an add answered (0 for other changes). */
  public record Entry(long hash, long stamp, long version, long sum) {}

  private final long[] entries;
  private final long forgottenStamp;

  private RequestLog(long[] entries, long forgottenStamp) {
    this.entries = entries;
    this.forgottenStamp = forgottenStamp;
  }

  /** A log with these entries (oldest first) and forgotten stamp; used by decoders. */
  public static RequestLog of(java.util.List<Entry> entries, long forgottenStamp) {
    if (forgottenStamp < NONE) throw new IllegalArgumentException("forgotten stamp " + forgottenStamp);
    if (entries.isEmpty() && forgottenStamp == NONE) return EMPTY;
    long[] a = new long[entries.size() * WIDTH];
    for (int i = 0; i < entries.size(); i++) {
      Entry e = entries.get(i);
      if (e.stamp() < 0 || e.version() < 1) throw new IllegalArgumentException("bad entry " + e);
      a[i * WIDTH] = e.hash();
      a[i * WIDTH + 1] = e.stamp();
      a[i * WIDTH + 2] = e.version();
      a[i * WIDTH + 3] = e.sum();
    }
    return new RequestLog(a, forgottenStamp);
  }

  /**
   * This log without any entry, keeping as forgotten the highest stamp of every id it held or dropped (what
   * {@link Change.Forget} leaves): a repeat of one of those ids is then answered "may have been forgotten".
   */
  public RequestLog forgetAll() {
    long forgotten = forgottenStamp;
    for (int i = 0; i < size(); i++) forgotten = Math.max(forgotten, entries[i * WIDTH + 1]);
    return forgotten == NONE ? EMPTY : new RequestLog(new long[0], forgotten);
  }

  /** The highest stamp of any id this log holds or dropped ({@link #NONE} for none). */
  public long newestStamp() {
    long newest = forgottenStamp;
    for (int i = 0; i < size(); i++) newest = Math.max(newest, entries[i * WIDTH + 1]);
    return newest;
  }

  public int size() {
    return entries.length / WIDTH;
  }

  /** Entry {@code i}, 0 = oldest. */
  public Entry entry(int i) {
    int at = i * WIDTH;
    return new Entry(entries[at], entries[at + 1], entries[at + 2], entries[at + 3]);
  }

  /** The highest stamp of a dropped id, or {@link #NONE}. */
  public long forgottenStamp() {
    return forgottenStamp;
  }

  /** The remembered write of this id, or null. */
  public Entry find(RequestId id) {
    for (int at = entries.length - WIDTH; at >= 0; at -= WIDTH) {
      if (entries[at] == id.hash()) return entry(at / WIDTH);
    }
    return null;
  }

  /** The hash of the remembered write that produced {@code version}, or null if the log holds none. */
  public Long hashAt(long version) {
    for (int at = entries.length - WIDTH; at >= 0; at -= WIDTH) {
      if (entries[at + 2] == version) return entries[at];
    }
    return null;
  }

  /** True unless this id, when it is not in the log, is known never to have been in it. */
  public boolean mayHaveForgotten(RequestId id) {
    return forgottenStamp != NONE && id.stamp() <= forgottenStamp;
  }

  /** This log with one more write; the oldest entries go beyond {@code bound} (at least 1). */
  public RequestLog with(RequestId id, long version, long sum, int bound) {
    int keep = Math.min(size(), Math.max(1, bound) - 1);
    int drop = size() - keep;
    long forgotten = forgottenStamp;
    for (int i = 0; i < drop; i++) forgotten = Math.max(forgotten, entries[i * WIDTH + 1]);
    long[] a = new long[(keep + 1) * WIDTH];
    System.arraycopy(entries, drop * WIDTH, a, 0, keep * WIDTH);
    int at = keep * WIDTH;
    a[at] = id.hash();
    a[at + 1] = id.stamp();
    a[at + 2] = version;
    a[at + 3] = sum;
    return new RequestLog(a, forgotten);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof RequestLog l && forgottenStamp == l.forgottenStamp && Arrays.equals(entries, l.entries);
  }

  @Override
  public int hashCode() {
    return 31 * Long.hashCode(forgottenStamp) + Arrays.hashCode(entries);
  }

  @Override
  public String toString() {
    return "RequestLog(" + size() + (forgottenStamp == NONE ? "" : ", forgot <= " + forgottenStamp) + ")";
  }
}
