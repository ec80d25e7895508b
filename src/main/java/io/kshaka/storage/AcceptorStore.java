package io.kshaka.storage;

import io.kshaka.core.AcceptorState;
import io.kshaka.core.Ballot;
import io.vertx.core.Future;
import java.util.Comparator;
import java.util.List;

/**
 * Durable per-key acceptor state (promised, accepted, state). The acceptor replies to a prepare or an accept only
 * after the future of the matching {@link #put} has completed: nothing is replied before it is durable.
 *
 * <p>Threading: {@link #get}, {@link #size}, {@link #keys} and {@link #tombstones} may be called from any thread. Implementations may require the other
 * methods to be called on the Vert.x context that called {@link #open} (see {@link FileAcceptorStore}).
 *
 * <p>Failure: once a write or fsync has failed the store is {@linkplain #failed() failed} for good: every pending
 * and later {@link #put} and {@link #barrier} fails with {@link StoreFailedException}. It never retries an fsync; an
 * acceptor whose store failed must stop voting.
 */
public interface AcceptorStore {

  /**
   * The order of {@link #keys}: by Unicode code point, which is the order of the keys' UTF-8 bytes (not
   * {@link String#compareTo}, which orders UTF-16 code units and puts U+E000..U+FFFF after supplementary characters).
   */
  Comparator<String> KEY_ORDER = AcceptorStore::compareKeys;

  /**
   * Rebuilds the in-memory map from the latest snapshot plus the log. A torn or partial last record is cut off.
   * Fails with {@link StoreCorruptedException} (naming file and byte offset) on a corrupt record before the end.
   */
  Future<Void> open();

  /** In-memory read; {@link AcceptorState#INITIAL} for an unknown key. Never blocks. */
  AcceptorState get(String key);

  /**
   * Updates memory immediately and appends a record; the future completes when the record is durable (written
   * and synced to disk), and fails if the store has failed or is closed. A put refused on its own (a record over
   * the size limit, a full batch) fails with {@link StoreRefusedException} and changes nothing: that is the
   * request's error, not the store's.
   */
  Future<Void> put(String key, AcceptorState state);

  /** Completes when everything put so far is durable; no fsync if nothing is pending (read-only paths). */
  Future<Void> barrier();

  /** Number of keys held (tombstones included). */
  int size();

  /**
   * Up to {@code limit} keys held, tombstones included, in {@link #KEY_ORDER}, starting after {@code after}
   * (exclusive; null = from the first key). A page is a consistent snapshot only if nothing changes meanwhile.
   */
  List<String> keys(String after, int limit);

  /**
   * Up to {@code limit} keys held that start with {@code prefix} ("" = all), tombstones included, in
   * {@link #KEY_ORDER}, after {@code after} (exclusive; null = from the first key with the prefix). The keys with a
   * prefix are contiguous in this order. This default pages through {@link #keys(String, int)}; the stores answer
   * from their index directly.
   */
  default List<String> keys(String after, String prefix, int limit) {
    if (prefix == null || prefix.isEmpty()) return keys(after, limit);
    List<String> out = new java.util.ArrayList<>();
    String cursor = after;
    while (out.size() < limit) {
      List<String> page = keys(cursor, 1024);
      for (String k : page) {
        if (k.startsWith(prefix)) {
          out.add(k);
          if (out.size() == limit) return out;
        } else if (compareKeys(k, prefix) > 0) {
          return out;
        }
      }
      if (page.size() < 1024) return out;
      cursor = page.get(page.size() - 1);
    }
    return out;
  }

  /** Number of keys whose accepted state is a tombstone (absent value, version > 0). */
  int tombstones();

  /**
   * Removes {@code key} durably if {@link io.kshaka.core.Acceptor#collectable} holds for its state and {@code bt};
   * memory forgets it at once, the future completes once the removal is durable. Completes with true when removed
   * or already absent (after everything put before is durable), false when the state does not qualify (nothing
   * changes). Fails as {@link #put} does when the store has failed, is closed, or refuses the record.
   */
  Future<Boolean> remove(String key, Ballot bt);

  /** True once a write or sync has failed: the store refuses every further write. */
  boolean failed();

  /** Stops accepting writes, waits for pending ones, closes files. */
  Future<Void> close();

  /** {@link #KEY_ORDER}: compares UTF-16 strings in code point order without decoding them. */
  static int compareKeys(String a, String b) {
    int n = Math.min(a.length(), b.length());
    for (int i = 0; i < n; i++) {
      char x = a.charAt(i);
      char y = b.charAt(i);
      if (x != y) return codePointRank(x) - codePointRank(y);
    }
    return a.length() - b.length();
  }

  /**
   * Moves surrogates (U+D800..U+DFFF, which encode code points above U+FFFF) above U+E000..U+FFFF, keeping the
   * order within each range: at the first differing code unit this gives code point order.
   */
  private static int codePointRank(char c) {
    if (c < 0xD800) return c;
    return c >= 0xE000 ? c - 0x800 : c + 0x2000;
  }
}
