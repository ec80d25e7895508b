package io.kshaka.cluster;

/**
 * The one rule for a key, on every way in (HTTP path, event bus): 1..{@value #MAX_BYTES} bytes of UTF-8, a
 * well-formed string, and not starting with U+0000 (reserved). A Java string with an unpaired UTF-16 surrogate has no UTF-8 form: {@code getBytes(UTF_8)}
 * turns each into {@code '?'}, so {@code "a\uD800"} and {@code "a?"} would reach the same register through two
 * proposer states. Such a key is refused, never repaired.
 */
public final class Keys {
  /** The largest key, in bytes of UTF-8. */
  public static final int MAX_BYTES = 512;

  private Keys() {}

  /** Keys starting with this character are Kshaka's own (the configuration register): clients cannot name them. */
  public static final char RESERVED = '\u0000';

  /** Null for a valid key, else what is wrong with it (for a 400 reply). */
  public static String problem(String key) {
    if (!key.isEmpty() && key.charAt(0) == RESERVED) {
      return "keys starting with U+0000 are reserved for Kshaka's own registers";
    }
    long bytes = 0;
    for (int i = 0; i < key.length(); i++) {
      char c = key.charAt(i);
      if (Character.isHighSurrogate(c)) {
        if (i + 1 == key.length() || !Character.isLowSurrogate(key.charAt(i + 1))) {
          return "key holds an unpaired UTF-16 surrogate at index " + i + ": it is not valid Unicode";
        }
        bytes += 4;
        i++;
      } else if (Character.isLowSurrogate(c)) {
        return "key holds an unpaired UTF-16 surrogate at index " + i + ": it is not valid Unicode";
      } else {
        bytes += c < 0x80 ? 1 : c < 0x800 ? 2 : 3;
      }
    }
    if (bytes < 1 || bytes > MAX_BYTES) return "key must be 1.." + MAX_BYTES + " bytes of UTF-8, got " + bytes;
    return null;
  }
}
