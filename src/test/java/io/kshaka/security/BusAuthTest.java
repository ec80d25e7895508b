package io.kshaka.security;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kshaka.cluster.Wire;
import io.kshaka.core.AcceptorReply;
import io.kshaka.core.AcceptorRequest;
import io.kshaka.core.Ballot;
import io.kshaka.core.RegisterState;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

class BusAuthTest {
  private static final BusAuth AUTH = new BusAuth("0123456789abcdef0123456789abcdef".getBytes(StandardCharsets.UTF_8));
  private static final String ACCEPTOR = "kshaka.acceptor.1";

  private static Buffer accept(long counter, String value) {
    return Wire.encode(new AcceptorRequest.Accept("k", new Ballot(counter, 2),
        new RegisterState(value.getBytes(StandardCharsets.UTF_8), 1), null));
  }

  @Test
  void aSignedRequestVerifiesOnItsAddressWithItsBody() {
    Buffer body = accept(7, "v");
    String mac = AUTH.signRequest(ACCEPTOR, body);
    assertEquals(43, mac.length(), "32 bytes in base64url without padding");
    assertTrue(AUTH.verifyRequest(ACCEPTOR, body, mac));
    assertTrue(AUTH.verifyRequest(ACCEPTOR, body.copy(), mac), "the bytes count, not the object");
  }

  @Test
  void aTamperedBodyIsRefused() {
    Buffer body = accept(7, "v");
    String mac = AUTH.signRequest(ACCEPTOR, body);
    Buffer tampered = body.copy();
    tampered.setByte(tampered.length() - 30, (byte) (tampered.getByte(tampered.length() - 30) ^ 1));
    assertFalse(AUTH.verifyRequest(ACCEPTOR, tampered, mac));
    assertFalse(AUTH.verifyRequest(ACCEPTOR, accept(8, "v"), mac), "another ballot");
    assertFalse(AUTH.verifyRequest(ACCEPTOR, body.copy().appendByte((byte) 0), mac), "a byte appended");
  }

  @Test
  void aRequestSignedForAnotherAddressIsRefused() {
    Buffer body = accept(7, "v");
    String mac = AUTH.signRequest("kshaka.acceptor.2", body);
    assertFalse(AUTH.verifyRequest(ACCEPTOR, body, mac));
    // the address and the body cannot trade bytes: "kshaka.acceptor.1" + "0..." is not "kshaka.acceptor.10" + "..."
    Buffer shifted = Buffer.buffer("0").appendBuffer(body);
    assertFalse(AUTH.verifyRequest("kshaka.acceptor.10", body, AUTH.signRequest(ACCEPTOR, shifted)));
  }

  @Test
  void aMissingMalformedOrForeignMacIsRefused() {
    Buffer body = accept(7, "v");
    assertFalse(AUTH.verifyRequest(ACCEPTOR, body, null));
    assertFalse(AUTH.verifyRequest(ACCEPTOR, body, ""));
    assertFalse(AUTH.verifyRequest(ACCEPTOR, body, "not base64 at all, and of another length!!"));
    BusAuth other = new BusAuth("another secret of at least 32 chars".getBytes(StandardCharsets.UTF_8));
    assertFalse(AUTH.verifyRequest(ACCEPTOR, body, other.signRequest(ACCEPTOR, body)), "a wrong secret");
    assertFalse(AUTH.verifyRequest(ACCEPTOR, new Object(), AUTH.signRequest(ACCEPTOR, body)),
        "a body that cannot be authenticated");
  }

  @Test
  void aReplyIsBoundToTheRequestItAnswers() {
    String mac1 = AUTH.signRequest(ACCEPTOR, accept(7, "v"));
    String mac2 = AUTH.signRequest(ACCEPTOR, accept(8, "v"));
    Buffer promise = Wire.encode(new AcceptorReply.Promise(Ballot.ZERO, RegisterState.EMPTY));
    String reply1 = AUTH.signReply(mac1, promise);
    assertTrue(AUTH.verifyReply(mac1, promise, reply1));
    assertFalse(AUTH.verifyReply(mac2, promise, reply1), "a reply replayed for another request");
    assertFalse(AUTH.verifyReply(mac1, Wire.encode(AcceptorReply.Accepted.INSTANCE), reply1), "another body");
    assertFalse(AUTH.verifyReply(mac1, promise, null));
    assertFalse(AUTH.verifyReply(null, promise, reply1));
  }

  @Test
  void aRequestMacIsNeverAValidReplyMacNorTheOtherWayRound() {
    Buffer body = accept(7, "v");
    String requestMac = AUTH.signRequest(ACCEPTOR, body);
    assertNotEquals(requestMac, AUTH.signReply(requestMac, body));
    assertFalse(AUTH.verifyReply(requestMac, body, requestMac));
  }

  @Test
  void aJsonBodyVerifiesAfterCrossingTheWire() {
    JsonObject request = Wire.kvRequest("put", "k\u00e9y/\"x\"", new byte[] {1, 2, 3}, 12L, null)
        .put("requestId", "id-1").put("requestStamp", 1_700_000_000_000L).put("fresh", true).put("from", 2)
        .put("nested", new JsonObject().put("n", 1.5).put("list", new io.vertx.core.json.JsonArray(List.of(1, "a"))));
    String mac = AUTH.signRequest("kshaka.kv.2", request);
    JsonObject decoded = new JsonObject(request.toBuffer()); // what a clustered consumer receives
    assertTrue(AUTH.verifyRequest("kshaka.kv.2", decoded, mac));
    assertTrue(AUTH.verifyRequest("kshaka.kv.2", request.copy(), mac), "what a local consumer receives");
    assertFalse(AUTH.verifyRequest("kshaka.kv.2", decoded.copy().put("fresh", false), mac));
  }

  @Test
  void macsAreTheSameOnEveryThread() throws Exception {
    Buffer body = accept(7, "v");
    String expected = AUTH.signRequest(ACCEPTOR, body);
    ExecutorService pool = Executors.newFixedThreadPool(4);
    try {
      List<Future<Boolean>> results = new java.util.ArrayList<>();
      for (int t = 0; t < 4; t++) {
        results.add(pool.submit(() -> {
          for (int i = 0; i < 2_000; i++) {
            if (!AUTH.signRequest(ACCEPTOR, body).equals(expected)) return false;
            if (!AUTH.verifyRequest(ACCEPTOR, body, expected)) return false;
          }
          return true;
        }));
      }
      for (Future<Boolean> r : results) assertTrue(r.get());
    } finally {
      pool.shutdownNow();
    }
  }
}
