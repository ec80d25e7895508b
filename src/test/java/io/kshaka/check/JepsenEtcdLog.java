package io.kshaka.check;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Parses a Jepsen etcd log ({@code INFO  jepsen.util - <process> :<type> :<f> <value>}, tab or space separated) into
 * {@link EtcdModel.Operation}s. Time is the line number. A process has at most one operation in flight; a completion
 * closes the process's pending invoke:
 * <ul>
 *   <li>{@code :ok}: completed with its output (a read's value, write ok, cas ok);</li>
 *   <li>{@code :fail :cas}: the compare failed (completed, not applied);</li>
 *   <li>{@code :fail} of a read or write: nothing observed; a read is unknown (harmless), a write was not applied and
 *       is left out;</li>
 *   <li>{@code :info}, or no completion by the end of the file: unknown outcome.</li>
 * </ul>
 */
final class JepsenEtcdLog {

  private static final Pattern LINE =
      Pattern.compile(
          "^INFO\\s+jepsen\\.util\\s+-\\s+(\\d+)\\s+:(invoke|ok|fail|info)\\s+:(read|write|cas)\\s+(.*?)\\s*$");
  private static final Pattern CAS_ARG = Pattern.compile("^\\[(-?\\d+)\\s+(-?\\d+)\\]$");

  private JepsenEtcdLog() {}

  private record Invoke(int process, String f, String arg, long call) {}

  static List<EtcdModel.Operation> read(Path path) throws IOException {
    return parse(Files.readAllLines(path, StandardCharsets.UTF_8));
  }

  static List<EtcdModel.Operation> parse(List<String> lines) {
    List<EtcdModel.Operation> ops = new ArrayList<>();
    Map<Integer, Invoke> pending = new HashMap<>();
    for (int i = 0; i < lines.size(); i++) {
      String line = lines.get(i);
      if (line.isBlank()) continue;
      long time = i + 1;
      Matcher m = LINE.matcher(line);
      if (!m.matches()) throw new IllegalArgumentException("line " + time + ": not a Jepsen etcd record: " + line);
      int process = Integer.parseInt(m.group(1));
      String type = m.group(2);
      String f = m.group(3);
      String value = m.group(4);
      if (type.equals("invoke")) {
        Invoke previous = pending.put(process, new Invoke(process, f, value, time));
        if (previous != null) ops.add(unknown(previous, time));
        continue;
      }
      Invoke inv = pending.remove(process);
      if (inv == null || !inv.f.equals(f)) {
        throw new IllegalArgumentException("line " + time + ": completion without a matching invoke: " + line);
      }
      EtcdModel.Input input = input(inv, time);
      switch (type) {
        case "ok":
          ops.add(new EtcdModel.Operation(process, input, inv.call, time, okOutput(f, value, time)));
          break;
        case "fail":
          if (f.equals("cas")) {
            ops.add(new EtcdModel.Operation(process, input, inv.call, time, new EtcdModel.CasDone(false)));
          } else if (f.equals("read")) {
            ops.add(new EtcdModel.Operation(process, input, inv.call, null, null));
          }
          // a failed write was not applied: leave it out
          break;
        default: // info
          ops.add(new EtcdModel.Operation(process, input, inv.call, null, null));
      }
    }
    for (Invoke inv : pending.values()) ops.add(unknown(inv, inv.call));
    return ops;
  }

  private static EtcdModel.Operation unknown(Invoke inv, long time) {
    return new EtcdModel.Operation(inv.process, input(inv, time), inv.call, null, null);
  }

  private static EtcdModel.Input input(Invoke inv, long time) {
    switch (inv.f) {
      case "read":
        return new EtcdModel.Read();
      case "write":
        return new EtcdModel.Write(integer(inv.arg, time));
      default:
        Matcher m = CAS_ARG.matcher(inv.arg);
        if (!m.matches()) throw new IllegalArgumentException("line " + inv.call + ": bad cas argument " + inv.arg);
        return new EtcdModel.Cas(Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2)));
    }
  }

  private static EtcdModel.Output okOutput(String f, String value, long time) {
    switch (f) {
      case "read":
        return new EtcdModel.ReadOk(value.equals("nil") ? null : integer(value, time));
      case "write":
        return new EtcdModel.WriteOk();
      default:
        return new EtcdModel.CasDone(true);
    }
  }

  private static int integer(String s, long time) {
    try {
      return Integer.parseInt(s);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("line " + time + ": not an integer: " + s);
    }
  }
}
