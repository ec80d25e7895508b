package io.kshaka.storage;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.Arrays;

/**
 * The key map of a {@link FileAcceptorStore}: each key's latest PUT body, found by the key's UTF-8 bytes. A PUT body
 * begins with its key ({@link RecordCodec}: type, key length, key), so the table holds the bodies alone: open
 * addressing with linear probing over one array, with no entry and no key object per key. A million keys are a
 * million arrays here, where a {@code ConcurrentHashMap<String, byte[]>} held four million objects (a string, its
 * bytes, an entry and the body) for a restart to allocate and its garbage collector to copy.
 *
 * <p>One writer, any number of readers: {@link #put} and {@link #remove} come from the store's context only; {@link
 * #get}, {@link #containsKey} and {@link #size} from any thread. A body is published with a release write after it
 * is complete and read with an acquire read. A reader sees each key either before or after a change of it; a key
 * removed and put back while a reader probes may be missed by that reader, as if the reader ran while it was absent.
 * A growing table is filled before it replaces the old one, which no one writes afterwards.
 */
final class KeyMap {
  private static final VarHandle SLOT = MethodHandles.arrayElementVarHandle(byte[][].class);
  /** A slot whose key was removed: probes go on past it, a put may reuse it. */
  private static final byte[] REMOVED = new byte[0];

  private volatile byte[][] table;
  private volatile int size;
  /** Slots not null: live bodies and {@link #REMOVED} markers. Writer only. */
  private int used;

  /** A map with room for {@code expected} keys before it grows. */
  KeyMap(int expected) {
    table = new byte[capacityFor(expected)][];
  }

  /** The smallest power of two, at least 16, for which {@code keys} fill at most half the table. */
  private static int capacityFor(int keys) {
    int c = 16;
    while (c < (1 << 30) && c / 2 < keys) c <<= 1;
    return c;
  }

  int size() {
    return size;
  }

  /** The body of the key with these UTF-8 bytes, or null. */
  byte[] get(byte[] key) {
    byte[][] t = table;
    int mask = t.length - 1;
    for (int i = hash(key, 0, key.length) & mask; ; i = (i + 1) & mask) {
      byte[] e = (byte[]) SLOT.getAcquire(t, i);
      if (e == null) return null;
      if (e != REMOVED && sameKey(e, key, 0, key.length)) return e;
    }
  }

  boolean containsKey(byte[] key) {
    return get(key) != null;
  }

  /** Maps the key {@code body} begins with to {@code body}; returns the body it replaces, or null. Writer only. */
  byte[] put(byte[] body) {
    int from = keyStart(body);
    int to = from + keyLength(body);
    byte[][] t = table;
    int mask = t.length - 1;
    int free = -1;
    int i = hash(body, from, to) & mask;
    for (; ; i = (i + 1) & mask) {
      byte[] e = t[i];
      if (e == null) break;
      if (e == REMOVED) {
        if (free < 0) free = i;
      } else if (sameKey(e, body, from, to)) {
        SLOT.setRelease(t, i, body);
        return e;
      }
    }
    if (free < 0) {
      free = i;
      used++;
    }
    SLOT.setRelease(t, free, body);
    size = size + 1;
    if (used > t.length / 4 * 3) rehash();
    return null;
  }

  /** Removes the key with these UTF-8 bytes; returns its body, or null if absent. Writer only. */
  byte[] remove(byte[] key) {
    byte[][] t = table;
    int mask = t.length - 1;
    for (int i = hash(key, 0, key.length) & mask; ; i = (i + 1) & mask) {
      byte[] e = t[i];
      if (e == null) return null;
      if (e != REMOVED && sameKey(e, key, 0, key.length)) {
        SLOT.setRelease(t, i, REMOVED);
        size = size - 1;
        return e;
      }
    }
  }

  /** A new table holding the live bodies only, at most half full, published once filled. */
  private void rehash() {
    byte[][] old = table;
    byte[][] t = new byte[capacityFor(size)][];
    int mask = t.length - 1;
    for (byte[] e : old) {
      if (e == null || e == REMOVED) continue;
      int from = keyStart(e);
      int i = hash(e, from, from + keyLength(e)) & mask;
      while (t[i] != null) i = (i + 1) & mask;
      t[i] = e;
    }
    used = size;
    table = t;
  }

  /** Where the key starts in a PUT body: after the type byte and the key length (a varint). */
  static int keyStart(byte[] body) {
    int i = 1;
    while (body[i] < 0) i++;
    return i + 1;
  }

  /** The key length of a PUT body. */
  static int keyLength(byte[] body) {
    int length = 0;
    for (int i = 1, shift = 0; ; i++, shift += 7) {
      length |= (body[i] & 0x7F) << shift;
      if (body[i] >= 0) return length;
    }
  }

  /** The key bytes of a PUT body, as a new array. */
  static byte[] key(byte[] body) {
    int from = keyStart(body);
    return Arrays.copyOfRange(body, from, from + keyLength(body));
  }

  private static boolean sameKey(byte[] body, byte[] key, int from, int to) {
    int start = keyStart(body);
    return Arrays.equals(body, start, start + keyLength(body), key, from, to);
  }

  /** A hash of {@code a[from, to)}, its bits mixed so that linear probing spreads similar keys. */
  private static int hash(byte[] a, int from, int to) {
    int h = 1;
    for (int i = from; i < to; i++) h = 31 * h + a[i];
    h ^= h >>> 16;
    h *= 0x85EBCA6B;
    h ^= h >>> 13;
    h *= 0xC2B2AE35;
    return h ^ (h >>> 16);
  }
}
