package io.kshaka.faults;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * Injects faults into a {@link NodeCluster} on a schedule drawn from a seeded {@link Random}: one fault at a time —
 * inject, hold, heal, wait until every node answers {@code /ready} again (the recovery time) — separated by calm
 * gaps. The first faults are every enabled kind once, in a seeded order; after that kinds are drawn at random while
 * the run's time lasts.
 */
final class Nemesis {
  enum Kind {
    /** kill -9 of one node; restart on the same data directory. */
    KILL,
    /**
     * SIGSTOP of one node for longer than Hazelcast's failure detection (phi-accrual: about 5.6 s after the last
     * heartbeat, 6-7.5 s measured on a loaded machine), then SIGCONT.
     */
    PAUSE,
    /** kill -9 of a minority of the nodes at once; restart them. */
    KILL_MINORITY,
    /** kill -9 of every node at once; restart them all. */
    KILL_ALL,
    /** a network partition between nodes (iptables DROP in network namespaces); heal. */
    PARTITION
  }

  /** One fault as it happened: when, what, how long the cluster took to be ready again after the heal. */
  record Fault(Kind kind, String what, double at, double held, double recovery) {}

  private static final Duration RECOVERY_LIMIT = Duration.ofSeconds(90);

  private final NodeCluster cluster;
  private final Random random;
  private final Events events;
  private final List<Kind> kinds;
  private final List<Fault> faults = new ArrayList<>();
  private volatile boolean stopping;

  Nemesis(NodeCluster cluster, Random random, Events events, Set<Kind> kinds) {
    this.cluster = cluster;
    this.random = random;
    this.events = events;
    this.kinds = new ArrayList<>(new TreeSet<>(kinds));
  }

  List<Fault> faults() {
    synchronized (faults) {
      return List.copyOf(faults);
    }
  }

  Map<Kind, Integer> countByKind() {
    Map<Kind, Integer> m = new EnumMap<>(Kind.class);
    for (Fault f : faults()) m.merge(f.kind(), 1, Integer::sum);
    return m;
  }

  void stop() {
    stopping = true;
  }

  /**
   * Runs the schedule on this thread for about {@code duration}: every enabled kind at least once (even if that
   * takes longer), then more while there is time for them.
   */
  void run(Duration duration) {
    long end = System.nanoTime() + duration.toNanos();
    List<Kind> first = new ArrayList<>(kinds);
    Collections.shuffle(first, random);
    delay(seconds(1.0, 3.0));
    for (int i = 0; !stopping; i++) {
      Kind kind = i < first.size() ? first.get(i) : kinds.get(random.nextInt(kinds.size()));
      if (i >= first.size() && System.nanoTime() + estimate(kind).toNanos() > end) break;
      inject(kind);
      Duration gap = seconds(1.0, 3.0);
      if (i + 1 >= first.size() && System.nanoTime() + gap.toNanos() > end) break;
      delay(gap);
    }
  }

  /** A generous guess of how long a fault of this kind lasts, held and recovered. */
  private static Duration estimate(Kind kind) {
    switch (kind) {
      case PAUSE:
      case PARTITION:
        return Duration.ofSeconds(16);
      case KILL_ALL:
        return Duration.ofSeconds(18);
      default:
        return Duration.ofSeconds(12);
    }
  }

