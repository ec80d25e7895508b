package io.kshaka.membership;

import io.kshaka.security.TlsSettings;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.Callable;
import javax.net.ssl.SSLContext;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code kshaka admin status|add ID|remove ID|replace ID [--node URL] [--wait] [--json]}: the membership admin API
 * of a running node ({@code /v1/admin/membership}). Exit codes: 0 done (or accepted, without --wait), 1 the change
 * failed or the node could not be reached, 2 bad usage or an invalid target, 3 refused (another change runs).
 */
@Command(name = "admin", mixinStandardHelpOptions = true, version = "kshaka admin 0.1",
    subcommands = {AdminCommand.Status.class, AdminCommand.Add.class, AdminCommand.Remove.class,
        AdminCommand.Replace.class},
    description = "Membership of a running Kshaka cluster: show it, add, remove or replace an acceptor.",
    footer = {"", "Examples:", "  ./run.sh admin status", "  ./run.sh admin add 4 --wait",
        "  ./run.sh admin remove 2 --node http://127.0.0.1:8083 --wait",
        "  ./run.sh admin replace 2 --wait        (node 2 lost its disk and runs again, empty)",
        "  KSHAKA_TOKEN=... ./run.sh admin status  (nodes with auth.tokensFile: a token with role admin)",
        "  ./run.sh admin status --node https://127.0.0.1:8081 --cacert certs/ca.pem",
        "Exit codes: 0 done, 1 failed or unreachable, 2 usage or invalid target, 3 refused (a change runs)."})
public final class AdminCommand implements Callable<Integer> {
  static final String DEFAULT_NODE = "http://127.0.0.1:8081";

  /** Options every subcommand takes. */
  static class Common {
    @Option(names = "--node", paramLabel = "URL", defaultValue = DEFAULT_NODE,
        description = "Any node of the cluster (default: ${DEFAULT-VALUE}).")
    String node;

    @Option(names = "--json", description = "Print the node's JSON answers only (for scripts).")
    boolean json;

    @Option(names = "--conf", paramLabel = "DIR", defaultValue = "conf",
        description = "When --node cannot be connected to, the nodes of DIR/node-*.json are tried (default: "
            + "${DEFAULT-VALUE}).")
    java.nio.file.Path conf;

    @Option(names = "--token", paramLabel = "TOKEN", defaultValue = "${env:KSHAKA_TOKEN}",
        description = "Bearer token with role admin, for nodes with auth.tokensFile (default: $KSHAKA_TOKEN, which "
            + "keeps it out of the process list).")
    String token;

    @Option(names = "--cacert", paramLabel = "FILE",
        description = "PEM CA certificate(s) to trust for an https:// node (default: the JVM's trust store).")
    java.nio.file.Path cacert;

    /** A client of {@link #node}, or null (after printing why) when --cacert cannot be used. */
    Client client() {
      if (cacert == null) return new Client(node, conf, token, null);
      try {
        return new Client(node, conf, token, TlsSettings.trusting(cacert));
      } catch (IllegalArgumentException e) {
        System.err.println("--cacert: " + e.getMessage());
        return null;
      }
    }
  }

  @Override
  public Integer call() {
    CommandLine.usage(this, System.err);
    return 2;
  }

  /** Entry point from {@code Main}: returns the exit code. */
  public static int run(String[] args) {
    CommandLine cl = new CommandLine(new AdminCommand());
    cl.setParameterExceptionHandler((ex, a) -> {
      System.err.println(ex.getMessage());
      ex.getCommandLine().usage(System.err);
      return 2;
    });
    return cl.execute(args);
  }

  @Command(name = "status", mixinStandardHelpOptions = true, description = "Epoch, acceptors, quorums and the "
      + "running change.")
  static final class Status implements Callable<Integer> {
    @CommandLine.Mixin
    Common common = new Common();

    @Override
    public Integer call() {
      Client c = common.client();
      if (c == null) return 2;
      Client.Response r = c.get();
      if (r == null) return 1;
      if (common.json) {
        System.out.println(r.body().encodePrettily());
      } else if (r.status() == 200) {
        System.out.println(describe(r.body()));
      } else {
        System.err.println(r.status() + " " + r.body().getString("message", r.body().encode()));
      }
      return r.status() == 200 ? 0 : 1;
    }
  }

  /** add, remove, replace. */
  abstract static class Change implements Callable<Integer> {
    @CommandLine.Mixin
    Common common = new Common();

    @Parameters(index = "0", paramLabel = "ID", description = "The acceptor's node id.")
    int id;

    @Option(names = "--wait", description = "Follow the change until it ends, with a progress bar and an "
        + "estimated time left while rescanning.")
    boolean await;

