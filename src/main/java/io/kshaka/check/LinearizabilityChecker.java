package io.kshaka.check;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
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
 * <p>Before searching, the model may {@linkplain Model#refute refute} a key outright (for the register: a version
 * that goes backwards in real time, two changes producing one version...). A refuted key is NOT_LINEARIZABLE; the
 * search then only runs, for at most 2 s, to find the longest linearizable prefix for the report.
 *
 * <p>Refinements of the search, none of which changes the answer (each is justified where it is applied, and the
 * tests compare the result with a brute-force checker):
 * <ul>
 *   <li>An operation that the model declares {@linkplain Model#preservesState state-preserving} (a read, a refused
 *       change) and that is legal in the current state is linearized at once, and no alternative is tried at that
 *       point: any linearization from there can be rearranged to start with it (it may go first in real time, and
 *       moving it changes no state). This removes most backtracking caused by reads overlapping writes.</li>
 *   <li>A configuration where an operation that could come next can never become legal (the model's
 *       {@link Model#mayBecomeLegal} says so: for a register, its version is already past the one the operation
 *       saw) is abandoned at once. This bounds how many unknown-outcome changes the search tries in a row.</li>
 *   <li>Operations of unknown outcome are tried after the operations with a known outcome that could come next: most
 *       of them never took effect, and placing them last is always possible. For the same reason one is not tried
 *       where it would change nothing (a compare-and-set that would fail), and the search succeeds as soon as every
 *       operation with a known outcome is linearized. Of several unknown-outcome operations with equal inputs, all
 *       already called, only the first is tried: the others could swap places with it.</li>
 * </ul>
 *
 * <p>Limits: the problem is NP-complete, and unknown outcomes are what make it hard. A history that is not
 * linearizable, has many unknown-outcome changes (10% and more) and whose violation the model cannot refute without
 * search may exhaust the time bound: the key is then UNKNOWN, which fails a test as surely as NOT_LINEARIZABLE.
 *
 * <p>Thread-safety: the static methods may be called from any thread concurrently.
 */
public final class LinearizabilityChecker {

  private static final int CHECK_CLOCK_EVERY = 1 << 10;

  /** When the model refutes a key without search, the search for the report's longest prefix is cut after this. */
  private static final long PREFIX_SEARCH_NANOS = 2_000_000_000L;

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
    static final ExecutorService EXECUTOR = Executors.newFixedThreadPool(PARALLELISM, new Daemons());
  }

  /** How many keys are checked at once. */
  private static final int PARALLELISM = Math.max(1, Runtime.getRuntime().availableProcessors());

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

    private boolean memoryBoundReached;
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
      Violation violation = model.refute(Collections.unmodifiableList(ops));
      if (violation == null) return result(search(budget), null);
      // Certainly not linearizable; search a little anyway, for the longest linearizable prefix in the report.
      Verdict searched = search(Math.min(budget, PREFIX_SEARCH_NANOS));
      if (searched == Verdict.LINEARIZABLE) {
        throw new IllegalStateException(
            model.name() + ".refute reported a violation in a linearizable history: " + violation.reason());
      }
      return result(Verdict.NOT_LINEARIZABLE, violation);
    }

    /** The search proper, within {@code budget} nanoseconds. */
    private Verdict search(long budget) {
      int n = ops.size();
      Entry head = buildList(n);
      long[] zobrist = new long[n];
      boolean[] unknown = new boolean[n];
      boolean[] preserving = new boolean[n];
      for (int i = 0; i < n; i++) {
        zobrist[i] = mix64(i + 0x632BE59BD9B4E019L);
        Op<I, O> op = ops.get(i);
        unknown[i] = op.unknown();
        preserving[i] = !unknown[i] && model.preservesState(op.input(), op.output());
      }
      // For each unknown-outcome operation, the previous one (by call time) with an equal input, or -1.
      int[] twinBefore = new int[n];
      Arrays.fill(twinBefore, -1);
      Integer[] byCall = new Integer[n];
      for (int i = 0; i < n; i++) byCall[i] = i;
      Arrays.sort(byCall, Comparator.<Integer>comparingLong(i -> ops.get(i).call()).thenComparingInt(i -> i));
      HashMap<I, Integer> lastWithInput = new HashMap<>();
      for (int i : byCall) {
        if (!unknown[i]) continue;
        Integer twin = lastWithInput.put(ops.get(i).input(), i);
        if (twin != null) twinBefore[i] = twin;
      }
      long[] bits = new long[(n + 63) >>> 6];
      long bitsHash = 0;
      // Bound the memo so that a hopeless search ends UNKNOWN instead of exhausting the heap: a quarter of the heap,
      // shared by as many searches as run in parallel, at about 100 bytes per entry besides its bitset.
      long perConfig = 8L * bits.length + 112;
      long maxConfigs = Math.max(10_000, Runtime.getRuntime().maxMemory() / 4 / PARALLELISM / perConfig);
      HashSet<Config> cache = new HashSet<>();
      Config probe = new Config(bits, 0, Boolean.TRUE);
      // The stack of choices: the call lifted, the state before it, the pass it was found in, and whether it was
      // forced (a state-preserving operation, taken without trying alternatives).
      Entry[] stackEntry = new Entry[n];
      @SuppressWarnings("unchecked")
      S[] stackState = (S[]) new Object[n];
      byte[] stackPass = new byte[n];
      boolean[] stackForced = new boolean[n];
      int depth = 0;
      S state = model.init();
      record(stackEntry, 0, state);
      boolean fresh = true; // a configuration just reached: look for a forced choice first
      Entry entry = head.next;
      byte pass = 1; // 1: operations with a known outcome; 2: operations of unknown outcome
      long iterations = 0;
      int definiteLeft = 0;
      for (int i = 0; i < n; i++) {
        if (!unknown[i]) definiteLeft++;
      }
      // Done when every operation with a known outcome is linearized: the remaining unknown-outcome ones can take
      // effect after them (any output is allowed), which is the same as never taking effect.
      while (definiteLeft > 0) {
        if ((++iterations & (CHECK_CLOCK_EVERY - 1)) == 0
            && (System.nanoTime() - start > budget || Thread.currentThread().isInterrupted())) {
          return Verdict.UNKNOWN;
        }
        Entry chosen = null;
        S next = null;
        boolean forced = false;
        if (fresh) {
          // A state-preserving operation that is legal now can be linearized now without loss of generality: any
          // linearization from here can be rearranged to start with it. So take it and try nothing else here.
          // And if an operation that could come next can never become legal from this state, this is a dead end.
          fresh = false;
          boolean dead = false;
          for (Entry e = head.next; e.call; e = e.next) {
            int id = e.id;
            if (unknown[id]) continue;
            Op<I, O> op = ops.get(id);
            if (preserving[id]) {
              next = model.step(state, op.input(), op.output());
              if (next != null) {
                chosen = e;
                forced = true;
                break;
              }
            }
            if (!model.mayBecomeLegal(state, op.input(), op.output())) {
              dead = true;
              break;
            }
          }
          if (chosen == null && !dead) {
            entry = head.next;
            pass = 1;
            continue;
          }
        } else if (entry.call) {
          int id = entry.id;
          // Preserving operations were found illegal by the forced scan of this configuration.
          if (preserving[id] || unknown[id] != (pass == 2)) {
            entry = entry.next;
            continue;
          }
          if (unknown[id] && earlierTwinLeft(twinBefore, bits, id)) {
            // Of unknown-outcome operations with equal inputs that have all been called, only the first needs
            // trying: the others can swap places with it.
            entry = entry.next;
            continue;
          }
          Op<I, O> op = ops.get(id);
          next = model.step(state, op.input(), unknown[id] ? null : op.output());
          if (next == null) {
            if (unknown[id]) {
              throw new IllegalStateException(
                  model.name() + ".step returned null (illegal) for an operation of unknown outcome: " + op);
            }
            entry = entry.next;
            continue;
          }
          if (unknown[id] && next.equals(state)) {
            // An unknown-outcome operation that changes nothing here is as good as one that never took effect,
            // which is covered by placing it after everything else: no need to try it here.
            entry = entry.next;
            continue;
          }
          chosen = entry;
        } else if (pass == 1) {
          entry = head.next;
          pass = 2;
          continue;
        }
        if (chosen != null) {
          int id = chosen.id;
          bits[id >>> 6] |= 1L << id;
          bitsHash ^= zobrist[id];
          probe.set(bits, bitsHash, next);
          if (!cache.contains(probe)) {
            if (cache.size() >= maxConfigs) {
              memoryBoundReached = true;
              return Verdict.UNKNOWN;
            }
            cache.add(new Config(bits.clone(), bitsHash, next));
            stackEntry[depth] = chosen;
            stackState[depth] = state;
            stackPass[depth] = pass;
            stackForced[depth] = forced;
            depth++;
            state = next;
            lift(chosen);
            if (!unknown[id]) definiteLeft--;
            if (depth > bestDepth) record(stackEntry, depth, state);
            fresh = true;
            continue;
          }
          bits[id >>> 6] &= ~(1L << id);
          bitsHash ^= zobrist[id];
          if (!forced) {
            entry = entry.next;
            continue;
          }
          // A forced choice leads to an explored (failed) configuration: so does this one. Fall through.
        }
        // Dead end: undo choices until one that was not forced, and try the calls after it.
        while (true) {
          if (depth == 0) return Verdict.NOT_LINEARIZABLE;
          depth--;
          Entry top = stackEntry[depth];
          state = stackState[depth];
          stackEntry[depth] = null;
          stackState[depth] = null;
          int id = top.id;
          bits[id >>> 6] &= ~(1L << id);
          bitsHash ^= zobrist[id];
          if (!unknown[id]) definiteLeft++;
          unlift(top);
          if (!stackForced[depth]) {
            entry = top.next;
            pass = stackPass[depth];
            break;
          }
        }
      }
      record(stackEntry, depth, state);
      return Verdict.LINEARIZABLE;
    }

    private static boolean earlierTwinLeft(int[] twinBefore, long[] bits, int id) {
      for (int t = twinBefore[id]; t >= 0; t = twinBefore[t]) {
        if ((bits[t >>> 6] & (1L << t)) == 0) return true;
      }
      return false;
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

    private KeyResult result(Verdict verdict, Violation violation) {
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
                "key %s: LINEARIZABLE (%s, %.3f s)%n",
                KeyResult.quote(key),
                KeyResult.count(total, "operation"),
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
      int unknownPending = 0;
      for (int i = 0; i < ops.size(); i++) {
        Op<I, O> op = ops.get(i);
        if (placed[i] || op.call() > firstReturn) continue;
        if (op.unknown()) {
          unknownPending++;
        } else {
          frontier.add(op);
        }
      }
      frontier.sort(Comparator.comparingLong(Op::call));
      String report = report(verdict, elapsed, violation, frontier, unknownPending, remaining);
      return new KeyResult(key, verdict, total, elapsed, prefix, new ArrayList<>(frontier), report);
    }

    private static final int PREFIX_SHOWN = 30;

    private String report(
        Verdict verdict,
        Duration elapsed,
        Violation violation,
        List<Op<I, O>> frontier,
        int unknownPending,
        int remaining) {
      StringBuilder b = new StringBuilder();
      b.append(
          String.format(
              Locale.ROOT,
              "key %s: %s (%s, %.3f s, model %s)%n",
              KeyResult.quote(key),
              verdict,
              KeyResult.count(total, "operation"),
              elapsed.toNanos() / 1e9,
              model.name()));
      if (verdict == Verdict.UNKNOWN) {
        b.append(
            String.format(
                Locale.ROOT,
                "  the search stopped after %.3f s (%s) without an answer; this is not a pass%n",
                elapsed.toNanos() / 1e9,
                memoryBoundReached
                    ? "it memoised as many configurations as the heap allows"
                    : "time bound " + (budget == Long.MAX_VALUE ? "none" : Duration.ofNanos(budget))));
      }
      if (violation != null) {
        b.append("  violation found without search: ").append(violation.reason()).append('\n');
        for (Op<?, ?> op : violation.operations()) b.append("    ").append(describeAny(op)).append('\n');
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
        b.append("  no operation with a known outcome could come next\n");
      } else {
        b.append("  operations that could not be placed next:\n");
        for (Op<I, O> op : frontier) {
          S next = model.step(bestState, op.input(), op.output());
          String why;
          if (next == null) {
            why =
                model.mayBecomeLegal(bestState, op.input(), op.output())
                    ? "the model rejects this output in this state"
                    : "the model rejects this output in this state and every later one";
          } else {
            why = "legal here, but no linearization continues from it";
          }
          b.append("    ").append(describe(op)).append("   (").append(why).append(")\n");
        }
      }
      if (unknownPending > 0) {
        b.append(
            String.format(
                Locale.ROOT,
                "  and %d operations of unknown outcome that could take effect here, none of which helps%n",
                unknownPending));
      }
      b.append("  ").append(KeyResult.count(remaining, "operation")).append(" left after the prefix\n");
      return b.toString();
    }

    @SuppressWarnings("unchecked")
    private String describeAny(Op<?, ?> op) {
      return describe((Op<I, O>) op);
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
