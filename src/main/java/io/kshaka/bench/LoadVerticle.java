package io.kshaka.bench;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.VerticleBase;
import java.util.SplittableRandom;

/**
 * Runs some of the closed-loop clients on one event loop: each client issues its next op when the previous one has
 * ended, until the timeline ends, the op cap is reached or the run is stopped. {@link #finished()} completes when
 * all of its clients have stopped.
 */
final class LoadVerticle extends VerticleBase {
  /**
   * A client whose op could not even reach a server (connection refused, no handler) waits this long before its
   * next op, so that a down node is not hammered by a tight loop of instant failures.
   */
  static final long PAUSE_AFTER_UNREACHABLE_MS = 50;

  private final Workload workload;
  private final Target target;
  private final Stats stats;
  private final Timeline timeline;
  private final byte[][] values;
  private final int[] clientIds;
  private final RunObserver observer;
  private final Promise<Void> finished = Promise.promise();
  private int running;

  LoadVerticle(Workload workload, Target target, Stats stats, Timeline timeline, byte[][] values, int[] clientIds,
      RunObserver observer) {
    this.workload = workload;
    this.target = target;
    this.stats = stats;
    this.timeline = timeline;
    this.values = values;
    this.clientIds = clientIds.clone();
    this.observer = observer;
  }

  Future<Void> finished() {
    return finished.future();
  }

  @Override
  public Future<?> start() {
    running = clientIds.length;
    if (running == 0) finished.tryComplete();
    for (int id : clientIds) new Client(id).next();
    return Future.succeededFuture();
  }

  private void clientStopped() {
    if (--running == 0) finished.tryComplete();
  }

  private final class Client {
    private final int id;
    private final SplittableRandom random;
    /** True while {@link #next} is issuing: an op that ends at once must not recurse into the next one. */
    private boolean issuing;

    Client(int id) {
      this.id = id;
      this.random = new SplittableRandom(workload.seed() ^ (0x9E3779B97F4A7C15L * (id + 1)));
    }

    void next() {
      long start = System.nanoTime();
      if (timeline.stopped() || start - timeline.end >= 0) {
        clientStopped();
        return;
      }
      boolean measured = start - timeline.measureStart >= 0;
      if (measured && workload.maxOps() > 0 && stats.claimMeasuredOp() > workload.maxOps()) {
        clientStopped();
        return;
      }
      OpKind op = workload.mix().pick(random.nextInt(100));
      int k = workload.keys() == 1 ? 0 : random.nextInt(workload.keys());
      String key = op == OpKind.ADD ? workload.counterKey(k) : workload.registerKey(k);
      byte[] value = values[random.nextInt(values.length)];
      issuing = true;
      target.execute(id, op, key, value).onComplete(ar -> {
        long end = System.nanoTime();
        OpOutcome outcome = ar.succeeded() ? ar.result() : OpOutcome.OTHER;
        stats.record(measured, op, outcome, end - start, end);
        observer.op(id, measured, outcome, end - start, end);
        if (outcome == OpOutcome.CONNECTION || outcome == OpOutcome.NO_HANDLERS) {
          vertx.setTimer(PAUSE_AFTER_UNREACHABLE_MS, t -> next());
        } else if (issuing) {
          context.runOnContext(v -> next());
        } else {
          next();
        }
      });
      issuing = false;
    }
  }
}
