package io.kshaka.storage;

import static io.kshaka.storage.AcceptorStore.KEY_ORDER;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Iterator;
import java.util.NoSuchElementException;
import java.util.concurrent.ConcurrentSkipListSet;

/**
 * The keys of a {@link FileAcceptorStore} in {@link AcceptorStore#KEY_ORDER}: the keys its recovery found, as one
 * sorted array of their UTF-8 bytes (whose unsigned byte order is that order), and a skip list of the keys added
 * since. A million recovered keys cost an array and a million byte arrays rather than a million skip-list nodes and
 * strings, which a restart allocated and its garbage collector copied.
 *
 * <p>A recovered key that is removed stays in the array until the next start; iteration skips it while the store's
 * map lacks it, and finds it there again if it is put back. Keys added after recovery are in the skip list only, so
 * no key is in both. Readers may be on any thread: the array never changes, the skip list and the map are
 * concurrent, and iteration is weakly consistent, like a skip list's. Changes ({@link #added}, {@link #removed})
 * come from the store's context only, after the map changed.
 */
final class KeyIndex {
  private final byte[][] recovered;
  private final KeyMap present;
  private final ConcurrentSkipListSet<String> added = new ConcurrentSkipListSet<>(KEY_ORDER);

  /**
   * @param recovered the UTF-8 bytes of distinct keys in {@link AcceptorStore#KEY_ORDER} (kept, not copied)
   * @param present the store's map: a recovered key is listed while it holds the key
   */
  KeyIndex(byte[][] recovered, KeyMap present) {
    this.recovered = recovered;
    this.present = present;
  }

  /** An empty index over {@code present}. */
  static KeyIndex empty(KeyMap present) {
    return new KeyIndex(new byte[0][], present);
  }

  /** {@code key} (whose UTF-8 bytes are {@code utf8}) came into the map (it was absent). */
  void added(String key, byte[] utf8) {
    if (Arrays.binarySearch(recovered, utf8, Arrays::compareUnsigned) < 0) added.add(key);
  }

  /** {@code key} left the map. */
  void removed(String key) {
    added.remove(key);
  }

  /** The keys from the first, in order. */
  Iterator<String> iterator() {
    return tail(null, true);
  }

  /** The keys from {@code from} (null: from the first), in order; {@code from} itself only if {@code inclusive}. */
  Iterator<String> tail(String from, boolean inclusive) {
    int start = 0;
    if (from != null) {
      int at = Arrays.binarySearch(recovered, from.getBytes(StandardCharsets.UTF_8), Arrays::compareUnsigned);
      start = at < 0 ? -at - 1 : inclusive ? at : at + 1;
    }
    Iterator<String> later = from == null ? added.iterator() : added.tailSet(from, inclusive).iterator();
    return new Merged(start, later);
  }

  /** The recovered keys still present from {@code i} merged with the added ones, in order. */
  private final class Merged implements Iterator<String> {
    private int i;
    private final Iterator<String> later;
    private String nextRecovered;
    private String nextAdded;

    Merged(int start, Iterator<String> later) {
      this.i = start;
      this.later = later;
      advanceRecovered();
      nextAdded = later.hasNext() ? later.next() : null;
    }

    private void advanceRecovered() {
      nextRecovered = null;
      while (i < recovered.length) {
        byte[] k = recovered[i++];
        if (present.containsKey(k)) {
          nextRecovered = new String(k, StandardCharsets.UTF_8);
          return;
        }
      }
    }

    @Override
    public boolean hasNext() {
      return nextRecovered != null || nextAdded != null;
    }

    @Override
    public String next() {
      if (!hasNext()) throw new NoSuchElementException();
      String k;
      if (nextAdded == null || nextRecovered != null && KEY_ORDER.compare(nextRecovered, nextAdded) < 0) {
        k = nextRecovered;
        advanceRecovered();
      } else {
        k = nextAdded;
        nextAdded = later.hasNext() ? later.next() : null;
      }
      return k;
    }
  }
}
