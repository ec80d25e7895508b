package io.kshaka;

import io.kshaka.cluster.NodeConfig;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.UUID;
import java.util.stream.Stream;

/**
 * The training run of the class-data sharing archive ({@code ./run.sh} makes {@code target/kshaka.jsa} with it after
 * each build): a one-node cluster on 127.0.0.1 (free ports, a fresh cluster name, a temporary data directory) that
 * the bench drives for a few seconds over HTTP with every kind of request, then stops. The JVM that runs it with
 * {@code -XX:ArchiveClassesAtExit} records every class the node and the bench loaded; nodes and tools started with
 * {@code -XX:SharedArchiveFile} then map those classes instead of loading, verifying and linking them again: about
 * 3 s off the start of a 3-node cluster on two cores (docs/performance.md, "Start-up and warm-up").
 */
final class CdsTraining {
  private CdsTraining() {}

  /** Runs the training; 0 when the node started and served the bench. */
  static int run() throws Exception {
    Path dir = Files.createTempDirectory("kshaka-cds-");
    NodeRunner node = null;
    try {
      int httpPort = freePort();
      int clusterPort = freePort();
      JsonObject json = new JsonObject()
          .put("nodeId", 1)
          .put("dataDir", dir.resolve("node-1").toString())
          .put("http", new JsonObject().put("host", "127.0.0.1").put("port", httpPort))
          .put("cluster", new JsonObject().put("name", "kshaka-cds-" + UUID.randomUUID()).put("host", "127.0.0.1")
              .put("port", clusterPort).put("members", new JsonArray().add("127.0.0.1:" + clusterPort)))
          .put("eventLoops", 1)
          .put("acceptors", new JsonArray().add(1));
      node = new NodeRunner(NodeConfig.fromJson(json));
      node.start();
      StringWriter out = new StringWriter();
      int code = io.kshaka.bench.BenchCommand.run(new PrintWriter(out), new PrintWriter(out),
          "--endpoints", "http://127.0.0.1:" + httpPort, "--clients", "8", "--keys", "200",
          "--mix", "get=30,put=30,cas=20,add=20", "--warmup", "0", "--duration", "4", "--seed", "1");
      if (code != 0) System.err.println("cds training: the bench failed:\n" + out);
      return code;
    } finally {
      if (node != null) node.stop(Duration.ofSeconds(20));
      try (Stream<Path> files = Files.walk(dir)) {
        files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket()) {
      s.bind(new InetSocketAddress("127.0.0.1", 0));
      return s.getLocalPort();
    }
  }
}
