package io.kshaka.check;

import java.io.IOException;
import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code check HISTORY.jsonl}: checks a recorded history (JSON lines, see {@link HistoryWriter}) for
 * linearizability. Prints one verdict line per key, the details of every key that is not linearizable or unknown,
 * and a summary line (last).
 *
 * <p>Exit status: 0 linearizable, 1 not linearizable, 2 unknown (a key ran out of time) or bad input (unreadable file,
 * malformed record: the message names its line, bad option).
 */
@Command(
    name = "check",
    mixinStandardHelpOptions = true,
    description = "Checks a Kshaka history (JSON lines) for linearizability.",
    exitCodeListHeading = "%nExit status:%n",
    exitCodeList = {
      "0:linearizable",
      "1:not linearizable",
      "2:unknown (a key ran out of time) or bad input"
    })
public final class CheckCommand implements Callable<Integer> {

  public static final int LINEARIZABLE = 0;
  public static final int NOT_LINEARIZABLE = 1;
  public static final int UNKNOWN_OR_BAD_INPUT = 2;

  @Parameters(index = "0", paramLabel = "HISTORY.jsonl", description = "the history, one operation per line")
  private Path history;

  @Option(
      names = "--timeout-per-key",
      paramLabel = "SECONDS",
      defaultValue = "60",
      description = "time bound of the search for each key, in seconds (default: ${DEFAULT-VALUE})")
  private double timeoutPerKey;

  @CommandLine.Spec private CommandLine.Model.CommandSpec spec;

  public static void main(String... args) {
    System.exit(run(args));
  }

  /** Runs the command, printing to standard output and error; returns the exit status. */
  public static int run(String... args) {
    PrintWriter out = new PrintWriter(new OutputStreamWriter(System.out, StandardCharsets.UTF_8), true);
    PrintWriter err = new PrintWriter(new OutputStreamWriter(System.err, StandardCharsets.UTF_8), true);
    try {
      return run(out, err, args);
    } finally {
      out.flush();
      err.flush();
    }
  }

  /** Runs the command with the given output and error streams; returns the exit status. */
  public static int run(PrintWriter out, PrintWriter err, String... args) {
    CommandLine cl = new CommandLine(new CheckCommand());
    cl.setOut(out);
    cl.setErr(err);
    cl.setExitCodeExceptionMapper(e -> UNKNOWN_OR_BAD_INPUT);
    cl.setParameterExceptionHandler(
        (e, a) -> {
          err.println("check: " + e.getMessage());
          e.getCommandLine().usage(err);
          return UNKNOWN_OR_BAD_INPUT;
        });
    return cl.execute(args);
  }

  @Override
  public Integer call() {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    if (!(timeoutPerKey > 0) || Double.isInfinite(timeoutPerKey)) {
      err.println("check: --timeout-per-key must be a positive number of seconds: " + timeoutPerKey);
      return UNKNOWN_OR_BAD_INPUT;
    }
    List<Operation> ops;
    try {
      ops = HistoryReader.read(history);
    } catch (MalformedHistoryException e) {
      err.println("check: " + history + ": malformed record at " + e.getMessage());
      return UNKNOWN_OR_BAD_INPUT;
    } catch (NoSuchFileException e) {
      err.println("check: " + history + ": no such file");
      return UNKNOWN_OR_BAD_INPUT;
    } catch (IOException | RuntimeException e) {
      err.println("check: " + history + ": cannot read: " + e);
      return UNKNOWN_OR_BAD_INPUT;
    }
    CheckResult result = Checker.check(ops, Duration.ofNanos((long) Math.min(Long.MAX_VALUE, timeoutPerKey * 1e9)));
    out.print(result.report());
    out.flush();
    switch (result.verdict()) {
      case LINEARIZABLE:
        return LINEARIZABLE;
      case NOT_LINEARIZABLE:
        return NOT_LINEARIZABLE;
      default:
        return UNKNOWN_OR_BAD_INPUT;
    }
  }
}
