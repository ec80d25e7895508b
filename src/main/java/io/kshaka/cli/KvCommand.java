package io.kshaka.cli;

import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.UUID;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/**
 * {@code kshaka kv get|put|cas|create|delete|add|list|watch}: the key-value API of docs/http.md from a shell
 * (docs/cli.md). Exit codes: 0 ok, 1 other error (network, 5xx), 2 usage or 400, 3 not found (404), 4 precondition
 * failed (412), 5 not applied (503, 409), 6 unknown outcome (504, or the connection broke after sending a change
 * to every node), 7 unauthorized or forbidden (401, 403).
 */
@Command(name = "kv", mixinStandardHelpOptions = true, version = "kshaka kv 0.1",
    subcommands = {KvCommand.Get.class, KvCommand.Put.class, KvCommand.Cas.class, KvCommand.Create.class,
        KvCommand.Delete.class, KvCommand.Add.class, KvCommand.ListKeys.class, KvCommand.Watch.class},
    description = "Read and write the keys of a running Kshaka cluster.",
    footer = {"", "Examples:", "  ./run.sh kv put greeting hello", "  ./run.sh kv get greeting",
        "  ./run.sh kv cas greeting 1 'hello again'", "  ./run.sh kv create lock me --ttl 30s",
        "  echo 42 | ./run.sh kv put answer -", "  ./run.sh kv list app/ --values",
        "  ./run.sh kv watch greeting",
        "Exit codes: 0 ok, 1 error, 2 usage/bad request, 3 not found, 4 precondition failed, 5 not applied,",
        "            6 unknown outcome, 7 unauthorized/forbidden."})
public final class KvCommand implements Callable<Integer> {
  public static final int OK = 0;
  public static final int ERROR = 1;
  public static final int USAGE = 2;
  public static final int NOT_FOUND = 3;
  public static final int PRECONDITION_FAILED = 4;
  public static final int NOT_APPLIED = 5;
  public static final int UNKNOWN = 6;
  public static final int UNAUTHORIZED = 7;

  static final String VERSION_HEADER = "X-Kshaka-Version";
  static final String EXPIRES_HEADER = "X-Kshaka-Expires";

  private final InputStream in;
  private final PrintStream out;
  private final PrintStream err;

  KvCommand(InputStream in, PrintStream out, PrintStream err) {
    this.in = in;
    this.out = out;
    this.err = err;
  }

  /** Options every subcommand takes. */
  static final class Common {
    @Option(names = "--node", paramLabel = "URL[,URL..]",
        description = "Node(s) to try first (default " + Nodes.DEFAULT_NODE + "); then the nodes of conf/node-*.json "
            + "are tried while a node cannot be connected to.")
    String node;

    @Option(names = "--conf", paramLabel = "DIR", defaultValue = "conf",
        description = "Directory of node-*.json to fall over to (default: ${DEFAULT-VALUE}).")
    Path conf;

    @Option(names = "--json", description = "Machine-readable output: one JSON object per line on stdout.")
    boolean json;

    @Option(names = "--token", paramLabel = "TOKEN", defaultValue = "${env:KSHAKA_TOKEN}",
        description = "Bearer token sent as Authorization (default: $KSHAKA_TOKEN).")
    String token;

    @Option(names = "--cacert", paramLabel = "FILE",
        description = "PEM CA certificate(s) to trust for https:// nodes (default: the JVM's trust store).")
    Path cacert;

    @Option(names = "--timeout", paramLabel = "SECONDS", defaultValue = "30",
        description = "Give up on one request after this long (default: ${DEFAULT-VALUE}).")
    long timeoutSeconds;
  }

  @Override
  public Integer call() {
    CommandLine.usage(this, err);
    return USAGE;
  }

  /** Entry point from {@code Main}: returns the exit code. */
  public static int run(String[] args) {
    return run(args, System.in, System.out, System.err);
  }

  /** Runs one command with these streams (tests); returns the exit code. */
  public static int run(String[] args, InputStream in, PrintStream out, PrintStream err) {
    CommandLine cl = new CommandLine(new KvCommand(in, out, err));
    cl.setOut(new java.io.PrintWriter(out, true));
    cl.setErr(new java.io.PrintWriter(err, true));
    cl.setParameterExceptionHandler((ex, a) -> {
      err.println(ex.getMessage());
      ex.getCommandLine().usage(err);
      return USAGE;
    });
    cl.setExecutionExceptionHandler((ex, c, parsed) -> {
      if (ex instanceof UsageError) {
        err.println("kv: " + ex.getMessage());
        return USAGE;
      }
      err.println("kv: " + ex);
      return ERROR;
    });
    return cl.execute(args);
  }

