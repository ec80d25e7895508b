package io.kshaka.cluster;

import com.hazelcast.core.LifecycleEvent;
import com.hazelcast.multimap.MultiMap;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import io.vertx.core.internal.VertxInternal;
import io.vertx.core.spi.cluster.ClusterManager;
import io.vertx.core.spi.cluster.RegistrationInfo;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;
import io.vertx.spi.cluster.hazelcast.impl.HazelcastRegistrationInfo;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
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
 *
 * <p>It touches only the addresses of its own namespace ({@link Addresses#owns}): entries of the host
 * application's addresses, or of another Kshaka cluster's, are never removed, and never refreshed, whatever node
 * they name.
 *
 * <h2>Split-brain merges: repaired in place, no restart</h2>
 * Besides the multimap, each node keeps a cache of it: Vert.x's {@code DefaultNodeSelector} holds, per address it
 * sent to, the list of nodes that handle it, and updates an address only when the multimap reports an entry event
 * for that address. vertx-hazelcast 5.0.7 on a merge ({@code HazelcastClusterManager.stateChanged(MERGED)}) removes
 * the entries of nodes gone meanwhile, calls {@code registrationsLost()} (which the default selector ignores) and
 * puts this node's own entries back. Entries that reach the merged node through Hazelcast's data merge fire no
 * events, and removals done while it was away were never seen by it: its cache can keep node incarnations that
 * died meanwhile (sends to them time out) and miss nodes that started meanwhile, for as long as nothing else
 * touches those addresses. So when Hazelcast reports this node {@code MERGING} it is not ready, and once
 * {@code MERGED} the janitor refreshes every address of its namespace: it adds and at once removes a marker entry (a local-only
 * registration of no node, which no selector ever picks) under each address in the multimap and each of
 * {@code known}. Each add and remove is an entry event on every member, and each member then reads the address's
 * whole list again: every cache in the cluster, not only this node's, matches the directory. It does so three
 * times (the merge settles over a few seconds: stale entries are removed two scans after they are seen), then the
 * node is ready again. The same refresh runs every {@value #REFRESH_EVERY_SCANS} scans as a safety net for
 * events lost otherwise. Nothing is closed or restarted: requests in flight go on.
 */
public final class RegistrationJanitor {
  private static final Logger log = LoggerFactory.getLogger(RegistrationJanitor.class);
  /** vertx-hazelcast's multimap of event-bus registrations (its default cluster config names it). */
  static final String SUBS = "__vertx.subs";
  /** Prefix of the node id of refresh markers: no member has it; no node picks another's local-only entry. */
  static final String MARKER_NODE = "kshaka-refresh";
  /** Refreshes after a merge, this many scans apart. */
  private static final int[] MERGE_REFRESH_AT_SCANS = {1, 2, 4};
  private static final int REFRESH_EVERY_SCANS = 60;
  static final String MERGING = "Hazelcast is merging this node back into the cluster after a split brain";
  static final String REPAIRING = "repairing event-bus routing after a split-brain merge";

  private final Vertx vertx;
  private final HazelcastClusterManager cluster;
  private final Supplier<Set<String>> own;
  private final Runnable reRegister;
  private final NodeHealth health;
  private final Addresses addresses;
  private final RegistrationAudit audit;
  private final Supplier<Set<String>> known;
  private final WorkerExecutor worker;
  private final long timer;
  private final UUID lifecycleListener;
  private boolean scanning;
  private long scans;
  private long markerSeq;
  /** Scans since the last MERGED, or -1 when no merge repair is running; only on the event loop. */
  private int scansSinceMerge = -1;
  private boolean merging;
  private volatile long merges;

  private RegistrationJanitor(Vertx vertx, HazelcastClusterManager cluster, Addresses addresses, long periodMs,
      Supplier<Set<String>> own, Supplier<Set<String>> known, Runnable reRegister, NodeHealth health) {
    this.vertx = vertx;
    this.addresses = addresses;
    this.audit = new RegistrationAudit(addresses::owns);
    this.cluster = cluster;
    this.own = own;
    this.known = known;
    this.reRegister = reRegister;
    this.health = health;
    this.worker = vertx.createSharedWorkerExecutor("kshaka-registrations-" + System.identityHashCode(this), 1,
        1, TimeUnit.MINUTES);
    this.timer = vertx.setPeriodic(periodMs, id -> scanOnce());
    Context context = vertx.getOrCreateContext();
    this.lifecycleListener = cluster.getHazelcastInstance().getLifecycleService().addLifecycleListener(event -> {
      // a Hazelcast thread: hand over to the janitor's context
      if (event.getState() == LifecycleEvent.LifecycleState.MERGING) context.runOnContext(v -> onMerging());
      if (event.getState() == LifecycleEvent.LifecycleState.MERGED
          || event.getState() == LifecycleEvent.LifecycleState.MERGE_FAILED) {
        context.runOnContext(v -> onMerged(event.getState()));
      }
    });
  }

  /**
   * Starts auditing the addresses of {@code addresses}' namespace, or returns null when {@code vertx} is not
   * clustered with Hazelcast.
   *
   * @param own the addresses this node should be listed under now (read at every scan)
   * @param known addresses whose routing is refreshed after a merge even when the directory lists no handler for
   *     them now (a node's cache may still list one); those outside the namespace are ignored
   * @param reRegister registers this node's handlers again (called on the caller's context)
   */
  public static RegistrationJanitor start(Vertx vertx, Addresses addresses, long periodMs,
      Supplier<Set<String>> own, Supplier<Set<String>> known, Runnable reRegister, NodeHealth health) {
    ClusterManager cm = ((VertxInternal) vertx).clusterManager();
    if (!(cm instanceof HazelcastClusterManager)) return null;
    return new RegistrationJanitor(vertx, (HazelcastClusterManager) cm, addresses, periodMs, own, known,
        reRegister, health);
  }

  public void stop() {
    vertx.cancelTimer(timer);
    try {
      cluster.getHazelcastInstance().getLifecycleService().removeLifecycleListener(lifecycleListener);
    } catch (RuntimeException e) {
      log.debug("removing the lifecycle listener: {}", e.toString());
    }
    worker.close();
  }

  /** How many split-brain merges of this node were repaired (or are being repaired). */
  public long merges() {
    return merges;
  }

  private void onMerging() {
    merging = true;
    log.warn("{}: not ready until event-bus routing is repaired", MERGING);
    health.registrationProblem(MERGING);
  }

  private void onMerged(LifecycleEvent.LifecycleState state) {
    merging = false;
    if (scansSinceMerge < 0) merges = merges + 1; // one repair, however many events; written on one thread only
    scansSinceMerge = 0;
    if (state == LifecycleEvent.LifecycleState.MERGED) {
      log.warn("merged back into the cluster after a split brain; {} in place (no restart): not ready meanwhile",
          REPAIRING);
    } else {
      log.warn("Hazelcast reports {}; {} all the same: not ready meanwhile", state, REPAIRING);
    }
    health.registrationProblem(REPAIRING);
  }

  private void scanOnce() {
    if (scanning) return;
    scanning = true;
    scans++;
    Set<String> expected = own.get();
    boolean refresh = false;
    int mergeScan = scansSinceMerge;
    if (mergeScan >= 0) {
      scansSinceMerge++;
      for (int at : MERGE_REFRESH_AT_SCANS) refresh |= mergeScan == at;
    }
    refresh |= scans % REFRESH_EVERY_SCANS == 0;
    Set<String> toRefresh = refresh ? known.get() : null;
    worker.executeBlocking(() -> {
      Set<String> missing = repair(expected);
      if (toRefresh != null) {
        int n = refresh(toRefresh);
        log.debug("refreshed event-bus routing of {} addresses on every member", n);
      }
      return missing;
    }, false).onComplete(ar -> {
      scanning = false;
      if (ar.failed()) {
        log.debug("event-bus registration scan failed: {}", ar.cause().toString());
        return;
      }
      boolean repairing = merging || scansSinceMerge >= 0;
      if (scansSinceMerge > MERGE_REFRESH_AT_SCANS[MERGE_REFRESH_AT_SCANS.length - 1] && ar.result().isEmpty()) {
        scansSinceMerge = -1;
        repairing = merging;
        log.info("event-bus routing repaired after the merge; ready again");
      }
      Set<String> missing = ar.result();
      if (!missing.isEmpty()) {
        health.registrationProblem("this node's handlers are missing from the cluster directory: " + missing);
        log.warn("event-bus handlers {} of this node are not listed in the cluster; registering them again",
            missing);
        reRegister.run();
      } else if (repairing) {
        health.registrationProblem(merging ? MERGING : REPAIRING);
      } else {
        health.registrationProblem(null);
      }
    });
  }

  /**
   * Blocking: makes every member read again the handler list of every address of the namespace in the directory
   * and in {@code extra} (see the class comment), by adding and removing a marker entry under each. Returns how
   * many addresses were refreshed.
   */
  private int refresh(Set<String> extra) {
    if (!cluster.isActive()) return 0;
    MultiMap<String, HazelcastRegistrationInfo> subs = cluster.getHazelcastInstance().getMultiMap(SUBS);
    Set<String> toRefresh = new TreeSet<>(subs.keySet());
    toRefresh.addAll(extra);
    toRefresh.removeIf(address -> !addresses.owns(address));
    HazelcastRegistrationInfo marker =
        new HazelcastRegistrationInfo(new RegistrationInfo(MARKER_NODE + "-" + cluster.getNodeId(), ++markerSeq, true));
    for (String address : toRefresh) {
      subs.put(address, marker);
      subs.remove(address, marker);
    }
    return toRefresh.size();
  }

  /** Blocking: one scan, stale entries removed; returns the confirmed missing own addresses. */
  private Set<String> repair(Set<String> expected) {
    if (!cluster.isActive()) return Set.of();
    Set<String> members = new HashSet<>(cluster.getNodes());
    MultiMap<String, HazelcastRegistrationInfo> subs = cluster.getHazelcastInstance().getMultiMap(SUBS);
    List<RegistrationAudit.Entry> entries = new ArrayList<>();
    for (Map.Entry<String, HazelcastRegistrationInfo> e : subs.entrySet()) {
      if (!addresses.owns(e.getKey())) continue; // the host's, or another namespace's: never touched
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
