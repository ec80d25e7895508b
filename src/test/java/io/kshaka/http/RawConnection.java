package io.kshaka.http;

import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.net.NetClient;
import io.vertx.core.net.NetSocket;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

/**
 * One TCP connection to an HTTP server, for requests an HTTP client would not send as they are (invalid
 * percent-encoding, dot segments, pipelining, {@code Expect: 100-continue}).
 *
 * <p>It holds its {@link NetClient} until closed. Vert.x 5 shuts down a client once it is unreachable (a
 * {@code Cleaner}), and a client created inline ({@code vertx.createNetClient().connect(...)}) is unreachable as
 * soon as {@code connect} returns its future. A shutdown waits up to 30 s for open connections, but one still
 * connecting is not open yet: the client closes at once and closes that connection as it opens. A test did so
 * about one run in 400 (nothing received); holding the client, no failure in 1,800 runs.
 */
final class RawConnection implements AutoCloseable {
  private static final long TIMEOUT_SECONDS = 20;

  private final NetClient client;
  private final NetSocket socket;
  private final Buffer received = Buffer.buffer();
  private final Promise<Void> closed = Promise.promise();
  private String awaited;
  private Promise<Void> arrived;

  private RawConnection(NetClient client, int port) {
    this.client = client;
    this.socket = client.connect(port, "127.0.0.1").timeout(TIMEOUT_SECONDS, TimeUnit.SECONDS).await();
    socket.handler(this::receive);
    socket.closeHandler(v -> closed.tryComplete());
  }

  static RawConnection open(Vertx vertx, int port) {
    NetClient client = vertx.createNetClient();
    try {
      return new RawConnection(client, port);
    } catch (RuntimeException e) {
      client.close();
      throw e;
    }
  }

  /** Sends {@code request} on a new connection and returns all the server sends until it closes the connection. */
  static String exchange(Vertx vertx, int port, String request) {
    try (RawConnection connection = open(vertx, port)) {
      connection.write(request);
      return connection.untilClosed();
    }
  }

  void write(String bytes) {
    socket.write(bytes);
  }

  /** Waits until what was received so far contains {@code text}. */
  void awaitReceived(String text) {
    Promise<Void> promise = Promise.promise();
    synchronized (this) {
      if (text(received).contains(text)) return;
      awaited = text;
      arrived = promise;
    }
    promise.future().timeout(TIMEOUT_SECONDS, TimeUnit.SECONDS).await();
  }

  /** Waits for the server to close the connection and returns everything it sent. */
  String untilClosed() {
    closed.future().timeout(TIMEOUT_SECONDS, TimeUnit.SECONDS).await();
    synchronized (this) {
      return text(received);
    }
  }

  private synchronized void receive(Buffer bytes) {
    received.appendBuffer(bytes);
    if (arrived != null && text(received).contains(awaited)) arrived.tryComplete();
  }

  private static String text(Buffer bytes) {
    return bytes.toString(StandardCharsets.ISO_8859_1);
  }

  @Override
  public void close() {
    client.close().timeout(TIMEOUT_SECONDS, TimeUnit.SECONDS).await();
  }
}
