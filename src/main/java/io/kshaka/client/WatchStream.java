package io.kshaka.client;

import io.vertx.core.Handler;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.core.streams.ReadStream;
import java.util.function.Function;
import io.vertx.core.Future;

/**
 * The states of one key, as {@link KshakaClient#watch} delivers them: each one newer than the one before (its
 * version is higher), never repeated, never going back. It is a chain of blocking reads ({@code "op": "watch"}), each
 * asking for a version above the last one delivered, so after a node fails the next read (on whichever node the bus
 * picks) resumes from there: versions may be skipped, never repeated. Transient failures (timeouts, no node, 503,
 * 504) are retried with a backoff of up to 1 s; a refusal (a bad key, a missing credential) ends the stream through
 * its exception handler.
 *
 * <p>Back-pressure: {@link #pause} stops asking for more after the read in flight; {@link #fetch} asks for that
 * many states. {@link #close} ends the stream (its end handler runs).
 */
public final class WatchStream implements ReadStream<Versioned> {
  private final Function<Long, Future<Versioned>> next;
  private final io.vertx.core.Vertx vertx;
  private Handler<Versioned> handler;
  private Handler<Throwable> exceptionHandler;
  private Handler<Void> endHandler;
  private long demand = Long.MAX_VALUE;
  private long last;
  private boolean reading;
  private boolean ended;
  private int failures;

  /** @param next one blocking read: the key's state once its version is above the argument (or when it waits out) */
  WatchStream(io.vertx.core.Vertx vertx, long fromVersion, Function<Long, Future<Versioned>> next) {
    this.vertx = vertx;
    this.last = fromVersion;
    this.next = next;
  }

  /** The version of the last state delivered (or the one the watch started from). */
  public synchronized long lastVersion() {
    return last;
  }

  /** Ends the stream: no more reads; the end handler runs once. */
  public void close() {
    Handler<Void> end;
    synchronized (this) {
      if (ended) return;
      ended = true;
      end = endHandler;
    }
    if (end != null) end.handle(null);
  }

  @Override
  public synchronized WatchStream exceptionHandler(Handler<Throwable> handler) {
    this.exceptionHandler = handler;
    return this;
  }

  @Override
  public WatchStream handler(Handler<Versioned> handler) {
    synchronized (this) {
      this.handler = handler;
    }
    if (handler == null) close();
    else pump();
    return this;
  }

  @Override
  public synchronized WatchStream pause() {
    demand = 0;
    return this;
  }

  @Override
  public WatchStream resume() {
    return fetch(Long.MAX_VALUE);
  }

  @Override
  public WatchStream fetch(long amount) {
    synchronized (this) {
      demand = amount == Long.MAX_VALUE || demand > Long.MAX_VALUE - amount ? Long.MAX_VALUE : demand + amount;
    }
    pump();
    return this;
  }

  @Override
  public synchronized WatchStream endHandler(Handler<Void> endHandler) {
    this.endHandler = endHandler;
    return this;
  }

  private void pump() {
    long from;
    synchronized (this) {
      if (ended || reading || demand == 0 || handler == null) return;
      reading = true;
      from = last;
    }
    next.apply(from).onComplete(ar -> {
      Handler<Versioned> deliver = null;
      Versioned state = null;
      Handler<Throwable> fail = null;
      long retryMs = -1;
      synchronized (this) {
        reading = false;
        if (ended) return;
        if (ar.succeeded()) {
          failures = 0;
          if (ar.result().version() > last) { // a wait that ran out answers the same version: not news
            last = ar.result().version();
            state = ar.result();
            deliver = handler;
            if (demand != Long.MAX_VALUE) demand--;
          }
        } else if (transient_(ar.cause())) {
          retryMs = Math.min(1_000, 50L << Math.min(failures++, 5));
        } else {
          fail = exceptionHandler;
          ended = true;
        }
      }
      if (deliver != null) deliver.handle(state);
      if (fail != null) {
        fail.handle(ar.cause());
        Handler<Void> end;
        synchronized (this) {
          end = endHandler;
        }
        if (end != null) end.handle(null);
        return;
      }
      if (retryMs > 0) vertx.setTimer(retryMs, id -> pump());
      else pump();
    });
  }

  /** Worth another read: the node did not answer, none was there, or it had no quorum or no outcome. */
  private static boolean transient_(Throwable t) {
    if (t instanceof KshakaException k) return k.status() == 503 || k.status() == 504;
    return t instanceof ReplyException r
        && (r.failureType() == ReplyFailure.TIMEOUT || r.failureType() == ReplyFailure.NO_HANDLERS);
  }
}
