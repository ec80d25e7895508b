package io.kshaka.storage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kshaka.core.AcceptorState;
import io.kshaka.core.Ballot;
import io.kshaka.core.RegisterState;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.junit5.VertxExtension;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

@ExtendWith(VertxExtension.class)
class FileAcceptorStoreTest {

  @TempDir
  Path dir;

  private OnContext on;
  private RecordingMetrics metrics;

  @BeforeEach
  void setUp(Vertx vertx) {
    on = new OnContext(vertx);
    metrics = new RecordingMetrics();
  }

  // ------------------------------------------------------------------------------------------------ helpers

  private StoreOptions options() {
    return StoreOptions.defaults(dir.toString()).withMetrics(metrics);
  }

  private FileAcceptorStore open(StoreOptions options) throws Exception {
    FileAcceptorStore store = new FileAcceptorStore(on.vertx, options);
    on.await(store::open);
    return store;
  }

  private FileAcceptorStore open() throws Exception {
    return open(options());
  }

  private FileAcceptorStore reopen(FileAcceptorStore store) throws Exception {
    on.await(store::close);
    return open();
  }

  private static AcceptorState state(long promised, long accepted, String value, long version) {
    return new AcceptorState(new Ballot(promised, 1), accepted == 0 ? Ballot.ZERO : new Ballot(accepted, 1),
        RegisterState.of(value, version));
  }

  private static String value(int i, int round) {
    return "value-" + i + "-" + round + "-" + "x".repeat(i % 50);
  }

  private void putAll(FileAcceptorStore store, Map<String, AcceptorState> states) throws Exception {
    on.await(() -> Future.all(states.entrySet().stream().map(e -> store.put(e.getKey(), e.getValue()))
        .collect(Collectors.toList())).mapEmpty());
  }

  private static void assertHolds(AcceptorStore store, Map<String, AcceptorState> expected) {
    assertEquals(expected.size(), store.size(), "number of keys");
    expected.forEach((k, v) -> assertEquals(v, store.get(k), "state of " + k));
  }

  private Path logFile(long segment) {
    return dir.resolve(FileAcceptorStore.logName(segment));
  }

  private TreeSet<String> files() throws IOException {
    try (Stream<Path> s = Files.list(dir)) {
      return s.map(p -> p.getFileName().toString()).filter(n -> !n.equals("LOCK"))
          .collect(Collectors.toCollection(TreeSet::new));
    }
  }

