package io.kshaka.check;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedWriter;
import java.io.Closeable;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collection;
import java.util.Objects;

/**
 * Writes {@link Operation}s as JSON lines, one operation per line:
 *
 * <pre>{"key":"k","f":"get|put|cas|delete|add|create","arg":...,"call":t0,"ret":t1|null,"out":...|null}</pre>
 *
 * <p>{@code arg}: get null; put and create the value; cas {@code [expectedVersion, value]}; delete null or the
 * expected version; add the delta. {@code out}: {@code {"value":v|null,"version":n}} (get, add),
 * {@code {"version":n}} (put, create, delete), {@code {"ok":bool,"version":n}} (cas),
 * {@code {"error":code,"version":n}} (a refused change), or null when the outcome is unknown ({@code ret} null).
 * {@link HistoryReader} reads the same format.
 *
 * <p>{@link #write} is thread-safe, so many clients may share one writer. Errors are thrown as
 * {@link UncheckedIOException}.
 */
public final class HistoryWriter implements Closeable {

  private static final ObjectMapper MAPPER = new ObjectMapper();
  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

  private final Writer out;

  /** Writes to {@code out}; {@link #close()} closes it. */
  public HistoryWriter(Writer out) {
    this.out = Objects.requireNonNull(out, "out");
  }

  /** Creates (or truncates) {@code path} and writes to it in UTF-8. */
  public static HistoryWriter open(Path path) {
    try {
      return new HistoryWriter(Files.newBufferedWriter(path, StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Writes a whole history to {@code path} (created or truncated). */
  public static void write(Path path, Collection<Operation> history) {
    try (HistoryWriter w = open(path)) {
      for (Operation op : history) w.write(op);
    }
  }

  /** Appends one line. */
  public synchronized void write(Operation op) {
    try {
      out.write(toJson(op));
      out.write('\n');
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public synchronized void flush() {
    try {
      out.flush();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Override
  public synchronized void close() {
    try {
      if (out instanceof BufferedWriter) out.flush();
      out.close();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** One operation as a JSON object on one line (no trailing newline). */
  public static String toJson(Operation op) {
    ObjectNode node = NODES.objectNode();
    node.put("key", op.key());
    Input in = op.input();
    node.put("f", in.f());
    if (in instanceof Input.Put) {
      node.put("arg", ((Input.Put) in).value());
    } else if (in instanceof Input.Create) {
      node.put("arg", ((Input.Create) in).value());
    } else if (in instanceof Input.Cas) {
      Input.Cas cas = (Input.Cas) in;
      ArrayNode arg = node.putArray("arg");
      arg.add(cas.expectedVersion());
      arg.add(cas.value());
    } else if (in instanceof Input.Delete && ((Input.Delete) in).expectedVersion() != null) {
      node.put("arg", ((Input.Delete) in).expectedVersion());
    } else if (in instanceof Input.Add) {
      node.put("arg", ((Input.Add) in).delta());
    } else {
      node.putNull("arg");
    }
    node.put("call", op.call());
    if (op.ret() == null) {
      node.putNull("ret");
      node.putNull("out");
    } else {
      node.put("ret", op.ret().longValue());
      node.set("out", outputJson(op.output()));
    }
    try {
      return MAPPER.writeValueAsString(node);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static ObjectNode outputJson(Output output) {
    ObjectNode out = NODES.objectNode();
    if (output instanceof Output.Value) {
      out.put("value", ((Output.Value) output).value());
    } else if (output instanceof Output.CasResult) {
      out.put("ok", ((Output.CasResult) output).ok());
    } else if (output instanceof Output.Refused) {
      out.put("error", ((Output.Refused) output).error());
    }
    out.put("version", output.version());
    return out;
  }
}
