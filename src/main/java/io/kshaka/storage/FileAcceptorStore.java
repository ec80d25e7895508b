package io.kshaka.storage;

import io.kshaka.core.Acceptor;
import io.kshaka.core.AcceptorState;
import io.kshaka.core.Ballot;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.file.AsyncFile;
import io.vertx.core.file.CopyOptions;
import io.vertx.core.file.FileSystem;
import io.vertx.core.file.OpenOptions;
import java.io.IOException;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.NavigableSet;
import java.util.Objects;
import java.util.TreeMap;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.CRC32C;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The durable acceptor store: an in-memory map backed by an append-only log of checksummed records
 * ({@link RecordCodec}) with group commit, compacted by background snapshots.
 *
 * <h2>Files in {@code dataDir}</h2>
 * <ul>
 *   <li>{@code log-NNNNNN.bin}: log segments, replayed in number order. Only the newest is appended to.</li>
 *   <li>{@code snapshot-NNNNNN.bin}: the whole state at the moment segment NNNNNN was started; recovery loads the
 *       newest snapshot and replays the segments numbered NNNNNN and up. Older files are garbage.</li>
 *   <li>{@code *.tmp}: a snapshot being written; ignored and deleted at start.</li>
 *   <li>{@code LOCK}: locked while the store is open, so that two stores never share a directory.</li>
 * </ul>
 *
 * <h2>Group commit</h2>
 * A put updates memory and appends its record to the pending batch. At most one write is in flight: the log is
 * opened with O_DSYNC and each batch is written as one buffer, so the write's completion means the whole batch is
 * durable. Everything put while a write is in flight forms the next batch. A put's future completes after the write
 * that carries its record.
 *
 * <h2>Snapshots</h2>
 * When the log exceeds the thresholds of {@link StoreOptions}, the store starts segment N+1 (new puts go there),
 * writes the map in key order to {@code snapshot-N+1.bin.tmp} while puts continue, syncs it, renames it, syncs the
 * directory and deletes the older segments and snapshots. The keys are read through the index's weakly consistent
 * iterator: an entry may show a state newer than the rotation, which is harmless because segment N+1 holds that
 * state too and replays it (a key removed since the rotation is skipped: segment N+1 holds its REMOVE record).
 * A crash at any step leaves either the old snapshot with every segment it needs or the new one.
 *
 * <h2>Removal (garbage collection)</h2>
 * {@link #remove} appends a REMOVE record and forgets the key in memory; replay forgets it again, so a removed key
 * is absent after a restart. A snapshot holds only the live map: one started after the removal lacks the key, and
 * one written while the removal is in flight may still hold it, but then the newer segment's REMOVE record, which
 * recovery replays on top of that snapshot, forgets it again.
 *
 * <h2>Key index</h2>
 * Beside the hash map (the hot path) a {@link KeyIndex} holds the keys in {@link AcceptorStore#KEY_ORDER} for
 * {@link #keys} and snapshots; it changes only when a key is added or removed, never when a known key is updated.
 * Snapshots are written in key order, so recovery builds the index once, in linear time, from the snapshot's keys
 * merged with the keys the log added: one sorted array, plus a skip list for the keys added after the start.
 *
 * <h2>Recovery</h2>
 * Recovery loads the newest snapshot and replays the log segments after it, checking every record (checksums and
 * content) but keeping each key's PUT body as it is, without building its state. {@link #preload()} does the same
 * on a Vert.x of its own (a node reads its store while it joins the cluster) and a store of the same directory
 * takes it over at {@link #open()} ({@link #adoptOnOpen}) when the store's files are unchanged since.
 *
 * <h2>Threading</h2>
 * {@link #get}, {@link #size}, {@link #keys} and {@link #tombstones} may be called from any thread. Every other method must be called on the Vert.x
 * context that called {@link #open()} (normally the acceptor verticle's event loop); a call from elsewhere throws
 * {@link IllegalStateException}. Nothing here blocks that event loop: file I/O runs on Vert.x worker threads.
 */
public final class FileAcceptorStore implements AcceptorStore {
  private static final Logger LOG = LoggerFactory.getLogger(FileAcceptorStore.class);
  private static final Pattern LOG_NAME = Pattern.compile("log-(\\d{6,19})\\.bin");
  private static final Pattern SNAPSHOT_NAME = Pattern.compile("snapshot-(\\d{6,19})\\.bin");
  private static final String TMP_SUFFIX = ".tmp";
  private static final String LOCK_NAME = "LOCK";

  private enum Status { NEW, OPENING, OPEN, CLOSING, CLOSED }

  /** Test hook: replaces or wraps the write of one batch. */
  interface WriteHook {
    Future<Void> write(Buffer batch, long position, Supplier<Future<Void>> realWrite);
  }

  private final Vertx vertx;
  private final FileSystem fs;
  private final StoreOptions options;
  private final StoreMetrics metrics;
  private final Path dir;
  /**
   * Each key's state as the body of its latest PUT record (decoded on {@link #get}): about half the memory and a
   * third of the objects per key of the decoded state, which is what a restart with many keys spends its time
   * allocating and collecting. A {@link KeyMap}: the bodies alone, found by the key they begin with. Replaced only
   * while the store opens (sized once from the snapshot, or taken over).
   */
  private volatile KeyMap map = new KeyMap(0);
  /** The keys of {@link #map} in {@link AcceptorStore#KEY_ORDER}; updated only when a key comes or goes. */
  private volatile KeyIndex index = KeyIndex.empty(map);
  /**
   * While the store recovers: the UTF-8 keys of the snapshot and (while it loads) its bodies, in file order, and
   * the keys the log segments added. The map is built from the snapshot's bodies once it is read (sized once, not
   * grown a million times), and the index at the end of the replay, in linear time from the two key lists.
   */
  private List<byte[]> snapshotKeys;
  private List<byte[]> snapshotBodies;
  private List<byte[]> logKeys;
  /** Whether the log segments replayed so far removed a key (the index then checks each key against the map). */
  private boolean logRemoved;
  private final CRC32C crc = new CRC32C();
  /** Keys of {@link #map} holding a tombstone; written on the store's context only. */
  private volatile int tombstones;

  private volatile Status status = Status.NEW;
  private volatile Throwable failure;
  private Context context;
  /** The event-loop thread of {@link #context}; null for a worker context (those run tasks one at a time). */
  private volatile Thread ownerThread;
  private AsyncFile lockFile;

  // the active log segment
  private AsyncFile log;
  private long logSegment;
  private long logPosition;
  /** Size of the active segment's file: logPosition plus preallocated space (StoreOptions#preallocateBytes). */
  private long logAllocated;
  /** Bytes in the segments recovery would replay (those written since the newest snapshot started). */
  private long logBytes;
  /** Encoded size of the live map: what a snapshot would hold. */
  private long liveBytes;

  // group commit
  private ByteSink pending = new ByteSink(64 * 1024);
  private int pendingRecords;
  private List<Promise<Void>> pendingWaiters = new ArrayList<>();
  private List<Promise<Void>> inFlightWaiters = new ArrayList<>();
  private boolean writeInFlight;
  private boolean flushScheduled;
  private boolean rotating;

  // snapshots
  private Promise<Void> snapshotPromise; // requested or running
  private boolean snapshotRunning;

  private Future<Void> closeFuture;
  /** Handed over by {@link #adoptOnOpen}, for {@link #open()}. */
  private Preloaded preloaded;
  private volatile boolean tookOver;
  /** What the last recovery took and cut (for {@link #preload()}). */
  private long recoveryNanos;
  private long recoveredCut;
  private WriteHook writeHook;
  private Supplier<Future<Void>> beforeSnapshotRename;

  public FileAcceptorStore(Vertx vertx, StoreOptions options) {
    this.vertx = Objects.requireNonNull(vertx, "vertx");
    this.options = Objects.requireNonNull(options, "options");
    this.fs = vertx.fileSystem();
    this.metrics = options.metrics();
    this.dir = Path.of(options.dataDir()).toAbsolutePath();
  }

  // ------------------------------------------------------------------------------------------------ public API

  /**
   * Opens the store: recovers it from its files, or takes over what {@link #preload()} read when one was handed
   * over with {@link #adoptOnOpen}.
   */
  @Override
  public Future<Void> open() {
    return open(preloaded);
  }

  /**
   * Makes {@link #open()} adopt {@code preloaded} (from {@link #preload()} of this directory) instead of reading the
   * files again, but only when they are exactly as the preload left them (same names, sizes and modification times,
   * checked under this store's lock); else it recovers from the files as usual. Call before {@link #open()}.
   */
  public FileAcceptorStore adoptOnOpen(Preloaded preloaded) {
    if (preloaded != null && !preloaded.dir.equals(dir)) {
      throw new IllegalArgumentException("preloaded " + preloaded.dir + ", not " + dir);
    }
    this.preloaded = preloaded;
    return this;
  }

  /**
   * What {@link #preload()} read: the whole state of a store at the end of its files, and a fingerprint of those
   * files (names, sizes, modification times) when it let go of them.
   */
  public static final class Preloaded {
    private final Path dir;
    private final KeyMap map;
    private final KeyIndex index;
    private final int tombstones;
    private final long logSegment;
    private final long logPosition;
    private final long logBytes;
    private final long liveBytes;
    private final long cut;
    private final long nanos;
    private final List<String> files;

    private Preloaded(FileAcceptorStore s, List<String> files) {
      this.dir = s.dir;
      this.map = s.map;
      this.index = s.index;
      this.tombstones = s.tombstones;
      this.logSegment = s.logSegment;
      this.logPosition = s.logPosition;
      this.logBytes = s.logBytes;
      this.liveBytes = s.liveBytes;
      this.cut = s.recoveredCut;
      this.nanos = s.recoveryNanos;
      this.files = files;
    }

    /** Keys read. */
    public int size() {
      return map.size();
    }
  }

  /**
   * The bytes of the log segments and snapshots in {@code dataDir} (0 when it does not exist): how much an open
   * would read. Blocking, for a caller deciding before its Vert.x runs whether to {@link #preload()}.
   */
  public static long filesSize(Path dataDir) throws IOException {
    if (!Files.isDirectory(dataDir)) return 0;
    long total = 0;
    try (DirectoryStream<Path> files = Files.newDirectoryStream(dataDir)) {
      for (Path f : files) {
        String name = f.getFileName().toString();
        if (number(LOG_NAME, name) != null || number(SNAPSHOT_NAME, name) != null) total += Files.size(f);
      }
    }
    return total;
  }

  /** Whether {@link #open()} took over a preloaded state rather than reading the files. */
  public boolean tookOverPreload() {
    return tookOver;
  }

  /**
   * Recovers the store as {@link #open()} does, then closes it (releasing its lock) and hands over what it read, for a
   * store of the same directory, possibly of another Vert.x, to adopt ({@link #adoptOnOpen}). A node reads its
   * store this way while it joins the cluster, before its clustered Vert.x exists. This store is closed afterwards.
   */
  public Future<Preloaded> preload() {
    return open().compose(v -> close()).compose(v -> fingerprint()).map(files -> new Preloaded(this, files));
  }

  private Future<Void> open(Preloaded preloaded) {
    if (status != Status.NEW) return Future.failedFuture(new IllegalStateException("open() called twice"));
    this.preloaded = null; // read once: the map it holds becomes this store's
    status = Status.OPENING;
    context = vertx.getOrCreateContext();
    long started = System.nanoTime();
    Promise<Void> opened = Promise.promise();
    context.runOnContext(v -> {
      if (context.isEventLoopContext()) ownerThread = Thread.currentThread();
      recoverAll(started, opened, preloaded);
    });
    return opened.future();
  }

  private void recoverAll(long started, Promise<Void> opened, Preloaded preloaded) {
    fs.mkdirs(dir.toString())
        .compose(x -> lock())
        .compose(x -> preloaded == null ? fs.readDir(dir.toString()).compose(names -> recover(names, started))
            : fingerprint().compose(files -> {
              if (files.equals(preloaded.files)) return adopt(preloaded, started);
              LOG.info("acceptor store {}: its files changed since they were preloaded; reading them again", dir);
              return fs.readDir(dir.toString()).compose(names -> recover(names, started));
            }))
        .onComplete(ar -> {
          if (ar.succeeded()) {
            status = Status.OPEN;
            opened.complete();
          } else {
            LOG.error("acceptor store {} cannot open: {}", dir, ar.cause().getMessage());
            status = Status.CLOSED;
            closeQuietly(log);
            closeQuietly(lockFile);
            log = null;
            lockFile = null;
            opened.fail(ar.cause());
          }
        });
  }

  @Override
  public AcceptorState get(String key) {
    byte[] body = map.get(key.getBytes(StandardCharsets.UTF_8));
    return body == null ? AcceptorState.INITIAL : RecordCodec.decodeState(body);
  }

  @Override
  public Future<Void> put(String key, AcceptorState state) {
    Objects.requireNonNull(key, "key");
    Objects.requireNonNull(state, "state");
    checkContext("put");
    if (failure != null) return Future.failedFuture(failedException());
    if (status != Status.OPEN) return Future.failedFuture(new IllegalStateException("acceptor store is " + status));
    byte[] keyUtf8 = key.getBytes(StandardCharsets.UTF_8);
    long size = RecordCodec.putSizeLong(keyUtf8.length, state);
    if (size - RecordCodec.HEADER_BYTES > options.maxRecordBytes()) {
      return Future.failedFuture(new StoreRefusedException(StoreRefusedException.Reason.TOO_LARGE,
          "record of " + size + " bytes for key '" + key + "' exceeds maxRecordBytes " + options.maxRecordBytes(),
          null));
    }
    int start = pending.size();
    if (pendingRecords > 0 && start + size > options.maxPendingBytes()) {
      // push back: the caller (the acceptor) answers "no vote" and the proposer retries; the batch never grows
      // towards what one buffer can hold
      return Future.failedFuture(new StoreRefusedException(StoreRefusedException.Reason.BUSY, "acceptor store busy: "
          + start + " bytes of records already wait for the write in flight (maxPendingBytes "
          + options.maxPendingBytes() + ")", null));
    }
    int recordBytes;
    try {
      recordBytes = RecordCodec.appendPut(pending, keyUtf8, state, crc);
    } catch (RuntimeException | OutOfMemoryError e) {
      // never leave part of a record in the batch: the records after it would be unreadable on the next start
      pending.truncate(start);
      return Future.failedFuture(new StoreRefusedException(StoreRefusedException.Reason.NOT_ENCODED,
          "record of " + size + " bytes for key '" + key + "' could not be added to the batch: " + e, e));
    }
    byte[] body = Arrays.copyOfRange(pending.array(), start + RecordCodec.HEADER_BYTES, start + recordBytes);
    byte[] old = map.put(body);
    if (old == null) index.added(key, keyUtf8);
    account(old, body);
    pendingRecords++;
    Promise<Void> durable = Promise.promise();
    pendingWaiters.add(durable);
    scheduleFlush();
    return durable.future();
  }

  @Override
  public Future<Boolean> remove(String key, Ballot bt) {
    Objects.requireNonNull(key, "key");
    Objects.requireNonNull(bt, "bt");
    checkContext("remove");
    if (failure != null) return Future.failedFuture(failedException());
    if (status != Status.OPEN) return Future.failedFuture(new IllegalStateException("acceptor store is " + status));
    byte[] keyUtf8 = key.getBytes(StandardCharsets.UTF_8);
    byte[] current = map.get(keyUtf8);
    // absent: true once whatever was logged before (perhaps this key's own REMOVE) is durable
    if (current == null) return barrier().map(true);
    if (!Acceptor.collectable(RecordCodec.decodeState(current), bt)) return Future.succeededFuture(false);
    int size = RecordCodec.removeSize(keyUtf8.length, bt);
    int start = pending.size();
    if (pendingRecords > 0 && start + size > options.maxPendingBytes()) {
      return Future.failedFuture(new StoreRefusedException(StoreRefusedException.Reason.BUSY, "acceptor store busy: "
          + start + " bytes of records already wait for the write in flight (maxPendingBytes "
          + options.maxPendingBytes() + ")", null));
    }
    try {
      RecordCodec.appendRemove(pending, keyUtf8, bt, crc);
    } catch (RuntimeException | OutOfMemoryError e) {
      pending.truncate(start);
      return Future.failedFuture(new StoreRefusedException(StoreRefusedException.Reason.NOT_ENCODED,
          "remove record for key '" + key + "' could not be added to the batch: " + e, e));
    }
    forget(key, keyUtf8, current);
    pendingRecords++;
    Promise<Void> durable = Promise.promise();
    pendingWaiters.add(durable);
    scheduleFlush();
    return durable.future().map(true);
  }

  @Override
  public List<String> keys(String after, int limit) {
    if (limit < 0) throw new IllegalArgumentException("limit must be >= 0: " + limit);
    return page(index::tail, after, limit);
  }

  @Override
  public List<String> keys(String after, String prefix, int limit) {
    if (limit < 0) throw new IllegalArgumentException("limit must be >= 0: " + limit);
    return page(index::tail, after, prefix, limit);
  }

  @Override
  public int tombstones() {
    return tombstones;
  }

  /** Keys in {@link AcceptorStore#KEY_ORDER} from a key on: {@link KeyIndex#tail}, or a sorted set's tail. */
  interface SortedKeys {
    /** The keys from {@code from} (null: from the first), in order; {@code from} itself only if inclusive. */
    Iterator<String> tail(String from, boolean inclusive);

    static SortedKeys of(NavigableSet<String> set) {
      return (from, inclusive) -> from == null ? set.iterator() : set.tailSet(from, inclusive).iterator();
    }
  }

  /**
   * A page of the keys of {@code index} that start with {@code prefix}, after {@code after} (exclusive; null =
   * from the first key with the prefix).
   */
  static List<String> page(SortedKeys index, String after, String prefix, int limit) {
    if (prefix == null || prefix.isEmpty()) return page(index, after, limit);
    List<String> page = new ArrayList<>(Math.min(limit, 1024));
    if (limit == 0) return page;
    Iterator<String> tail = after == null || KEY_ORDER.compare(after, prefix) < 0 ? index.tail(prefix, true)
        : index.tail(after, false);
    while (tail.hasNext() && page.size() < limit) {
      String k = tail.next();
      if (!k.startsWith(prefix)) break;
      page.add(k);
    }
    return page;
  }

  /** A page of {@code index} after {@code after} (exclusive; null = from the start). */
  static List<String> page(SortedKeys index, String after, int limit) {
    List<String> page = new ArrayList<>(Math.min(limit, 1024));
    for (Iterator<String> tail = index.tail(after, false); tail.hasNext() && page.size() < limit; ) {
      page.add(tail.next());
    }
    return page;
  }

  static boolean tombstone(AcceptorState s) {
    return !s.state().present() && s.state().version() > 0;
  }

  /** Counts a key's new PUT body {@code now} in place of {@code old} (null: the key is new). */
  private void account(byte[] old, byte[] now) {
    int delta = (RecordCodec.tombstone(now) ? 1 : 0) - (old != null && RecordCodec.tombstone(old) ? 1 : 0);
    if (delta != 0) tombstones += delta;
    liveBytes += RecordCodec.HEADER_BYTES + now.length - (old == null ? 0 : RecordCodec.HEADER_BYTES + old.length);
  }

  /** Drops a key from memory, the index and the counters (the caller logs why). */
  private void forget(String key, byte[] keyUtf8, byte[] old) {
    map.remove(keyUtf8);
    index.removed(key);
    if (RecordCodec.tombstone(old)) tombstones--;
    liveBytes -= RecordCodec.HEADER_BYTES + old.length;
  }

  @Override
  public Future<Void> barrier() {
    checkContext("barrier");
    if (failure != null) return Future.failedFuture(failedException());
    if (pendingRecords > 0) {
      Promise<Void> p = Promise.promise();
      pendingWaiters.add(p);
      return p.future();
    }
    if (writeInFlight) {
      Promise<Void> p = Promise.promise();
      inFlightWaiters.add(p);
      return p.future();
    }
    return Future.succeededFuture();
  }

  @Override
  public int size() {
    return map.size();
  }

  @Override
  public boolean failed() {
    return failure != null;
  }

  /** The failure that stopped the store, or null. */
  public Throwable failure() {
    return failure;
  }

  @Override
  public Future<Void> close() {
    if (closeFuture != null) return closeFuture;
    if (status == Status.NEW || status == Status.CLOSED) {
      status = Status.CLOSED;
      closeFuture = Future.succeededFuture();
      return closeFuture;
    }
    checkContext("close");
    if (status == Status.OPENING) return Future.failedFuture(new IllegalStateException("close() during open()"));
    status = Status.CLOSING;
    Future<Void> drained = barrier().recover(t -> Future.succeededFuture());
    closeFuture = drained
        .compose(v -> snapshotPromise == null ? Future.<Void>succeededFuture()
            : snapshotPromise.future().recover(t -> Future.succeededFuture()))
        .compose(v -> log == null || failure != null ? Future.<Void>succeededFuture() : trimLog().recover(t -> {
          LOG.warn("acceptor store {}: cutting the log's preallocated space failed", dir, t);
          return Future.succeededFuture();
        }))
        .compose(v -> log == null ? Future.<Void>succeededFuture() : closeFile(log).recover(t -> {
          // every acknowledged record is already on disk (O_DSYNC); a failing close loses nothing
          LOG.warn("acceptor store {}: closing the log failed", dir, t);
          return Future.succeededFuture();
        }))
        .eventually(() -> lockFile == null ? Future.succeededFuture() : closeFile(lockFile))
        .andThen(ar -> {
          status = Status.CLOSED;
          log = null;
          lockFile = null;
          if (ar.failed()) LOG.warn("acceptor store {}: closing files failed", dir, ar.cause());
          else LOG.info("acceptor store {} closed: {} keys, log segment {} at {} bytes", dir, map.size(),
              logSegment, logPosition);
        });
    return closeFuture;
  }

  /**
   * Starts a snapshot now (if none is running) and completes when it is durable and the old log is deleted. If one
   * is already requested or running, returns that one.
   */
  public Future<Void> compact() {
    checkContext("compact");
    if (failure != null) return Future.failedFuture(failedException());
    if (status != Status.OPEN) return Future.failedFuture(new IllegalStateException("acceptor store is " + status));
    if (snapshotPromise != null) return snapshotPromise.future();
    snapshotPromise = Promise.promise();
    Future<Void> f = snapshotPromise.future();
    if (!writeInFlight) startSnapshot();
    return f;
  }

  /** Bytes of log that a restart would replay. */
  public long logBytes() {
    return logBytes;
  }

  /** Encoded size of the live state (what the next snapshot holds). */
  public long liveBytes() {
    return liveBytes;
  }

  /** Number of the log segment being appended to. */
  public long logSegment() {
    return logSegment;
  }

  public Path dataDir() {
    return dir;
  }

  static String logName(long segment) {
    return String.format("log-%06d.bin", segment);
  }

  static String snapshotName(long segment) {
    return String.format("snapshot-%06d.bin", segment);
  }

  // ------------------------------------------------------------------------------------------------ test hooks

  void writeHook(WriteHook hook) {
    this.writeHook = hook;
  }

  /** Test hook: where the next batch goes in the active segment (the end of its records). */
  long logPosition() {
    return logPosition;
  }

  AsyncFile logFile() {
    return log;
  }

  /** Test hook: the most bytes the pending batch's buffer may hold (to reach its overflow without gigabytes). */
  void pendingBufferLimit(int bytes) {
    pending.limit(bytes);
  }

  /** Test hook: runs after the snapshot file is written and synced, before it is renamed. */
  void beforeSnapshotRename(Supplier<Future<Void>> gate) {
    this.beforeSnapshotRename = gate;
  }

  // ------------------------------------------------------------------------------------------------ group commit

  private void scheduleFlush() {
    if (flushScheduled || writeInFlight || rotating) return;
    flushScheduled = true;
    // Next turn of the event loop: every put of this turn (and of the messages already queued) joins the batch.
    context.runOnContext(v -> flushNow());
  }

  private void flushNow() {
    flushScheduled = false;
    if (failure != null || writeInFlight || rotating || pendingRecords == 0) return;
    Buffer batch = pending.toBuffer();
    int records = pendingRecords;
    List<Promise<Void>> waiters = pendingWaiters;
    pending.reset();
    pendingRecords = 0;
    pendingWaiters = new ArrayList<>();
    inFlightWaiters = waiters;
    writeInFlight = true;
    long position = logPosition;
    int length = batch.length();
    long started = System.nanoTime();
    AsyncFile file = log;
    Future<Void> write;
    try {
      Supplier<Future<Void>> realWrite = () -> file.write(batch, position);
      write = reserve(position + length)
          .compose(v -> writeHook == null ? realWrite.get() : writeHook.write(batch, position, realWrite));
    } catch (RuntimeException e) {
      write = Future.failedFuture(e);
    }
    write.onComplete(ar -> {
      writeInFlight = false;
      if (ar.failed()) {
        fail(new IOException("write of " + records + " records (" + length + " bytes) at offset " + position + " of "
            + dir.resolve(logName(logSegment)) + " failed", ar.cause()));
        return;
      }
      if (failure != null) return; // the waiters were failed with the store
      logPosition += length;
      logBytes += length;
      long nanos = System.nanoTime() - started;
      try {
        metrics.onFlush(records, length, nanos);
      } catch (RuntimeException e) {
        LOG.warn("StoreMetrics.onFlush threw", e);
      }
      inFlightWaiters = new ArrayList<>();
      for (Promise<Void> p : waiters) p.tryComplete();
      afterWrite();
    });
  }

  /**
   * Makes the active segment's file at least {@code end} bytes long, growing it by whole preallocation steps, and
   * syncs the new size before any record is written into it. A record write then stays within the file's size, so
   * its O_DSYNC sync does not also have to commit a size change (about a quarter less time per batch here).
   */
  private Future<Void> reserve(long end) {
    long step = options.preallocateBytes();
    if (step == 0 || end <= logAllocated) return Future.succeededFuture();
    long size = (end + step - 1) / step * step;
    AsyncFile file = log;
    return fs.truncate(dir.resolve(logName(logSegment)).toString(), size)
        .compose(v -> file.flush())
        .onSuccess(v -> logAllocated = size);
  }

  /** Cuts the active segment's preallocated space (before it is rotated out or closed). */
  private Future<Void> trimLog() {
    if (logAllocated <= logPosition) return Future.succeededFuture();
    AsyncFile file = log;
    return fs.truncate(dir.resolve(logName(logSegment)).toString(), logPosition)
        .compose(v -> file.flush())
        .onSuccess(v -> logAllocated = logPosition);
  }

  /** After each durable batch: start a due snapshot, then write whatever accumulated meanwhile. */
  private void afterWrite() {
    if (failure != null) return;
    if (snapshotPromise != null && !snapshotRunning) {
      if (status == Status.CLOSING) {
        Promise<Void> p = snapshotPromise;
        snapshotPromise = null;
        p.tryFail(new IllegalStateException("acceptor store closing"));
      } else {
        startSnapshot();
      }
    } else if (snapshotPromise == null && status == Status.OPEN && options.snapshotDue(logBytes, liveBytes)) {
      snapshotPromise = Promise.promise();
      startSnapshot();
    }
    if (pendingRecords > 0) scheduleFlush();
  }

  private void fail(Throwable cause) {
    if (failure != null) return;
    failure = cause;
    LOG.error("acceptor store {} failed; it refuses every further write (no fsync is retried)", dir, cause);
    try {
      metrics.onFailure(cause);
    } catch (RuntimeException e) {
      LOG.warn("StoreMetrics.onFailure threw", e);
    }
    StoreFailedException e = failedException();
    List<Promise<Void>> all = new ArrayList<>(inFlightWaiters);
    all.addAll(pendingWaiters);
    inFlightWaiters = new ArrayList<>();
    pendingWaiters = new ArrayList<>();
    pending.reset();
    pendingRecords = 0;
    for (Promise<Void> p : all) p.tryFail(e);
    if (snapshotPromise != null && !snapshotRunning) {
      Promise<Void> p = snapshotPromise;
      snapshotPromise = null;
      p.tryFail(e);
    }
  }

  private StoreFailedException failedException() {
    return new StoreFailedException("acceptor store " + dir + " failed: " + failure.getMessage(), failure);
  }

  // ------------------------------------------------------------------------------------------------ snapshots

  private void startSnapshot() {
    snapshotRunning = true;
    rotating = true;
    long started = System.nanoTime();
    long newSegment = logSegment + 1;
    String newLog = dir.resolve(logName(newSegment)).toString();
    String finalName = dir.resolve(snapshotName(newSegment)).toString();
    String tmpName = finalName + TMP_SUFFIX;
    long[] written = new long[2]; // keys, bytes
    // the old segment ends at its last record before the new one exists (recovery reads it strictly)
    trimLog()
        .compose(v -> fs.open(newLog, logOpenOptions()))
        .compose(f -> Fsync.directory(vertx, dir).map(f).recover(t -> f.close().transform(x -> Future.failedFuture(t))))
        .compose(f -> {
          // rotation: puts from now on go to the new segment, whose name is durable
          AsyncFile old = log;
          log = f;
          logSegment = newSegment;
          logPosition = 0;
          logAllocated = 0;
          rotating = false;
          if (pendingRecords > 0) scheduleFlush();
          return closeFile(old).recover(t -> {
            LOG.warn("acceptor store {}: closing the previous log segment failed", dir, t);
            return Future.succeededFuture();
          });
        })
        .compose(v -> writeSnapshot(tmpName, newSegment, written))
        .compose(v -> beforeSnapshotRename == null ? Future.<Void>succeededFuture() : beforeSnapshotRename.get())
        .compose(v -> fs.move(tmpName, finalName, new CopyOptions().setAtomicMove(true).setReplaceExisting(true)))
        .compose(v -> Fsync.directory(vertx, dir))
        .onComplete(ar -> {
          snapshotRunning = false;
          Promise<Void> p = snapshotPromise;
          snapshotPromise = null;
          if (ar.failed()) {
            fs.delete(tmpName).onFailure(t -> { /* it may not exist */ });
            fail(new IOException("snapshot " + finalName + " failed", ar.cause()));
            if (p != null) p.tryFail(failure != null ? failedException() : ar.cause());
            return;
          }
          // segments before newSegment are covered by the snapshot
          logBytes = logSegment == newSegment ? logPosition : logBytes;
          long nanos = System.nanoTime() - started;
          LOG.info("acceptor store {}: snapshot {} holds {} keys ({} bytes) in {} ms", dir, snapshotName(newSegment),
              written[0], written[1], nanos / 1_000_000);
          try {
            metrics.onSnapshot(written[0], written[1], nanos);
          } catch (RuntimeException e) {
            LOG.warn("StoreMetrics.onSnapshot threw", e);
          }
          deleteObsolete(newSegment).onComplete(x -> {
            if (p != null) p.tryComplete();
          });
        });
  }

  /** Writes the map to {@code path} in chunks, one AsyncFile write at a time, then syncs and closes it. */
  private Future<Void> writeSnapshot(String path, long firstLogSegment, long[] written) {
    OpenOptions opts = new OpenOptions().setWrite(true).setCreate(true).setTruncateExisting(true);
    return fs.open(path, opts).compose(f -> {
      Promise<Void> done = Promise.promise();
      ByteSink sink = new ByteSink(options.snapshotChunkBytes() + 4096);
      CRC32C snapshotCrc = new CRC32C();
      RecordCodec.appendSnapshotHeader(sink, firstLogSegment, snapshotCrc);
      // in key order: the next recovery builds the index from the snapshot's keys in linear time
      writeChunks(f, index.iterator(), sink, snapshotCrc, 0, written, done);
      return done.future()
          .compose(v -> f.flush())
          .transform(ar -> f.close().transform(c -> ar.failed() ? Future.<Void>failedFuture(ar.cause())
              : c.failed() ? Future.<Void>failedFuture(c.cause()) : Future.<Void>succeededFuture()));
    });
  }

  private void writeChunks(AsyncFile f, Iterator<String> it, ByteSink sink,
                           CRC32C snapshotCrc, long position, long[] written, Promise<Void> done) {
    if (failure != null) {
      done.tryFail(failedException());
      return;
    }
    while (it.hasNext() && sink.size() < options.snapshotChunkBytes()) {
      String key = it.next();
      byte[] body = map.get(key.getBytes(StandardCharsets.UTF_8));
      if (body == null) continue; // removed after the rotation: the new segment's REMOVE record says so
      RecordCodec.appendBody(sink, body, snapshotCrc);
      written[0]++;
    }
    boolean last = !it.hasNext();
    if (last) RecordCodec.appendSnapshotEnd(sink, written[0], snapshotCrc);
    Buffer chunk = sink.toBuffer();
    sink.reset();
    Future<Void> w;
    try {
      w = f.write(chunk, position);
    } catch (RuntimeException e) {
      w = Future.failedFuture(e);
    }
    w.onComplete(ar -> {
      if (ar.failed()) {
        done.tryFail(ar.cause());
        return;
      }
      long next = position + chunk.length();
      written[1] = next;
      if (last) done.tryComplete();
      else writeChunks(f, it, sink, snapshotCrc, next, written, done);
    });
  }

  /** Deletes log segments and snapshots older than {@code firstNeeded}; failures only log (recovery retries). */
  private Future<Void> deleteObsolete(long firstNeeded) {
    return fs.readDir(dir.toString()).compose(paths -> {
      List<Future<Void>> deletions = new ArrayList<>();
      for (String p : paths) {
        String name = Path.of(p).getFileName().toString();
        Long n = number(LOG_NAME, name);
        if (n == null) n = number(SNAPSHOT_NAME, name);
        if (n != null && n < firstNeeded) {
          deletions.add(fs.delete(p).onFailure(t -> LOG.warn("acceptor store {}: cannot delete {}", dir, p, t)));
        }
      }
      return Future.join(deletions).<Void>mapEmpty();
    }).recover(t -> {
      LOG.warn("acceptor store {}: removing obsolete files failed; the next start retries", dir, t);
      return Future.succeededFuture();
    });
  }

  // ------------------------------------------------------------------------------------------------ recovery

  private Future<Void> lock() {
    String path = dir.resolve(LOCK_NAME).toString();
    return fs.open(path, new OpenOptions().setWrite(true).setCreate(true)).compose(f -> {
      lockFile = f;
      try {
        if (f.tryLock() != null) return Future.<Void>succeededFuture();
      } catch (OverlappingFileLockException e) {
        // held by another store in this JVM
      } catch (RuntimeException e) {
        return Future.failedFuture(new IOException("cannot lock " + path, e));
      }
      return Future.failedFuture(new IOException(
          "data directory " + dir + " is in use by another acceptor store (" + path + " is locked)"));
    });
  }

  /**
   * Name, size and modification time of each of the store's log segments and snapshots, sorted by name. The node
   * keeps other files in the directory and may write them meanwhile (its identity, membership and ballot floor,
   * whose {@code .tmp} file is not the store's); the store's own unfinished snapshots are deleted by any recovery.
   */
  private Future<List<String>> fingerprint() {
    return fs.readDir(dir.toString()).compose(paths -> {
      List<String> sorted = new ArrayList<>(paths);
      sorted.removeIf(p -> {
        String name = Path.of(p).getFileName().toString();
        return number(LOG_NAME, name) == null && number(SNAPSHOT_NAME, name) == null;
      });
      Collections.sort(sorted);
      List<Future<String>> entries = new ArrayList<>();
      for (String p : sorted) {
        entries.add(fs.props(p).map(props -> Path.of(p).getFileName() + " " + props.size() + " "
            + props.lastModifiedTime()));
      }
      return Future.all(entries).map(all -> all.<String>list());
    });
  }

  /** Takes over the state {@link #preload()} read, and appends to the log segment it ended with. */
  private Future<Void> adopt(Preloaded p, long started) {
    return fs.open(dir.resolve(logName(p.logSegment)).toString(), logOpenOptions()).map(f -> {
      log = f;
      logSegment = p.logSegment;
      logPosition = p.logPosition;
      logAllocated = p.logPosition; // the close after the preload cut the preallocated space
      logBytes = p.logBytes;
      liveBytes = p.liveBytes;
      tombstones = p.tombstones;
      map = p.map;
      index = p.index;
      tookOver = true;
      LOG.info("acceptor store {} open: {} keys read while the node joined the cluster ({} log bytes){} in {} ms, "
          + "taken over in {} ms", dir, map.size(), logBytes, p.cut > 0 ? ", cut " + p.cut + " torn bytes" : "",
          p.nanos / 1_000_000, (System.nanoTime() - started) / 1_000_000);
      try {
        metrics.onRecovery(map.size(), logBytes, p.cut, p.nanos);
      } catch (RuntimeException e) {
        LOG.warn("StoreMetrics.onRecovery threw", e);
      }
      return null;
    });
  }

  private Future<Void> recover(List<String> paths, long started) {
    TreeMap<Long, String> logs = new TreeMap<>();
    TreeMap<Long, String> snapshots = new TreeMap<>();
    List<Future<Void>> tmpDeletions = new ArrayList<>();
    for (String p : paths) {
      String name = Path.of(p).getFileName().toString();
      Long n;
      if ((n = number(LOG_NAME, name)) != null) {
        logs.put(n, p);
      } else if ((n = number(SNAPSHOT_NAME, name)) != null) {
        snapshots.put(n, p);
      } else if (name.endsWith(TMP_SUFFIX)) {
        LOG.info("acceptor store {}: removing unfinished {}", dir, name);
        tmpDeletions.add(fs.delete(p));
      }
    }
    Long snapshot = snapshots.isEmpty() ? null : snapshots.lastKey();
    long first = snapshot != null ? snapshot : logs.isEmpty() ? 1 : logs.firstKey();
    List<Long> replay = new ArrayList<>(logs.tailMap(first, true).keySet());
    for (int i = 0; i < replay.size(); i++) {
      if (replay.get(i) != first + i) {
        return Future.failedFuture(new StoreCorruptedException(dir.resolve(logName(first + i)).toString(), 0,
            "log segment missing (segments present: " + logs.keySet() + ")"));
      }
    }
    if (snapshot == null && first != 1) {
      return Future.failedFuture(new StoreCorruptedException(dir.resolve(snapshotName(first)).toString(), 0,
          "snapshot missing: the oldest log segment is " + logName(first) + ", not " + logName(1)));
    }
    long[] cut = new long[1];
    snapshotKeys = new ArrayList<>();
    logKeys = new ArrayList<>();
    Future<Void> loaded = Future.join(tmpDeletions).<Void>mapEmpty()
        .compose(v -> snapshot == null ? Future.<Void>succeededFuture() : loadSnapshot(snapshots.get(snapshot), snapshot));
    for (int i = 0; i < replay.size(); i++) {
      long segment = replay.get(i);
      boolean last = i == replay.size() - 1;
      loaded = loaded.compose(v -> replaySegment(logs.get(segment), segment, last, cut));
    }
    return loaded
        .andThen(ar -> {
          if (ar.succeeded()) buildIndex();
          snapshotKeys = null;
          snapshotBodies = null;
          logKeys = null;
        })
        .compose(v -> replay.isEmpty() ? startFirstSegment(first) : Future.<Void>succeededFuture())
        .compose(v -> deleteObsolete(first))
        .onSuccess(v -> {
          long nanos = System.nanoTime() - started;
          recoveryNanos = nanos;
          recoveredCut = cut[0];
          LOG.info("acceptor store {} open: {} keys from {}{} segment(s) ({} log bytes){} in {} ms", dir, map.size(),
              snapshot == null ? "" : snapshotName(snapshot) + " and ", replay.size(), logBytes,
              cut[0] > 0 ? ", cut " + cut[0] + " torn bytes" : "", nanos / 1_000_000);
          try {
            metrics.onRecovery(map.size(), logBytes, cut[0], nanos);
          } catch (RuntimeException e) {
            LOG.warn("StoreMetrics.onRecovery threw", e);
          }
        });
  }

  private Future<Void> loadSnapshot(String path, long segment) {
    long[] expectedKeys = {-1};
    boolean[] headerSeen = {false};
    RecordCodec.Visitor visitor = new RecordCodec.Visitor() {
      @Override
      public void put(String key, int keyBytes, AcceptorState state) {
        throw new AssertionError("unused: RecordCodec.decode calls the form with the body");
      }

      @Override
      public boolean keepsEncoding() {
        return true; // only the body is kept
      }

      @Override
      public void put(String key, int keyBytes, AcceptorState state, byte[] a, int off, int len) {
        if (!headerSeen[0] || expectedKeys[0] >= 0) {
          throw new RecordCodec.MalformedRecordException("key record outside the snapshot body");
        }
        putRecovered(a, off, len);
      }

      @Override
      public void snapshotHeader(long firstLogSegment) {
        if (headerSeen[0]) throw new RecordCodec.MalformedRecordException("second snapshot header");
        if (firstLogSegment != segment) {
          throw new RecordCodec.MalformedRecordException("snapshot names log segment " + firstLogSegment
              + " but its file name says " + segment);
        }
        headerSeen[0] = true;
      }

      @Override
      public void snapshotEnd(long keyCount) {
        if (!headerSeen[0] || expectedKeys[0] >= 0) throw new RecordCodec.MalformedRecordException("misplaced end record");
        expectedKeys[0] = keyCount;
      }
    };
    snapshotBodies = new ArrayList<>();
    return scanner(path, false, visitor).scan().eventually(() -> {
      map = new KeyMap(snapshotBodies.size());
      for (byte[] body : snapshotBodies) {
        account(map.put(body), body);
        snapshotKeys.add(KeyMap.key(body));
      }
      snapshotBodies = null;
      return Future.succeededFuture();
    }).compose(r -> {
      if (expectedKeys[0] < 0) {
        return Future.failedFuture(new StoreCorruptedException(path, r.validEnd(), "snapshot has no end record"));
      }
      if (expectedKeys[0] != r.records() - 2) {
        return Future.failedFuture(new StoreCorruptedException(path, r.validEnd(),
            "snapshot end record counts " + expectedKeys[0] + " keys but " + (r.records() - 2) + " were read"));
      }
      return Future.succeededFuture();
    });
  }

  private Future<Void> replaySegment(String path, long segment, boolean last, long[] cut) {
    RecordCodec.Visitor visitor = new RecordCodec.Visitor() {
      @Override
      public void put(String key, int keyBytes, AcceptorState state) {
        throw new AssertionError("unused: RecordCodec.decode calls the form with the body");
      }

      @Override
      public boolean keepsEncoding() {
        return true; // only the body is kept
      }

      @Override
      public void put(String key, int keyBytes, AcceptorState state, byte[] a, int off, int len) {
        putRecovered(a, off, len);
      }

      @Override
      public void remove(String key, int keyBytes, Ballot bt) {
        byte[] keyUtf8 = key.getBytes(StandardCharsets.UTF_8);
        byte[] old = map.get(keyUtf8);
        if (old != null) {
          forget(key, keyUtf8, old);
          logRemoved = true;
        }
      }
    };
    return scanner(path, last, visitor).scan().compose(r -> {
      logBytes += r.validEnd();
      if (!last) return Future.succeededFuture();
      Future<Void> truncated = Future.succeededFuture();
      if (r.zeroTail()) {
        LOG.debug("acceptor store {}: dropping {} preallocated bytes after byte offset {} of {}", dir,
            r.fileSize() - r.validEnd(), r.validEnd(), logName(segment));
        truncated = fs.truncate(path, r.validEnd());
      } else if (r.torn()) {
        cut[0] = r.fileSize() - r.validEnd();
        LOG.warn("acceptor store {}: cutting torn tail of {} at byte offset {} ({} bytes): {}", dir,
            logName(segment), r.validEnd(), cut[0], r.tornReason());
        truncated = fs.truncate(path, r.validEnd());
      }
      return truncated.compose(v -> fs.open(path, logOpenOptions())).compose(f -> {
        log = f;
        logSegment = segment;
        logPosition = r.validEnd();
        logAllocated = r.validEnd();
        // make the cut durable before anything is appended after it (fdatasync covers a size change)
        return r.torn() ? f.flush() : Future.<Void>succeededFuture();
      });
    });
  }

  private Future<Void> startFirstSegment(long segment) {
    String path = dir.resolve(logName(segment)).toString();
    return fs.open(path, logOpenOptions()).compose(f -> {
      log = f;
      logSegment = segment;
      logPosition = 0;
      logAllocated = 0;
      return Fsync.directory(vertx, dir).compose(v -> {
        Path parent = dir.getParent();
        return parent == null ? Future.<Void>succeededFuture() : Fsync.directory(vertx, parent);
      });
    });
  }

  /** A key's PUT record read at recovery, its body {@code a[off, off+len)} (already checked, so valid). */
  private void putRecovered(byte[] a, int off, int len) {
    byte[] body = Arrays.copyOfRange(a, off, off + len);
    if (snapshotBodies != null) {
      snapshotBodies.add(body);
      return;
    }
    byte[] old = map.put(body);
    if (old == null) logKeys.add(KeyMap.key(body));
    account(old, body);
  }

  /**
   * The index of the recovered keys, built in linear time from the snapshot's keys (in key order in snapshots
   * written since the index exists, else sorted here) merged with the log's added keys, sorted here; a key that
   * appears twice, or that the log removed, is left out.
   */
  private void buildIndex() {
    List<byte[]> fromSnapshot = snapshotKeys;
    for (int i = 1; i < fromSnapshot.size(); i++) {
      if (Arrays.compareUnsigned(fromSnapshot.get(i - 1), fromSnapshot.get(i)) >= 0) {
        fromSnapshot = new ArrayList<>(fromSnapshot);
        fromSnapshot.sort(Arrays::compareUnsigned);
        break;
      }
    }
    List<byte[]> fromLog = logKeys;
    fromLog.sort(Arrays::compareUnsigned);
    byte[][] keys = new byte[map.size()][];
    int n = 0;
    for (int i = 0, j = 0; i < fromSnapshot.size() || j < fromLog.size(); ) {
      byte[] k = j == fromLog.size()
          || i < fromSnapshot.size() && Arrays.compareUnsigned(fromSnapshot.get(i), fromLog.get(j)) <= 0
          ? fromSnapshot.get(i++) : fromLog.get(j++);
      boolean repeated = n > 0 && Arrays.equals(keys[n - 1], k);
      if (!repeated && (!logRemoved || map.containsKey(k))) keys[n++] = k;
    }
    index = new KeyIndex(n == keys.length ? keys : Arrays.copyOf(keys, n), map);
  }

  private SegmentScanner scanner(String path, boolean tolerateTornTail, RecordCodec.Visitor visitor) {
    return new SegmentScanner(vertx, path, tolerateTornTail, options.readChunkBytes(), options.maxRecordBytes(), visitor);
  }

  // ------------------------------------------------------------------------------------------------ helpers

  private static OpenOptions logOpenOptions() {
    // O_DSYNC: a write completes once its data is on disk, so one write per batch is the whole commit
    return new OpenOptions().setRead(false).setWrite(true).setCreate(true).setDsync(true);
  }

  private static Long number(Pattern pattern, String name) {
    Matcher m = pattern.matcher(name);
    return m.matches() ? Long.valueOf(m.group(1)) : null;
  }

  private void checkContext(String method) {
    // Compare threads, not contexts: event-bus and HTTP handlers run on duplicates of the verticle's context.
    Thread owner = ownerThread;
    if (owner != null && Thread.currentThread() != owner) {
      throw new IllegalStateException("FileAcceptorStore." + method
          + " must be called on the context that opened the store (its verticle's event loop)");
    }
  }

  private static void closeQuietly(AsyncFile f) {
    if (f != null) closeFile(f).onFailure(t -> { /* already failing */ });
  }

  /** AsyncFile.close() throws when the file is already closed; turn that into a failed future. */
  private static Future<Void> closeFile(AsyncFile f) {
    try {
      return f.close();
    } catch (RuntimeException e) {
      return Future.failedFuture(e);
    }
  }
}