  /** Puts one record per key, one durable batch each, and returns where each record starts in the log. */
  private List<Long> putOneByOne(FileAcceptorStore store, Map<String, AcceptorState> expected, int n) throws Exception {
    List<Long> offsets = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      offsets.add(store.logPosition());
      String key = "key-" + i;
      AcceptorState s = state(10 + i, 10 + i, value(i, 0), i + 1);
      on.await(() -> store.put(key, s));
      expected.put(key, s);
    }
    offsets.add(store.logPosition());
    return offsets;
  }

  /** Starts a compaction and returns once its snapshot is written; the rename waits for {@code renameGate}. */
  private Future<Void> compactUntilRename(FileAcceptorStore store, Promise<Void> renameGate) throws Exception {
    CompletableFuture<Void> snapshotWritten = new CompletableFuture<>();
    store.beforeSnapshotRename(() -> {
      snapshotWritten.complete(null);
      return renameGate.future();
    });
    Future<Void> compaction = on.run(store::compact);
    OnContext.get(snapshotWritten);
    return compaction;
  }

  /** Copies the active log segment as the next rotation will leave it: cut at its last record. */
  private void copyAsRotated(FileAcceptorStore store, Path to) throws IOException {
    Files.copy(logFile(1), to);
    try (RandomAccessFile raf = new RandomAccessFile(to.toFile(), "rw")) {
      raf.setLength(store.logPosition());
    }
  }

  /** Offset just after the file's last non-zero byte: where its data ends if the rest is preallocated space. */
  static long dataEnd(Path file) throws IOException {
    byte[] all = Files.readAllBytes(file);
    int end = all.length;
    while (end > 0 && all[end - 1] == 0) end--;
    return end;
  }

  private static void flipByte(Path file, long offset, int mask) throws IOException {
    try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
      raf.seek(offset);
      int b = raf.read();
      raf.seek(offset);
      raf.write(b ^ mask);
    }
  }

  // ------------------------------------------------------------------------------------------------ reads and puts

  @Test
  void unknownKeyReadsAsInitial() throws Exception {
    FileAcceptorStore store = open();
    assertSame(AcceptorState.INITIAL, store.get("nobody"));
    assertEquals(0, store.size());
    on.await(store::close);
  }

  @Test
  void putUpdatesMemoryBeforeItIsDurable() throws Exception {
    FileAcceptorStore store = open();
    AcceptorState s = state(3, 3, "v", 1);
    Future<Void> put = on.run(() -> {
      Future<Void> f = store.put("k", s);
      assertEquals(s, store.get("k"));
      assertFalse(f.isComplete(), "not durable within the same turn");
      return f;
    });
    on.await(() -> put);
    assertEquals(s, store.get("k"));
    on.await(store::close);
  }

  @Test
  void putCompletesOnlyAfterFlush() throws Exception {
    FileAcceptorStore store = open();
    Promise<Void> gate = Promise.promise();
    CompletableFuture<Integer> handedOver = new CompletableFuture<>();
    store.writeHook((batch, position, realWrite) -> {
      handedOver.complete(batch.length());
      return gate.future().compose(v -> realWrite.get());
    });
    Future<Void> put = on.run(() -> store.put("k", state(1, 1, "v", 1)));
    int batchBytes = OnContext.get(handedOver);
    assertFalse(put.isComplete(), "a put must not complete while its record is not written");
    assertEquals(0, metrics.flushes.get());
    assertEquals(0, store.logPosition());
    assertEquals(0, dataEnd(logFile(1)), "nothing is in the file yet");
    on.await(() -> {
      gate.complete();
      return put;
    });
    assertEquals(1, metrics.flushes.get(), "the flush is counted before the put completes");
    assertEquals(batchBytes, store.logPosition());
    assertTrue(dataEnd(logFile(1)) > 0, "the batch is in the file");
    on.await(store::close);
    assertEquals(batchBytes, Files.size(logFile(1)), "close cuts the preallocated space");
  }

  @Test
  void recordsArrivingDuringAWriteFormTheNextBatch() throws Exception {
    FileAcceptorStore store = open();
    Promise<Void> gate = Promise.promise();
    AtomicInteger writes = new AtomicInteger();
    CompletableFuture<Void> firstHandedOver = new CompletableFuture<>();
    store.writeHook((batch, position, realWrite) -> {
      if (writes.incrementAndGet() == 1) {
        firstHandedOver.complete(null);
        return gate.future().compose(v -> realWrite.get());
      }
      return realWrite.get();
    });
    Future<Void> first = on.run(() -> store.put("first", state(1, 1, "a", 1)));
    OnContext.get(firstHandedOver);
    List<Future<Void>> later = on.run(() -> {
      List<Future<Void>> fs = new ArrayList<>();
      for (int i = 0; i < 10; i++) fs.add(store.put("later-" + i, state(2, 2, "b", 1)));
      return fs;
    });
    // the 10 puts wait while the first write is in flight: still one write
    on.await(() -> Future.succeededFuture());
    assertEquals(1, writes.get(), "only one write in flight at a time");
    on.await(() -> {
      gate.complete();
      return Future.all(first, Future.all(later));
    });
    assertEquals(List.of(1, 10), metrics.batches);
    on.await(store::close);
  }

  @Test
  void concurrentPutsShareFlushes() throws Exception {
    FileAcceptorStore store = open();
    int writers = 64;
    int putsPerWriter = 20;
    Map<String, AcceptorState> expected = new HashMap<>();
    for (int w = 0; w < writers; w++) {
      for (int i = 0; i < putsPerWriter; i++) expected.put("w" + w + "-" + i, state(i + 1, i + 1, value(w, i), i + 1));
    }
    on.await(() -> {
      List<Future<Void>> chains = new ArrayList<>();
      for (int w = 0; w < writers; w++) {
        int writer = w;
        Future<Void> chain = Future.succeededFuture();
        for (int i = 0; i < putsPerWriter; i++) {
          String key = "w" + writer + "-" + i;
          chain = chain.compose(v -> store.put(key, expected.get(key)));
        }
        chains.add(chain);
      }
      return Future.all(chains).mapEmpty();
    });
    int records = writers * putsPerWriter;
    assertEquals(records, metrics.records.get());
    assertTrue(metrics.flushes.get() < records, "flushes " + metrics.flushes.get() + " < records " + records);
    assertTrue(metrics.flushes.get() <= records / 8, "64 writers share flushes: " + metrics.batches);
    FileAcceptorStore reopened = reopen(store);
    assertHolds(reopened, expected);
    on.await(reopened::close);
  }

  @Test
  void barrierWithNothingPendingDoesNoFsync() throws Exception {
    FileAcceptorStore store = open();
    on.await(() -> store.put("k", state(1, 1, "v", 1)));
    int flushes = metrics.flushes.get();
    Future<Void> barrier = on.run(store::barrier);
    assertTrue(barrier.succeeded(), "nothing pending: the barrier completes at once");
    on.await(() -> Future.succeededFuture()); // one more turn of the event loop
    assertEquals(flushes, metrics.flushes.get(), "no fsync for a read-only path");
    on.await(store::close);
  }

  @Test
  void barrierWaitsForPendingRecords() throws Exception {
    FileAcceptorStore store = open();
    Future<Void> barrier = on.run(() -> {
      store.put("k", state(1, 1, "v", 1));
      Future<Void> b = store.barrier();
      assertFalse(b.isComplete());
      return b;
    });
    on.await(() -> barrier);
    assertEquals(1, metrics.flushes.get());
    on.await(store::close);
  }

  @Test
  void putFromAnotherThreadIsRefused() throws Exception {
    FileAcceptorStore store = open();
    assertThrows(IllegalStateException.class, () -> store.put("k", AcceptorState.INITIAL));
    on.await(store::close);
  }

  @Test
  void oversizedRecordIsRefusedWithoutFailingTheStore() throws Exception {
    FileAcceptorStore store = open(options().withMaxRecordBytes(2048));
    Throwable t = on.failure(() -> store.put("big", new AcceptorState(new Ballot(1, 1), new Ballot(1, 1),
        new RegisterState(new byte[4096], 1))));
    assertEquals(StoreRefusedException.Reason.TOO_LARGE, assertInstanceOf(StoreRefusedException.class, t).reason());
    assertFalse(store.failed());
    assertSame(AcceptorState.INITIAL, store.get("big"));
    on.await(() -> store.put("small", state(1, 1, "v", 1)));
    on.await(store::close);
  }

  @Test
  void aPutThatOverflowsTheBatchBufferLeavesNoPartialRecordAndTheLogStillOpens() throws Exception {
    FileAcceptorStore store = open();
    on.run(() -> {
      store.pendingBufferLimit(600);
      return null;
    });
    // one event-loop turn, so all three records share one batch: the middle one overflows it half-way
    List<Future<Void>> puts = on.run(() -> List.of(
        store.put("before", state(1, 1, "a", 1)),
        store.put("big", new AcceptorState(new Ballot(2, 1), new Ballot(2, 1), new RegisterState(new byte[1000], 1))),
        store.put("after", state(3, 3, "c", 1))));
    on.await(() -> puts.get(0));
    on.await(() -> puts.get(2));
    Throwable t = on.failure(() -> puts.get(1));
    assertEquals(StoreRefusedException.Reason.NOT_ENCODED, assertInstanceOf(StoreRefusedException.class, t).reason());
    assertFalse(store.failed());
    assertSame(AcceptorState.INITIAL, store.get("big"));

    FileAcceptorStore reopened = reopen(store);
    assertEquals(state(1, 1, "a", 1), reopened.get("before"));
    assertEquals(state(3, 3, "c", 1), reopened.get("after"));
    assertSame(AcceptorState.INITIAL, reopened.get("big"));
    on.await(reopened::close);
  }

  @Test
  void aPutThatWouldOverfillTheWaitingBatchIsRefusedAsBusyAndChangesNothing() throws Exception {
    FileAcceptorStore store = open(options().withMaxPendingBytes(1024));
    Promise<Void> gate = Promise.promise();
    AtomicInteger writes = new AtomicInteger();
    store.writeHook((batch, position, realWrite) ->
        writes.incrementAndGet() == 1 ? gate.future().compose(v -> realWrite.get()) : realWrite.get());
    String value = "v".repeat(300);
    // the first batch is held in flight; the next one fills up to 1024 bytes, then puts are pushed back
    Future<Void> first = on.run(() -> store.put("k-first", state(1, 1, value, 1)));
    List<Future<Void>> puts = on.run(() -> {
      List<Future<Void>> all = new ArrayList<>();
      for (int i = 0; i < 8; i++) all.add(store.put("k" + i, state(1, 1, value, 1)));
      return all;
    });
    List<Integer> accepted = new ArrayList<>();
    List<Integer> busy = new ArrayList<>();
    for (int i = 0; i < puts.size(); i++) {
      if (puts.get(i).failed()) {
        assertEquals(StoreRefusedException.Reason.BUSY,
            assertInstanceOf(StoreRefusedException.class, puts.get(i).cause()).reason());
        assertSame(AcceptorState.INITIAL, store.get("k" + i));
        busy.add(i);
      } else {
        accepted.add(i);
      }
    }
    assertFalse(accepted.isEmpty(), "the first puts of a batch fit");
    assertFalse(busy.isEmpty(), "puts beyond maxPendingBytes are pushed back");
    assertFalse(store.failed());
    on.run(() -> gate.tryComplete());
    on.await(() -> first);
    for (int i : accepted) on.await(() -> puts.get(i));
    on.await(() -> store.put("k-later", state(2, 2, value, 1)));

    FileAcceptorStore reopened = reopen(store);
    for (int i : accepted) assertEquals(state(1, 1, value, 1), reopened.get("k" + i));
    for (int i : busy) assertSame(AcceptorState.INITIAL, reopened.get("k" + i));
    assertEquals(state(2, 2, value, 1), reopened.get("k-later"));
    on.await(reopened::close);
  }

  // ------------------------------------------------------------------------------------------------ restart

  @Test
  void restartAfterCleanStopRestoresEveryKey() throws Exception {
    FileAcceptorStore store = open();
    Map<String, AcceptorState> expected = new HashMap<>();
    for (int round = 0; round < 3; round++) {
      Map<String, AcceptorState> batch = new HashMap<>();
      for (int i = 0; i < 200; i++) batch.put("key/" + i, state(round * 10L + i + 1, round * 10L + i + 1, value(i, round), round + 1));
      putAll(store, batch);
      expected.putAll(batch);
    }
    Map<String, AcceptorState> special = new HashMap<>();
    special.put("promised-only", new AcceptorState(new Ballot(99, 7), Ballot.ZERO, RegisterState.EMPTY));
    special.put("tombstone", new AcceptorState(new Ballot(5, 2), new Ballot(5, 2), new RegisterState(null, 3)));
    special.put("empty-value", new AcceptorState(new Ballot(5, 2), new Ballot(4, 2), new RegisterState(new byte[0], 1)));
    special.put("ünïcödé 🔑", new AcceptorState(new Ballot(Long.MAX_VALUE, 3), new Ballot(1, 3),
        new RegisterState(new byte[] {0, 1, -1, -128}, 9)));
    putAll(store, special);
    expected.putAll(special);
    store = reopen(store);
    assertHolds(store, expected);
    assertEquals(expected.size(), metrics.recoveredKeys.get());
    assertEquals(0, metrics.cutBytes.get());
    on.await(store::close);
  }

  /** {@link FileAcceptorStore#preload()} on a Vert.x of its own (as a node does while it joins the cluster). */
  private FileAcceptorStore.Preloaded preload() throws Exception {
    Vertx reader = Vertx.vertx();
    try {
      return new FileAcceptorStore(reader, StoreOptions.defaults(dir.toString())).preload()
          .toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    } finally {
      reader.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }
  }

  @Test
  void aStorePreloadedOnAnotherVertxIsTakenOverAndAppendsAfterItsTornTail() throws Exception {
    FileAcceptorStore first = open();
    Map<String, AcceptorState> expected = new HashMap<>();
    putOneByOne(first, expected, 20);
    on.await(first::close);
    long end = Files.size(logFile(1));
    Files.write(logFile(1), new byte[] {1, 2, 3, 4, 5}, java.nio.file.StandardOpenOption.APPEND); // a torn header

    FileAcceptorStore.Preloaded preloaded = preload();
    assertEquals(20, preloaded.size());
    assertEquals(end, Files.size(logFile(1)), "the preload cut the torn tail");
    FileAcceptorStore store = new FileAcceptorStore(on.vertx, options()).adoptOnOpen(preloaded);
    on.await(store::open);
    assertTrue(store.tookOverPreload(), "files unchanged since the preload: taken over, not read again");
    assertHolds(store, expected);
    assertEquals(5, metrics.cutBytes.get(), "the preload's cut is reported");
    // appends go where the preload's last whole record ended, and survive a restart
    AcceptorState after = state(100, 100, "after", 99);
    on.await(() -> store.put("after", after));
    expected.put("after", after);
    FileAcceptorStore reopened = reopen(store);
    assertFalse(reopened.tookOverPreload());
    assertHolds(reopened, expected);
    assertEquals(0, metrics.cutBytes.get(), "nothing torn after the takeover's append");
    on.await(reopened::close);
  }

  @Test
  void aStorePreloadedBeforeItsFilesChangedIsReadAgain() throws Exception {
    FileAcceptorStore first = open();
    Map<String, AcceptorState> expected = new HashMap<>();
    putOneByOne(first, expected, 5);
    on.await(first::close);
    FileAcceptorStore.Preloaded preloaded = preload();
    // another store of the directory writes between the preload and the takeover
    FileAcceptorStore other = open();
    AcceptorState late = state(50, 50, "late", 7);
    on.await(() -> other.put("late", late));
    expected.put("late", late);
    on.await(other::close);

    FileAcceptorStore store = new FileAcceptorStore(on.vertx, options()).adoptOnOpen(preloaded);
    on.await(store::open);
    assertFalse(store.tookOverPreload(), "the files changed: read again");
    assertHolds(store, expected);
    on.await(store::close);
  }

  /** The node keeps other files in the data directory (identity, membership) and writes them during its start. */
  @Test
  void otherFilesOfTheDirectoryWrittenAfterThePreloadDoNotPreventTheTakeover() throws Exception {
    FileAcceptorStore first = open();
    Map<String, AcceptorState> expected = new HashMap<>();
    putOneByOne(first, expected, 5);
    on.await(first::close);
    Files.writeString(dir.resolve("identity.json"), "{}");
    FileAcceptorStore.Preloaded preloaded = preload();
    Files.writeString(dir.resolve("identity.json"), "{\"changed\": true}");
    Files.writeString(dir.resolve("cluster.json.writing"), "{}");
    Files.writeString(dir.resolve("proposer-counter-floor.tmp"), "floor");
    FileAcceptorStore store = new FileAcceptorStore(on.vertx, options()).adoptOnOpen(preloaded);
    on.await(store::open);
    assertTrue(store.tookOverPreload(), "only the store's own files count");
    assertHolds(store, expected);
    on.await(store::close);
  }

  @Test
  void aPreloadOfAnotherDirectoryIsRefused() throws Exception {
    FileAcceptorStore first = open();
    on.await(first::close);
    FileAcceptorStore.Preloaded preloaded = preload();
    FileAcceptorStore elsewhere = new FileAcceptorStore(on.vertx, StoreOptions.defaults(dir.resolve("sub").toString()));
    assertThrows(IllegalArgumentException.class, () -> elsewhere.adoptOnOpen(preloaded));
  }

  @Test
  void closeWaitsForPendingPuts() throws Exception {
    FileAcceptorStore store = open();
    List<Future<Void>> puts = on.run(() -> {
      List<Future<Void>> fs = new ArrayList<>();
      for (int i = 0; i < 50; i++) fs.add(store.put("k" + i, state(i + 1, i + 1, "v", 1)));
      store.close();
      return fs;
    });
    on.await(store::close);
    for (Future<Void> f : puts) assertTrue(f.succeeded(), "pending put completed before close");
    Throwable late = on.failure(() -> store.put("late", state(1, 1, "v", 1)));
    assertInstanceOf(IllegalStateException.class, late);
    FileAcceptorStore reopened = open();
    assertEquals(50, reopened.size());
    on.await(reopened::close);
  }

  @Test
  void secondStoreOnTheSameDirectoryIsRefused() throws Exception {
    FileAcceptorStore store = open();
    Throwable t = on.failure(() -> new FileAcceptorStore(on.vertx, options()).open());
    assertTrue(t.getMessage().contains("in use"), t.getMessage());
    on.await(store::close);
    on.await(open()::close);
  }

  // ------------------------------------------------------------------------------------------------ torn tail and corruption

  @Test
  void tornTailIsCutAtLastValidRecord() throws Exception {
    FileAcceptorStore store = open();
    Map<String, AcceptorState> expected = new HashMap<>();
    List<Long> offsets = putOneByOne(store, expected, 5);
    on.await(store::close);
    long lastStart = offsets.get(4);
    try (RandomAccessFile raf = new RandomAccessFile(logFile(1).toFile(), "rw")) {
      raf.setLength(lastStart + 20); // mid-record: header and part of the body
    }
    expected.remove("key-4");
    FileAcceptorStore cut = open();
    assertHolds(cut, expected);
    assertEquals(lastStart, Files.size(logFile(1)), "the file is cut at the end of the last whole record");
    assertEquals(20, metrics.cutBytes.get());
    // appends continue after the cut and survive the next restart
    AcceptorState s = state(50, 50, "after-cut", 1);
    on.await(() -> cut.put("after", s));
    expected.put("after", s);
    FileAcceptorStore reopened = reopen(cut);
    assertHolds(reopened, expected);
    on.await(reopened::close);
  }

  @Test
  void partialHeaderAtTheTailIsCut() throws Exception {
    FileAcceptorStore store = open();
    Map<String, AcceptorState> expected = new HashMap<>();
    List<Long> offsets = putOneByOne(store, expected, 3);
    on.await(store::close);
    try (RandomAccessFile raf = new RandomAccessFile(logFile(1).toFile(), "rw")) {
      raf.setLength(offsets.get(2) + 5);
    }
    expected.remove("key-2");
    store = open();
    assertHolds(store, expected);
    assertEquals(offsets.get(2), Files.size(logFile(1)));
    on.await(store::close);
  }

  @Test
  void zeroFilledTailIsCut() throws Exception {
    FileAcceptorStore store = open();
    Map<String, AcceptorState> expected = new HashMap<>();
    List<Long> offsets = putOneByOne(store, expected, 3);
    on.await(store::close);
    Files.write(logFile(1), new byte[300], java.nio.file.StandardOpenOption.APPEND);
    store = open();
    assertHolds(store, expected);
    assertEquals(offsets.get(3), Files.size(logFile(1)));
    on.await(store::close);
  }

  // ------------------------------------------------------------------------------------------------ preallocation

  /** The data directory as a kill -9 leaves it: every file as it is now (the page cache survives such a crash). */
  private Path crashImage() throws IOException {
    Path image = dir.resolveSibling(dir.getFileName() + "-crash-" + System.nanoTime());
    Files.createDirectories(image);
    try (Stream<Path> files = Files.list(dir)) {
      for (Path f : files.toList()) Files.copy(f, image.resolve(f.getFileName()));
    }
    return image;
  }

  @Test
  void theLogGrowsInPreallocatedStepsAndCloseCutsThem() throws Exception {
    long step = 4096;
    FileAcceptorStore store = open(options().withPreallocateBytes(step));
    Map<String, AcceptorState> expected = new HashMap<>();
    putOneByOne(store, expected, 1);
    assertEquals(step, Files.size(logFile(1)), "the first batch reserves one step");
    for (int round = 0; round < 5; round++) {
      putOneByOne(store, expected, 20);
      long size = Files.size(logFile(1));
      assertEquals(0, size % step, "size " + size + " is whole steps");
      assertTrue(size >= store.logPosition() && size - store.logPosition() < step,
          "size " + size + " at most one step past the records' end " + store.logPosition());
      assertEquals(store.logPosition(), dataEnd(logFile(1)), "only zero bytes past the records");
    }
    long end = store.logPosition();
    on.await(store::close);
    assertEquals(end, Files.size(logFile(1)), "close cuts the preallocated space");
    assertHolds(open(), expected);
  }

  @Test
  void aCrashLeavesPreallocatedSpaceThatRecoveryDropsQuietly() throws Exception {
    FileAcceptorStore store = open();
    Map<String, AcceptorState> expected = new HashMap<>();
    putOneByOne(store, expected, 10);
    long end = store.logPosition();
    Path image = crashImage();
    assertEquals(StoreOptions.DEFAULT_PREALLOCATE_BYTES, Files.size(image.resolve(FileAcceptorStore.logName(1))));
    on.await(store::close);
    FileAcceptorStore recovered = open(StoreOptions.defaults(image.toString()).withMetrics(metrics));
    assertHolds(recovered, expected);
    assertEquals(0, metrics.cutBytes.get(), "zero bytes past the last record are not a torn tail");
    assertEquals(end, Files.size(image.resolve(FileAcceptorStore.logName(1))));
    // appends continue where the records ended
    AcceptorState s = state(99, 99, "after", 1);
    on.await(() -> recovered.put("after", s));
    expected.put("after", s);
    on.await(recovered::close);
    assertHolds(open(StoreOptions.defaults(image.toString())), expected);
  }

  @Test
  void aRecordTornInsidePreallocatedSpaceIsCut() throws Exception {
    FileAcceptorStore store = open();
    Map<String, AcceptorState> expected = new HashMap<>();
    List<Long> offsets = putOneByOne(store, expected, 5);
    Path image = crashImage();
    on.await(store::close);
    // the crash wrote the last record's header and the start of its body, not the rest: zeros follow
    Path log = image.resolve(FileAcceptorStore.logName(1));
    long lastStart = offsets.get(4);
    try (RandomAccessFile raf = new RandomAccessFile(log.toFile(), "rw")) {
      raf.seek(lastStart + 20);
      raf.write(new byte[(int) (offsets.get(5) - lastStart - 20)]);
    }
    expected.remove("key-4");
    FileAcceptorStore cut = open(StoreOptions.defaults(image.toString()).withMetrics(metrics));
    assertHolds(cut, expected);
    assertEquals(lastStart, Files.size(log), "cut at the end of the last whole record");
    assertEquals(StoreOptions.DEFAULT_PREALLOCATE_BYTES - lastStart, metrics.cutBytes.get());
    on.await(cut::close);
  }

  @Test
  void aHeaderTornInsidePreallocatedSpaceIsCut() throws Exception {
    FileAcceptorStore store = open();
    Map<String, AcceptorState> expected = new HashMap<>();
    List<Long> offsets = putOneByOne(store, expected, 5);
    Path image = crashImage();
    on.await(store::close);
    // the crash wrote only the first 5 bytes of the last record's header: zeros follow
    Path log = image.resolve(FileAcceptorStore.logName(1));
    long lastStart = offsets.get(4);
    try (RandomAccessFile raf = new RandomAccessFile(log.toFile(), "rw")) {
      raf.seek(lastStart + 5);
      raf.write(new byte[(int) (offsets.get(5) - lastStart - 5)]);
    }
    expected.remove("key-4");
    FileAcceptorStore cut = open(StoreOptions.defaults(image.toString()).withMetrics(metrics));
    assertHolds(cut, expected);
    assertEquals(lastStart, Files.size(log), "cut at the end of the last whole record");
    on.await(cut::close);
  }

  @Test
  void aBadRecordFollowedByOtherDataIsCorruptEvenWithPreallocatedSpace() throws Exception {
    FileAcceptorStore store = open();
    List<Long> offsets = putOneByOne(store, new HashMap<>(), 5);
    Path image = crashImage();
    on.await(store::close);
    Path log = image.resolve(FileAcceptorStore.logName(1));
    flipByte(log, offsets.get(3) + 20, 0x01); // the fourth of five records
    Throwable t = on.failure(() -> new FileAcceptorStore(on.vertx, StoreOptions.defaults(image.toString())).open());
    assertEquals(offsets.get(3), assertInstanceOf(StoreCorruptedException.class, t).offset());
  }

  @Test
  void rotationCutsTheOldSegmentBeforeTheNewOneExists() throws Exception {
    FileAcceptorStore store = open();
    Map<String, AcceptorState> expected = new HashMap<>();
    putOneByOne(store, expected, 20);
    long end = store.logPosition();
    Promise<Void> renameGate = Promise.promise();
    Future<Void> compaction = compactUntilRename(store, renameGate);
    AcceptorState s = state(500, 500, "in-new-segment", 2);
    on.await(() -> store.put("key-1", s));
    expected.put("key-1", s);
    // a crash now: segment 1 is no longer the newest, and recovery reads it strictly
    Path image = crashImage();
    assertEquals(end, Files.size(image.resolve(FileAcceptorStore.logName(1))));
    on.await(() -> {
      renameGate.complete();
      return compaction;
    });
    on.await(store::close);
    Files.deleteIfExists(image.resolve(FileAcceptorStore.snapshotName(2) + ".tmp"));
    assertHolds(open(StoreOptions.defaults(image.toString())), expected);
  }

  @Test
  void corruptRecordBeforeTheEndStopsOpenNamingFileAndOffset() throws Exception {
    FileAcceptorStore store = open();
    List<Long> offsets = putOneByOne(store, new HashMap<>(), 5);
    on.await(store::close);
    long second = offsets.get(1);
    flipByte(logFile(1), second + 20, 0x01); // a byte in the body of the second record
    Throwable t = on.failure(() -> new FileAcceptorStore(on.vertx, options()).open());
    StoreCorruptedException e = assertInstanceOf(StoreCorruptedException.class, t);
    assertEquals(second, e.offset());
    assertTrue(e.getMessage().contains(logFile(1).toString()), e.getMessage());
    assertTrue(e.getMessage().contains("offset " + second), e.getMessage());
    assertEquals(offsets.get(5), Files.size(logFile(1)), "a corrupt log is left as it is");
  }

  @Test
  void damagedLengthIsNotMistakenForATornTail() throws Exception {
    FileAcceptorStore store = open();
    List<Long> offsets = putOneByOne(store, new HashMap<>(), 5);
    on.await(store::close);
    long fourth = offsets.get(3);
    flipByte(logFile(1), fourth + 1, 0x10); // length += 1 MiB: the record would run past the end of the file
    Throwable t = on.failure(() -> new FileAcceptorStore(on.vertx, options()).open());
    StoreCorruptedException e = assertInstanceOf(StoreCorruptedException.class, t);
    assertEquals(fourth, e.offset());
    assertEquals(offsets.get(5), Files.size(logFile(1)));
  }

  @Test
  void corruptSnapshotStopsOpen() throws Exception {
    FileAcceptorStore store = open();
    putOneByOne(store, new HashMap<>(), 5);
    on.await(store::compact);
    on.await(store::close);
    Path snapshot = dir.resolve(FileAcceptorStore.snapshotName(2));
    flipByte(snapshot, Files.size(snapshot) / 2, 0x04);
    Throwable t = on.failure(() -> new FileAcceptorStore(on.vertx, options()).open());
    StoreCorruptedException e = assertInstanceOf(StoreCorruptedException.class, t);
    assertTrue(e.getMessage().contains(snapshot.toString()), e.getMessage());
  }

  @Test
  void missingLogSegmentStopsOpen() throws Exception {
    FileAcceptorStore store = open();
    putOneByOne(store, new HashMap<>(), 2);
    on.await(store::compact);
    on.await(store::close);
    Files.delete(dir.resolve(FileAcceptorStore.snapshotName(2))); // log-1 is gone too: nothing can rebuild it
    Files.write(logFile(3), new byte[0]);
    Throwable t = on.failure(() -> new FileAcceptorStore(on.vertx, options()).open());
    assertInstanceOf(StoreCorruptedException.class, t);
  }

  // ------------------------------------------------------------------------------------------------ snapshots

  @Test
  void compactionKeepsExactlyTheLiveState() throws Exception {
    FileAcceptorStore store = open();
    Map<String, AcceptorState> expected = new HashMap<>();
    for (int round = 0; round < 10; round++) {
      Map<String, AcceptorState> batch = new HashMap<>();
      for (int i = 0; i < 50; i++) {
        String v = round == 9 && i % 5 == 0 ? null : value(i, round); // some end as tombstones
        batch.put("key-" + i, state(round * 100L + i + 1, round * 100L + i + 1, v, round + 1));
      }
      putAll(store, batch);
      expected.putAll(batch);
    }
    long logBefore = store.logBytes();
    on.await(store::compact);
    assertEquals(50, metrics.lastSnapshotKeys.get(), "the snapshot holds exactly the live keys");
    assertEquals(0, store.logBytes(), "nothing to replay after the snapshot");
    assertTrue(store.liveBytes() < logBefore / 5, "live " + store.liveBytes() + " vs log " + logBefore);
    assertEquals(new TreeSet<>(List.of("log-000002.bin", "snapshot-000002.bin")), files());
    assertHolds(store, expected);
    FileAcceptorStore second = reopen(store);
    assertHolds(second, expected);
    // more puts after the snapshot go to segment 2 and are replayed on top of it
    AcceptorState s = state(5000, 5000, "after-snapshot", 20);
    on.await(() -> second.put("key-1", s));
    expected.put("key-1", s);
    FileAcceptorStore reopened = reopen(second);
    assertHolds(reopened, expected);
    on.await(reopened::close);
  }

  @Test
  void snapshotStartsWhenTheLogExceedsTheThreshold() throws Exception {
    StoreOptions opts = options().withSnapshotThresholds(8 * 1024, 64 * 1024, 2.0);
    FileAcceptorStore store = open(opts);
    Map<String, AcceptorState> expected = new HashMap<>();
    int round = 0;
    while (!metrics.firstSnapshot.isDone() && round < 10_000) {
      Map<String, AcceptorState> batch = new HashMap<>();
      for (int i = 0; i < 10; i++) batch.put("key-" + i, state(round * 10L + i + 1, round * 10L + i + 1, value(i, round), round + 1));
      putAll(store, batch);
      expected.putAll(batch);
      round++;
    }
    OnContext.get(metrics.firstSnapshot);
    on.await(store::close); // waits for the snapshot to finish and the old segment to go
    TreeSet<String> files = files();
    assertEquals(1, files.stream().filter(n -> n.startsWith("snapshot-")).count(), files.toString());
    String snapshot = files.stream().filter(n -> n.startsWith("snapshot-")).findFirst().orElseThrow();
    String firstLog = files.stream().filter(n -> n.startsWith("log-")).findFirst().orElseThrow();
    assertEquals(snapshot.substring("snapshot-".length()), firstLog.substring("log-".length()),
        "no log segment older than the snapshot is kept: " + files);
    store = open(opts);
    assertHolds(store, expected);
    on.await(store::close);
  }

  @Test
  void putsKeepWorkingWhileASnapshotIsWritten() throws Exception {
    FileAcceptorStore store = open();
    Map<String, AcceptorState> expected = new HashMap<>();
    for (int i = 0; i < 100; i++) expected.put("key-" + i, state(i + 1, i + 1, value(i, 0), 1));
    putAll(store, expected);
    Promise<Void> renameGate = Promise.promise();
    Future<Void> compaction = compactUntilRename(store, renameGate);
    // the snapshot is written but not yet renamed: puts are durable meanwhile, in the new segment
    Map<String, AcceptorState> during = new HashMap<>();
    for (int i = 0; i < 100; i += 3) during.put("key-" + i, state(1000 + i, 1000 + i, value(i, 1), 2));
    during.put("new-key", state(7, 7, "new", 1));
    putAll(store, during);
    expected.putAll(during);
    assertFalse(compaction.isComplete());
    assertTrue(Files.size(logFile(2)) > 0, "puts during the snapshot go to the new segment");
    on.await(() -> {
      renameGate.complete();
      return compaction;
    });
    store = reopen(store);
    assertHolds(store, expected);
    on.await(store::close);
  }

  @Test
  void crashBetweenSnapshotRenameAndSegmentDeletionRecovers() throws Exception {
    FileAcceptorStore store = open();
    Map<String, AcceptorState> expected = new HashMap<>();
    putOneByOne(store, expected, 20);
    Path saved = dir.resolveSibling(dir.getFileName() + "-saved-log");
    copyAsRotated(store, saved);
    on.await(store::compact);
    AcceptorState s = state(900, 900, "after", 50);
    on.await(() -> store.put("key-3", s));
    expected.put("key-3", s);
    on.await(store::close);
    // the state a crash right after the rename leaves: the old segment is still there
    Files.copy(saved, logFile(1));
    FileAcceptorStore reopened = open();
    assertHolds(reopened, expected);
    assertFalse(Files.exists(logFile(1)), "the obsolete segment is removed at start");
    on.await(reopened::close);
  }

  @Test
  void crashBeforeSnapshotRenameRecoversFromTheLog() throws Exception {
    FileAcceptorStore store = open();
    Map<String, AcceptorState> expected = new HashMap<>();
    putOneByOne(store, expected, 20);
    Path saved = dir.resolveSibling(dir.getFileName() + "-saved-log");
    copyAsRotated(store, saved);
    on.await(store::compact);
    AcceptorState s = state(900, 900, "after", 50);
    on.await(() -> store.put("key-3", s));
    expected.put("key-3", s);
    on.await(store::close);
    // the state a crash while writing the snapshot leaves: both segments, a partial temporary snapshot
    Path snapshot = dir.resolve(FileAcceptorStore.snapshotName(2));
    Path tmp = dir.resolve(FileAcceptorStore.snapshotName(2) + ".tmp");
    Files.move(snapshot, tmp, StandardCopyOption.ATOMIC_MOVE);
    try (RandomAccessFile raf = new RandomAccessFile(tmp.toFile(), "rw")) {
      raf.setLength(raf.length() / 2);
    }
    Files.copy(saved, logFile(1));
    FileAcceptorStore reopened = open();
    assertHolds(reopened, expected);
    assertFalse(Files.exists(tmp), "the unfinished snapshot is removed");
    assertEquals(new TreeSet<>(List.of("log-000001.bin", "log-000002.bin")), files());
    on.await(reopened::close);
  }

  // ------------------------------------------------------------------------------------------------ key index and removal

  private static final Ballot BT = new Ballot(40, 3);

  /** The tombstone chosen at {@link #BT}, as an acceptor holds it after the 1-RTT accept. */
  private static AcceptorState tombstoneAtBt(long version) {
    return new AcceptorState(BT.successor(), BT, new RegisterState(null, version));
  }

  /** What GC's Change.Forget leaves: exactly EMPTY accepted at BT, the one state a removal takes away. */
  private static AcceptorState forgottenAtBt() {
    return new AcceptorState(BT.successor(), BT, RegisterState.EMPTY);
  }

  private static List<String> utf8Sorted(java.util.Collection<String> keys) {
    List<String> sorted = new ArrayList<>(keys);
    sorted.sort((a, b) -> java.util.Arrays.compareUnsigned(a.getBytes(StandardCharsets.UTF_8),
        b.getBytes(StandardCharsets.UTF_8)));
    return sorted;
  }

  private static List<String> allKeysInPages(AcceptorStore store, int pageSize) {
    List<String> all = new ArrayList<>();
    String after = null;
    while (true) {
      List<String> page = store.keys(after, pageSize);
      all.addAll(page);
      if (page.size() < pageSize) return all;
      after = page.get(page.size() - 1);
    }
  }

  @Test
  void keysArePagedInUtf8ByteOrderWithTombstonesAndNonAsciiKeys() throws Exception {
    FileAcceptorStore store = open();
    List<String> keys = List.of("b", "a", "A", "é", "\uFFFD", "\uE000", "\uD83D\uDE00", "a\uD83D\uDE00", "a\uFFFD", "z",
        "\uD800\uDC00", "key/\u00FCml", "\u4E2D\u6587", "tomb");
    Map<String, AcceptorState> states = new HashMap<>();
    for (String k : keys) states.put(k, state(5, 5, k.equals("tomb") ? null : "v-" + k, 2));
    putAll(store, states);
    List<String> expected = utf8Sorted(keys);
    assertEquals(expected, store.keys(null, 100));
    for (int pageSize : new int[] {1, 3, 5, 14, 1000}) {
      assertEquals(expected, allKeysInPages(store, pageSize), "pages of " + pageSize);
    }
    assertEquals(expected.subList(4, 7), store.keys(expected.get(3), 3), "after is exclusive");
    assertEquals(List.of("b"), store.keys("a\uD83D\uDE01", 1), "after need not be a key held");
    assertEquals(List.of(), store.keys(expected.get(expected.size() - 1), 10), "nothing after the last key");
    assertEquals(List.of(), store.keys(null, 0));
    // updating a known key does not duplicate it in the index
    on.await(() -> store.put("a", state(9, 9, "again", 3)));
    assertEquals(expected, store.keys(null, 100));
    FileAcceptorStore reopened = reopen(store);
    assertEquals(expected, reopened.keys(null, 100), "recovery rebuilds the same index");
    on.await(reopened::close);
  }

  @Test
  void removeForgetsOnlyTheEmptyStateAcceptedAtBt() throws Exception {
    FileAcceptorStore store = open();
    Map<String, AcceptorState> states = new HashMap<>();
    states.put("live", new AcceptorState(BT, BT, RegisterState.of("v", 3)));
    states.put("older", new AcceptorState(BT, new Ballot(39, 3), RegisterState.EMPTY));
    states.put("promised-above", new AcceptorState(new Ballot(42, 1), BT, RegisterState.EMPTY));
    states.put("tombstone", tombstoneAtBt(3));
    states.put("tomb", forgottenAtBt());
    putAll(store, states);
    assertEquals(1, store.tombstones());
    for (String k : List.of("live", "older", "promised-above", "tombstone")) {
      assertFalse(on.await(() -> store.remove(k, BT)), k + " does not qualify");
      assertEquals(states.get(k), store.get(k), k + " is unchanged");
    }
    long before = store.logPosition();
    assertTrue(on.await(() -> store.remove("tomb", BT)));
    assertTrue(store.logPosition() > before, "the removal is logged");
    assertSame(AcceptorState.INITIAL, store.get("tomb"));
    assertEquals(4, store.size());
    assertEquals(1, store.tombstones());
    assertFalse(store.keys(null, 10).contains("tomb"));
    assertTrue(on.await(() -> store.remove("tomb", BT)), "an absent key counts as removed");
    assertTrue(on.await(() -> store.remove("never-seen", BT)));
    on.await(store::close);
  }

  @Test
  void removeCompletesOnlyOnceItsRecordIsDurable() throws Exception {
    FileAcceptorStore store = open();
    on.await(() -> store.put("tomb", forgottenAtBt()));
    Promise<Void> gate = Promise.promise();
    CompletableFuture<Void> handedOver = new CompletableFuture<>();
    store.writeHook((batch, position, realWrite) -> {
      handedOver.complete(null);
      return gate.future().compose(v -> realWrite.get());
    });
    Future<Boolean> removed = on.run(() -> store.remove("tomb", BT));
    OnContext.get(handedOver);
    assertFalse(removed.isComplete(), "a removal must not complete before its record is written");
    assertEquals(0, store.size(), "memory forgets the key at once");
    Future<Boolean> again = on.run(() -> store.remove("tomb", BT));
    assertFalse(again.isComplete(), "removing the absent key waits for the pending removal");
    on.await(() -> {
      gate.complete();
      return removed;
    });
    assertTrue(on.await(() -> again));
    on.await(store::close);
  }

  @Test
  void removedKeysStayAbsentAfterReopen() throws Exception {
    FileAcceptorStore store = open();
    Map<String, AcceptorState> expected = new HashMap<>();
    Map<String, AcceptorState> states = new HashMap<>();
    for (int i = 0; i < 200; i++) {
      // even keys are forgotten (removed) but every tenth, a tombstone not yet forgotten, stays
      AcceptorState s = i % 10 == 0 ? tombstoneAtBt(i + 1)
          : i % 2 == 0 ? forgottenAtBt() : state(50, 50, value(i, 0), i + 1);
      states.put("key-" + i, s);
      if (i % 2 != 0 || i % 10 == 0) expected.put("key-" + i, s);
    }
    putAll(store, states);
    on.await(() -> Future.all(states.keySet().stream().filter(k -> !expected.containsKey(k))
        .map(k -> store.remove(k, BT)).collect(Collectors.toList())).mapEmpty());
    assertHolds(store, expected);
    assertEquals(20, store.tombstones());
    FileAcceptorStore reopened = reopen(store);
    assertHolds(reopened, expected);
    assertEquals(20, reopened.tombstones());
    assertEquals(utf8Sorted(expected.keySet()), reopened.keys(null, 1000));
    assertSame(AcceptorState.INITIAL, reopened.get("key-2"));
    // a removed key can be written again, and that survives too
    AcceptorState back = state(60, 60, "back", 1);
    on.await(() -> reopened.put("key-2", back));
    expected.put("key-2", back);
    FileAcceptorStore third = reopen(reopened);
    assertHolds(third, expected);
    on.await(third::close);
  }

  @Test
  void aSnapshotAfterARemovalLacksTheKeyAndReopensWithoutIt() throws Exception {
    FileAcceptorStore store = open();
    Map<String, AcceptorState> expected = new HashMap<>();
    putOneByOne(store, expected, 10);
    String gone = "gone-\u00E9-key";
    on.await(() -> store.put(gone, forgottenAtBt()));
    assertTrue(on.await(() -> store.remove(gone, BT)));
    on.await(store::compact);
    assertEquals(10, metrics.lastSnapshotKeys.get());
    byte[] snapshot = Files.readAllBytes(dir.resolve(FileAcceptorStore.snapshotName(2)));
    assertFalse(new String(snapshot, StandardCharsets.ISO_8859_1)
        .contains(new String(gone.getBytes(StandardCharsets.UTF_8), StandardCharsets.ISO_8859_1)),
        "the snapshot never holds the removed key");
    FileAcceptorStore reopened = reopen(store);
    assertHolds(reopened, expected);
    assertEquals(0, reopened.tombstones());
    assertEquals(utf8Sorted(expected.keySet()), reopened.keys(null, 100), "the index built from the snapshot");
    on.await(reopened::close);
  }

  @Test
  void snapshotsAreWrittenInKeyOrderAndRecoveryIndexesThemAndTheLogOnTop() throws Exception {
    FileAcceptorStore store = open();
    Map<String, AcceptorState> expected = new HashMap<>();
    for (int i = 0; i < 300; i++) expected.put("k" + Integer.toString(i * 7919 % 1000, 36) + "\u00E9".repeat(i % 3), state(5, 5, "v" + i, 1));
    expected.put("\uD83D\uDE00", state(5, 5, "emoji", 1));
    expected.put("\uFFFD", state(5, 5, "replacement", 1));
    putAll(store, expected);
    on.await(store::compact);
    List<String> order = new ArrayList<>();
    new SegmentScanner(on.vertx, dir.resolve(FileAcceptorStore.snapshotName(2)).toString(), false, 4096, 1 << 20,
        new RecordCodec.Visitor() {
          @Override
          public void put(String key, int keyBytes, AcceptorState state) {
            order.add(key);
          }

          @Override
          public void snapshotHeader(long firstLogSegment) {}

          @Override
          public void snapshotEnd(long keyCount) {}
        }).scan().await(30, java.util.concurrent.TimeUnit.SECONDS);
    assertEquals(utf8Sorted(expected.keySet()), order);
    on.await(() -> store.put("after-snapshot", state(6, 6, "x", 1)));
    expected.put("after-snapshot", state(6, 6, "x", 1));
    FileAcceptorStore reopened = reopen(store);
    assertHolds(reopened, expected);
    assertEquals(utf8Sorted(expected.keySet()), allKeysInPages(reopened, 7));
    on.await(reopened::close);
  }

  /**
   * Recovery builds the map and the index once, after the replay: the snapshot's keys merged with those the log
   * added, less those it removed, each once (removed and put again, or removed from the snapshot and put again).
   */
  @Test
  void recoveryIndexesTheSnapshotAndTheLogsAdditionsAndRemovalsEachKeyOnce() throws Exception {
    FileAcceptorStore store = open();
    Map<String, AcceptorState> expected = new HashMap<>();
    for (String k : List.of("b", "d", "f", "h", "gone", "back")) expected.put(k, state(5, 5, k, 1));
    putAll(store, expected);
    on.await(() -> store.put("gone", forgottenAtBt()));
    on.await(() -> store.put("back", forgottenAtBt()));
    on.await(store::compact); // the snapshot holds b d f h gone back
    for (String k : List.of("a", "c", "i", "\uD83D\uDE00", "again")) {
      on.await(() -> store.put(k, state(6, 6, k, 1)));
      expected.put(k, state(6, 6, k, 1));
    }
    on.await(() -> store.put("c", state(7, 7, "c2", 2))); // a second record of a key the log added
    expected.put("c", state(7, 7, "c2", 2));
    on.await(() -> store.put("again", forgottenAtBt()));
    assertTrue(on.await(() -> store.remove("again", BT))); // added, removed, added again by the log
    assertTrue(on.await(() -> store.remove("gone", BT))); // removed from the snapshot
    assertTrue(on.await(() -> store.remove("back", BT))); // removed from the snapshot, then put again
    on.await(() -> store.put("back", state(8, 8, "back2", 3)));
    on.await(() -> store.put("again", state(8, 8, "again2", 3)));
    expected.remove("gone");
    expected.put("back", state(8, 8, "back2", 3));
    expected.put("again", state(8, 8, "again2", 3));
    FileAcceptorStore reopened = reopen(store);
    assertHolds(reopened, expected);
    assertEquals(expected.size(), reopened.size());
    assertEquals(0, reopened.tombstones());
    assertEquals(utf8Sorted(expected.keySet()), allKeysInPages(reopened, 3));
    on.await(reopened::close);
  }

  /**
   * After a restart the recovered keys are one sorted array (KeyIndex): keys removed from it must leave the listing
   * and the next snapshot, a recovered key put back must be listed once, and keys added since must merge in order.
   */
  @Test
  void recoveredKeysRemovedOrPutBackAfterARestartAreListedAndSnapshottedCorrectly() throws Exception {
    FileAcceptorStore store = open();
    Map<String, AcceptorState> expected = new HashMap<>();
    for (String k : List.of("b", "d", "f", "h", "x1", "x2")) expected.put(k, state(5, 5, k, 1));
    putAll(store, expected);
    on.await(() -> store.put("gone", forgottenAtBt()));
    on.await(() -> store.put("back", forgottenAtBt()));
    FileAcceptorStore reopened = reopen(store); // every key recovered: the index is the sorted array alone
    assertTrue(on.await(() -> reopened.remove("gone", BT)));
    assertTrue(on.await(() -> reopened.remove("back", BT)));
    on.await(() -> reopened.put("back", state(8, 8, "back2", 3))); // a recovered key, removed and put back
    for (String k : List.of("a", "e", "x0", "\uD83D\uDE00")) {
      on.await(() -> reopened.put(k, state(6, 6, k, 1)));
      expected.put(k, state(6, 6, k, 1));
    }
    expected.put("back", state(8, 8, "back2", 3));
    List<String> sorted = utf8Sorted(expected.keySet());
    assertEquals(sorted, reopened.keys(null, 100));
    assertEquals(sorted, allKeysInPages(reopened, 2));
    assertEquals(List.of("x0", "x1", "x2"), reopened.keys(null, "x", 10));
    assertEquals(List.of("x2"), reopened.keys("x1", "x", 10));
    on.await(reopened::compact); // the snapshot is written by iterating the index
    assertEquals(expected.size(), metrics.lastSnapshotKeys.get());
    FileAcceptorStore third = reopen(reopened);
    assertHolds(third, expected);
    assertEquals(sorted, allKeysInPages(third, 3));
    on.await(third::close);
  }

  @Test
  void aSnapshotInHashOrderFromBeforeTheIndexStillOpensWithEveryKeyIndexed() throws Exception {
    List<String> keys = List.of("m", "b", "\uD83D\uDE00", "z", "a", "\uFFFD", "c");
    ByteSink sink = new ByteSink(1024);
    java.util.zip.CRC32C crc = new java.util.zip.CRC32C();
    RecordCodec.appendSnapshotHeader(sink, 2, crc);
    for (String k : keys) RecordCodec.appendPut(sink, k.getBytes(StandardCharsets.UTF_8), state(3, 3, k, 1), crc);
    RecordCodec.appendSnapshotEnd(sink, keys.size(), crc);
    Files.write(dir.resolve(FileAcceptorStore.snapshotName(2)), java.util.Arrays.copyOf(sink.array(), sink.size()));
    FileAcceptorStore store = open();
    assertEquals(keys.size(), store.size());
    assertEquals(utf8Sorted(keys), store.keys(null, 100));
    on.await(store::close);
  }

  @Test
  void aRemovalDuringASnapshotIsReplayedOnTopOfIt() throws Exception {
    FileAcceptorStore store = open();
    Map<String, AcceptorState> expected = new HashMap<>();
    putOneByOne(store, expected, 10);
    on.await(() -> store.put("tomb", forgottenAtBt()));
    Promise<Void> gate = Promise.promise();
    CompletableFuture<Void> written = new CompletableFuture<>();
    store.beforeSnapshotRename(() -> {
      written.complete(null);
      return gate.future();
    });
    Future<Void> snapshot = on.run(store::compact);
    OnContext.get(written); // the snapshot file holds "tomb"; the log has moved on to segment 2
    assertTrue(on.await(() -> store.remove("tomb", BT)));
    on.await(() -> {
      gate.complete();
      return snapshot;
    });
    assertEquals(11, metrics.lastSnapshotKeys.get(), "this snapshot was written before the removal");
    FileAcceptorStore reopened = reopen(store);
    assertHolds(reopened, expected);
    assertEquals(0, reopened.tombstones());
    on.await(reopened::close);
  }

  @Test
  void aTornRemoveRecordAtTheTailIsCutAndTheTombstoneComesBack() throws Exception {
    FileAcceptorStore store = open();
    Map<String, AcceptorState> expected = new HashMap<>();
    putOneByOne(store, expected, 3);
    AcceptorState tomb = forgottenAtBt();
    on.await(() -> store.put("tomb", tomb));
    expected.put("tomb", tomb);
    long removeStart = store.logPosition();
    assertTrue(on.await(() -> store.remove("tomb", BT)));
    long removeEnd = store.logPosition();
    assertEquals(RecordCodec.removeSize(4, BT), removeEnd - removeStart);
    on.await(store::close);
    try (RandomAccessFile raf = new RandomAccessFile(logFile(1).toFile(), "rw")) {
      raf.setLength(removeEnd - 3); // the crash tore the REMOVE record
    }
    FileAcceptorStore cut = open();
    assertHolds(cut, expected);
    assertEquals(tomb, cut.get("tomb"), "the forgotten entry is back");
    assertEquals(removeStart, Files.size(logFile(1)), "the log is cut at the end of the last whole record");
    assertEquals(removeEnd - 3 - removeStart, metrics.cutBytes.get());
    // the removal can simply be done again
    assertTrue(on.await(() -> cut.remove("tomb", BT)));
    expected.remove("tomb");
    FileAcceptorStore reopened = reopen(cut);
    assertHolds(reopened, expected);
    on.await(reopened::close);
  }

  @Test
  void tombstoneCountFollowsPutsRemovesAndRecovery() throws Exception {
    FileAcceptorStore store = open();
    assertEquals(0, store.tombstones());
    on.await(() -> store.put("a", state(1, 1, "v", 1)));
    on.await(() -> store.put("b", state(1, 0, null, 0))); // promised only: not a tombstone
    assertEquals(0, store.tombstones());
    on.await(() -> store.put("a", tombstoneAtBt(2)));
    on.await(() -> store.put("c", tombstoneAtBt(1)));
    assertEquals(2, store.tombstones());
    on.await(() -> store.put("c", state(50, 50, "alive", 2)));
    assertEquals(1, store.tombstones(), "a tombstone written over stops counting");
    FileAcceptorStore reopened = reopen(store);
    assertEquals(1, reopened.tombstones());
    assertFalse(on.await(() -> reopened.remove("a", BT)), "a tombstone is forgotten before it is removed");
    on.await(() -> reopened.put("a", forgottenAtBt()));
    assertEquals(0, reopened.tombstones(), "a forgotten tombstone is no longer one");
    assertTrue(on.await(() -> reopened.remove("a", BT)));
    assertEquals(0, reopened.tombstones());
    assertEquals(2, reopened.size());
    on.await(reopened::close);
  }

  @Test
  void keyCountReturnsToWhatItWasOnceDeletedKeysAreRemoved() throws Exception {
    FileAcceptorStore store = open();
    putOneByOne(store, new HashMap<>(), 5);
    int before = store.size();
    Map<String, AcceptorState> tombs = new HashMap<>();
    for (int i = 0; i < 5000; i++) tombs.put("deleted-" + i, tombstoneAtBt(2));
    putAll(store, tombs);
    assertEquals(before + 5000, store.size());
    assertEquals(5000, store.tombstones());
    Map<String, AcceptorState> forgotten = new HashMap<>();
    for (String k : tombs.keySet()) forgotten.put(k, forgottenAtBt());
    putAll(store, forgotten);
    assertEquals(0, store.tombstones());
    on.await(() -> Future.all(tombs.keySet().stream().map(k -> store.remove(k, BT)).collect(Collectors.toList()))
        .map(all -> {
          for (int i = 0; i < all.size(); i++) assertTrue((Boolean) all.resultAt(i));
          return null;
        }));
    assertEquals(before, store.size());
    assertEquals(0, store.tombstones());
    assertEquals(before, store.keys(null, 10_000).size());
    FileAcceptorStore reopened = reopen(store);
    assertEquals(before, reopened.size());
    on.await(reopened::close);
  }

  @Test
  void removeFromAnotherThreadIsRefused() throws Exception {
    FileAcceptorStore store = open();
    assertThrows(IllegalStateException.class, () -> store.remove("k", BT));
    on.await(store::close);
  }

  // ------------------------------------------------------------------------------------------------ failures

  @Test
  void failedFlushFailsPendingAndLaterPuts() throws Exception {
    FileAcceptorStore store = open();
    on.await(() -> store.put("before", state(1, 1, "ok", 1)));
    Promise<Void> failingWrite = Promise.promise();
    CompletableFuture<Void> handedOver = new CompletableFuture<>();
    store.writeHook((batch, position, realWrite) -> {
      handedOver.complete(null);
      return failingWrite.future();
    });
    Future<Void> inFlight = on.run(() -> store.put("a", state(2, 2, "a", 1)));
    OnContext.get(handedOver);
    List<Future<Void>> pending = on.run(() -> List.of(store.put("b", state(3, 3, "b", 1)), store.barrier()));
    on.run(() -> {
      failingWrite.fail(new IOException("injected: fdatasync failed (EIO)"));
      return null;
    });
    assertTrue(store.failed());
    assertInstanceOf(StoreFailedException.class, inFlight.cause());
    for (Future<Void> f : pending) assertInstanceOf(StoreFailedException.class, f.cause());
    assertInstanceOf(StoreFailedException.class, on.failure(() -> store.put("c", state(4, 4, "c", 1))));
    assertInstanceOf(StoreFailedException.class, on.failure(store::barrier));
    assertInstanceOf(StoreFailedException.class, on.failure(store::compact));
    assertEquals(1, metrics.failures.get());
    on.await(store::close);
    assertEquals(1, metrics.flushes.get(), "the failed write was not retried");
  }

  @Test
  void writeToAClosedLogFileFailsTheStore() throws Exception {
    FileAcceptorStore store = open();
    Throwable t = on.failure(() -> store.logFile().close().compose(v -> store.put("k", state(1, 1, "v", 1))));
    assertInstanceOf(StoreFailedException.class, t);
    assertTrue(store.failed());
    assertInstanceOf(StoreFailedException.class, on.failure(() -> store.put("k2", state(1, 1, "v", 1))));
    on.await(store::close);
  }
}
