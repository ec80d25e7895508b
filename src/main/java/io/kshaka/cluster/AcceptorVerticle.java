package io.kshaka.cluster;

import io.kshaka.core.Acceptor;
import io.kshaka.core.AcceptorRequest;
import io.kshaka.security.BusGuard;
import io.kshaka.storage.AcceptorStore;
import io.kshaka.storage.StoreRefusedException;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.VerticleBase;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The acceptor role on {@code kshaka.acceptor.<nodeId>}: applies {@link Acceptor}'s pure rules to the stored state
 * of the key and replies only once the new state is durable. All work runs on this verticle's event loop, so the
 * messages of one key are handled one after the other; the store's group commit batches their fsyncs. The
 * verticle owns the store: it opens it on start and closes it on stop.
 *
 * <p>If the store fails (a write or fsync error) the acceptor stops voting: it unregisters and answers nothing, as
 * it may have lost state it promised. A put the store refuses on its own ({@link StoreRefusedException}: a record
 * over the size limit, a full batch) changed nothing: that request alone is answered {@link Wire#refused} (no
 * vote) and the acceptor goes on voting.
 */
public final class AcceptorVerticle extends VerticleBase {
  private static final Logger log = LoggerFactory.getLogger(AcceptorVerticle.class);

  private final Addresses addresses;
  private final int nodeId;
  private final AcceptorStore store;
  /** The node's configuration and whether it may vote (null: always votes, no fence; tests of the store alone). */
  private final io.kshaka.membership.Membership membership;
  private MessageConsumer<Buffer> consumer;
  /** Admin requests (keys, peek, remove) on {@code kshaka.acceptor.<id>.admin}; removals fenced by the epoch. */
  private final AcceptorAdmin admin;
  private MessageConsumer<Object> adminConsumer;
  private volatile boolean stopped;
  /** Refuses requests without the cluster secret's MAC before anything decodes them; signs the replies. */
  private final BusGuard guard;
  /** Told the key of every accept made durable here (watches wake up on it). */
  private volatile java.util.function.Consumer<String> onAccepted = key -> {};

  public AcceptorVerticle(int nodeId, AcceptorStore store) {
    this(Addresses.DEFAULT, nodeId, store, null);
  }

  /** An acceptor that votes only while {@code membership} says so, under its fence (epoch, ballot floor). */
  public AcceptorVerticle(Addresses addresses, int nodeId, AcceptorStore store,
      io.kshaka.membership.Membership membership) {
    this(addresses, nodeId, store, membership, BusGuard.OFF);
  }

  /** As above, taking only requests {@code guard} authenticates (on both addresses). */
  public AcceptorVerticle(Addresses addresses, int nodeId, AcceptorStore store,
      io.kshaka.membership.Membership membership, BusGuard guard) {
    this.addresses = addresses;
    this.nodeId = nodeId;
    this.store = store;
    this.membership = membership;
    this.guard = guard;
    this.admin = new AcceptorAdmin(nodeId, store, membership == null ? () -> 0 : () -> membership.fence().epoch(),
        guard);
  }

  /** Tells {@code listener} the key of every accept this acceptor makes durable (from its event loop). */
  public void onAccepted(java.util.function.Consumer<String> listener) {
    this.onAccepted = listener;
  }

  /** Opens the store on this verticle's event loop (the store's home), then starts voting. */
  @Override
  public Future<?> start() {
    return store.open().compose(v -> {
      consumer = vertx.eventBus().consumer(addresses.acceptor(nodeId), this::handle);
      adminConsumer = vertx.eventBus().consumer(addresses.acceptorAdmin(nodeId), admin::handle);
      return Future.all(consumer.completion(), adminConsumer.completion());
    });
  }

  /** The address other nodes reach this acceptor on, or null once it stopped voting. */
  public String address() {
    return stopped ? null : addresses.acceptor(nodeId);
  }

