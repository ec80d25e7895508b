package io.kshaka.storage;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.file.CopyOptions;
import io.vertx.core.file.OpenOptions;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Objects;
import java.util.zip.CRC32C;

/**
 * One long in a crash-safe file: the proposer's ballot counter floor. {@link #open} reads it (0 if the file does
 * not exist); {@link #store} replaces it by writing {@code <file>.tmp}, syncing it, renaming it over the file and
 * syncing the directory, so that after a crash the file holds either the old or the new value, never a mix.
 *
 * <p>File format (16 bytes): magic {@code "KSDL"}, the value (big-endian), CRC32C of the first 12 bytes.
 * A damaged file makes {@link #open} fail: the floor must never silently go back to 0.
 *
 * <p>Stores are applied one at a time in call order; {@link #get()} is the last value whose store completed.
 * A failed store leaves {@link #get()} unchanged; the caller must not rely on the value it tried to store.
 * Thread-safe.
 */
public final class DurableLong {
  private static final int MAGIC = 0x4B53444C; // "KSDL"
  private static final int FILE_BYTES = 16;

  private final Vertx vertx;
  private final Path path;
  private final Path tmp;
  private volatile long value;
  private Future<Void> tail = Future.succeededFuture();

  private DurableLong(Vertx vertx, Path path, long value) {
    this.vertx = vertx;
    this.path = path;
    this.tmp = path.resolveSibling(path.getFileName() + ".tmp");
    this.value = value;
  }

  /** Reads the value at {@code file} (creating its directory if needed); 0 if the file does not exist. */
  public static Future<DurableLong> open(Vertx vertx, String file) {
    Objects.requireNonNull(vertx, "vertx");
    Path path = Path.of(file).toAbsolutePath();
    String tmp = path + ".tmp";
    Path parent = path.getParent();
    return vertx.fileSystem().mkdirs(parent.toString())
        .compose(v -> vertx.fileSystem().exists(tmp))
        .compose(leftover -> leftover ? vertx.fileSystem().delete(tmp) : Future.<Void>succeededFuture())
        .compose(v -> vertx.fileSystem().exists(path.toString()))
        .compose(exists -> exists ? vertx.fileSystem().readFile(path.toString()).compose(b -> decode(path, b))
            : Future.succeededFuture(0L))
        .map(v -> new DurableLong(vertx, path, v));
  }

  /** The last value stored durably (or read at open). */
  public long get() {
    return value;
  }

  public Path path() {
    return path;
  }

  /** Durably replaces the value; completes once a crash can no longer bring back an older one. */
  public synchronized Future<Void> store(long newValue) {
    Future<Void> next = tail.transform(ignored -> write(newValue));
    tail = next;
    return next;
  }

  private Future<Void> write(long newValue) {
    Buffer content = encode(newValue);
    OpenOptions opts = new OpenOptions().setWrite(true).setCreate(true).setTruncateExisting(true);
    return vertx.fileSystem().open(tmp.toString(), opts)
        .compose(f -> f.write(content, 0).compose(v -> f.flush())
            .transform(ar -> f.close().transform(c -> ar.failed() ? Future.<Void>failedFuture(ar.cause())
                : c.failed() ? Future.<Void>failedFuture(c.cause()) : Future.<Void>succeededFuture())))
        .compose(v -> vertx.fileSystem().move(tmp.toString(), path.toString(),
            new CopyOptions().setAtomicMove(true).setReplaceExisting(true)))
        .compose(v -> Fsync.directory(vertx, path.getParent()))
        .onSuccess(v -> value = newValue)
        .recover(t -> Future.failedFuture(new IOException("storing " + newValue + " in " + path + " failed", t)));
  }

  private static Buffer encode(long v) {
    ByteSink sink = new ByteSink(FILE_BYTES);
    sink.writeInt(MAGIC);
    sink.writeInt((int) (v >>> 32));
    sink.writeInt((int) v);
    sink.writeInt(RecordCodec.crc(new CRC32C(), sink.array(), 0, 12));
    return sink.toBuffer();
  }

  private static Future<Long> decode(Path path, Buffer b) {
    if (b.length() != FILE_BYTES) {
      return Future.failedFuture(new StoreCorruptedException(path.toString(), 0,
          "expected " + FILE_BYTES + " bytes, found " + b.length()));
    }
    byte[] a = b.getBytes();
    if (ByteSink.getInt(a, 0) != MAGIC) {
      return Future.failedFuture(new StoreCorruptedException(path.toString(), 0, "bad magic"));
    }
    if (ByteSink.getInt(a, 12) != RecordCodec.crc(new CRC32C(), a, 0, 12)) {
      return Future.failedFuture(new StoreCorruptedException(path.toString(), 0, "checksum mismatch"));
    }
    return Future.succeededFuture(((long) ByteSink.getInt(a, 4) << 32) | (ByteSink.getInt(a, 8) & 0xFFFFFFFFL));
  }
}