  /** Bad usage found after parsing (exit 2). */
  static final class UsageError extends RuntimeException {
    private static final long serialVersionUID = 1L;

    UsageError(String message) {
      super(message);
    }
  }

  /** The exit code for an HTTP status. */
  public static int exitCode(int status) {
    if (status >= 200 && status < 300) return OK;
    switch (status) {
      case 400:
        return USAGE;
      case 401:
      case 403:
        return UNAUTHORIZED;
      case 404:
        return NOT_FOUND;
      case 412:
        return PRECONDITION_FAILED;
      case 409:
      case 503:
        return NOT_APPLIED;
      case 504:
        return UNKNOWN;
      default:
        return ERROR;
    }
  }

  // ------------------------------------------------------------------ shared by the subcommands

  /** One subcommand: its options, its nodes, and how it talks. */
  abstract static class Sub implements Callable<Integer> {
    @ParentCommand
    KvCommand parent;

    @CommandLine.Mixin
    Common common = new Common();

    Nodes nodes;

    @Override
    public final Integer call() throws Exception {
      try {
        nodes = Nodes.of(common.node, common.conf,
            common.cacert == null ? null : io.kshaka.security.TlsSettings.trusting(common.cacert));
      } catch (IllegalArgumentException e) {
        parent.err.println("--cacert: " + e.getMessage());
        return USAGE;
      }
      try {
        return run();
      } catch (Nodes.Unreachable e) {
        parent.err.println("kv: " + e.getMessage());
        return ERROR;
      }
    }

    abstract int run() throws Exception;

    PrintStream out() {
      return parent.out;
    }

    PrintStream err() {
      return parent.err;
    }

    HttpRequest.Builder request(String base, String pathAndQuery, Duration timeout) {
      HttpRequest.Builder b = HttpRequest.newBuilder(Nodes.uri(base, pathAndQuery)).timeout(timeout);
      if (common.token != null && !common.token.isBlank()) b.header("Authorization", "Bearer " + common.token);
      return b;
    }

    Duration timeout() {
      return Duration.ofSeconds(Math.max(1, common.timeoutSeconds));
    }

    /** A read: tried on the next node on any I/O failure. */
    HttpResponse<byte[]> read(String pathAndQuery, Duration timeout) throws IOException, InterruptedException {
      IOException last = null;
      for (int i = 0; i < nodes.urls().size(); i++) {
        try {
          return nodes.send(base -> request(base, pathAndQuery, timeout).GET().build());
        } catch (Nodes.Unreachable e) {
          throw e;
        } catch (IOException e) {
          last = e;
          nodes.skip();
        }
      }
      throw new Nodes.Unreachable("no node answered: " + last);
    }

    /**
     * A change, sent with a fresh {@code Idempotency-Key}: when the connection breaks after sending, it is sent
     * again (same key: applied at most once) to the next node. Returns null, after saying so, when every node
     * broke off: the outcome is unknown.
     */
    HttpResponse<byte[]> change(String method, String pathAndQuery, byte[] body, String... headers)
        throws IOException, InterruptedException {
      String id = "kv-cli-" + UUID.randomUUID();
      IOException last = null;
      for (int i = 0; i < nodes.urls().size(); i++) {
        try {
          return nodes.send(base -> {
            HttpRequest.Builder b = request(base, pathAndQuery, timeout()).header("Idempotency-Key", id)
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                    : HttpRequest.BodyPublishers.ofByteArray(body));
            for (int h = 0; h < headers.length; h += 2) b.header(headers[h], headers[h + 1]);
            return b.build();
          });
        } catch (Nodes.Unreachable e) {
          if (last == null) throw e; // never sent anywhere: not applied
          break;
        } catch (IOException e) {
          last = e;
          nodes.skip();
        }
      }
      err().println("kv: outcome unknown: the connection broke after sending (" + last + "); read the key, or "
          + "repeat the command");
      return null;
    }

    /** Reports a non-2xx answer and returns its exit code. */
    int failed(HttpResponse<byte[]> r) {
      JsonObject body = json(r);
      if (common.json) out().println(body.encode());
      String error = body.getString("error", "http_" + r.statusCode());
      String message = body.getString("message", "");
      StringBuilder b = new StringBuilder("kv: ").append(r.statusCode()).append(' ').append(error);
      if (!message.isEmpty()) b.append(": ").append(message);
      if (body.getValue("version") != null) b.append(" (version ").append(body.getValue("version")).append(')');
      if (body.getValue("outcome") != null) b.append(" [outcome ").append(body.getValue("outcome")).append(']');
      err().println(b);
      return exitCode(r.statusCode());
    }

