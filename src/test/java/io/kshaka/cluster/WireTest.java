package io.kshaka.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kshaka.core.AcceptorReply;
import io.kshaka.core.AcceptorRequest;
import io.kshaka.core.Ballot;
import io.kshaka.core.RegisterState;
import io.kshaka.core.RequestId;
import io.kshaka.core.RequestLog;
import io.vertx.core.buffer.Buffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The binary acceptor messages: every request, reply and batch decodes to what was encoded; garbage is refused. */
class WireTest {
  private static final long SEED = 42;

  private static RegisterState state(Random r) {
    if (r.nextInt(4) == 0) return new RegisterState(null, r.nextInt(10));
    byte[] v = new byte[r.nextInt(300)];
    r.nextBytes(v);
    int ids = r.nextInt(6);
    long version = 1 + ids + r.nextInt(1000);
    RequestLog log = RequestLog.EMPTY;
    for (int i = 0; i < ids; i++) {
      log = log.with(new RequestId(r.nextLong(), r.nextInt(1 << 30)), version - ids + 1 + i, r.nextLong(), 4);
    }
    return new RegisterState(v, version, log, r.nextInt(3) == 0 ? 1 + r.nextInt(Integer.MAX_VALUE) * 1000L : 0);
  }

  private static AcceptorRequest request(Random r) {
    String key = "k\u00e9y-" + r.nextInt(1000);
    Ballot b = new Ballot(r.nextInt(1 << 20), 1 + r.nextInt(5));
    long epoch = r.nextInt(3) == 0 ? 0 : 1 + r.nextInt(1 << 20);
    if (r.nextBoolean()) return new AcceptorRequest.Prepare(key, b, epoch);
    return new AcceptorRequest.Accept(key, b, state(r), r.nextBoolean() ? null : new Ballot(b.counter() + 1, b.nodeId()),
        epoch);
  }

  private static AcceptorReply reply(Random r) {
    switch (r.nextInt(4)) {
      case 0:
        return new AcceptorReply.Promise(new Ballot(r.nextInt(100), 1 + r.nextInt(5)), state(r));
      case 1:
        return new AcceptorReply.Conflict(new Ballot(r.nextInt(100), 1 + r.nextInt(5)));
      case 2:
        return new AcceptorReply.StaleEpoch(1 + r.nextInt(1 << 20));
      default:
        return AcceptorReply.Accepted.INSTANCE;
    }
  }

  @Test
  void batchesOfRequestsAndRepliesDecodeToWhatWasEncoded() {
    Random r = new Random(SEED);
    for (int round = 0; round < 200; round++) {
      List<AcceptorRequest> requests = new ArrayList<>();
      List<AcceptorReply> replies = new ArrayList<>();
      List<Buffer> encodedRequests = new ArrayList<>();
      List<Buffer> encodedReplies = new ArrayList<>();
      int n = 1 + r.nextInt(40);
      for (int i = 0; i < n; i++) {
        requests.add(request(r));
        replies.add(reply(r));
        encodedRequests.add(Wire.encode(requests.get(i)));
        encodedReplies.add(Wire.encode(replies.get(i)));
      }
      Buffer requestBatch = Wire.batch(encodedRequests);
      assertTrue(Wire.isBatch(requestBatch));
      List<Buffer> parts = Wire.unbatch(requestBatch);
      assertEquals(n, parts.size());
      for (int i = 0; i < n; i++) {
        assertEquals(requests.get(i), Wire.decodeRequest(parts.get(i)), "seed " + SEED);
      }
      List<Buffer> replyParts = Wire.unbatch(Wire.batch(encodedReplies));
      for (int i = 0; i < n; i++) {
        assertEquals(replies.get(i), Wire.decodeReply(replyParts.get(i)), "seed " + SEED);
      }
    }
  }

  @Test
  void aSingleMessageIsNotABatch() {
    Random r = new Random(SEED);
    for (int i = 0; i < 100; i++) {
      assertFalse(Wire.isBatch(Wire.encode(request(r))));
      assertFalse(Wire.isBatch(Wire.encode(reply(r))));
    }
    assertFalse(Wire.isBatch(Wire.ping()));
  }

  @Test
  void malformedBatchesAreRefused() {
    Buffer good = Wire.batch(List.of(Wire.encode(new AcceptorRequest.Prepare("k", new Ballot(1, 1))),
        Wire.encode(new AcceptorRequest.Prepare("j", new Ballot(2, 1)))));
    for (int cut = 1; cut < good.length(); cut++) {
      Buffer truncated = good.getBuffer(0, cut);
      if (Wire.isBatch(truncated)) assertThrows(IllegalArgumentException.class, () -> Wire.unbatch(truncated));
    }
    Buffer trailing = good.copy().appendByte((byte) 0);
    assertThrows(IllegalArgumentException.class, () -> Wire.unbatch(trailing));
    Buffer hugeCount = good.copy();
    hugeCount.setInt(1, Integer.MAX_VALUE);
    assertThrows(IllegalArgumentException.class, () -> Wire.unbatch(hugeCount));
    Buffer negativeLength = good.copy();
    negativeLength.setInt(5, -3);
    assertThrows(IllegalArgumentException.class, () -> Wire.unbatch(negativeLength));
    assertThrows(IllegalArgumentException.class,
        () -> Wire.unbatch(Buffer.buffer("not a batch".getBytes(StandardCharsets.UTF_8))));
  }
}
