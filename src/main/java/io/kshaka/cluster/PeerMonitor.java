package io.kshaka.cluster;

import com.hazelcast.cluster.MembershipEvent;
import com.hazelcast.cluster.MembershipListener;
import io.kshaka.security.BusGuard;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.core.internal.VertxInternal;
import io.vertx.core.spi.cluster.ClusterManager;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;
import java.util.List;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The I/O shell of {@link FailureDetector}: a timer that asks it whom to ping and pings them
 * ({@link Wire#ping()} on {@code kshaka.acceptor.<id>}, answered without touching any state), and a Hazelcast
 * membership listener that pings every peer at once when a member leaves (a departed node's sends then find no
 * handler, which is immediate suspicion). Logs each change of a peer's state.
 */
public final class PeerMonitor {
  private static final Logger log = LoggerFactory.getLogger(PeerMonitor.class);

  private final Vertx vertx;
  private final Context context;
  private final FailureDetector detector;
  private final Addresses addresses;
  private final DeliveryOptions pingOptions;
  private final long timer;
  private HazelcastClusterManager hazelcast;
  private UUID membershipListener;
  private final BusGuard guard;

  private PeerMonitor(Vertx vertx, Context context, FailureDetector detector, Addresses addresses,
      BusGuard guard) {
    this.guard = guard;
    this.vertx = vertx;
    this.addresses = addresses;
    this.context = context;
    this.detector = detector;
    FailureDetector.Options o = detector.options();
    this.pingOptions = new DeliveryOptions().setSendTimeout(o.suspectAfterMs());
    this.timer = vertx.setPeriodic(Math.max(5, o.pingIntervalMs() / 2), id -> ping(detector.tick()));
    detector.addListener(new FailureDetector.Listener() {
      @Override
      public void suspected(int node) {
        log.info("node {} is suspect: no answer for {} ms or gone from the cluster", node, o.suspectAfterMs());
      }

      @Override
      public void alive(int node) {
        log.info("node {} answers again", node);
      }
    });
  }

  /** Starts monitoring from the caller's context (the timer and pings run on it). */
  public static PeerMonitor start(Vertx vertx, FailureDetector detector, Addresses addresses) {
    return start(vertx, detector, addresses, BusGuard.OFF);
  }

  /** As above, with pings signed and their answers checked by {@code guard} (an unauthenticated pong is none). */
  public static PeerMonitor start(Vertx vertx, FailureDetector detector, Addresses addresses, BusGuard guard) {
    PeerMonitor m = new PeerMonitor(vertx, vertx.getOrCreateContext(), detector, addresses, guard);
    m.listenToMembership();
    return m;
  }

  private void listenToMembership() {
    ClusterManager cm = ((VertxInternal) vertx).clusterManager();
    if (!(cm instanceof HazelcastClusterManager hz) || hz.getHazelcastInstance() == null) return;
    try {
      membershipListener = hz.getHazelcastInstance().getCluster().addMembershipListener(new MembershipListener() {
        @Override
        public void memberAdded(MembershipEvent event) {
          context.runOnContext(v -> ping(detector.pingAll()));
        }

        @Override
        public void memberRemoved(MembershipEvent event) {
          log.debug("cluster member {} left: pinging every peer", event.getMember());
          context.runOnContext(v -> ping(detector.pingAll()));
        }
      });
      hazelcast = hz;
    } catch (RuntimeException e) { // an inactive instance: pings alone will do
      log.debug("no Hazelcast membership events: {}", e.toString());
    }
  }

  private void ping(List<Integer> nodes) {
    for (int node : nodes) {
      guard.request(vertx, addresses.acceptor(node), Wire.ping(), pingOptions, BusGuard.Kind.ACCEPTOR)
          .onComplete(ar -> {
            if (ar.succeeded()) {
              detector.alive(node);
            } else if (ar.cause() instanceof ReplyException re && re.failureType() == ReplyFailure.NO_HANDLERS) {
              detector.lost(node);
            } else if (ar.cause() instanceof ReplyException re && re.failureType() == ReplyFailure.RECIPIENT_FAILURE) {
              detector.alive(node); // it answered, even if with a failure
            }
          });
    }
  }

  public void stop() {
    vertx.cancelTimer(timer);
    if (hazelcast != null && membershipListener != null) {
      try {
        hazelcast.getHazelcastInstance().getCluster().removeMembershipListener(membershipListener);
      } catch (RuntimeException e) { // Hazelcast already shut down
        log.debug("membership listener not removed: {}", e.toString());
      }
    }
  }
}
