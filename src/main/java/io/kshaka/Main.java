package io.kshaka;

import io.kshaka.cluster.NodeConfig;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.bridge.SLF4JBridgeHandler;

/**
 * Command line: {@code node CONF.json} runs one node in the foreground until SIGTERM/Ctrl-C; {@code check},
 * {@code bench} and {@code admin} run the tools; {@code secret} prints a new cluster secret.
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
      case "node":
        if (rest.length != 1) usage();
        runNode(Path.of(rest[0]));
        break;
      default:
        usage();
    }
  }

  private static void usage() {
    System.err.println("usage: kshaka node CONF.json | check HISTORY.jsonl | bench [options] | admin status|add|remove|replace"
        + " | secret");
    System.exit(2);
  }

  private static void runNode(Path confFile) throws Exception {
    SLF4JBridgeHandler.removeHandlersForRootLogger();
    SLF4JBridgeHandler.install();
    NodeConfig config;
    try {
      config = NodeConfig.fromJson(new JsonObject(Files.readString(confFile)));
    } catch (Exception e) {
      System.err.println("kshaka: cannot use " + confFile + ": " + e.getMessage());
      System.exit(2);
      return;
    }
    NodeRunner node = new NodeRunner(config);
    try {
      node.start();
    } catch (Exception e) {
      log.error("node {} failed to start: {}", config.nodeId(), e.getCause() != null ? e.getCause() : e);
      System.exit(1);
      return;
    }
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      log.info("node {} stopping", config.nodeId());
      node.stop(Duration.ofSeconds(20));
    }, "kshaka-shutdown"));
  }
}