    @Option(names = "--timeout", paramLabel = "SECONDS", defaultValue = "0",
        description = "With --wait: give up waiting after this many seconds (0: never). The change goes on.")
    long timeoutSeconds;

    abstract String op();

    @Override
    public Integer call() {
      Client c = common.client();
      if (c == null) return 2;
      Client.Response r = c.post(new JsonObject().put(op(), id));
      if (r == null) return 1;
      if (r.status() != 202) {
        if (common.json) System.out.println(r.body().encodePrettily());
        else System.err.println(op() + " " + id + " refused (" + r.status() + "): " + r.body().getString("message",
            r.body().encode()));
        return r.status() == 409 ? 3 : r.status() == 400 ? 2 : 1;
      }
      if (!common.json) System.err.println(op() + " " + id + ": change toward " + r.body().getValue("target")
          + " started (driven by node " + r.body().getValue("driver") + ")");
      if (!await) {
        if (common.json) System.out.println(r.body().encodePrettily());
        return 0;
      }
      return follow(c, r.body(), common.json, timeoutSeconds);
    }
  }

  @Command(name = "add", mixinStandardHelpOptions = true, description = "Add an acceptor (start the node empty "
      + "first).")
  static final class Add extends Change {
    @Override
    String op() {
      return "add";
    }
  }

  @Command(name = "remove", mixinStandardHelpOptions = true, description = "Remove an acceptor.")
  static final class Remove extends Change {
    @Override
    String op() {
      return "remove";
    }
  }

  @Command(name = "replace", mixinStandardHelpOptions = true, description = "Bring back an acceptor whose store "
      + "was lost, as a new incarnation.")
  static final class Replace extends Change {
    @Override
    String op() {
      return "replace";
    }
  }

  /** Polls the status until the change ends; 0 done, 1 failed. */
  static int follow(Client c, JsonObject started, boolean json, long timeoutSeconds) {
    long startedAt = started.getLong("startedAt", System.currentTimeMillis());
    boolean tty = System.console() != null && !json;
    long deadline = timeoutSeconds > 0 ? System.nanoTime() + timeoutSeconds * 1_000_000_000L : Long.MAX_VALUE;
    Progress progress = new Progress();
    long lastLine = 0;
    while (true) {
      Client.Response r = c.getQuietly();
      JsonObject change = r == null || r.status() != 200 ? null : r.body().getJsonObject("change");
      if (change != null && change.getLong("startedAt", 0L) == startedAt) {
        String state = change.getString("state");
        if (!"running".equals(state)) {
          if (tty) System.err.println();
          if (json) System.out.println(r.body().encodePrettily());
          else System.err.println(state + ": " + describe(r.body()));
          return "done".equals(state) ? 0 : 1;
        }
        String line = progress.line(change, System.nanoTime());
        if (tty) {
          System.err.print("\r" + line + "   ");
        } else if (!json && System.nanoTime() - lastLine > 5_000_000_000L) {
          System.err.println(line);
          lastLine = System.nanoTime();
        }
      } else if (change != null && !json) {
        System.err.println("another change runs now: " + change.encode());
        return 1;
      }
      if (System.nanoTime() > deadline) {
        if (tty) System.err.println();
        System.err.println("still running after " + timeoutSeconds + " s (it goes on; see ./run.sh admin status)");
        return 1;
      }
      try {
        Thread.sleep(500);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return 1;
      }
    }
  }

  /** The progress line: step, rescan bar, rate and time left (from the rate over the last samples). */
  static final class Progress {
    private long lastCount = -1;
    private long lastAt;
    private double rate;
    private long rescanEpoch = -1;

    String line(JsonObject change, long nowNanos) {
      StringBuilder b = new StringBuilder();
      b.append("step ").append(Math.min(change.getInteger("step", 0) + 1, Math.max(1, change.getInteger("steps",
          1)))).append('/').append(change.getInteger("steps", 0)).append(' ');
      JsonObject rescan = change.getJsonObject("rescan");
      if (rescan != null && !rescan.getBoolean("done", false)) {
        long done = change.getLong("rescanned", 0L);
        long total = Math.max(done, change.getLong("total", 0L));
        if (rescan.getLong("epoch", 0L) != rescanEpoch) {
          rescanEpoch = rescan.getLong("epoch", 0L);
          lastCount = -1;
          rate = 0;
        }
        if (lastCount >= 0 && done > lastCount) {
          double r = (done - lastCount) / ((nowNanos - lastAt) / 1e9);
          rate = rate == 0 ? r : 0.7 * rate + 0.3 * r;
        }
        if (lastCount < 0 || done != lastCount) {
          lastCount = done;
          lastAt = nowNanos;
        }
        int width = 30;
        int filled = total == 0 ? 0 : (int) Math.min(width, width * done / total);
        b.append("rescan [").append("#".repeat(filled)).append(".".repeat(width - filled)).append("] ")
            .append(done).append('/').append(total).append(" keys");
        if (rate > 0) {
          b.append(String.format(Locale.ROOT, ", %.0f keys/s, ~%s left", rate, duration((long) ((total - done)
              / rate))));
        }
      } else {
        b.append(change.getString("description", ""));
      }
      String err = change.getString("lastError");
      if (err != null) b.append(" (waiting: ").append(err).append(')');
      return b.toString();
    }
  }

