package io.kshaka.storage;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.file.AsyncFile;
import io.vertx.core.file.OpenOptions;
import java.io.IOException;
import java.util.Arrays;
import java.util.zip.CRC32C;

/**
 * Reads one file of records front to back in chunks (AsyncFile reads; each chunk is parsed in one event-loop turn)
 * and hands each record to a visitor.
 *
 * <p>A record that cannot be read is <em>torn</em> (the file is cut there) when it is the tail a crash during an
 * append can leave: a partial header, a record running past the end of the file, a last record whose header or body
 * checksum fails with nothing but zero bytes after it (the log's preallocated space), or a tail of zero bytes. Anything else
 * (a bad checksum with other data after it, an impossible length, a record that does not decode) is
 * <em>corrupt</em>. When {@code tolerateTornTail} is false, a torn tail is corrupt too.
 */
final class SegmentScanner {

  /**
   * Outcome of a scan: the file size, where the last whole record ends, why the rest was cut (or null), and whether
   * the rest is only zero bytes (preallocated space no record reached, which is not a sign of a crash).
   */
  record Result(long fileSize, long validEnd, long records, String tornReason, boolean zeroTail) {
    boolean torn() {
      return tornReason != null;
    }
  }

  private final Vertx vertx;
  private final String path;
  private final boolean tolerateTornTail;
  private final int chunkBytes;
  private final int maxRecordBytes;
  private final RecordCodec.Visitor visitor;
  private final CRC32C crc = new CRC32C();
  private final Promise<Result> done = Promise.promise();

  private AsyncFile file;
  private long size;
  private byte[] window;
  private int windowLength; // valid bytes in window
  private int p;            // parse position in window
  private long windowStart; // file offset of window[0]
  private long readPos;     // next file offset to read
  private long records;
  // a record that could not be read, which is torn if only zero bytes follow it (checked from p on)
  private long suspectAt = -1;
  private String suspectTornReason;
  private String suspectCorruptReason;
  private boolean suspectIsZeros;

  SegmentScanner(Vertx vertx, String path, boolean tolerateTornTail, int chunkBytes, int maxRecordBytes,
                 RecordCodec.Visitor visitor) {
    this.vertx = vertx;
    this.path = path;
    this.tolerateTornTail = tolerateTornTail;
    this.chunkBytes = chunkBytes;
    this.maxRecordBytes = maxRecordBytes;
    this.visitor = visitor;
  }

  Future<Result> scan() {
    return vertx.fileSystem().props(path).compose(props -> {
      size = props.size();
      if (size == 0) return Future.succeededFuture(new Result(0, 0, 0, null, false));
      window = new byte[(int) Math.min(size, chunkBytes) + RecordCodec.HEADER_BYTES];
      return vertx.fileSystem().open(path, new OpenOptions().setRead(true).setWrite(false).setCreate(false))
          .compose(f -> {
            file = f;
            readMore();
            return done.future().eventually(() -> f.close());
          });
    });
  }

  private void readMore() {
    if (p > 0) { // keep only the unparsed part
      System.arraycopy(window, p, window, 0, windowLength - p);
      windowLength -= p;
      windowStart += p;
      p = 0;
    }
    int n = (int) Math.min(chunkBytes, size - readPos);
    if (n <= 0) {
      done.tryFail(new IOException(path + ": file shrank to " + readPos + " bytes while being read"));
      return;
    }
    if (windowLength + n > window.length) window = Arrays.copyOf(window, windowLength + n);
    Future<Buffer> read;
    try {
      read = file.read(Buffer.buffer(n), 0, readPos, n);
    } catch (RuntimeException e) {
      read = Future.failedFuture(e);
    }
    read.onComplete(ar -> {
      if (ar.failed()) {
        done.tryFail(new IOException(path + ": read at offset " + readPos + " failed", ar.cause()));
        return;
      }
      Buffer chunk = ar.result();
      int got = chunk.length();
      if (got == 0) {
        done.tryFail(new IOException(path + ": unexpected end of file at offset " + readPos));
        return;
      }
      chunk.getBytes(0, got, window, windowLength);
      windowLength += got;
      readPos += got;
      try {
        parse();
      } catch (StoreCorruptedException e) {
        done.tryFail(e);
      } catch (RuntimeException e) {
        done.tryFail(new IOException(path + ": recovery failed near offset " + (windowStart + p), e));
      }
    });
  }

