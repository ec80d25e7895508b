package io.kshaka.security;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.internal.buffer.BufferInternal;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.Base64;
import java.util.Objects;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Message authentication of node-to-node event-bus messages with the cluster secret (HMAC-SHA256). A request
 * carries header {@link #HEADER} = MAC(0x01 | address | 0x00 | body); its reply carries MAC(0x02 | the request's
 * MAC | reply body), so a reply is bound to the one request it answers and a handler that does not hold the secret
 * (another verticle, a rogue cluster member registered on the same address) can neither send a request a node
 * accepts nor answer one in a way the sender accepts. The leading byte keeps the two kinds apart.
 *
 * <p>The body is the bytes of a {@link Buffer}, or the JSON encoding of a {@link JsonObject} or {@link JsonArray}
 * (the encoding of a decoded JSON message is the encoding it was sent with, so both ends compute it alike), or
 * the UTF-8 of a String. The header is the MAC in base64url without padding (43 characters); it is compared in
 * constant time. Thread-safe: each thread uses a {@link Mac} of its own (they are not thread-safe); no copy of a
 * heap buffer's bytes is made.
 *
 * <p>What it does not do: hide messages (use TLS on the event bus), or refuse a replayed message; Kshaka's
 * messages are safe to deliver twice (ballots, epochs and request ids make a repeat harmless) except that a
 * request replayed after its id left the register's bounded request log could apply again.
 */
public final class BusAuth {
  /** The header carrying the MAC, on requests and replies. */
  public static final String HEADER = "kshaka-mac";
  private static final String ALGORITHM = "HmacSHA256";
  private static final byte REQUEST = 1;
  private static final byte REPLY = 2;
  private static final Base64.Encoder ENCODER = Base64.getUrlEncoder().withoutPadding();

  private final SecretKeySpec key;
  private final ThreadLocal<Mac> macs;

  /** An authenticator with this key (the secret's bytes). */
  public BusAuth(byte[] key) {
    Objects.requireNonNull(key, "key");
    if (key.length == 0) throw new IllegalArgumentException("empty key");
    this.key = new SecretKeySpec(key, ALGORITHM);
    newMac(); // fail here, not on the first message, if the JDK lacks the algorithm
    this.macs = ThreadLocal.withInitial(this::newMac);
  }

  /** The MAC header of a request to {@code address} with this body. */
  public String signRequest(String address, Object body) {
    return ENCODER.encodeToString(requestMac(address, body));
  }

  /** True when {@code mac} (a received header, possibly null) is the MAC of this request to this address. */
  public boolean verifyRequest(String address, Object body, String mac) {
    if (mac == null) return false;
    byte[] expected;
    try {
      expected = requestMac(address, body);
    } catch (IllegalArgumentException notAuthenticable) {
      return false;
    }
    return same(expected, mac);
  }

  /** The MAC header of a reply with this body to the request whose MAC header was {@code requestMac}. */
  public String signReply(String requestMac, Object body) {
    return ENCODER.encodeToString(replyMac(requestMac, body));
  }

  /** True when {@code mac} (a received header, possibly null) is the MAC of this reply to that request. */
  public boolean verifyReply(String requestMac, Object body, String mac) {
    if (mac == null || requestMac == null) return false;
    byte[] expected;
    try {
      expected = replyMac(requestMac, body);
    } catch (IllegalArgumentException notAuthenticable) {
      return false;
    }
    return same(expected, mac);
  }

  private byte[] requestMac(String address, Object body) {
    Mac mac = macs.get();
    mac.update(REQUEST);
    mac.update(address.getBytes(StandardCharsets.UTF_8));
    mac.update((byte) 0);
    update(mac, body);
    return mac.doFinal();
  }

  private byte[] replyMac(String requestMac, Object body) {
    Mac mac = macs.get();
    mac.update(REPLY);
    mac.update(requestMac.getBytes(StandardCharsets.ISO_8859_1));
    update(mac, body);
    return mac.doFinal();
  }

  /** Feeds the body's bytes; a body of another kind throws IllegalArgumentException (with the Mac reset). */
  private static void update(Mac mac, Object body) {
    Buffer bytes;
    if (body == null) {
      return;
    } else if (body instanceof Buffer b) {
      bytes = b;
    } else if (body instanceof JsonObject o) {
      bytes = o.toBuffer();
    } else if (body instanceof JsonArray a) {
      bytes = a.toBuffer();
    } else if (body instanceof String s) {
      mac.update(s.getBytes(StandardCharsets.UTF_8));
      return;
    } else {
      mac.reset();
      throw new IllegalArgumentException("cannot authenticate a body of type " + body.getClass().getName());
    }
    if (bytes instanceof BufferInternal internal) {
      mac.update(internal.getByteBuf().nioBuffer()); // a view of the bytes, not a copy (heap buffers)
    } else {
      mac.update(bytes.getBytes());
    }
  }

  /** Constant-time comparison of the expected MAC with a received header. */
  private static boolean same(byte[] expected, String header) {
    return MessageDigest.isEqual(ENCODER.encode(expected), header.getBytes(StandardCharsets.ISO_8859_1));
  }

  private Mac newMac() {
    try {
      Mac mac = Mac.getInstance(ALGORITHM);
      mac.init(key);
      return mac;
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(ALGORITHM + " unavailable: " + e.getMessage(), e);
    }
  }
}
