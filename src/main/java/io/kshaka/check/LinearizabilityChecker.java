package io.kshaka.check;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A linearizability checker for any {@link Model}: the Wing &amp; Gong search with Lowe's memoisation.
 *
 * <p>Each partition (key) of the history is checked separately, in parallel on a shared pool of daemon threads (one
 * per processor), each within its own time bound, measured from the moment its search starts. A key whose search
 * runs out of time is {@link Verdict#UNKNOWN}.
 *
 * <p>The search, per key: every operation becomes a call event and a return event (an operation with an unknown
 * outcome returns "at infinity", after every other event, and may return any output, so placing it last is the same
 * as it never taking effect). Events are sorted by time (a call before a return at equal times: touching intervals
 * are concurrent) into a doubly linked list. The search walks the list: at a call it tries to linearize that
 * operation now (the model must accept its output from the current state); if so it lifts the call and its return
 * out of the list, pushes it, and starts again from the head. Reaching a return event means the operation it closes
 * should already have been linearized: the search pops the last choice, puts it back and tries the next call after
 * it. An empty list is a linearization; popping from an empty stack means there is none. Lowe's memoisation prunes a
 * choice that leads to a configuration (set of linearized operations, model state) already explored; the set is a
 * {@code long[]} bitset with an incremental (Zobrist) hash.
 *
 * <p>Unknown-outcome operations that the model declares {@linkplain Model#isReadOnly read-only} are dropped before
 * the search: they constrain nothing.
 *
 * <p>Thread-safety: the static methods may be called from any thread concurrently.
 */
public final class LinearizabilityChecker {

  private static final int CHECK_CLOCK_EVERY = 1 << 10;

  private LinearizabilityChecker() {}

  /**
   * Checks a history: partitions it with {@link Model#partition}, checks every key within {@code timeoutPerKey}, in
   * parallel, and combines the verdicts.
   *
   * @throws IllegalArgumentException if an operation has {@code ret < call}, a null input, or a null output although
   *     it returned
   */
  public static <S, I, O> CheckResult check(
      Model<S, I, O> model, List<? extends Op<I, O>> history, Duration timeoutPerKey) {
    Objects.requireNonNull(model, "model");
    Objects.requireNonNull(timeoutPerKey, "timeoutPerKey");
    long start = System.nanoTime();
    Map<String, List<Op<I, O>>> parts = new TreeMap<>();
    for (Op<I, O> op : history) {
      validate(op);
      parts.computeIfAbsent(model.partition(op), k -> new ArrayList<>()).add(op);
    }
    List<KeyResult> results = new ArrayList<>(parts.size());
    if (parts.size() <= 1) {
      for (Map.Entry<String, List<Op<I, O>>> e : parts.entrySet()) {
        results.add(checkPartition(model, e.getKey(), e.getValue(), timeoutPerKey));
      }
    } else {
      List<String> keys = new ArrayList<>(parts.keySet());
      List<Future<KeyResult>> futures = new ArrayList<>(keys.size());
      for (String key : keys) {
        List<Op<I, O>> ops = parts.get(key);
        futures.add(Pool.EXECUTOR.submit(() -> checkPartition(model, key, ops, timeoutPerKey)));
      }
      boolean interrupted = false;
      for (int i = 0; i < futures.size(); i++) {
        KeyResult r;
        try {
          r = interrupted ? null : futures.get(i).get();
        } catch (InterruptedException e) {
          interrupted = true;
          for (Future<KeyResult> f : futures) f.cancel(true);
          r = null;
        } catch (CancellationException e) {
          r = null;
        } catch (ExecutionException e) {
          Throwable cause = e.getCause();
          if (cause instanceof RuntimeException) throw (RuntimeException) cause;
          if (cause instanceof Error) throw (Error) cause;
          throw new IllegalStateException(cause);
        }
        if (r == null) {
          String key = keys.get(i);
          r =
              new KeyResult(
                  key,
                  Verdict.UNKNOWN,
                  parts.get(key).size(),
                  Duration.ZERO,
                  List.of(),
                  List.of(),
                  "key " + KeyResult.quote(key) + ": UNKNOWN (the check was interrupted)\n");
        }
        results.add(r);
      }
      if (interrupted) Thread.currentThread().interrupt();
    }
    List<Verdict> verdicts = new ArrayList<>(results.size());
    for (KeyResult r : results) verdicts.add(r.verdict());
    return new CheckResult(Verdict.combine(verdicts), results, Duration.ofNanos(System.nanoTime() - start));
  }

  /**
   * Checks one partition on the calling thread, ignoring {@link Model#partition}: all of {@code ops} are taken as
   * operations on one register. Returns {@link Verdict#UNKNOWN} if {@code timeout} passes or the thread is
   * interrupted before an answer.
   */
  public static <S, I, O> KeyResult checkPartition(
      Model<S, I, O> model, String key, List<? extends Op<I, O>> ops, Duration timeout) {
    for (Op<I, O> op : ops) validate(op);
    return new Search<>(model, key, ops, budgetNanos(timeout)).run();
  }

  private static long budgetNanos(Duration timeout) {
    if (timeout.isNegative()) return 0;
    try {
      return timeout.toNanos();
    } catch (ArithmeticException e) {
      return Long.MAX_VALUE;
    }
  }

  private static void validate(Op<?, ?> op) {
    Objects.requireNonNull(op, "operation");
    if (op.input() == null) throw new IllegalArgumentException("operation without input: " + op);
    Long ret = op.ret();
    if (ret != null) {
      if (ret < op.call()) {
        throw new IllegalArgumentException("operation returns before its call (" + ret + " < " + op.call() + "): " + op);
      }
      if (op.output() == null) {
        throw new IllegalArgumentException("operation returned (ret " + ret + ") without output: " + op);
      }
    }
  }

  /** The shared pool, created on first multi-key check. Daemon threads: it never keeps a JVM alive. */
  private static final class Pool {
    static final ExecutorService EXECUTOR =
        Executors.newFixedThreadPool(Math.max(1, Runtime.getRuntime().availableProcessors()), new Daemons());
  }

  private static final class Daemons implements ThreadFactory {
    private final AtomicInteger count = new AtomicInteger();

    @Override
    public Thread newThread(Runnable r) {
      Thread t = new Thread(r, "kshaka-check-" + count.incrementAndGet());
      t.setDaemon(true);
      return t;
    }
  }

  /** A call or return event in the doubly linked list of the search. */
  private static final class Entry {
    final int id;
    final boolean call;
    final long time;
    Entry match;
    Entry prev;
    Entry next;

    Entry(int id, boolean call, long time) {
      this.id = id;
      this.call = call;
      this.time = time;
    }
  }

  /** A memoised configuration: the set of linearized operations and the model state after them. */
  private static final class Config {
    long[] bits;
    long bitsHash;
    Object state;
    int hash;

    Config(long[] bits, long bitsHash, Object state) {
      set(bits, bitsHash, state);
    }

    void set(long[] bits, long bitsHash, Object state) {
      this.bits = bits;
      this.bitsHash = bitsHash;
      this.state = state;
      long h = bitsHash ^ (state.hashCode() * 0x9E3779B97F4A7C15L);
      this.hash = (int) (h ^ (h >>> 32));
    }

    @Override
    public int hashCode() {
      return hash;
    }

    @Override
    public boolean equals(Object o) {
      if (!(o instanceof Config)) return false;
      Config c = (Config) o;
      return hash == c.hash && bitsHash == c.bitsHash && Arrays.equals(bits, c.bits) && state.equals(c.state);
    }
  }

  /** The search over one partition. Single use, single thread. */
  private static final class Search<S, I, O> {
    private final Model<S, I, O> model;
    private final String key;
    private final int total;
    private final List<Op<I, O>> ops = new ArrayList<>();
    private final long budget;
    private final long start = System.nanoTime();

    private int bestDepth = -1;
    private int[] bestIds = new int[0];
    private S bestState;

    Search(Model<S, I, O> model, String key, List<? extends Op<I, O>> history, long budget) {
      this.model = model;
      this.key = key;
      this.total = history.size();
      this.budget = budget;
      for (Op<I, O> op : history) {
        if (op.unknown() && model.isReadOnly(op.input())) continue;
        ops.add(op);
      }
    }

    KeyResult run() {
      int n = ops.size();
      Entry head = buildList(n);
      long[] zobrist = new long[n];
      for (int i = 0; i < n; i++) zobrist[i] = mix64(i + 0x632BE59BD9B4E019L);
      long[] bits = new long[(n + 63) >>> 6];
      long bitsHash = 0;
      HashSet<Config> cache = new HashSet<>();
      Config probe = new Config(bits, 0, Boolean.TRUE);
      Entry[] stackEntry = new Entry[n];
      @SuppressWarnings("unchecked")
      S[] stackState = (S[]) new Object[n];
      int depth = 0;
      S state = model.init();
      record(stackEntry, 0, state);
      Entry entry = head.next;
      long iterations = 0;
      while (head.next != null) {
        if ((++iterations & (CHECK_CLOCK_EVERY - 1)) == 0
            && (System.nanoTime() - start > budget || Thread.currentThread().isInterrupted())) {
          return result(Verdict.UNKNOWN);
        }
        if (entry.call) {
          Op<I, O> op = ops.get(entry.id);
          S next = model.step(state, op.input(), op.unknown() ? null : op.output());
          if (next == null && op.unknown()) {
            throw new IllegalStateException(
                model.name() + ".step returned null (illegal) for an operation of unknown outcome: " + op);
          }
          if (next != null) {
            int id = entry.id;
            bits[id >>> 6] |= 1L << id;
            bitsHash ^= zobrist[id];
            probe.set(bits, bitsHash, next);
            if (!cache.contains(probe)) {
              cache.add(new Config(bits.clone(), bitsHash, next));
              stackEntry[depth] = entry;
              stackState[depth] = state;
              depth++;
              state = next;
              lift(entry);
              if (depth > bestDepth) record(stackEntry, depth, state);
              entry = head.next;
              continue;
            }
            bits[id >>> 6] &= ~(1L << id);
            bitsHash ^= zobrist[id];
          }
          entry = entry.next;
        } else {
          if (depth == 0) return result(Verdict.NOT_LINEARIZABLE);
          depth--;
          Entry top = stackEntry[depth];
          state = stackState[depth];
          stackEntry[depth] = null;
          stackState[depth] = null;
          int id = top.id;
          bits[id >>> 6] &= ~(1L << id);
          bitsHash ^= zobrist[id];
          unlift(top);
          entry = top.next;
        }
      }
      return result(Verdict.LINEARIZABLE);
    }

    private Entry buildList(int n) {
      Entry[] events = new Entry[2 * n];
      for (int i = 0; i < n; i++) {
        Op<I, O> op = ops.get(i);
        Entry call = new Entry(i, true, op.call());
        Entry ret = new Entry(i, false, op.unknown() ? Long.MAX_VALUE : op.ret());
        call.match = ret;
        events[2 * i] = call;
        events[2 * i + 1] = ret;
      }
      Arrays.sort(
          events,
          Comparator.<Entry>comparingLong(e -> e.time)
              .thenComparing(e -> !e.call)
              .thenComparingInt(e -> e.id));
      Entry head = new Entry(-1, false, Long.MIN_VALUE);
      Entry last = head;
      for (Entry e : events) {
        last.next = e;
        e.prev = last;
        last = e;
      }
      return head;
    }

    private static void lift(Entry call) {
      call.prev.next = call.next;
      if (call.next != null) call.next.prev = call.prev;
      Entry ret = call.match;
      ret.prev.next = ret.next;
      if (ret.next != null) ret.next.prev = ret.prev;
    }

    private static void unlift(Entry call) {
      Entry ret = call.match;
      ret.prev.next = ret;
      if (ret.next != null) ret.next.prev = ret;
      call.prev.next = call;
      if (call.next != null) call.next.prev = call;
    }

    private void record(Entry[] stack, int depth, S state) {
      bestDepth = depth;
      bestIds = new int[depth];
      for (int i = 0; i < depth; i++) bestIds[i] = stack[i].id;
      bestState = state;
    }

    private KeyResult result(Verdict verdict) {
      Duration elapsed = Duration.ofNanos(System.nanoTime() - start);
      List<Op<?, ?>> prefix = new ArrayList<>(bestIds.length);
      boolean[] placed = new boolean[ops.size()];
      for (int id : bestIds) {
        prefix.add(ops.get(id));
        placed[id] = true;
      }
      if (verdict == Verdict.LINEARIZABLE) {
        String line =
            String.format(
                Locale.ROOT,
                "key %s: LINEARIZABLE (%d operations, %.3f s)%n",
                KeyResult.quote(key),
                total,
                elapsed.toNanos() / 1e9);
        return new KeyResult(key, verdict, total, elapsed, prefix, List.of(), line);
      }
      // The operations that could come next after the prefix: called before the earliest return among the rest.
      long firstReturn = Long.MAX_VALUE;
      int remaining = 0;
      for (int i = 0; i < ops.size(); i++) {
        if (placed[i]) continue;
        remaining++;
        Op<I, O> op = ops.get(i);
        if (!op.unknown()) firstReturn = Math.min(firstReturn, op.ret());
      }
      List<Op<I, O>> frontier = new ArrayList<>();
      for (int i = 0; i < ops.size(); i++) {
        if (!placed[i] && ops.get(i).call() <= firstReturn) frontier.add(ops.get(i));
      }
      frontier.sort(Comparator.comparingLong(Op::call));
      return new KeyResult(
          key, verdict, total, elapsed, prefix, new ArrayList<>(frontier), report(verdict, elapsed, frontier, remaining));
    }

    private static final int PREFIX_SHOWN = 30;

    private String report(Verdict verdict, Duration elapsed, List<Op<I, O>> frontier, int remaining) {
      StringBuilder b = new StringBuilder();
      b.append(
          String.format(
              Locale.ROOT,
              "key %s: %s (%d operations, %.3f s, model %s)%n",
              KeyResult.quote(key),
              verdict,
              total,
              elapsed.toNanos() / 1e9,
              model.name()));
      if (verdict == Verdict.UNKNOWN) {
        b.append(
            String.format(
                Locale.ROOT,
                "  the search stopped after %.3f s (time bound %s) without an answer; this is not a pass%n",
                elapsed.toNanos() / 1e9,
                budget == Long.MAX_VALUE ? "none" : Duration.ofNanos(budget)));
      }
      if (total != ops.size()) {
        b.append(
            String.format(
                Locale.ROOT,
                "  %d read-only operations of unknown outcome were left out%n",
                total - ops.size()));
      }
      b.append(
          String.format(
              Locale.ROOT,
              "  longest linearizable prefix found: %d of %d operations%n",
              bestIds.length,
              ops.size()));
      int from = Math.max(0, bestIds.length - PREFIX_SHOWN);
      if (from > 0) b.append("    ... ").append(from).append(" earlier operations not shown\n");
      S s = model.init();
      for (int i = 0; i < bestIds.length; i++) {
        Op<I, O> op = ops.get(bestIds[i]);
        s = model.step(s, op.input(), op.unknown() ? null : op.output());
        if (i >= from) {
          b.append(String.format(Locale.ROOT, "    %5d. %s   => %s%n", i + 1, describe(op), describeState(s)));
        }
      }
      b.append("  state after the prefix: ").append(describeState(bestState)).append('\n');
      if (frontier.isEmpty()) {
        b.append("  no operation could come next\n");
      } else {
        b.append("  operations that could not be placed next:\n");
        for (Op<I, O> op : frontier) {
          S next = model.step(bestState, op.input(), op.unknown() ? null : op.output());
          String why =
              next == null
                  ? "the model rejects this output in this state"
                  : "legal here, but no linearization continues from it";
          b.append("    ").append(describe(op)).append("   (").append(why).append(")\n");
        }
      }
      b.append(String.format(Locale.ROOT, "  %d operations remain after the prefix%n", remaining));
      return b.toString();
    }

    private String describe(Op<I, O> op) {
      return "["
          + op.call()
          + ", "
          + (op.unknown() ? "?" : op.ret())
          + "] "
          + model.describeOperation(op.input(), op.unknown() ? null : op.output());
    }

    private String describeState(S s) {
      return s == null ? "(illegal)" : model.describeState(s);
    }
  }

  /** SplitMix64 finaliser: spreads consecutive integers over 64 bits. */
  private static long mix64(long z) {
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return z ^ (z >>> 31);
  }
}