  private void parse() throws StoreCorruptedException {
    if (suspectAt >= 0) {
      checkZeros();
      return;
    }
    while (true) {
      long at = windowStart + p;
      if (at == size) {
        done.tryComplete(new Result(size, at, records, null, false));
        return;
      }
      int available = windowLength - p;
      long remaining = size - at;
      if (remaining < RecordCodec.HEADER_BYTES) {
        if (available < remaining) {
          readMore();
          return;
        }
        if (tolerateTornTail && allZero(p, (int) remaining)) {
          suspect(at, "zero-filled tail of " + remaining + " bytes", true, "partial record header");
          return;
        }
        torn(at, "partial record header (" + remaining + " bytes)");
        return;
      }
      if (available < RecordCodec.HEADER_BYTES) {
        readMore();
        return;
      }
      int length = ByteSink.getInt(window, p);
      int headerCrc = ByteSink.getInt(window, p + 4);
      if (RecordCodec.crc(crc, window, p, 4) != headerCrc) {
        if (!tolerateTornTail) throw corrupt(at, "record header checksum mismatch");
        if (allZero(p, RecordCodec.HEADER_BYTES)) {
          suspect(at, "zero-filled tail of " + (size - at) + " bytes", true, "record header checksum mismatch");
        } else { // a header torn inside preallocated space: only zero bytes may follow it
          p += RecordCodec.HEADER_BYTES;
          suspect(at, "torn record header (" + (size - at - RecordCodec.HEADER_BYTES) + " zero bytes follow it)", false,
              "record header checksum mismatch");
        }
        return;
      }
      if (length <= 0 || length > maxRecordBytes) throw corrupt(at, "impossible record length " + length);
      long end = at + RecordCodec.HEADER_BYTES + length;
      if (end > size) {
        torn(at, "record of " + length + " bytes runs past the end of the file (" + size + " bytes)");
        return;
      }
      if (available < RecordCodec.HEADER_BYTES + length) {
        readMore();
        return;
      }
      int bodyCrc = ByteSink.getInt(window, p + 8);
      int bodyStart = p + RecordCodec.HEADER_BYTES;
      if (RecordCodec.crc(crc, window, bodyStart, length) != bodyCrc) {
        if (end == size) {
          torn(at, "checksum mismatch in the last record");
          return;
        }
        if (!tolerateTornTail) throw corrupt(at, "record checksum mismatch (" + (size - end) + " bytes follow it)");
        p = bodyStart + length;
        suspect(at, "checksum mismatch in the last record (" + (size - end) + " zero bytes follow it)", false,
            "record checksum mismatch");
        return;
      }
      try {
        RecordCodec.decode(window, bodyStart, length, visitor);
      } catch (RecordCodec.MalformedRecordException e) {
        throw corrupt(at, e.getMessage());
      }
      records++;
      p += RecordCodec.HEADER_BYTES + length;
    }
  }

  /**
   * The record at {@code at} cannot be read: it is torn (cut, for {@code tornReason}) if every byte from the parse
   * position to the end of the file is zero, else corrupt (for {@code corruptReason}).
   */
  private void suspect(long at, String tornReason, boolean zeros, String corruptReason) throws StoreCorruptedException {
    suspectAt = at;
    suspectTornReason = tornReason;
    suspectCorruptReason = corruptReason;
    suspectIsZeros = zeros;
    checkZeros();
  }

  private void checkZeros() throws StoreCorruptedException {
    for (int i = p; i < windowLength; i++) {
      if (window[i] != 0) {
        throw corrupt(suspectAt, suspectCorruptReason + " (" + (size - suspectAt) + " bytes follow)");
      }
    }
    p = windowLength;
    if (readPos < size) {
      readMore();
    } else {
      done.tryComplete(new Result(size, suspectAt, records, suspectTornReason, suspectIsZeros));
    }
  }

  private boolean allZero(int from, int count) {
    for (int i = from; i < from + count; i++) {
      if (window[i] != 0) return false;
    }
    return true;
  }

  private void torn(long at, String reason) throws StoreCorruptedException {
    if (!tolerateTornTail) throw corrupt(at, "truncated: " + reason);
    done.tryComplete(new Result(size, at, records, reason, false));
  }

  private StoreCorruptedException corrupt(long at, String detail) {
    return new StoreCorruptedException(path, at, detail);
  }
}
