package io.kshaka.client;

import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * One page of {@link KshakaClient#list}: the keys with a value, in code point order, each as a linearizable read
 * answered it during the call (the page as a whole is not a snapshot), and {@code next}, the cursor to pass as
 * {@code after} for the next page (null when no more keys may follow).
 */
public record KeyPage(List<Entry> entries, String next) {
  public KeyPage {
    entries = List.copyOf(entries);
  }

  /**
   * One key: its version, its value (null unless asked for with {@code values}), and its expiry (epoch ms, 0 when
   * it has no TTL).
   */
  public record Entry(String key, long version, byte[] value, long expiresAt) {
    /** The value as UTF-8 text, or null when not asked for. */
    public String asString() {
      return value == null ? null : new String(value, StandardCharsets.UTF_8);
    }
  }

  /** The keys of the page, in order. */
  public List<String> keys() {
    return entries.stream().map(Entry::key).toList();
  }
}