    /** Prints {@code {"version": n}} answers of changes; returns the exit code. */
    int versionAnswer(String key, HttpResponse<byte[]> r) {
      if (r == null) return UNKNOWN;
      if (r.statusCode() != 200) return failed(r);
      JsonObject body = json(r);
      if (common.json) {
        out().println(new JsonObject().put("key", key).mergeIn(body).encode());
      } else {
        out().println("version " + body.getValue("version"));
      }
      return OK;
    }

    /** The bytes to write: the VALUE argument, {@code -} for stdin, or --file. */
    byte[] value(String argument, Path file) throws IOException {
      if (argument != null && file != null) throw new UsageError("give the value as an argument or with --file, not both");
      if (file != null) return Files.readAllBytes(file);
      if (argument == null) throw new UsageError("missing VALUE (an argument, - for stdin, or --file F)");
      if (argument.equals("-")) return parent.in.readAllBytes();
      return argument.getBytes(StandardCharsets.UTF_8);
    }
  }

  static JsonObject json(HttpResponse<byte[]> r) {
    String text = new String(r.body(), StandardCharsets.UTF_8);
    try {
      Object parsed = io.vertx.core.json.Json.decodeValue(text);
      if (parsed instanceof JsonObject o) return o;
    } catch (DecodeException ignored) {
      // fall through
    }
    return new JsonObject().put("error", "http_" + r.statusCode()).put("message", text.strip());
  }

  /** The path of a key: its UTF-8 bytes percent-encoded, except unreserved characters and '/'. */
  static String keyPath(String key) {
    if (key == null || key.isEmpty()) throw new UsageError("the key is empty");
    return "/v1/kv/" + encode(key, true);
  }

  static String encode(String s, boolean keepSlash) {
    StringBuilder b = new StringBuilder();
    for (byte by : s.getBytes(StandardCharsets.UTF_8)) {
      int c = by & 0xff;
      if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_'
          || c == '~' || c == '.' || (keepSlash && c == '/')) {
        b.append((char) c);
      } else {
        b.append('%').append(Character.toUpperCase(Character.forDigit(c >> 4, 16)))
            .append(Character.toUpperCase(Character.forDigit(c & 15, 16)));
      }
    }
    return b.toString();
  }

  static String ttlQuery(String ttl) {
    return ttl == null ? "" : "?ttl=" + encode(ttl, false);
  }

  /** The version of a GET answer: X-Kshaka-Version, else the ETag, else the JSON body's version. */
  static long version(HttpResponse<byte[]> r) {
    String v = r.headers().firstValue(VERSION_HEADER).orElse(null);
    if (v == null) v = r.headers().firstValue("ETag").map(e -> e.replace("\"", "").replace("W/", "")).orElse(null);
    if (v != null) {
      try {
        return Long.parseLong(v.trim());
      } catch (NumberFormatException ignored) {
        // fall through
      }
    }
    return json(r).getLong("version", -1L);
  }

  /** One state of a key as a JSON line: key, version, value (base64, null when absent), expiresAt when set. */
  static JsonObject state(String key, HttpResponse<byte[]> r) {
    JsonObject o = new JsonObject().put("key", key).put("version", version(r))
        .put("value", r.statusCode() == 200 ? Base64.getEncoder().encodeToString(r.body()) : null);
    r.headers().firstValue(EXPIRES_HEADER).ifPresent(e -> o.put("expiresAt", Long.parseLong(e.trim())));
    return o;
  }

  /** The bytes as text when they are UTF-8, else a note of their length. */
  static String text(byte[] value) {
    try {
      return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(value)).toString();
    } catch (CharacterCodingException e) {
      return "(" + value.length + " bytes, not UTF-8; use --json for base64)";
    }
  }

  // ------------------------------------------------------------------ subcommands

  @Command(name = "get", mixinStandardHelpOptions = true,
      description = "Print the value of KEY (raw bytes; the version goes to stderr with -v). Exit 3 when absent.")
  static final class Get extends Sub {
    @Parameters(index = "0", paramLabel = "KEY")
    String key;

    @Option(names = {"-v", "--verbose"}, description = "Also print the version (and expiry) on stderr.")
    boolean verbose;

    @Override
    int run() throws Exception {
      HttpResponse<byte[]> r = read(keyPath(key), timeout());
      if (r.statusCode() == 404 && common.json && r.headers().firstValue("ETag").isPresent()) {
        out().println(state(key, r).encode());
        return NOT_FOUND;
      }
      if (r.statusCode() != 200) return failed(r);
      if (common.json) {
        out().println(state(key, r).encode());
        return OK;
      }
      out().write(r.body());
      if (System.console() != null) out().println();
      out().flush();
      if (verbose) {
        err().println("version " + version(r) + r.headers().firstValue(EXPIRES_HEADER).map(e -> ", expires at " + e)
            .orElse(""));
      }
      return OK;
    }
  }

  /** put, cas and create: a value and an optional TTL. */
  abstract static class Write extends Sub {
    @Option(names = "--file", paramLabel = "F", description = "Read the value from this file.")
    Path file;

    @Option(names = "--ttl", paramLabel = "DURATION",
        description = "Expire the key this long after the write (500ms, 30s, 5m, 1h; 1s..30d).")
    String ttl;
  }

  @Command(name = "put", mixinStandardHelpOptions = true, description = "Write KEY (unconditionally).")
  static final class Put extends Write {
    @Parameters(index = "0", paramLabel = "KEY")
    String key;

    @Parameters(index = "1", arity = "0..1", paramLabel = "VALUE", description = "The value, or - for stdin.")
    String valueArg;

    @Override
    int run() throws Exception {
      byte[] value = value(valueArg, file);
      return versionAnswer(key, change("PUT", keyPath(key) + ttlQuery(ttl), value));
    }
  }

  @Command(name = "cas", mixinStandardHelpOptions = true,
      description = "Write KEY only if its version is VERSION (If-Match). Exit 4 with the current version if not.")
  static final class Cas extends Write {
    @Parameters(index = "0", paramLabel = "KEY")
    String key;

    @Parameters(index = "1", paramLabel = "VERSION")
    long version;

    @Parameters(index = "2", arity = "0..1", paramLabel = "VALUE", description = "The value, or - for stdin.")
    String valueArg;

    @Override
    int run() throws Exception {
      byte[] value = value(valueArg, file);
      return versionAnswer(key, change("PUT", keyPath(key) + ttlQuery(ttl), value, "If-Match",
          "\"" + version + "\""));
    }
  }

  @Command(name = "create", mixinStandardHelpOptions = true,
      description = "Write KEY only if it has no value (If-None-Match: *). Exit 4 if it has one.")
  static final class Create extends Write {
    @Parameters(index = "0", paramLabel = "KEY")
    String key;

    @Parameters(index = "1", arity = "0..1", paramLabel = "VALUE", description = "The value, or - for stdin.")
    String valueArg;

    @Override
    int run() throws Exception {
      byte[] value = value(valueArg, file);
      return versionAnswer(key, change("PUT", keyPath(key) + ttlQuery(ttl), value, "If-None-Match", "*"));
    }
  }

  @Command(name = "delete", mixinStandardHelpOptions = true, description = "Delete KEY (its version goes up).")
  static final class Delete extends Sub {
    @Parameters(index = "0", paramLabel = "KEY")
    String key;

    @Option(names = "--if-version", paramLabel = "VERSION", description = "Only if the version is this (If-Match).")
    Long ifVersion;

    @Override
    int run() throws Exception {
      return versionAnswer(key, ifVersion == null ? change("DELETE", keyPath(key), null)
          : change("DELETE", keyPath(key), null, "If-Match", "\"" + ifVersion + "\""));
    }
  }

  @Command(name = "add", mixinStandardHelpOptions = true,
      description = "Add DELTA to the decimal integer in KEY (absent counts as 0); print the sum.")
  static final class Add extends Sub {
    @Parameters(index = "0", paramLabel = "KEY")
    String key;

    @Parameters(index = "1", paramLabel = "DELTA")
    long delta;

    @Override
    int run() throws Exception {
      HttpResponse<byte[]> r = change("POST", keyPath(key) + "?op=add&delta=" + delta, null);
      if (r == null) return UNKNOWN;
      if (r.statusCode() != 200) return failed(r);
      JsonObject body = json(r);
      if (common.json) {
        out().println(new JsonObject().put("key", key).mergeIn(body).encode());
      } else {
        out().println(body.getValue("value"));
      }
      return OK;
    }
  }

  @Command(name = "list", mixinStandardHelpOptions = true,
      description = "List the keys starting with PREFIX, in byte order, following the pages to the end.")
  static final class ListKeys extends Sub {
    @Parameters(index = "0", arity = "0..1", paramLabel = "PREFIX", defaultValue = "")
    String prefix;

    @Option(names = "--after", paramLabel = "KEY", description = "Start strictly after this key.")
    String after;

    @Option(names = "--limit", paramLabel = "N", defaultValue = "100",
        description = "Keys per request, 1..1000 (default: ${DEFAULT-VALUE}).")
    int limit;

    @Option(names = "--max", paramLabel = "N", defaultValue = "0",
        description = "Stop after N keys (default: all).")
    long max;

    @Option(names = "--values", description = "Print the values too.")
    boolean values;

    @Override
    int run() throws Exception {
      String cursor = after;
      long printed = 0;
      while (true) {
        StringBuilder q = new StringBuilder("/v1/kv?prefix=").append(encode(prefix, false)).append("&limit=")
            .append(limit);
        if (cursor != null) q.append("&after=").append(encode(cursor, false));
        if (values) q.append("&values=true");
        HttpResponse<byte[]> r = read(q.toString(), timeout());
        if (r.statusCode() != 200) return failed(r);
        JsonObject page = json(r);
        JsonArray keys = page.getJsonArray("keys", new JsonArray());
        for (int i = 0; i < keys.size(); i++) {
          JsonObject e = keys.getJsonObject(i);
          if (common.json) {
            out().println(e.encode());
          } else {
            StringBuilder line = new StringBuilder(e.getString("key")).append('\t').append(e.getValue("version"));
            if (values && e.getString("value") != null) {
              line.append('\t').append(text(Base64.getDecoder().decode(e.getString("value"))));
            }
            out().println(line);
          }
          if (max > 0 && ++printed >= max) return OK;
        }
        cursor = page.getString("next");
        if (cursor == null || keys.isEmpty()) return OK;
      }
    }
  }

  @Command(name = "watch", mixinStandardHelpOptions = true,
      description = "Print KEY's state, then each new state, until Ctrl-C (or --count states).")
  static final class Watch extends Sub {
    @Parameters(index = "0", paramLabel = "KEY")
    String key;

    @Option(names = "--from", paramLabel = "VERSION",
        description = "Print only states above this version (default: the current state first).")
    Long from;

    @Option(names = "--wait", paramLabel = "DURATION", defaultValue = "30s",
        description = "How long one blocking request waits (default: ${DEFAULT-VALUE}, max 5m).")
    String wait;

    @Option(names = "--count", paramLabel = "N", defaultValue = "0", description = "Stop after N states (default: never).")
    long count;

    @Override
    int run() throws Exception {
      long seen = from == null ? -1 : from;
      long printed = 0;
      int failures = 0;
      Duration requestTimeout = timeout().plus(parseDuration(wait));
      while (count <= 0 || printed < count) {
        String q = keyPath(key) + (seen < 0 ? "" : "?watch=" + seen + "&wait=" + encode(wait, false));
        HttpResponse<byte[]> r;
        try {
          r = read(q, requestTimeout);
        } catch (Nodes.Unreachable e) {
          if (++failures > 30) throw e;
          err().println("kv: " + e.getMessage() + "; retrying");
          Thread.sleep(Math.min(5_000, 200L * failures));
          continue;
        }
        int s = r.statusCode();
        if (s != 200 && !(s == 404 && r.headers().firstValue("ETag").isPresent())) {
          int code = failed(r);
          if (code == USAGE || code == UNAUTHORIZED || s == 404) return code;
          if (++failures > 30) return code;
          Thread.sleep(Math.min(5_000, 200L * failures));
          continue;
        }
        failures = 0;
        long v = version(r);
        if (v > seen) {
          print(r, v);
          printed++;
          seen = v;
        } else if (r.headers().firstValue(VERSION_HEADER).isEmpty()) {
          Thread.sleep(1_000); // a node without watch answers at once: poll
        }
      }
      return OK;
    }

    private void print(HttpResponse<byte[]> r, long v) {
      if (common.json) {
        out().println(state(key, r).encode());
      } else {
        out().println(v + "\t" + (r.statusCode() == 200 ? text(r.body()) : "(absent)"));
      }
      out().flush();
    }
  }

  /** {@code <int>(ms|s|m|h)} as in the HTTP API (used here only to size the request timeout). */
  static Duration parseDuration(String s) {
    java.util.regex.Matcher m = java.util.regex.Pattern.compile("(\\d{1,9})(ms|s|m|h)").matcher(s.trim());
    if (!m.matches()) throw new UsageError("bad duration '" + s + "': use e.g. 500ms, 30s, 5m, 1h");
    long n = Long.parseLong(m.group(1));
    switch (m.group(2)) {
      case "ms":
        return Duration.ofMillis(n);
      case "s":
        return Duration.ofSeconds(n);
      case "m":
        return Duration.ofMinutes(n);
      default:
        return Duration.ofHours(n);
    }
  }
}
