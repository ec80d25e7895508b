package io.kshaka.faults;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * HTTP/1.1 over a plain socket, byte for byte, for requests that no HTTP client library would send: broken framing,
 * oversized heads, slow bodies, garbage. Reads responses with Content-Length or chunked bodies.
 */
final class RawHttp implements AutoCloseable {
  /** A response head and body. */
  record Response(int status, String head, byte[] body) {
    String bodyText() {
      return new String(body, StandardCharsets.UTF_8);
    }
  }

  private final Socket socket;
  private final InputStream in;
  private final OutputStream out;

  RawHttp(String host, int port, Duration readTimeout) throws IOException {
    socket = new Socket();
    socket.connect(new InetSocketAddress(host, port), 10_000);
    socket.setSoTimeout((int) readTimeout.toMillis());
    socket.setTcpNoDelay(true);
    in = socket.getInputStream();
    out = socket.getOutputStream();
  }

  Socket socket() {
    return socket;
  }

  void send(String text) throws IOException {
    send(text.getBytes(StandardCharsets.ISO_8859_1));
  }

  void send(byte[] bytes) throws IOException {
    out.write(bytes);
    out.flush();
  }

  /** Sends {@code bytes} in pieces of {@code piece} bytes, {@code pause} apart (a slow client). */
  void sendSlowly(byte[] bytes, int piece, Duration pause) throws IOException {
    for (int i = 0; i < bytes.length; i += piece) {
      out.write(bytes, i, Math.min(piece, bytes.length - i));
      out.flush();
      LockSupport.parkNanos(pause.toNanos());
    }
  }

  /** Half-closes: the server sees the end of the request stream. */
  void shutdownOutput() throws IOException {
    socket.shutdownOutput();
  }

  /** The next response, or null if the server closed the connection first. */
  Response read() throws IOException {
    ByteArrayOutputStream head = new ByteArrayOutputStream();
    int matched = 0;
    while (matched < 4) {
      int b = in.read();
      if (b < 0) {
        if (head.size() == 0) return null;
        throw new IOException("connection closed inside a response head: " + head);
      }
      head.write(b);
      matched = (b == (matched % 2 == 0 ? '\r' : '\n')) ? matched + 1 : (b == '\r' ? 1 : 0);
      if (head.size() > 64 * 1024) throw new IOException("response head over 64 KiB");
    }
    String text = head.toString(StandardCharsets.ISO_8859_1);
    String[] lines = text.split("\r\n");
    String[] statusLine = lines[0].split(" ", 3);
    if (statusLine.length < 2 || !statusLine[0].startsWith("HTTP/")) throw new IOException("not HTTP: " + lines[0]);
    int status = Integer.parseInt(statusLine[1]);
    long length = -1;
    boolean chunked = false;
    for (int i = 1; i < lines.length; i++) {
      String line = lines[i].toLowerCase(Locale.ROOT);
      if (line.startsWith("content-length:")) length = Long.parseLong(line.substring(15).trim());
      if (line.startsWith("transfer-encoding:") && line.contains("chunked")) chunked = true;
    }
    ByteArrayOutputStream body = new ByteArrayOutputStream();
    if (chunked) {
      while (true) {
        String size = readLine();
        int semi = size.indexOf(';');
        long n = Long.parseLong((semi >= 0 ? size.substring(0, semi) : size).trim(), 16);
        if (n == 0) {
          while (!readLine().isEmpty()) {
            // trailers
          }
          break;
        }
        body.write(readExactly(n));
        readLine();
      }
    } else if (length > 0) {
      body.write(readExactly(length));
    }
    return new Response(status, text, body.toByteArray());
  }

  /**
   * What the server did within the read timeout: {@code "<status>"} of the first response, {@code "closed"} (EOF or
   * reset without a response) or {@code "timeout"} (still waiting for more of the request).
   */
  String outcome() {
    try {
      Response r = read();
      return r == null ? "closed" : Integer.toString(r.status());
    } catch (SocketTimeoutException e) {
      return "timeout";
    } catch (IOException e) {
      return "closed";
    }
  }

  private String readLine() throws IOException {
    ByteArrayOutputStream line = new ByteArrayOutputStream();
    int prev = -1;
    while (true) {
      int b = in.read();
      if (b < 0) throw new IOException("connection closed inside a chunked body");
      if (prev == '\r' && b == '\n') {
        byte[] bytes = line.toByteArray();
        return new String(bytes, 0, bytes.length - 1, StandardCharsets.ISO_8859_1);
      }
      line.write(b);
      prev = b;
      if (line.size() > 8192) throw new IOException("line over 8 KiB");
    }
  }

  private byte[] readExactly(long n) throws IOException {
    if (n > 16 * 1024 * 1024) throw new IOException("body over 16 MiB");
    byte[] bytes = in.readNBytes((int) n);
    if (bytes.length < n) throw new IOException("connection closed inside a body");
    return bytes;
  }

  @Override
  public void close() {
    try {
      socket.close();
    } catch (IOException ignored) {
      // closing
    }
  }

  /** Opens, sends {@code request}, returns {@link #outcome()}; a failure to send counts as the server closing. */
  static String exchange(String host, int port, byte[] request, Duration timeout) {
    try (RawHttp c = new RawHttp(host, port, timeout)) {
      try {
        c.send(request);
      } catch (IOException e) { // the server closed while we were sending: read what it said before
        String said = c.outcome();
        return said.equals("timeout") ? "closed" : said;
      }
      return c.outcome();
    } catch (IOException e) {
      return "connect failed: " + e.getMessage();
    }
  }

  static String exchange(String host, int port, String request, Duration timeout) {
    return exchange(host, port, request.getBytes(StandardCharsets.ISO_8859_1), timeout);
  }

  static void pause(Duration d) {
    LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(d.toMillis()));
  }
}
