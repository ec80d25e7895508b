package io.kshaka.storage;

import io.kshaka.core.AcceptorState;
import io.kshaka.core.Ballot;
import io.kshaka.core.RegisterState;
import io.kshaka.core.RequestLog;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.zip.CRC32C;

/**
 * The on-disk record format, shared by log segments and snapshots.
 *
 * <pre>
 * record  = length:u32  headerCrc:u32  bodyCrc:u32  body[length]      (big-endian)
 *           headerCrc = CRC32C of the 4 length bytes; bodyCrc = CRC32C of the body
 * body    = type:u8 ...
 * PUT (1)             keyLength:varint key:utf8[keyLength]
 *                     promised.counter:varint promised.nodeId:zigzag-varint
 *                     accepted.counter:varint accepted.nodeId:zigzag-varint
 *                     version:varint  valueLength+1:varint (0 = absent)  value[valueLength]
 * PUT_LOGGED (4)      as PUT, then the register's request log:
 *                     forgottenStamp+1:varint (0 = none)  count:varint
 *                     count x (hash:u64 stamp:varint version:varint sum:zigzag-varint)
 *                     (PUT is written when the log is empty, so stores from before request ids read as they were)
 * SNAPSHOT_HEADER (2) magic:u32 formatVersion:varint firstLogSegment:varint
 * SNAPSHOT_END (3)    keyCount:varint
 * PUT_EXPIRING (6)    as PUT_LOGGED (the log possibly empty), then expiresAt:varint (epoch ms, > 0): the value's
 *                     TTL expiry (written only for a present value with a TTL; records without it have none)
 * REMOVE (5)          keyLength:varint key:utf8[keyLength]  bt.counter:varint bt.nodeId:zigzag-varint
 *                     (log segments only: the key was garbage-collected, it holds the tombstone accepted at bt;
 *                     replay forgets the key; logs without it read as before)
 * </pre>
 *
 * The length has its own checksum so that a damaged length is never mistaken for a record cut off by a crash.
 * Varints are unsigned LEB128; node ids are zigzag-encoded.
 */
final class RecordCodec {
  static final int HEADER_BYTES = 12;
  static final byte PUT = 1;
  static final byte SNAPSHOT_HEADER = 2;
  static final byte SNAPSHOT_END = 3;
  static final byte PUT_LOGGED = 4;
  static final byte REMOVE = 5;
  static final byte PUT_EXPIRING = 6;
  static final int SNAPSHOT_MAGIC = 0x4B534E50; // "KSNP"
  static final int FORMAT_VERSION = 1;

  private RecordCodec() {}

  /** Receives decoded records. May throw {@link MalformedRecordException} to reject a record in its place. */
  interface Visitor {
    void put(String key, int keyBytes, AcceptorState state);

    /**
     * A PUT record, with its body {@code a[off, off+len)} for a visitor that keeps the encoding. {@code key} and
     * {@code state} are null when {@link #keepsEncoding}: the body (which begins with the key) was checked as
     * strictly as a decode does, but nothing was built.
     */
    default void put(String key, int keyBytes, AcceptorState state, byte[] a, int off, int len) {
      put(key, keyBytes, state);
    }

    /**
     * True for a visitor that keeps only PUT bodies (a store's recovery): their states are then checked without
     * being built, which spares a million-key recovery most of its allocation.
     */
    default boolean keepsEncoding() {
      return false;
    }

    default void remove(String key, int keyBytes, Ballot bt) {
      throw new MalformedRecordException("remove record outside a log segment");
    }

    default void snapshotHeader(long firstLogSegment) {
      throw new MalformedRecordException("snapshot header record outside a snapshot");
    }

    default void snapshotEnd(long keyCount) {
      throw new MalformedRecordException("snapshot end record outside a snapshot");
    }
  }

