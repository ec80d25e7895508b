package io.kshaka.http;

/**
 * The conditional headers of a write: {@code If-Match: "<version>"} (a compare-and-set on the version) and
 * {@code If-None-Match: *} (create only). Anything else in them is a client error, never silently ignored.
 */
final class Conditions {
  private Conditions() {}

  /** Thrown for a malformed header; the message names it, for the 400 reply. */
  static final class BadHeader extends Exception {
    BadHeader(String message) {
      super(message, null, false, false);
    }
  }

  /** The expected version of {@code If-Match}, or null when the header is absent. Quoted or bare digits. */
  static Long ifMatch(String header) throws BadHeader {
    if (header == null) return null;
    String v = header.trim();
    if (v.length() >= 2 && v.startsWith("\"") && v.endsWith("\"")) v = v.substring(1, v.length() - 1);
    if (v.isEmpty() || v.length() > 19 || !v.chars().allMatch(c -> c >= '0' && c <= '9')) {
      throw new BadHeader("If-Match must be one version as returned in ETag, e.g. If-Match: \"3\"");
    }
    try {
      return Long.parseLong(v);
    } catch (NumberFormatException e) {
      throw new BadHeader("If-Match version is out of range");
    }
  }

  /** True when {@code If-None-Match: *} asks for create-only; false when absent. */
  static boolean ifNoneMatchAny(String header) throws BadHeader {
    if (header == null) return false;
    if (header.trim().equals("*")) return true;
    throw new BadHeader("If-None-Match supports only * (create only)");
  }
}
