package io.kshaka.cluster;

import com.hazelcast.multimap.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import io.vertx.core.internal.VertxInternal;
import io.vertx.core.spi.cluster.ClusterManager;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;
import io.vertx.spi.cluster.hazelcast.impl.HazelcastRegistrationInfo;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the cluster's directory of event-bus handlers true (see {@link RegistrationAudit} for the faults it
 * repairs): every {@code periodMs} it reads vertx-hazelcast's {@code __vertx.subs} multimap on a worker thread of its
 * own (a Hazelcast call can block for seconds while a member is unreachable), removes entries of nodes that left,
 * and when this node's own handlers are missing asks for them to be registered again and reports the node not
 * ready until they are back. Does nothing when Vert.x is not clustered with Hazelcast.
 */
public final class RegistrationJanitor {
  private static final Logger log = LoggerFactory.getLogger(RegistrationJanitor.class);
  /** vertx-hazelcast's multimap of event-bus registrations (its default cluster config names it). */
  static final String SUBS = "__vertx.subs";

  private final Vertx vertx;
  private final HazelcastClusterManager cluster;
  private final Supplier<Set<String>> own;
  private final Runnable reRegister;
  private final NodeHealth health;
  private final RegistrationAudit audit = new RegistrationAudit();
  private final WorkerExecutor worker;
  private final long timer;
  private boolean scanning;

  private RegistrationJanitor(Vertx vertx, HazelcastClusterManager cluster, long periodMs,
      Supplier<Set<String>> own, Runnable reRegister, NodeHealth health) {
    this.vertx = vertx;
    this.cluster = cluster;
    this.own = own;
    this.reRegister = reRegister;
    this.health = health;
    this.worker = vertx.createSharedWorkerExecutor("kshaka-registrations-" + System.identityHashCode(this), 1,
        1, TimeUnit.MINUTES);
    this.timer = vertx.setPeriodic(periodMs, id -> scanOnce());
  }

  /**
   * Starts auditing, or returns null when {@code vertx} is not clustered with Hazelcast.
   *
   * @param own the addresses this node should be listed under now (read at every scan)
   * @param reRegister registers this node's handlers again (called on the caller's context)
   */
  public static RegistrationJanitor start(Vertx vertx, long periodMs, Supplier<Set<String>> own,
      Runnable reRegister, NodeHealth health) {
    ClusterManager cm = ((VertxInternal) vertx).clusterManager();
    if (!(cm instanceof HazelcastClusterManager)) return null;
    return new RegistrationJanitor(vertx, (HazelcastClusterManager) cm, periodMs, own, reRegister, health);
  }

  public void stop() {
    vertx.cancelTimer(timer);
    worker.close();
  }

  private void scanOnce() {
    if (scanning) return;
    scanning = true;
    Set<String> expected = own.get();
    worker.executeBlocking(() -> repair(expected), false).onComplete(ar -> {
      scanning = false;
      if (ar.failed()) {
        log.debug("event-bus registration scan failed: {}", ar.cause().toString());
        return;
      }
      Set<String> missing = ar.result();
      if (missing.isEmpty()) {
        health.registrationProblem(null);
      } else {
        health.registrationProblem("this node's handlers are missing from the cluster directory: " + missing);
        log.warn("event-bus handlers {} of this node are not listed in the cluster; registering them again",
            missing);
        reRegister.run();
      }
    });
  }

  /** Blocking: one scan, stale entries removed; returns the confirmed missing own addresses. */
  private Set<String> repair(Set<String> expected) {
    if (!cluster.isActive()) return Set.of();
    Set<String> members = new HashSet<>(cluster.getNodes());
    MultiMap<String, HazelcastRegistrationInfo> subs = cluster.getHazelcastInstance().getMultiMap(SUBS);
    List<RegistrationAudit.Entry> entries = new ArrayList<>();
    for (Map.Entry<String, HazelcastRegistrationInfo> e : subs.entrySet()) {
      entries.add(new RegistrationAudit.Entry(e.getKey(), e.getValue().unwrap().nodeId(), e.getValue()));
    }
    RegistrationAudit.Findings findings = audit.scan(entries, members, cluster.getNodeId(), expected);
    for (RegistrationAudit.Entry stale : findings.stale()) {
      log.warn("removing stale event-bus registration of {} on node {}, which is not a member", stale.address(),
          stale.nodeId());
      subs.remove(stale.address(), stale.value());
    }
    return findings.missing();
  }
}
