package io.kshaka.storage;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/** Counts what the store reports. */
final class RecordingMetrics implements StoreMetrics {
  final AtomicInteger flushes = new AtomicInteger();
  final AtomicLong records = new AtomicLong();
  final List<Integer> batches = new CopyOnWriteArrayList<>();
  final AtomicInteger snapshots = new AtomicInteger();
  final AtomicLong lastSnapshotKeys = new AtomicLong(-1);
  final CompletableFuture<Void> firstSnapshot = new CompletableFuture<>();
  final AtomicLong recoveredKeys = new AtomicLong(-1);
  final AtomicLong cutBytes = new AtomicLong(-1);
  final AtomicInteger failures = new AtomicInteger();

  @Override
  public void onFlush(int records, int bytes, long nanos) {
    flushes.incrementAndGet();
    this.records.addAndGet(records);
    batches.add(records);
  }

  @Override
  public void onSnapshot(long keys, long bytes, long nanos) {
    snapshots.incrementAndGet();
    lastSnapshotKeys.set(keys);
    firstSnapshot.complete(null);
  }

  @Override
  public void onRecovery(long keys, long replayedLogBytes, long cutBytes, long nanos) {
    recoveredKeys.set(keys);
    this.cutBytes.set(cutBytes);
  }

  @Override
  public void onFailure(Throwable cause) {
    failures.incrementAndGet();
  }
}
