package io.kshaka.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kshaka.core.AcceptorReply;
import io.kshaka.core.AcceptorRequest;
import io.kshaka.core.Ballot;
import io.kshaka.core.RegisterState;
import io.kshaka.storage.FileAcceptorStore;
import io.kshaka.storage.StoreOptions;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.DeliveryOptions;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A record the store refuses for its size is that request's error, never a disk failure: the acceptor answers
 * it {@link Wire#refused} (no vote) and goes on voting on everything else.
 */
class AcceptorRefusalTest {
  private static final DeliveryOptions TIMEOUT = new DeliveryOptions().setSendTimeout(10_000);

  @TempDir
  Path dir;

  private Vertx vertx;

  @BeforeEach
  void deploy() throws Exception {
    vertx = Vertx.vertx();
    FileAcceptorStore store =
        new FileAcceptorStore(vertx, StoreOptions.defaults(dir.toString()).withMaxRecordBytes(2048));
    vertx.deployVerticle(new AcceptorVerticle(1, store)).await(30, TimeUnit.SECONDS);
  }

  @AfterEach
  void close() throws Exception {
    vertx.close().await(30, TimeUnit.SECONDS);
  }

  private Buffer ask(Buffer request) throws Exception {
    return vertx.eventBus().<Buffer>request(Addresses.DEFAULT.acceptor(1), request, TIMEOUT)
        .await(30, TimeUnit.SECONDS).body();
  }

  private static Buffer accept(String key, long counter, int valueBytes) {
    Ballot b = new Ballot(counter, 2);
    return Wire.encode(new AcceptorRequest.Accept(key, b, new RegisterState(new byte[valueBytes], 1), null));
  }

  @Test
  void anOversizedRecordIsRefusedAndTheAcceptorKeepsVoting() throws Exception {
    Buffer refused = ask(accept("big", 1, 4096));
    assertTrue(Wire.isRefused(refused), "the oversized accept is answered with a refusal");
    assertTrue(Wire.refusedReason(refused).contains("maxRecordBytes"), Wire.refusedReason(refused));

    assertInstanceOf(AcceptorReply.Accepted.class, Wire.decodeReply(ask(accept("small", 1, 10))));
    // the refused accept changed nothing: a prepare on its key finds nothing accepted
    AcceptorReply.Promise p = assertInstanceOf(AcceptorReply.Promise.class,
        Wire.decodeReply(ask(Wire.encode(new AcceptorRequest.Prepare("big", new Ballot(2, 2))))));
    assertEquals(Ballot.ZERO, p.accepted());

    // in a batch, only the oversized part is refused
    List<Buffer> replies = Wire.unbatch(ask(Wire.batch(List.of(accept("big", 3, 4096), accept("small", 3, 10)))));
    assertTrue(Wire.isRefused(replies.get(0)));
    assertInstanceOf(AcceptorReply.Accepted.class, Wire.decodeReply(replies.get(1)));
    // still registered and answering
    Buffer pong = vertx.eventBus().<Buffer>request(Addresses.DEFAULT.acceptor(1), Wire.ping(), TIMEOUT)
        .await(30, TimeUnit.SECONDS).body();
    assertEquals(Wire.pong(), pong);
  }
}
