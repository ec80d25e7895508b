package io.kshaka.bench;

import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.StringJoiner;

/**
 * An earlier result written by {@code --json} (one run, or a suite), to compare the current run with: {@code
 * --baseline FILE}. A current case is compared with the baseline case of the same {@link Identity workload identity}
 * (op mix, key count, clients, value size); every ratio is now / before.
 *
 * @param file      the file as given on the command line
 * @param writtenAt when the baseline was written (a suite's {@code writtenAt}, else its run's {@code startedAt}),
 *                  or null when the file does not say
 * @param cases     the baseline's cases, in file order
 */
record Baseline(String file, String writtenAt, List<Case> cases) {

  /**
   * What makes two cases comparable: the op mix (canonical, e.g. {@code put=100}), the number of keys (1 = hot key),
   * the closed-loop clients and the value size. Duration, warm-up, seed, target and op cap are not part of it.
   */
  record Identity(String mix, int keys, int clients, int valueSize) {
    static Identity of(Workload w) {
      return new Identity(w.mix().toString(), w.keys(), w.clients(), w.valueSize());
    }

    @Override
    public String toString() {
      return "mix " + mix + ", " + (keys == 1 ? "1 hot key" : keys + " keys") + ", " + clients + " clients, "
          + valueSize + "-byte values";
    }
  }

  /** The figures of one baseline case that a comparison uses. */
  record Case(Identity identity, String label, String target, double opsPerSec, double okPerSec, long p50Us,
      long p99Us) {}

  /** One current case against its baseline case ({@code before} null when the baseline has none). */
  record Comparison(RunResult now, Case before) {
    boolean matched() {
      return before != null;
    }

    Double opsRatio() {
      return before == null ? null : ratio(now.opsPerSec(), before.opsPerSec());
    }

    Double okRatio() {
      return before == null ? null : ratio(now.okPerSec(), before.okPerSec());
    }

    Double p50Ratio() {
      return before == null ? null : ratio(now.latency().p50(), before.p50Us());
    }

    Double p99Ratio() {
      return before == null ? null : ratio(now.latency().p99(), before.p99Us());
    }
  }

  /** now / before, or null when before is 0 (no ratio to speak of). */
  static Double ratio(double now, double before) {
    if (!(before > 0) || !Double.isFinite(now)) return null;
    return now / before;
  }

  /**
   * Reads {@code path}, a file written by {@code --json}.
   *
   * @throws IllegalArgumentException with a message naming the file and the problem (a usage error)
   */
  static Baseline read(Path path) {
    String name = path.toString();
    String text;
    try {
      if (Files.isDirectory(path)) throw new IllegalArgumentException(where(name) + "is a directory, not a file");
      byte[] bytes = Files.readAllBytes(path);
      text = StandardCharsets.UTF_8.newDecoder().decode(java.nio.ByteBuffer.wrap(bytes)).toString();
    } catch (NoSuchFileException e) {
      throw new IllegalArgumentException(where(name) + "no such file");
    } catch (AccessDeniedException e) {
      throw new IllegalArgumentException(where(name) + "cannot be read: permission denied");
    } catch (CharacterCodingException e) {
      throw new IllegalArgumentException(where(name) + "is not UTF-8 text, so not a --json result");
    } catch (IOException e) {
      throw new IllegalArgumentException(where(name) + "cannot be read: " + e);
    }
    return parse(name, text);
  }

