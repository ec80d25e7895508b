package io.kshaka;

import io.kshaka.cluster.NodeConfig;
import io.vertx.core.Vertx;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.bridge.SLF4JBridgeHandler;

/**
 * Command line: {@code node CONF.json} runs one node in the foreground until SIGTERM/Ctrl-C; {@code config CONF.json}
 * prints the configuration a node would run with; {@code check}, {@code bench}, {@code admin}, {@code token} and
 * {@code kv} run the tools; {@code secret} prints a new cluster secret. The node's configuration is the file
 * overridden by {@code KSHAKA_*} environment variables and
 * {@code kshaka.*} system properties (see {@link KshakaConfig}).
 */
public final class Main {
  private static final Logger log = LoggerFactory.getLogger(Main.class);

  private Main() {}

  public static void main(String[] args) throws Exception {
    String command = args.length == 0 ? "help" : args[0];
    String[] rest = Arrays.copyOfRange(args, Math.min(1, args.length), args.length);
    switch (command) {
      case "check":
        System.exit(io.kshaka.check.CheckCommand.run(rest));
        break;
      case "bench":
        System.exit(io.kshaka.bench.BenchCommand.run(rest));
        break;
      case "admin":
        System.exit(io.kshaka.membership.AdminCommand.run(rest));
        break;
      case "secret":
        System.out.println(io.kshaka.security.ClusterSecret.generate()); // the command's output: the new secret
        break;
      case "token":
        System.exit(io.kshaka.security.TokenCommand.run(rest));
        break;
      case "kv":
        System.exit(io.kshaka.cli.KvCommand.run(rest));
        break;
      case "cds-train": // run by ./run.sh under -XX:ArchiveClassesAtExit after a build (CdsTraining)
        System.exit(CdsTraining.run());
        break;
      case "node":
        if (rest.length != 1) usage();
        runNode(Path.of(rest[0]));
        break;
      case "config":
        if (rest.length != 1) usage();
        System.out.println(loadConfig(Path.of(rest[0])).json().encodePrettily());
        System.exit(0);
        break;
      default:
        usage();
    }
  }

  private static void usage() {
    System.err.println("usage: kshaka node CONF.json | config CONF.json | check HISTORY.jsonl | bench [options] "
        + "| admin status|add|remove|replace | token --role read|write|admin --name NAME"
        + " | secret | kv get|put|cas|create|delete|add|list|watch");
    System.exit(2);
  }

  private static void runNode(Path confFile) throws Exception {
    SLF4JBridgeHandler.removeHandlersForRootLogger();
    SLF4JBridgeHandler.install();
    KshakaConfig.Loaded loaded = loadConfig(confFile);
    NodeConfig config = loaded.config();
    if (!loaded.applied().isEmpty()) log.info("configuration overrides: {}", String.join(", ", loaded.applied()));
    if (config.auth().enabled()) { // a bad tokens file fails here, at once, not as a deployment that never ends
      try {
        io.kshaka.security.Tokens.load(Path.of(config.auth().tokensFile()));
      } catch (Exception e) {
        System.err.println("kshaka: cannot use " + confFile + ": " + e.getMessage());
        System.exit(2);
        return;
      }
    }
    NodeRunner node = new NodeRunner(config);
    try {
      node.start();
    } catch (Exception e) {
      Throwable why = e.getCause() != null ? e.getCause() : e;
      log.error("node {} failed to start: {}", config.nodeId(), why.getMessage(), why); // message first, then the trace
      System.exit(1);
      return;
    }
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      log.info("node {} stopping", config.nodeId());
      node.stop(Duration.ofSeconds(20));
    }, "kshaka-shutdown"));
  }

  /**
   * The file with its environment and system-property overrides, validated (vertx-config, read by a short-lived
   * Vert.x of its own); exits with status 2 and the reason when it cannot be used.
   */
  private static KshakaConfig.Loaded loadConfig(Path confFile) {
    Vertx reader = Vertx.vertx();
    try {
      KshakaConfig.Loaded loaded = KshakaConfig.load(reader, confFile.toString()).toCompletionStage()
          .toCompletableFuture().get(60, TimeUnit.SECONDS);
      for (String ignored : loaded.ignored()) {
        System.err.println("kshaka: ignoring " + ignored + ": it names no configuration field");
      }
      return loaded;
    } catch (ExecutionException e) {
      Throwable cause = e.getCause() != null ? e.getCause() : e;
      System.err.println("kshaka: cannot use " + confFile + ": " + cause.getMessage());
      System.exit(2);
      return null;
    } catch (Exception e) {
      System.err.println("kshaka: cannot use " + confFile + ": " + e);
      System.exit(2);
      return null;
    } finally {
      reader.close(); // not awaited: its event loops wind down in the background (about 2 s) while the node starts
    }
  }
}
