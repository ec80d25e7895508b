package io.kshaka.check;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.Reader;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads a history in the JSON lines format of {@link HistoryWriter}. Blank lines are skipped. Any other line that is
 * not a well-formed operation stops the read with a {@link MalformedHistoryException} naming its line number.
 *
 * <p>Accepted leniently: a missing {@code ret} or {@code arg} means null; a cas refusal may be written
 * {@code {"ok":false,"version":n}} or {@code {"error":"version_mismatch","version":n}}; an add's value may be a JSON
 * number or a string.
 */
public final class HistoryReader {

  private static final ObjectMapper MAPPER = new ObjectMapper();

  private HistoryReader() {}

  public static List<Operation> read(Path path) throws IOException {
    try (BufferedReader in = Files.newBufferedReader(path, StandardCharsets.UTF_8)) {
      return read(in);
    }
  }

  public static List<Operation> read(Reader reader) throws IOException {
    BufferedReader in = reader instanceof BufferedReader ? (BufferedReader) reader : new BufferedReader(reader);
    List<Operation> ops = new ArrayList<>();
    long lineNumber = 0;
    for (String line = in.readLine(); line != null; line = in.readLine()) {
      lineNumber++;
      if (line.isBlank()) continue;
      ops.add(parseLine(line, lineNumber));
    }
    return ops;
  }

  /** Parses a whole history held in a string. */
  public static List<Operation> parse(String text) throws MalformedHistoryException {
    try {
      return read(new StringReader(text));
    } catch (MalformedHistoryException e) {
      throw e;
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Parses one line; {@code lineNumber} is only for the error message. */
  public static Operation parseLine(String line, long lineNumber) throws MalformedHistoryException {
    JsonNode node;
    try {
      node = MAPPER.readTree(line);
    } catch (JsonProcessingException e) {
      throw new MalformedHistoryException(lineNumber, "not JSON: " + e.getOriginalMessage());
    }
    if (node == null || !node.isObject()) throw new MalformedHistoryException(lineNumber, "not a JSON object");
    JsonNode keyNode = node.get("key");
    if (keyNode == null || !keyNode.isTextual()) {
      throw new MalformedHistoryException(lineNumber, "\"key\" must be a string");
    }
    JsonNode fNode = node.get("f");
    if (fNode == null || !fNode.isTextual()) throw new MalformedHistoryException(lineNumber, "\"f\" must be a string");
    String f = fNode.asText();
    long call = integer(node.get("call"), "\"call\"", lineNumber);
    JsonNode retNode = node.get("ret");
    Long ret = retNode == null || retNode.isNull() ? null : integer(retNode, "\"ret\"", lineNumber);
    if (ret != null && ret < call) {
      throw new MalformedHistoryException(lineNumber, "\"ret\" " + ret + " is before \"call\" " + call);
    }
    Input input = input(f, node.get("arg"), lineNumber);
    Output output = null;
    if (ret != null) output = output(f, node.get("out"), lineNumber);
    return new Operation(keyNode.asText(), input, call, ret, output);
  }

  private static Input input(String f, JsonNode arg, long line) throws MalformedHistoryException {
    boolean none = arg == null || arg.isNull();
    switch (f) {
      case "get":
        return Input.get();
      case "put":
        return Input.put(string(arg, "arg of put", line));
      case "create":
        return Input.create(string(arg, "arg of create", line));
      case "cas":
        if (arg == null || !arg.isArray() || arg.size() != 2) {
          throw new MalformedHistoryException(line, "arg of cas must be [expectedVersion, value]");
        }
        return Input.cas(integer(arg.get(0), "expected version of cas", line), string(arg.get(1), "value of cas", line));
      case "delete":
        return none ? Input.delete() : Input.delete(integer(arg, "arg of delete", line));
      case "add":
        return Input.add(integer(arg, "arg of add", line));
      default:
        throw new MalformedHistoryException(line, "unknown \"f\": " + f);
    }
  }

  private static Output output(String f, JsonNode out, long line) throws MalformedHistoryException {
    if (out == null || !out.isObject()) {
      throw new MalformedHistoryException(line, "\"out\" must be an object when \"ret\" is set");
    }
    long version = integer(out.get("version"), "out.version", line);
    JsonNode error = out.get("error");
    if (error != null && !error.isNull()) {
      if (!error.isTextual()) throw new MalformedHistoryException(line, "out.error must be a string");
      return Output.refused(error.asText(), version);
    }
    switch (f) {
      case "get":
      case "add":
        {
          JsonNode value = out.get("value");
          if (value == null) throw new MalformedHistoryException(line, "out.value is missing");
          if (value.isNull()) {
            if (f.equals("add")) throw new MalformedHistoryException(line, "out.value of add is null");
            return Output.value(null, version);
          }
          if (value.isTextual()) return Output.value(value.asText(), version);
          if (f.equals("add") && value.isIntegralNumber() && value.canConvertToLong()) {
            return Output.value(Long.toString(value.asLong()), version);
          }
          throw new MalformedHistoryException(line, "out.value must be a string or null");
        }
      case "cas":
        {
          JsonNode ok = out.get("ok");
          if (ok == null || !ok.isBoolean()) throw new MalformedHistoryException(line, "out.ok of cas must be a boolean");
          return Output.cas(ok.asBoolean(), version);
        }
      default:
        return Output.written(version);
    }
  }

  private static long integer(JsonNode n, String what, long line) throws MalformedHistoryException {
    if (n == null || !n.isIntegralNumber() || !n.canConvertToLong()) {
      throw new MalformedHistoryException(line, what + " must be an integer");
    }
    return n.asLong();
  }

  private static String string(JsonNode n, String what, long line) throws MalformedHistoryException {
    if (n == null || !n.isTextual()) throw new MalformedHistoryException(line, what + " must be a string");
    return n.asText();
  }
}