  private void inject(Kind kind) {
    double at = events.seconds();
    String what;
    long heldFrom = System.nanoTime();
    switch (kind) {
      case KILL: {
        NodeProcess victim = randomNode();
        what = "kill -9 node " + victim.id;
        events.log("fault: " + what + " (pid " + victim.pid() + ")");
        victim.kill();
        delay(seconds(0.5, 2.5));
        events.log("heal: restart node " + victim.id);
        victim.start();
        break;
      }
      case PAUSE: {
        NodeProcess victim = randomNode();
        what = "SIGSTOP node " + victim.id;
        events.log("fault: " + what + " (pid " + victim.pid() + ")");
        victim.pause();
        delay(seconds(8.0, 10.0));
        events.log("heal: SIGCONT node " + victim.id);
        victim.resume();
        break;
      }
      case KILL_MINORITY: {
        List<NodeProcess> victims = randomNodes((cluster.size() - 1) / 2);
        what = "kill -9 nodes " + ids(victims);
        events.log("fault: " + what);
        NodeCluster.kill(victims);
        delay(seconds(0.5, 2.5));
        events.log("heal: restart nodes " + ids(victims));
        for (NodeProcess n : victims) n.start();
        break;
      }
      case KILL_ALL: {
        what = "kill -9 all nodes";
        events.log("fault: " + what);
        cluster.killAll();
        delay(seconds(0.5, 2.0));
        events.log("heal: restart all nodes");
        for (NodeProcess n : cluster.nodes()) n.start();
        break;
      }
      case PARTITION: {
        what = partition();
        delay(seconds(6.0, 9.0));
        events.log("heal: network");
        cluster.network().heal();
        break;
      }
      default:
        throw new IllegalArgumentException(kind.toString());
    }
    double held = (System.nanoTime() - heldFrom) / 1e9;
    long healed = System.nanoTime();
    Duration recovered = cluster.awaitAllReady(RECOVERY_LIMIT);
    double recovery = (System.nanoTime() - healed) / 1e9;
    events.log(String.format(Locale.ROOT, "recovered: every node ready %.2f s after the heal", recovery));
    synchronized (faults) {
      faults.add(new Fault(kind, what, at, held, recovered.toNanos() / 1e9));
    }
  }

  /** One of three shapes: one node cut off, a majority/minority split, or a bridge (non-transitive) partition. */
  private String partition() {
    int n = cluster.size();
    List<Integer> ids = new ArrayList<>();
    for (int i = 1; i <= n; i++) ids.add(i);
    Collections.shuffle(ids, random);
    int shape = random.nextInt(3);
    String what;
    if (shape == 0) {
      Set<Integer> alone = Set.of(ids.get(0));
      Set<Integer> rest = new TreeSet<>(ids.subList(1, n));
      what = "partition: " + alone + " | " + rest;
      events.log("fault: " + what);
      cluster.network().partition(List.of(alone, rest));
    } else if (shape == 1) {
      Set<Integer> minority = new TreeSet<>(ids.subList(0, (n - 1) / 2));
      Set<Integer> majority = new TreeSet<>(ids.subList((n - 1) / 2, n));
      what = "partition: " + minority + " | " + majority;
      events.log("fault: " + what);
      cluster.network().partition(List.of(minority, majority));
    } else {
      // node `bridge` sees everyone; the others are split in two halves that cannot see each other
      int bridge = ids.get(0);
      List<Integer> others = ids.subList(1, n);
      Set<Integer> left = new TreeSet<>(others.subList(0, others.size() / 2));
      Set<Integer> right = new TreeSet<>(others.subList(others.size() / 2, others.size()));
      what = "partition: bridge " + bridge + " between " + left + " and " + right;
      events.log("fault: " + what);
      List<List<Integer>> links = new ArrayList<>();
      for (int a : left) {
        for (int b : right) links.add(List.of(a, b));
      }
      cluster.network().cut(links);
    }
    return what;
  }

  private NodeProcess randomNode() {
    return cluster.node(1 + random.nextInt(cluster.size()));
  }

  private List<NodeProcess> randomNodes(int count) {
    List<NodeProcess> all = new ArrayList<>(cluster.nodes());
    Collections.shuffle(all, random);
    return new ArrayList<>(all.subList(0, Math.max(1, count)));
  }

  private static String ids(List<NodeProcess> nodes) {
    Set<Integer> ids = new TreeSet<>();
    for (NodeProcess n : nodes) ids.add(n.id);
    return ids.toString();
  }

  private Duration seconds(double min, double max) {
    return Duration.ofMillis((long) (1000 * (min + random.nextDouble() * (max - min))));
  }

  /** A timed delay of the schedule (drawn from the seed); ends early if the nemesis is stopped. */
  private void delay(Duration d) {
    long until = System.nanoTime() + d.toNanos();
    while (!stopping) {
      long left = until - System.nanoTime();
      if (left <= 0) return;
      LockSupport.parkNanos(Math.min(left, TimeUnit.MILLISECONDS.toNanos(100)));
    }
  }

  static Set<Kind> parseKinds(String list) {
    Set<Kind> out = new HashSet<>();
    for (String s : list.split(",")) {
      if (!s.isBlank()) out.add(Kind.valueOf(s.trim().toUpperCase(Locale.ROOT)));
    }
    return out;
  }
}