  /**
   * Parses the text of a file written by {@code --json}: a run object, or {@code {"suite":true,"runs":[...]}}.
   *
   * @throws IllegalArgumentException with a message naming the file and the problem
   */
  static Baseline parse(String file, String text) {
    if (text.isBlank()) throw new IllegalArgumentException(where(file) + "is empty, not a --json result");
    JsonObject root;
    try {
      root = new JsonObject(text);
    } catch (DecodeException | ClassCastException e) {
      throw new IllegalArgumentException(where(file) + "is not a JSON object written by --json ("
          + firstLine(e.getMessage()) + ")");
    }
    if (root.containsKey("fault")) {
      throw new IllegalArgumentException(where(file) + "is a fault-mode result (--fault); give the --json file of a "
          + "run or a suite");
    }
    List<Case> cases = new ArrayList<>();
    String writtenAt;
    if (root.containsKey("suite") || root.containsKey("runs")) {
      Object runs = root.getValue("runs");
      if (!(runs instanceof JsonArray array)) {
        throw new IllegalArgumentException(where(file) + "is a suite without a \"runs\" array");
      }
      if (array.isEmpty()) throw new IllegalArgumentException(where(file) + "is a suite with no runs");
      for (int i = 0; i < array.size(); i++) {
        if (!(array.getValue(i) instanceof JsonObject run)) {
          throw new IllegalArgumentException(where(file) + "runs[" + i + "] is not an object");
        }
        cases.add(caseOf(run, where(file) + "runs[" + i + "]"));
      }
      writtenAt = text(root, "writtenAt");
      if (writtenAt == null) writtenAt = text(array.getJsonObject(0), "startedAt");
    } else {
      cases.add(caseOf(root, where(file) + "the run"));
      writtenAt = text(root, "startedAt");
    }
    return new Baseline(file, writtenAt, List.copyOf(cases));
  }

  private static Case caseOf(JsonObject run, String where) {
    Object mixValue = run.getValue("mix");
    if (!(mixValue instanceof JsonObject mixJson)) throw new IllegalArgumentException(where + " has no \"mix\" object");
    StringJoiner mixText = new StringJoiner(",");
    for (Map.Entry<String, Object> e : mixJson) mixText.add(e.getKey() + "=" + e.getValue());
    Mix mix;
    try {
      mix = Mix.parse(mixText.toString());
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(where + " has a bad \"mix\": " + e.getMessage());
    }
    int clients = (int) whole(run, "clients", 1, where);
    int keys = (int) whole(run, "keys", 1, where);
    int valueSize = (int) whole(run, "valueSize", 0, where);
    double ops = number(run, "opsPerSec", where);
    double ok = number(run, "okPerSec", where);
    Object latency = run.getValue("latencyUs");
    if (!(latency instanceof JsonObject l)) throw new IllegalArgumentException(where + " has no \"latencyUs\" object");
    long p50 = whole(l, "p50", 0, where + ".latencyUs");
    long p99 = whole(l, "p99", 0, where + ".latencyUs");
    return new Case(new Identity(mix.toString(), keys, clients, valueSize), text(run, "label"), text(run, "target"),
        ops, ok, p50, p99);
  }

  private static double number(JsonObject o, String field, String where) {
    Object v = o.getValue(field);
    if (!(v instanceof Number n)) {
      throw new IllegalArgumentException(where + (v == null ? " has no \"" + field + "\""
          : " has a \"" + field + "\" that is not a number: " + v));
    }
    double d = n.doubleValue();
    if (!Double.isFinite(d) || d < 0) throw new IllegalArgumentException(where + " has a bad \"" + field + "\": " + v);
    return d;
  }

  private static long whole(JsonObject o, String field, long min, String where) {
    double d = number(o, field, where);
    if (d != Math.rint(d) || d < min || d > Integer.MAX_VALUE) {
      throw new IllegalArgumentException(where + " has a bad \"" + field + "\": " + o.getValue(field)
          + " (a whole number >= " + min + ")");
    }
    return (long) d;
  }

  private static String text(JsonObject o, String field) {
    return o.getValue(field) instanceof String s ? s : null;
  }

  private static String where(String file) {
    return "--baseline " + file + ": ";
  }

  private static String firstLine(String s) {
    if (s == null) return "no detail";
    int nl = s.indexOf('\n');
    return nl < 0 ? s : s.substring(0, nl);
  }

