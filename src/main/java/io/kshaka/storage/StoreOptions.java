package io.kshaka.storage;

import java.util.Objects;

/**
 * Configuration of a {@link FileAcceptorStore}.
 *
 * <p>A snapshot is taken when the log written since the last snapshot is at least {@code snapshotMinLogBytes} and
 * either exceeds {@code snapshotMaxLogBytes} or exceeds {@code snapshotLiveRatio} times the encoded size of the
 * live state. The first bound caps recovery time, the second caps disk use for small states.
 *
 * @param dataDir             directory holding the log segments and snapshots (created if missing)
 * @param snapshotMinLogBytes never snapshot a log smaller than this
 * @param snapshotMaxLogBytes always snapshot a log larger than this
 * @param snapshotLiveRatio   snapshot when the log exceeds this multiple of the live state
 * @param maxRecordBytes      largest record (key + value + ballots); larger puts are refused, larger records on
 *                            disk are corrupt
 * @param maxPendingBytes     most bytes of records waiting for the write in flight; a put that would go over it is
 *                            refused as busy ({@link StoreRefusedException.Reason#BUSY}) instead of growing the
 *                            batch towards the 2 GiB a buffer can hold (a put into an empty batch always fits)
 * @param readChunkBytes      read size used by recovery
 * @param snapshotChunkBytes  write size used by snapshots
 * @param preallocateBytes    the active log segment's size grows in steps of this many bytes ahead of the records
 *                            (a sparse extension, made durable before records land in it), so that a batch's O_DSYNC
 *                            write overwrites within the file's size and its sync need not also commit a new size;
 *                            the unused tail is cut at rotation and close, and ignored (zero bytes) by recovery.
 *                            0 turns it off
 * @param metrics             listener for flushes, snapshots, recovery and failure
 */
public record StoreOptions(
    String dataDir,
    long snapshotMinLogBytes,
    long snapshotMaxLogBytes,
    double snapshotLiveRatio,
    int maxRecordBytes,
    int maxPendingBytes,
    int readChunkBytes,
    int snapshotChunkBytes,
    long preallocateBytes,
    StoreMetrics metrics) {

  public static final long DEFAULT_SNAPSHOT_MIN_LOG_BYTES = 1L << 20;
  public static final long DEFAULT_SNAPSHOT_MAX_LOG_BYTES = 64L << 20;
  public static final double DEFAULT_SNAPSHOT_LIVE_RATIO = 4.0;
  public static final int DEFAULT_MAX_RECORD_BYTES = 64 << 20;
  public static final int DEFAULT_MAX_PENDING_BYTES = 256 << 20;
  /** Batch plus one record must stay below what one Java array (and one Vert.x buffer) can hold. */
  static final int MAX_BATCH_BYTES = Integer.MAX_VALUE - 1024;
  public static final int DEFAULT_READ_CHUNK_BYTES = 1 << 20;
  public static final int DEFAULT_SNAPSHOT_CHUNK_BYTES = 1 << 20;
  public static final long DEFAULT_PREALLOCATE_BYTES = 8L << 20;

  public StoreOptions {
    Objects.requireNonNull(dataDir, "dataDir");
    Objects.requireNonNull(metrics, "metrics");
    if (snapshotMinLogBytes < 0) throw new IllegalArgumentException("snapshotMinLogBytes < 0");
    if (snapshotMaxLogBytes < snapshotMinLogBytes) {
      throw new IllegalArgumentException("snapshotMaxLogBytes < snapshotMinLogBytes");
    }
    if (!(snapshotLiveRatio >= 1.0)) throw new IllegalArgumentException("snapshotLiveRatio must be >= 1");
    if (maxRecordBytes < 1024) throw new IllegalArgumentException("maxRecordBytes must be >= 1024");
    if (maxPendingBytes < 1024) throw new IllegalArgumentException("maxPendingBytes must be >= 1024");
    if ((long) maxPendingBytes + maxRecordBytes + RecordCodec.HEADER_BYTES > MAX_BATCH_BYTES) {
      throw new IllegalArgumentException("maxPendingBytes + maxRecordBytes must stay below 2 GiB");
    }
    if (readChunkBytes < 4096) throw new IllegalArgumentException("readChunkBytes must be >= 4096");
    if (snapshotChunkBytes < 4096) throw new IllegalArgumentException("snapshotChunkBytes must be >= 4096");
    if (preallocateBytes < 0) throw new IllegalArgumentException("preallocateBytes must be >= 0");
  }

  /**
   * Defaults: snapshot between 1 MiB and 64 MiB of log, at 4x the live state; 64 MiB records; 256 MiB of records
   * waiting for a write; 1 MiB reads and snapshot writes (one event-loop turn each); the log grows 8 MiB at a time.
   */
  public static StoreOptions defaults(String dataDir) {
    return new StoreOptions(dataDir, DEFAULT_SNAPSHOT_MIN_LOG_BYTES, DEFAULT_SNAPSHOT_MAX_LOG_BYTES,
        DEFAULT_SNAPSHOT_LIVE_RATIO, DEFAULT_MAX_RECORD_BYTES, DEFAULT_MAX_PENDING_BYTES, DEFAULT_READ_CHUNK_BYTES,
        DEFAULT_SNAPSHOT_CHUNK_BYTES, DEFAULT_PREALLOCATE_BYTES, StoreMetrics.NONE);
  }

  public StoreOptions withSnapshotThresholds(long minLogBytes, long maxLogBytes, double liveRatio) {
    return new StoreOptions(dataDir, minLogBytes, maxLogBytes, liveRatio, maxRecordBytes, maxPendingBytes,
        readChunkBytes, snapshotChunkBytes, preallocateBytes, metrics);
  }

  public StoreOptions withMaxRecordBytes(int bytes) {
    return new StoreOptions(dataDir, snapshotMinLogBytes, snapshotMaxLogBytes, snapshotLiveRatio, bytes,
        maxPendingBytes, readChunkBytes, snapshotChunkBytes, preallocateBytes, metrics);
  }

  public StoreOptions withMaxPendingBytes(int bytes) {
    return new StoreOptions(dataDir, snapshotMinLogBytes, snapshotMaxLogBytes, snapshotLiveRatio, maxRecordBytes,
        bytes, readChunkBytes, snapshotChunkBytes, preallocateBytes, metrics);
  }

  public StoreOptions withChunks(int readBytes, int snapshotBytes) {
    return new StoreOptions(dataDir, snapshotMinLogBytes, snapshotMaxLogBytes, snapshotLiveRatio, maxRecordBytes,
        maxPendingBytes, readBytes, snapshotBytes, preallocateBytes, metrics);
  }

  public StoreOptions withMetrics(StoreMetrics listener) {
    return new StoreOptions(dataDir, snapshotMinLogBytes, snapshotMaxLogBytes, snapshotLiveRatio, maxRecordBytes,
        maxPendingBytes, readChunkBytes, snapshotChunkBytes, preallocateBytes, listener);
  }

  public StoreOptions withPreallocateBytes(long bytes) {
    return new StoreOptions(dataDir, snapshotMinLogBytes, snapshotMaxLogBytes, snapshotLiveRatio, maxRecordBytes,
        maxPendingBytes, readChunkBytes, snapshotChunkBytes, bytes, metrics);
  }

  /** True when a log of {@code logBytes} over a live state of {@code liveBytes} should be compacted. */
  boolean snapshotDue(long logBytes, long liveBytes) {
    if (logBytes < snapshotMinLogBytes) return false;
    return logBytes > snapshotMaxLogBytes || logBytes > snapshotLiveRatio * liveBytes;
  }
}
