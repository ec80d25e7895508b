package io.kshaka;

import io.kshaka.cluster.HazelcastSetup;
import io.kshaka.cluster.NodeConfig;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.micrometer.MicrometerMetricsFactory;
import io.vertx.micrometer.MicrometerMetricsOptions;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.bridge.SLF4JBridgeHandler;

/**
 * Command line: {@code node CONF.json} runs one node in the foreground until SIGTERM/Ctrl-C; {@code check} and
 * {@code bench} run the tools.
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
      case "node":
        if (rest.length != 1) usage();
        runNode(Path.of(rest[0]));
        break;
      default:
        usage();
    }
  }

  private static void usage() {
    System.err.println("usage: kshaka node CONF.json | check HISTORY.jsonl | bench [options]");
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
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    Vertx vertx;
    try {
      vertx = Vertx.builder()
          .with(HazelcastSetup.vertxOptions(config).setMetricsOptions(new MicrometerMetricsOptions().setEnabled(true)))
          .withClusterManager(new HazelcastClusterManager(HazelcastSetup.hazelcast(config)))
          .withMetrics(new MicrometerMetricsFactory(registry))
          .buildClustered()
          .toCompletionStage().toCompletableFuture().get(120, TimeUnit.SECONDS);
    } catch (Exception e) {
      log.error("node {}: cannot join the cluster: {}", config.nodeId(), e.toString());
      System.exit(1);
      return;
    }
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      log.info("node {} stopping", config.nodeId());
      vertx.close().onComplete(ar -> stopped.countDown());
      try {
        stopped.await(20, TimeUnit.SECONDS);
      } catch (InterruptedException ignored) {
        Thread.currentThread().interrupt();
      }
    }, "kshaka-shutdown"));
    vertx.deployVerticle(new KshakaVerticle(config.json(), registry)).onFailure(e -> {
      log.error("node {} failed to start: {}", config.nodeId(), e.getMessage());
      System.exit(1);
    });
  }
}