  /**
   * Registers the handler again, for when the cluster lost its entry ({@link RegistrationJanitor}): the new one
   * first, then the old one goes.
   */
  public void reRegister() {
    context.runOnContext(v -> {
      if (stopped || consumer == null) return;
      MessageConsumer<Buffer> old = consumer;
      consumer = vertx.eventBus().consumer(addresses.acceptor(nodeId), this::handle);
      old.unregister();
      MessageConsumer<Object> oldAdmin = adminConsumer;
      adminConsumer = vertx.eventBus().consumer(addresses.acceptorAdmin(nodeId), admin::handle);
      oldAdmin.unregister();
    });
  }

  @Override
  public Future<?> stop() {
    Future<Void> unregistered = consumer == null ? Future.succeededFuture() : consumer.unregister();
    Future<Void> adminGone = adminConsumer == null ? Future.succeededFuture() : adminConsumer.unregister();
    return Future.join(unregistered, adminGone).eventually(store::close);
  }

  private void handle(Message<Buffer> message) {
    if (stopped) return;
    if (!guard.admit(message, BusGuard.Kind.ACCEPTOR)) return;
    Buffer body = message.body();
    if (Wire.isPing(body)) {
      guard.reply(message, Wire.pong());
      return;
    }
    if (membership != null && !membership.voting()) {
      // no vote at all (not even a promise): its store may have lost what it promised, or it is not a member
      String why = "not voting: " + membership.notVotingReason();
      if (Wire.isBatch(body)) {
        try {
          List<Buffer> parts = Wire.unbatch(body);
          List<Buffer> refusals = new ArrayList<>(parts.size());
          for (int i = 0; i < parts.size(); i++) refusals.add(Wire.refused(why));
          guard.reply(message, Wire.batch(refusals));
        } catch (IllegalArgumentException e) {
          message.fail(400, e.getMessage());
        }
      } else {
        guard.reply(message, Wire.refused(why));
      }
      return;
    }
    try {
      if (Wire.isBatch(body)) {
        List<AcceptorRequest> requests = new ArrayList<>();
        for (Buffer part : Wire.unbatch(body)) requests.add(Wire.decodeRequest(part));
        List<Future<Buffer>> replies = new ArrayList<>(requests.size());
        for (AcceptorRequest request : requests) replies.add(handle(request));
        Future.all(replies).onComplete(ar -> {
          if (ar.failed()) return;
          List<Buffer> encoded = new ArrayList<>(replies.size());
          for (Future<Buffer> r : replies) encoded.add(r.result());
          guard.reply(message, Wire.batch(encoded));
        });
      } else {
        handle(Wire.decodeRequest(body)).onSuccess(reply -> guard.reply(message, reply));
      }
    } catch (IllegalArgumentException e) {
      message.fail(400, e.getMessage());
    }
  }

  /**
   * Applies one request to the stored state; the reply completes only once the new state is durable, or with a
   * refusal if the store refused this put alone. If the store fails the acceptor stops voting and the reply never
   * completes.
   */
  private Future<Buffer> handle(AcceptorRequest request) {
    Acceptor.Transition t = membership == null ? Acceptor.handle(store.get(request.key()), request)
        : Acceptor.handle(store.get(request.key()), request, membership.fence());
    Future<Void> durable = t.next() == null ? store.barrier() : store.put(request.key(), t.next());
    Promise<Buffer> reply = Promise.promise();
    durable.onComplete(ar -> {
      if (ar.succeeded()) {
        reply.complete(Wire.encode(t.reply()));
        if (t.next() != null && request instanceof AcceptorRequest.Accept) onAccepted.accept(request.key());
      } else if (ar.cause() instanceof StoreRefusedException refused) {
        if (refused.reason() == StoreRefusedException.Reason.BUSY) {
          log.debug("acceptor {} refuses a request on key '{}': {}", nodeId, request.key(), refused.getMessage());
        } else {
          log.warn("acceptor {} refuses a request on key '{}': {}", nodeId, request.key(), refused.getMessage());
        }
        reply.complete(Wire.refused(refused.getMessage()));
      } else {
        stopVoting(ar.cause());
      }
    });
    return reply.future();
  }

  private void stopVoting(Throwable cause) {
    if (stopped) return;
    stopped = true;
    log.error("acceptor {} stops voting: its store failed ({}); restart the node after fixing the disk",
        nodeId, cause.toString());
    consumer.unregister();
  }
}