  /** A record whose checksums are right but whose content is not a valid record. */
  static final class MalformedRecordException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    MalformedRecordException(String message) {
      super(message, null, false, false);
    }
  }

  // ---------------------------------------------------------------- encoding

  /** Appends a PUT record; returns its size in bytes, header included. */
  static int appendPut(ByteSink sink, byte[] keyUtf8, AcceptorState s, CRC32C crc) {
    int start = beginRecord(sink);
    RequestLog log = s.state().requests();
    boolean expiring = expiring(s);
    boolean logged = expiring || (log != RequestLog.EMPTY && (log.size() > 0 || log.forgottenStamp() != RequestLog.NONE));
    sink.writeByte(expiring ? PUT_EXPIRING : logged ? PUT_LOGGED : PUT);
    sink.writeVarLong(keyUtf8.length);
    sink.writeBytes(keyUtf8, 0, keyUtf8.length);
    writeBallot(sink, s.promised());
    writeBallot(sink, s.accepted());
    RegisterState state = s.state();
    sink.writeVarLong(state.version());
    byte[] value = state.value();
    if (value == null) {
      sink.writeVarLong(0);
    } else {
      sink.writeVarLong(value.length + 1L);
      sink.writeBytes(value, 0, value.length);
    }
    if (logged) {
      sink.writeVarLong(log.forgottenStamp() + 1);
      sink.writeVarLong(log.size());
      for (int i = 0; i < log.size(); i++) {
        RequestLog.Entry e = log.entry(i);
        sink.writeInt((int) (e.hash() >>> 32));
        sink.writeInt((int) e.hash());
        sink.writeVarLong(e.stamp());
        sink.writeVarLong(e.version());
        sink.writeVarLong(zigzag(e.sum()));
      }
    }
    if (expiring) sink.writeVarLong(state.expiresAt());
    return endRecord(sink, start, crc);
  }

  private static boolean expiring(AcceptorState s) {
    return s.state().present() && s.state().expiring();
  }

  /** Appends a REMOVE record; returns its size in bytes, header included. */
  static int appendRemove(ByteSink sink, byte[] keyUtf8, Ballot bt, CRC32C crc) {
    int start = beginRecord(sink);
    sink.writeByte(REMOVE);
    sink.writeVarLong(keyUtf8.length);
    sink.writeBytes(keyUtf8, 0, keyUtf8.length);
    writeBallot(sink, bt);
    return endRecord(sink, start, crc);
  }

  /** Appends a record with the given body (one {@link #appendPut} wrote before); returns its size, header included. */
  static int appendBody(ByteSink sink, byte[] body, CRC32C crc) {
    int start = beginRecord(sink);
    sink.writeBytes(body, 0, body.length);
    return endRecord(sink, start, crc);
  }

  /** Exact size of the REMOVE record {@link #appendRemove} writes, header included. */
  static int removeSize(int keyBytes, Ballot bt) {
    return HEADER_BYTES + 1 + ByteSink.varLongSize(keyBytes) + keyBytes + ballotSize(bt);
  }

  static int appendSnapshotHeader(ByteSink sink, long firstLogSegment, CRC32C crc) {
    int start = beginRecord(sink);
    sink.writeByte(SNAPSHOT_HEADER);
    sink.writeInt(SNAPSHOT_MAGIC);
    sink.writeVarLong(FORMAT_VERSION);
    sink.writeVarLong(firstLogSegment);
    return endRecord(sink, start, crc);
  }

  static int appendSnapshotEnd(ByteSink sink, long keyCount, CRC32C crc) {
    int start = beginRecord(sink);
    sink.writeByte(SNAPSHOT_END);
    sink.writeVarLong(keyCount);
    return endRecord(sink, start, crc);
  }

  /** Exact size of the PUT record {@link #appendPut} writes, header included. */
  static int putSize(int keyBytes, AcceptorState s) {
    return Math.toIntExact(putSizeLong(keyBytes, s));
  }

  /** {@link #putSize} without overflow, for records that may be too large to write. */
  static long putSizeLong(int keyBytes, AcceptorState s) {
    byte[] value = s.state().value();
    return HEADER_BYTES + 1L + ByteSink.varLongSize(keyBytes) + keyBytes
        + ballotSize(s.promised()) + ballotSize(s.accepted())
        + ByteSink.varLongSize(s.state().version())
        + (value == null ? 1 : ByteSink.varLongSize(value.length + 1L) + (long) value.length)
        + (expiring(s) ? logSizeAlways(s.state().requests()) + ByteSink.varLongSize(s.state().expiresAt())
            : logSize(s.state().requests()));
  }

  private static int logSize(RequestLog log) {
    if (log.size() == 0 && log.forgottenStamp() == RequestLog.NONE) return 0;
    return logSizeAlways(log);
  }

  private static int logSizeAlways(RequestLog log) {
    int n = ByteSink.varLongSize(log.forgottenStamp() + 1) + ByteSink.varLongSize(log.size());
    for (int i = 0; i < log.size(); i++) {
      RequestLog.Entry e = log.entry(i);
      n += 8 + ByteSink.varLongSize(e.stamp()) + ByteSink.varLongSize(e.version())
          + ByteSink.varLongSize(zigzag(e.sum()));
    }
    return n;
  }

  private static int beginRecord(ByteSink sink) {
    int start = sink.size();
    sink.writeInt(0);
    sink.writeInt(0);
    sink.writeInt(0);
    return start;
  }

  private static int endRecord(ByteSink sink, int start, CRC32C crc) {
    byte[] a = sink.array();
    int bodyLength = sink.size() - start - HEADER_BYTES;
    sink.setInt(start, bodyLength);
    sink.setInt(start + 4, crc(crc, a, start, 4));
    sink.setInt(start + 8, crc(crc, a, start + HEADER_BYTES, bodyLength));
    return sink.size() - start;
  }

  private static void writeBallot(ByteSink sink, Ballot b) {
    sink.writeVarLong(b.counter());
    sink.writeVarLong(zigzag(b.nodeId()) & 0xFFFFFFFFL);
  }

  private static int ballotSize(Ballot b) {
    return ByteSink.varLongSize(b.counter()) + ByteSink.varLongSize(zigzag(b.nodeId()) & 0xFFFFFFFFL);
  }

  private static int zigzag(int v) {
    return (v << 1) ^ (v >> 31);
  }

  private static long zigzag(long v) {
    return (v << 1) ^ (v >> 63);
  }

  static int crc(CRC32C crc, byte[] a, int off, int len) {
    crc.reset();
    crc.update(a, off, len);
    return (int) crc.getValue();
  }

  // ---------------------------------------------------------------- decoding

  /** Decodes the body {@code a[off, off+len)} (checksums already verified) and hands it to {@code visitor}. */
  static void decode(byte[] a, int off, int len, Visitor visitor) {
    Cursor c = new Cursor(a, off, off + len);
    int type = c.readByte();
    switch (type) {
      case PUT:
      case PUT_LOGGED:
      case PUT_EXPIRING: {
        int keyBytes = c.readLength("key length");
        int keyAt = c.take(keyBytes);
        boolean build = !visitor.keepsEncoding();
        String key = build ? new String(a, keyAt, keyBytes, StandardCharsets.UTF_8) : null;
        visitor.put(key, keyBytes, readState(c, type, keyAt, keyBytes, build), a, off, len);
        return;
      }
      case REMOVE: {
        int keyBytes = c.readLength("key length");
        String key = new String(a, c.take(keyBytes), keyBytes, StandardCharsets.UTF_8);
        Ballot bt = c.readBallot();
        c.expectEnd();
        visitor.remove(key, keyBytes, bt);
        return;
      }
      case SNAPSHOT_HEADER: {
        int magic = c.readInt();
        if (magic != SNAPSHOT_MAGIC) throw new MalformedRecordException("bad snapshot magic " + Integer.toHexString(magic));
        long format = c.readVarLong("format version");
        if (format != FORMAT_VERSION) throw new MalformedRecordException("unknown snapshot format " + format);
        long first = c.readVarLong("first log segment");
        c.expectEnd();
        visitor.snapshotHeader(first);
        return;
      }
      case SNAPSHOT_END: {
        long count = c.readVarLong("key count");
        c.expectEnd();
        visitor.snapshotEnd(count);
        return;
      }
      default:
        throw new MalformedRecordException("unknown record type " + type);
    }
  }

  /** The state of a PUT body that {@link #appendPut} wrote (the record without its header, checksums verified). */
  static AcceptorState decodeState(byte[] body) {
    Cursor c = new Cursor(body, 0, body.length);
    int type = c.readByte();
    if (type != PUT && type != PUT_LOGGED && type != PUT_EXPIRING) {
      throw new MalformedRecordException("not a put record: type " + type);
    }
    c.take(c.readLength("key length"));
    return readState(c, type, -1, 0, true);
  }

  /**
   * Whether the PUT body holds a tombstone (no value, version above 0), as {@link FileAcceptorStore#tombstone}
   * says of its state; reads only the fields up to the value's length.
   */
  static boolean tombstone(byte[] body) {
    Cursor c = new Cursor(body, 0, body.length);
    c.readByte();
    c.take(c.readLength("key length"));
    for (int i = 0; i < 4; i++) c.readVarLong("ballot"); // promised and accepted: counter and node each
    long version = c.readVarLong("version");
    return c.readVarLong("value length") == 0 && version > 0;
  }

  /**
   * The fields of a PUT body after its key, up to its end; with {@code build} false they are only checked (every
   * check a build makes) and null is returned. The key at {@code keyAt} (-1: none) is decoded only to name it in
   * an error.
   */
  private static AcceptorState readState(Cursor c, int type, int keyAt, int keyBytes, boolean build) {
    long promisedCounter = c.readBallotCounter();
    int promisedNode = c.readBallotNode();
    long acceptedCounter = c.readBallotCounter();
    int acceptedNode = c.readBallotNode();
    long version = c.readVarLong("version");
    long valueField = c.readVarLong("value length");
    byte[] value = null;
    boolean present = valueField != 0;
    if (present) {
      if (valueField - 1 > Integer.MAX_VALUE) throw new MalformedRecordException("value length " + valueField);
      int valueLength = (int) (valueField - 1);
      int at = c.take(valueLength);
      if (build) value = Arrays.copyOfRange(c.a, at, at + valueLength);
    }
    RequestLog log = type == PUT ? RequestLog.EMPTY : c.readLog(build);
    long expiresAt = RegisterState.NO_EXPIRY;
    if (type == PUT_EXPIRING) {
      expiresAt = c.readVarLong("expiry");
      if (expiresAt <= 0 || !present) throw new MalformedRecordException("expiry " + expiresAt
          + (present ? "" : " on an absent value"));
    }
    c.expectEnd();
    if (!build) { // what the constructors below check, on the numbers (no ballot is built)
      if (version < 0) throw invalidState(c, keyAt, keyBytes, "version must be >= 0: " + version);
      int order = Long.compare(acceptedCounter, promisedCounter);
      if (order == 0) order = Integer.compare(acceptedNode, promisedNode);
      if (order > 0) {
        throw invalidState(c, keyAt, keyBytes, "accepted " + acceptedCounter + "." + acceptedNode + " above promised "
            + promisedCounter + "." + promisedNode);
      }
      return null;
    }
    Ballot promised = ballot(promisedCounter, promisedNode);
    Ballot accepted = acceptedCounter == promisedCounter && acceptedNode == promisedNode ? promised // one instance
        : ballot(acceptedCounter, acceptedNode);
    try {
      RegisterState rs = value == null && version == 0 && log == RequestLog.EMPTY ? RegisterState.EMPTY
          : new RegisterState(value, version, log, expiresAt);
      return new AcceptorState(promised, accepted, rs);
    } catch (IllegalArgumentException e) {
      throw invalidState(c, keyAt, keyBytes, e.getMessage());
    }
  }

  private static Ballot ballot(long counter, int nodeId) {
    return counter == 0 && nodeId == 0 ? Ballot.ZERO : new Ballot(counter, nodeId);
  }

  /** The key, at {@code c.a[keyAt, keyAt+keyBytes)}, is named (decoded) only here (keyAt -1: not named). */
  private static MalformedRecordException invalidState(Cursor c, int keyAt, int keyBytes, String why) {
    String key = keyAt < 0 ? null : new String(c.a, keyAt, keyBytes, StandardCharsets.UTF_8);
    return new MalformedRecordException("invalid state" + (key == null ? "" : " for key '" + key + "'") + ": " + why);
  }

  /** Bounds-checked reads over one record body. */
  private static final class Cursor {
    private final byte[] a;
    private int pos;
    private final int limit;

    Cursor(byte[] a, int pos, int limit) {
      this.a = a;
      this.pos = pos;
      this.limit = limit;
    }

    int readByte() {
      if (pos >= limit) throw new MalformedRecordException("record body too short");
      return a[pos++] & 0xFF;
    }

    int readInt() {
      int at = take(4);
      return ByteSink.getInt(a, at);
    }

    long readVarLong(String what) {
      long v = 0;
      for (int shift = 0; shift < 64; shift += 7) {
        int b = readByte();
        v |= (long) (b & 0x7F) << shift;
        if ((b & 0x80) == 0) {
          if (shift == 63 && b > 1) break;
          return v;
        }
      }
      throw new MalformedRecordException("malformed varint for " + what);
    }

    int readLength(String what) {
      long v = readVarLong(what);
      if (v > limit - pos) throw new MalformedRecordException(what + " " + v + " beyond the record");
      return (int) v;
    }

    /** Skips {@code n} bytes and returns where they start. */
    int take(int n) {
      if (n < 0 || n > limit - pos) throw new MalformedRecordException("field of " + n + " bytes beyond the record");
      int at = pos;
      pos += n;
      return at;
    }

    Ballot readBallot() {
      long counter = readBallotCounter();
      return ballot(counter, readBallotNode());
    }

    long readBallotCounter() {
      long counter = readVarLong("ballot counter");
      if (counter < 0) throw new MalformedRecordException("negative ballot counter");
      return counter;
    }

    int readBallotNode() {
      long z = readVarLong("ballot node");
      if (z > 0xFFFFFFFFL) throw new MalformedRecordException("ballot node id out of range");
      int zz = (int) z;
      return (zz >>> 1) ^ -(zz & 1);
    }

    /** A request log, or null after the same checks when {@code build} is false. */
    RequestLog readLog(boolean build) {
      long forgotten = readVarLong("forgotten stamp") - 1;
      long count = readVarLong("request log size");
      if (count < 0 || count > 1024) throw new MalformedRecordException("request log of " + count + " entries");
      List<RequestLog.Entry> entries = build ? new ArrayList<>((int) count) : null;
      boolean valid = forgotten >= RequestLog.NONE; // what RequestLog.of checks, when not built
      for (int i = 0; i < count; i++) {
        long hash = ((long) readInt() << 32) | (readInt() & 0xFFFFFFFFL);
        long stamp = readVarLong("request stamp");
        long version = readVarLong("request version");
        long z = readVarLong("request sum");
        if (build) entries.add(new RequestLog.Entry(hash, stamp, version, (z >>> 1) ^ -(z & 1)));
        valid &= stamp >= 0 && version >= 1;
      }
      if (!build) {
        if (!valid) throw new MalformedRecordException("invalid request log: a bad entry or forgotten stamp");
        return null;
      }
      try {
        return RequestLog.of(entries, forgotten);
      } catch (IllegalArgumentException e) {
        throw new MalformedRecordException("invalid request log: " + e.getMessage());
      }
    }

    void expectEnd() {
      if (pos != limit) throw new MalformedRecordException((limit - pos) + " unexpected bytes at the end of the record");
    }
  }
}