  static String duration(long seconds) {
    if (seconds < 60) return seconds + " s";
    if (seconds < 3600) return seconds / 60 + " min " + seconds % 60 + " s";
    return seconds / 3600 + " h " + seconds % 3600 / 60 + " min";
  }

  /** A readable summary of a status answer. */
  static String describe(JsonObject status) {
    JsonObject config = status.getJsonObject("config");
    StringBuilder b = new StringBuilder();
    if (config != null) {
      b.append("epoch ").append(config.getValue("epoch")).append(", cluster ").append(config.getString("clusterId"))
          .append("\n  prepare ").append(phase(config.getJsonObject("prepare")))
          .append("\n  accept  ").append(phase(config.getJsonObject("accept")))
          .append("\n  incarnations ").append(config.getJsonObject("incarnations").encode());
    }
    JsonObject change = status.getJsonObject("change");
    if (change == null) {
      b.append("\n  no membership change");
    } else {
      b.append("\n  change toward ").append(change.getValue("target"));
      if (change.getValue("replace") != null) b.append(" (replacing ").append(change.getValue("replace")).append(')');
      b.append(": ").append(change.getString("state")).append(", step ").append(change.getValue("step"))
          .append('/').append(change.getValue("steps")).append(" (").append(change.getString("description"))
          .append("), rescanned ").append(change.getValue("rescanned")).append('/').append(change.getValue("total"))
          .append(", driver node ").append(change.getValue("driver"));
      if (change.getString("lastError") != null) b.append("\n  last error: ").append(change.getString("lastError"));
    }
    return b.toString();
  }

  private static String phase(JsonObject p) {
    if (p == null) return "?";
    JsonArray nodes = p.getJsonArray("nodes");
    return nodes.encode() + " quorum " + p.getValue("quorum");
  }

  /** Blocking HTTP to a node, falling over to the next one while connecting fails (io.kshaka.cli.Nodes). */
  static final class Client {
    record Response(int status, JsonObject body) {}

    private final io.kshaka.cli.Nodes nodes;
    private final PrintStream err = System.err;
    private final String token;

    /**
     * @param token the bearer token sent as {@code Authorization: Bearer <token>}, or null for none
     * @param ssl the context for https (trusting --cacert), or null for the JVM's default
     */
    Client(String node, java.nio.file.Path conf, String token, SSLContext ssl) {
      this.nodes = io.kshaka.cli.Nodes.of(node, conf, ssl);
      this.token = token == null || token.isBlank() ? null : token.strip();
    }

    Response get() {
      return send(base -> HttpRequest.newBuilder(uri(base)).GET(), false);
    }

    Response getQuietly() {
      return send(base -> HttpRequest.newBuilder(uri(base)).GET(), true);
    }

    Response post(JsonObject body) {
      return send(base -> HttpRequest.newBuilder(uri(base)).header("Content-Type", "application/json")
          .POST(HttpRequest.BodyPublishers.ofString(body.encode())), false);
    }

    private static URI uri(String base) {
      return URI.create(base + "/v1/admin/membership");
    }

    private Response send(java.util.function.Function<String, HttpRequest.Builder> request, boolean quiet) {
      try {
        HttpResponse<byte[]> r = nodes.send(base -> {
          HttpRequest.Builder b = request.apply(base).timeout(Duration.ofSeconds(30));
          if (token != null) b.header("Authorization", "Bearer " + token);
          return b.build();
        });
        String text = new String(r.body(), StandardCharsets.UTF_8);
        JsonObject body;
        try {
          body = new JsonObject(text);
        } catch (DecodeException e) {
          body = new JsonObject().put("error", "not_json").put("message", text);
        }
        return new Response(r.statusCode(), body);
      } catch (Exception e) {
        if (!quiet) err.println("cannot reach " + nodes.current() + ": " + e.getMessage());
        if (e instanceof InterruptedException) Thread.currentThread().interrupt();
        return null;
      }
    }
  }
}
