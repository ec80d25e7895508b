package io.kshaka.security;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kshaka.cluster.Wire;
import io.kshaka.core.AcceptorReply;
import io.kshaka.core.AcceptorRequest;
import io.kshaka.core.Ballot;
import io.kshaka.core.RegisterState;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * Measurement, not a test (needs {@code -Dkshaka.bench=true}): the CPU cost the cluster secret adds to one
 * node-to-node message, i.e. everything {@link BusAuth} computes for it at both ends: sign the request (sender),
 * verify it (receiver), sign the reply (receiver), verify the reply (sender). Run with
 * {@code mvn -B -q test -Dtest=BusAuthBenchmark -Dkshaka.bench=true} and read its -output.txt report.
 */
@EnabledIfSystemProperty(named = "kshaka.bench", matches = "true")
class BusAuthBenchmark {
  private static final BusAuth AUTH = new BusAuth(ClusterSecret.generate().getBytes(StandardCharsets.UTF_8));

  /** CPU time of this thread (not wall time: other processes share the cores). */
  private static long cpu() {
    return java.lang.management.ManagementFactory.getThreadMXBean().getCurrentThreadCpuTime();
  }

  private static Buffer accept(String key, int valueBytes) {
    return Wire.encode(new AcceptorRequest.Accept(key, new Ballot(123_456, 2),
        new RegisterState(new byte[valueBytes], 7), new Ballot(123_457, 2)));
  }

  /** Nanoseconds of CPU per message for the four MAC operations of one request and its reply. */
  private static double perMessage(String address, Object request, Object reply, int n) {
    long start = cpu();
    int ok = 0;
    for (int i = 0; i < n; i++) {
      String mac = AUTH.signRequest(address, request);
      if (AUTH.verifyRequest(address, request, mac)) ok++;
      String replyMac = AUTH.signReply(mac, reply);
      if (AUTH.verifyReply(mac, reply, replyMac)) ok++;
    }
    long nanos = cpu() - start;
    assertTrue(ok == 2 * n);
    return (double) nanos / n;
  }

  private static void report(String what, String address, Object request, Object reply, int bytes) {
    int n = Math.max(200, (int) (50_000L * 256 / Math.max(256, bytes))); // about the same time for every size
    for (int warm = 0; warm < 3; warm++) perMessage(address, request, reply, n);
    double best = Double.MAX_VALUE;
    for (int run = 0; run < 5; run++) best = Math.min(best, perMessage(address, request, reply, n));
    System.out.printf("%-48s %6d bytes  %8.0f ns/message (sign+verify request, sign+verify reply; best of 5)%n",
        what, bytes, best);
  }

  @Test
  void costPerMessage() {
    Buffer accepted = Wire.encode(AcceptorReply.Accepted.INSTANCE);
    Buffer small = accept("user:12345", 100);
    report("accept, 100-byte value (one request)", "kshaka.acceptor.2", small, accepted, small.length());
    List<Buffer> parts = new ArrayList<>();
    List<Buffer> replies = new ArrayList<>();
    for (int i = 0; i < 16; i++) {
      parts.add(accept("user:" + i, 100));
      replies.add(accepted);
    }
    Buffer batch = Wire.batch(parts);
    report("batch of 16 accepts, 100-byte values", "kshaka.acceptor.2", batch, Wire.batch(replies), batch.length());
    Buffer big = accept("blob", 64 * 1024);
    report("accept, 64 KiB value", "kshaka.acceptor.2", big, accepted, big.length());
    Buffer ping = Wire.ping();
    report("ping", "kshaka.acceptor.2", ping, Wire.pong(), 1);
    JsonObject forward = Wire.kvRequest("put", "user:12345", new byte[100], null, null).put("requestId",
        "k-0123456789abcdef0123456789abcdef").put("requestStamp", 1_764_000_000_000L).put("fresh", true)
        .put("from", 1);
    JsonObject forwardReply = new JsonObject().put("version", 7);
    report("kv forward (JSON, encoded for the MAC at both ends)", "kshaka.kv.2", forward, forwardReply,
        forward.toBuffer().length());
  }
}
