package io.kshaka.check;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * Linearizability checker for Kshaka histories: the entry point for tests and the {@code check} command.
 *
 * <h2>Use</h2>
 *
 * <pre>{@code
 * List<Operation> history = List.of(
 *     Operation.completed("k", Input.put("a"), 0, 10, Output.written(1)),
 *     Operation.completed("k", Input.get(), 5, 12, Output.value("a", 1)),
 *     Operation.unknown("k", Input.cas(1, "b"), 11));
 * CheckResult result = Checker.check(history, Duration.ofSeconds(30));
 * result.verdict();   // LINEARIZABLE, NOT_LINEARIZABLE or UNKNOWN (a key timed out: not a pass)
 * result.report();    // one line per key, details (longest linearizable prefix, operations that could not be
 *                     // placed) for every failing key, and a summary line
 * }</pre>
 *
 * <p>Record histories with {@link HistoryRecorder} (thread-safe, takes any clock), or build {@link Operation}s
 * directly; save and load them with {@link HistoryWriter} / {@link HistoryReader} (JSON lines).
 *
 * <h2>What is checked</h2>
 *
 * Each key is a register as in {@link RegisterModel} (README, "How it works"): {@code (value | absent, version)}, initially
 * {@code (absent, 0)}. A history is linearizable if every key's operations can be ordered so that (a) the order
 * respects real time (an operation that returned before another was called comes first), (b) every completed
 * operation's output is what the register gives at its place in the order, and (c) operations of unknown outcome
 * take effect at one point after their call, or never. Keys are checked in parallel, each within its own time
 * bound; a key that runs out of time is {@link Verdict#UNKNOWN}, which never counts as a pass. The search is
 * {@link LinearizabilityChecker} (generic over {@link Model}).
 */
public final class Checker {

  private Checker() {}

  /** Checks a history of Kshaka operations, each key within {@code timeoutPerKey}. */
  public static CheckResult check(List<Operation> history, Duration timeoutPerKey) {
    return LinearizabilityChecker.check(RegisterModel.INSTANCE, history, timeoutPerKey);
  }

  /**
   * Reads a JSON lines history file and checks it.
   *
   * @throws MalformedHistoryException if a line is not a well-formed operation (the message names the line)
   */
  public static CheckResult check(Path historyFile, Duration timeoutPerKey) throws IOException {
    return check(HistoryReader.read(historyFile), timeoutPerKey);
  }
}
