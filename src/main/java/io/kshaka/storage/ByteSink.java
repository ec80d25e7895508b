package io.kshaka.storage;

import io.vertx.core.buffer.Buffer;
import java.util.Arrays;

/** A growable byte array for encoding records (big-endian fixed ints, unsigned LEB128 varints). Not thread-safe. */
final class ByteSink {
  private static final int KEEP_CAPACITY = 1 << 20;

  private byte[] bytes;
  private int size;
  /** The most bytes it may hold; a write beyond throws {@link IllegalStateException} and changes nothing. */
  private int limit = StoreOptions.MAX_BATCH_BYTES;

  ByteSink(int initialCapacity) {
    bytes = new byte[Math.max(16, initialCapacity)];
  }

  /** Lowers the most bytes it may hold (tests: to reach the overflow without gigabytes). */
  void limit(int maxBytes) {
    this.limit = maxBytes;
  }

  int size() {
    return size;
  }

  byte[] array() {
    return bytes;
  }

  /** Forgets the content; drops a large array so that one big batch does not pin memory for good. */
  void reset() {
    size = 0;
    if (bytes.length > KEEP_CAPACITY) bytes = new byte[KEEP_CAPACITY];
  }

  /** Drops everything after {@code newSize}. */
  void truncate(int newSize) {
    if (newSize < 0 || newSize > size) throw new IllegalArgumentException("bad size " + newSize);
    size = newSize;
  }

  private void ensure(int extra) {
    long needed = (long) size + extra;
    if (needed > limit) throw new IllegalStateException("record batch over " + limit + " bytes");
    if (needed > bytes.length) {
      bytes = Arrays.copyOf(bytes, (int) Math.min(limit, Math.max(needed, bytes.length + (long) (bytes.length >> 1))));
    }
  }

  void writeByte(int b) {
    ensure(1);
    bytes[size++] = (byte) b;
  }

  void writeInt(int v) {
    ensure(4);
    setInt(size, v);
    size += 4;
  }

  void setInt(int at, int v) {
    bytes[at] = (byte) (v >>> 24);
    bytes[at + 1] = (byte) (v >>> 16);
    bytes[at + 2] = (byte) (v >>> 8);
    bytes[at + 3] = (byte) v;
  }

  /** Unsigned LEB128: 7 bits a byte, low bits first; at most 10 bytes. */
  void writeVarLong(long v) {
    ensure(10);
    while ((v & ~0x7FL) != 0) {
      bytes[size++] = (byte) ((v & 0x7F) | 0x80);
      v >>>= 7;
    }
    bytes[size++] = (byte) v;
  }

  void writeBytes(byte[] src, int off, int len) {
    ensure(len);
    System.arraycopy(src, off, bytes, size, len);
    size += len;
  }

  /** A copy of the content as a Vert.x buffer. */
  Buffer toBuffer() {
    return Buffer.buffer(size).appendBytes(bytes, 0, size);
  }

  static int varLongSize(long v) {
    int n = 1;
    while ((v & ~0x7FL) != 0) {
      n++;
      v >>>= 7;
    }
    return n;
  }

  static int getInt(byte[] a, int at) {
    return ((a[at] & 0xFF) << 24) | ((a[at + 1] & 0xFF) << 16) | ((a[at + 2] & 0xFF) << 8) | (a[at + 3] & 0xFF);
  }
}