  /** The baseline case of the same identity as {@code r}, or null; the first one when the file has several. */
  Case match(RunResult r) {
    Identity id = Identity.of(r.workload());
    for (Case c : cases) {
      if (c.identity().equals(id)) return c;
    }
    return null;
  }

  List<Comparison> compare(List<RunResult> results) {
    List<Comparison> list = new ArrayList<>();
    for (RunResult r : results) list.add(new Comparison(r, match(r)));
    return list;
  }

  private static final String ROW = "%-5s %-8s %7s %11s %12s %9s %9s %17s %9s %17s %9s";

  /** The comparison table: one row per current case. */
  String report(List<RunResult> results) {
    List<Comparison> comparisons = compare(results);
    StringBuilder sb = new StringBuilder();
    sb.append(String.format(Locale.ROOT, "%nCompared with baseline %s (written at %s); ratio = now / before: above 1 "
        + "is more ops/s, or more latency%n", file, writtenAt == null ? "an unknown time" : writtenAt));
    String header = String.format(Locale.ROOT, ROW, "op", "keys", "clients", "ops/s now", "ops/s before",
        "ops ratio", "ok ratio", "p50 us now/before", "p50 ratio", "p99 us now/before", "p99 ratio");
    sb.append(header).append('\n');
    sb.append("-".repeat(header.length())).append('\n');
    Map<String, String> otherTargets = new LinkedHashMap<>();
    for (Comparison c : comparisons) {
      Workload w = c.now().workload();
      String op = w.mix().toString().replace("=100", "");
      String keys = w.keys() == 1 ? "1 (hot)" : String.valueOf(w.keys());
      if (!c.matched()) {
        sb.append(String.format(Locale.ROOT, "%-5s %-8s %7d %11s %12s  no baseline case (%s)%n", op, keys, w.clients(),
            Report.rate(c.now().opsPerSec()), "-", Identity.of(w)));
        continue;
      }
      Case b = c.before();
      sb.append(String.format(Locale.ROOT, ROW + "%n", op, keys, String.valueOf(w.clients()), Report.rate(c.now().opsPerSec()), Report.rate(b.opsPerSec()), times(c.opsRatio()),
          times(c.okRatio()), c.now().latency().p50() + "/" + b.p50Us(), times(c.p50Ratio()),
          c.now().latency().p99() + "/" + b.p99Us(), times(c.p99Ratio())));
      if (b.target() != null && !b.target().equals(c.now().targetKind())) {
        otherTargets.put(b.target(), c.now().targetKind());
      }
    }
    otherTargets.forEach((before, now) -> sb.append(String.format(Locale.ROOT,
        "note: the baseline ran over %s, this run over %s%n", before, now)));
    return sb.toString();
  }

  /** The {@code "baseline"} object of one run in the {@code --json} output. */
  JsonObject toJson(RunResult r) {
    Comparison c = new Comparison(r, match(r));
    JsonObject o = new JsonObject().put("file", file).put("writtenAt", writtenAt).put("matched", c.matched());
    if (!c.matched()) return o;
    Case b = c.before();
    return o.put("label", b.label())
        .put("target", b.target())
        .put("opsPerSec", b.opsPerSec())
        .put("okPerSec", b.okPerSec())
        .put("p50Us", b.p50Us())
        .put("p99Us", b.p99Us())
        .put("ratios", new JsonObject()
            .put("opsPerSec", round(c.opsRatio()))
            .put("okPerSec", round(c.okRatio()))
            .put("p50", round(c.p50Ratio()))
            .put("p99", round(c.p99Ratio())));
  }

  /** A ratio for the table: two decimals, "n/a" when there is none. */
  static String times(Double ratio) {
    return ratio == null ? "n/a" : String.format(Locale.ROOT, "%.2f", ratio);
  }

  private static Double round(Double v) {
    return v == null ? null : Math.round(v * 1000.0) / 1000.0;
  }
}
