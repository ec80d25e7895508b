package io.kshaka.http;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.LongSupplier;

/**
 * The HTTP {@code Idempotency-Key} header: its syntax, and when this node first saw each (key, Idempotency-Key)
 * pair. A change carries the pair's first-seen time as its {@code requestStamp}, identical on every repeat that
 * reaches this node. Bounded: the least recently used of {@link #DEFAULT_CAPACITY} pairs are forgotten first (a
 * repeat of a forgotten pair is stamped anew, as a node that never saw it would). Thread-safe.
 */
public final class IdempotencyKeys {
  public static final String HEADER = "Idempotency-Key";
  public static final int MAX_LENGTH = 128;
  public static final int DEFAULT_CAPACITY = 65_536;

  private record Pair(String key, String idempotencyKey) {}

  private final LongSupplier clock;
  private final Map<Pair, Long> firstSeen;

  /** @param clock wall-clock milliseconds ({@code System::currentTimeMillis}) */
  public IdempotencyKeys(int capacity, LongSupplier clock) {
    this.clock = clock;
    this.firstSeen = new LinkedHashMap<>(1024, 0.75f, true) {
      @Override
      protected boolean removeEldestEntry(Map.Entry<Pair, Long> eldest) {
        return size() > capacity;
      }
    };
  }

  /** Why the header value is not a valid Idempotency-Key, or null when it is (1..128 printable ASCII). */
  public static String problem(String value) {
    if (value.isEmpty() || value.length() > MAX_LENGTH) {
      return HEADER + " must be 1.." + MAX_LENGTH + " printable ASCII characters, got " + value.length();
    }
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      if (c < 0x20 || c > 0x7e) {
        return HEADER + " must be printable ASCII (0x20..0x7E); character " + i + " is 0x" + Integer.toHexString(c);
      }
    }
    return null;
  }

  /** When this node first saw the pair: now if never (or forgotten), remembered from then on. */
  public synchronized long stamp(String key, String idempotencyKey) {
    return firstSeen.computeIfAbsent(new Pair(key, idempotencyKey), p -> clock.getAsLong());
  }

  public synchronized int size() {
    return firstSeen.size();
  }
}
