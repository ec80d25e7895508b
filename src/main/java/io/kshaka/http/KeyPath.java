package io.kshaka.http;

import io.kshaka.cluster.Keys;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * Turns the raw request path into a key: the rest of the path after {@code /v1/kv/}, percent-decoded as UTF-8,
 * strictly. Nothing else is done to it: {@code %2F} is a byte of the key like any other ({@code a%2Fb} and
 * {@code a/b} are different keys), dot segments are kept, {@code +} is a plus.
 */
final class KeyPath {
  static final String PREFIX = "/v1/kv/";
  static final int MAX_KEY_BYTES = Keys.MAX_BYTES;

  private KeyPath() {}

  /** Thrown for a path that names no valid key; the message says why, for the 400 reply. */
  static final class BadKey extends Exception {
    BadKey(String message) {
      super(message, null, false, false);
    }
  }

  /** The key of a raw path that starts with {@link #PREFIX}. */
  static String key(String rawPath) throws BadKey {
    if (rawPath == null || !rawPath.startsWith(PREFIX)) throw new BadKey("path must start with " + PREFIX);
    byte[] bytes = percentDecode(rawPath, PREFIX.length());
    if (bytes.length == 0) throw new BadKey("key is empty: use " + PREFIX + "{key}");
    if (bytes.length > MAX_KEY_BYTES) {
      throw new BadKey("key is " + bytes.length + " bytes, over the limit of " + MAX_KEY_BYTES + " bytes");
    }
    CharsetDecoder utf8 = StandardCharsets.UTF_8.newDecoder()
        .onMalformedInput(CodingErrorAction.REPORT)
        .onUnmappableCharacter(CodingErrorAction.REPORT);
    try {
      String key = utf8.decode(ByteBuffer.wrap(bytes)).toString();
      String problem = Keys.problem(key);
      if (problem != null) throw new BadKey(problem);
      return key;
    } catch (CharacterCodingException e) {
      throw new BadKey("key is not valid UTF-8 once percent-decoded");
    }
  }

  /**
   * Percent-decodes {@code raw} from {@code start}. Netty hands us the request line one byte per char, so a char
   * up to 0xFF is a byte sent as is (raw UTF-8 in the request line is accepted, and checked as UTF-8 later).
   */
  private static byte[] percentDecode(String raw, int start) throws BadKey {
    byte[] out = new byte[raw.length() - start];
    int n = 0;
    for (int i = start; i < raw.length(); i++) {
      char c = raw.charAt(i);
      if (c == '%') {
        if (i + 2 >= raw.length()) throw new BadKey("truncated percent-encoding at offset " + i + " of the path");
        int hi = Character.digit(raw.charAt(i + 1), 16);
        int lo = Character.digit(raw.charAt(i + 2), 16);
        if (hi < 0 || lo < 0) throw new BadKey("invalid percent-encoding at offset " + i + " of the path");
        out[n++] = (byte) ((hi << 4) | lo);
        i += 2;
      } else if (c > 0xFF) {
        throw new BadKey("path holds a character that is not a byte");
      } else {
        out[n++] = (byte) c;
      }
    }
    byte[] exact = new byte[n];
    System.arraycopy(out, 0, exact, 0, n);
    return exact;
  }
}
