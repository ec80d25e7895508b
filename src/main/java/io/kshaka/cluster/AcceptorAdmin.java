package io.kshaka.cluster;

import io.kshaka.core.AcceptorState;
import io.kshaka.security.BusGuard;
import io.kshaka.storage.AcceptorStore;
import io.kshaka.storage.StoreRefusedException;
import io.vertx.core.Future;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Admin requests to one acceptor's store on {@link Addresses#acceptorAdmin} (JSON, encoded by {@link Wire}): list
 * its keys in pages ({@code keys}), read the states of some keys ({@code peek}), and garbage-collect a tombstone
 * ({@code remove}, which the store does only when {@link io.kshaka.core.Acceptor#collectable} holds). Used by the
 * rescan of a membership change and by GC.
 *
 * <p>Runs on the acceptor verticle's context (the store's home): {@link AcceptorVerticle} registers
 * {@link #handle}. Every reply is sent only once what it reports is durable.
 */
public final class AcceptorAdmin {
  private static final Logger log = LoggerFactory.getLogger(AcceptorAdmin.class);

  private final int nodeId;
  private final AcceptorStore store;
  private final LongSupplier currentEpoch;
  private final BusGuard guard;

  /** An admin that accepts a remove of any epoch (until the node knows its configuration epoch). */
  public AcceptorAdmin(int nodeId, AcceptorStore store) {
    this(nodeId, store, () -> 0L);
  }

  /** {@code currentEpoch}: the node's configuration epoch; a remove from an older epoch is refused with 409. */
  public AcceptorAdmin(int nodeId, AcceptorStore store, LongSupplier currentEpoch) {
    this(nodeId, store, currentEpoch, BusGuard.OFF);
  }

  /** As above, answering only requests {@code guard} authenticates (checked before the request is parsed). */
  public AcceptorAdmin(int nodeId, AcceptorStore store, LongSupplier currentEpoch, BusGuard guard) {
    this.guard = Objects.requireNonNull(guard, "guard");
    this.nodeId = nodeId;
    this.store = Objects.requireNonNull(store, "store");
    this.currentEpoch = Objects.requireNonNull(currentEpoch, "currentEpoch");
  }

  /** The event-bus handler: replies with the JSON answer, or fails with the status and a JSON error body. */
  public void handle(Message<Object> message) {
    if (!guard.admit(message, BusGuard.Kind.ADMIN)) return;
    Future<JsonObject> reply;
    try {
      reply = apply(Wire.adminRequest(message.body()));
    } catch (ReplyException e) {
      reply = Future.failedFuture(e);
    }
    reply.onComplete(ar -> {
      if (ar.succeeded()) {
        guard.reply(message, ar.result());
      } else if (ar.cause() instanceof ReplyException re) {
        message.fail(re.failureCode(), re.getMessage());
      } else {
        ReplyException re = storeFailure(ar.cause());
        message.fail(re.failureCode(), re.getMessage());
      }
    });
  }

  /** Answers one parsed request; fails with a {@link ReplyException} carrying status and JSON body. */
  public Future<JsonObject> apply(Wire.AdminRequest request) {
    try {
      if (request instanceof Wire.AdminKeys k) return keys(k);
      if (request instanceof Wire.AdminPeek p) return peek(p);
      return remove((Wire.AdminRemove) request);
    } catch (RuntimeException e) {
      return Future.failedFuture(e);
    }
  }

  private Future<JsonObject> keys(Wire.AdminKeys request) {
    List<String> page = store.keys(request.after(), request.prefix(), request.limit());
    String next = page.size() == request.limit() ? page.get(page.size() - 1) : null;
    JsonObject reply = Wire.adminKeysReply(page, next, store.size(), store.tombstones());
    // the keys listed may still wait for their first record to be durable
    return store.barrier().map(reply);
  }

  private Future<JsonObject> peek(Wire.AdminPeek request) {
    List<JsonObject> states = new ArrayList<>(request.keys().size());
    for (String key : request.keys()) {
      AcceptorState s = store.get(key);
      states.add(Wire.adminStateJson(key, s, request.values()));
    }
    JsonObject reply = Wire.adminPeekReply(states);
    return store.barrier().map(reply);
  }

  private Future<JsonObject> remove(Wire.AdminRemove request) {
    // EPOCH CHECK: the single place a remove is fenced by the node's configuration epoch (GC installs epoch+1
    // on every node before any acceptor removes a key, so a remove of an older batch must not run).
    long current = currentEpoch.getAsLong();
    if (request.epoch() < current) return Future.failedFuture(Wire.adminStaleEpoch(request.epoch(), current));
    return store.remove(request.key(), request.ballot()).map(removed -> {
      if (removed) log.debug("acceptor {} removed key '{}' (tombstone at {})", nodeId, request.key(), request.ballot());
      return Wire.adminRemoveReply(removed);
    });
  }

  private ReplyException storeFailure(Throwable t) {
    boolean busy = t instanceof StoreRefusedException r && r.reason() == StoreRefusedException.Reason.BUSY;
    if (!busy) log.warn("acceptor {}: admin request failed in the store: {}", nodeId, t.toString());
    return Wire.adminStoreFailure(busy, "acceptor " + nodeId + ": " + t.getMessage());
  }
}
