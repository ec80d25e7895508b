package io.kshaka.membership;

import io.kshaka.core.ClusterConfig;
import io.kshaka.core.QuorumSpec;
import io.vertx.core.Future;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/**
 * A whole cluster as the driver sees it, in memory: the register, each node's installed configuration, each
 * acceptor's keys. A touch puts the key on every live acceptor of the register's accept set (what the rescan is for),
 * so "the new acceptor holds every key" checks that no key was skipped. Faults: nodes down, a budget of register
 * writes after which the driver "dies", failing touches, slow key listings.
 */
final class FakeClusterPorts {
  final String clusterId = "test-cluster";
  long version = 1;
  ConfigRegister.Value value;
  final Map<Integer, ClusterConfig> installed = new HashMap<>();
  final Map<Integer, TreeSet<String>> keys = new HashMap<>();
  final Map<Integer, JsonObject> identities = new HashMap<>();
  final Set<Integer> down = new HashSet<>();
  /** Nodes whose store was lost → the incarnation they had: they take no identity until a newer one. */
  final Map<Integer, Long> lost = new HashMap<>();
  final Set<Integer> keysDown = new HashSet<>();
  /** Acceptors that never answer a key listing (a paused node: the request would time out). */
  final Set<Integer> keysSilent = new HashSet<>();
  final List<Long> pushedEpochs = new ArrayList<>();
  final Map<String, Integer> touches = new HashMap<>();
  final Map<String, Integer> failTouches = new HashMap<>();
  final List<Integer> keysAsked = new ArrayList<>();
  int inFlight;
  int maxInFlight;
  int casCount;
  /** Register writes allowed before the driver dies (-1: no limit); {@code applyLast}: the last one lands. */
  int casBudget = -1;
  boolean applyLastWrite;
  Consumer<Integer> onDeath = n -> {};
  final AtomicInteger deaths = new AtomicInteger();

  FakeClusterPorts(int n) {
    Set<Integer> nodes = new TreeSet<>();
    for (int i = 1; i <= n; i++) nodes.add(i);
    ClusterConfig c = ClusterConfig.bootstrap(clusterId, QuorumSpec.majority(nodes));
    value = new ConfigRegister.Value(c, null, null);
    for (int i = 1; i <= 8; i++) {
      keys.put(i, new TreeSet<>(KeyPages.ORDER));
      if (nodes.contains(i)) {
        installed.put(i, c);
        identities.put(i, new JsonObject().put("clusterId", clusterId).put("incarnation", 1));
      }
    }
  }

  /** Keys written before the change: each on a random majority of the acceptors 1..n. */
  void load(int count, int n, long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    for (int k = 0; k < count; k++) {
      String key = "k" + r.nextInt(1_000_000) + (k % 7 == 0 ? "\u00e9\uD83D\uDE00" : "") + "-" + k;
      int skip = 1 + r.nextInt(n);
      for (int i = 1; i <= n; i++) if (n < 3 || i != skip) keys.get(i).add(key);
    }
  }

  Set<String> allKeys() {
    Set<String> all = new TreeSet<>(KeyPages.ORDER);
    keys.values().forEach(all::addAll);
    return all;
  }

  ChangeRecord record() {
    return ChangeRecord.fromJson(value.change());
  }

  ClusterConfig config() {
    return value.config();
  }

  /** The ports of node {@code node}. */
  DriverPorts node(int node) {
    return new DriverPorts() {
      @Override
      public int nodeId() {
        return node;
      }

      @Override
      public ClusterConfig installed() {
        return installed.getOrDefault(node, value.config());
      }

      @Override
      public Future<ConfigRegister.Snapshot> read() {
        synchronized (FakeClusterPorts.this) {
          if (down.contains(node)) return Future.failedFuture("down");
          return Future.succeededFuture(new ConfigRegister.Snapshot(version, value));
        }
      }

      @Override
      public Future<ConfigRegister.Snapshot> compareAndSet(long expectedVersion, ConfigRegister.Value next) {
        synchronized (FakeClusterPorts.this) {
          if (down.contains(node)) return Future.failedFuture("down");
          if (casBudget == 0) return Future.failedFuture("dead");
          if (expectedVersion != version) {
            return Future.failedFuture(new ReplyException(ReplyFailure.RECIPIENT_FAILURE, 412, "version is "
                + version));
          }
          casCount++;
          if (casBudget > 0 && --casBudget == 0) {
            if (applyLastWrite) {
              version++;
              value = next;
            }
            deaths.incrementAndGet();
            onDeath.accept(node);
            return Future.failedFuture("died");
          }
          version++;
          value = next;
          return Future.succeededFuture(new ConfigRegister.Snapshot(version, next));
        }
      }

      @Override
      public Future<Void> push(ClusterConfig config, long deadlineMs) {
        synchronized (FakeClusterPorts.this) {
          pushedEpochs.add(config.epoch());
          Set<Integer> targets = new TreeSet<>(config.members());
          ClusterConfig prev = installed.get(node);
          if (prev != null) targets.addAll(prev.members());
          int up = 0;
          for (int t : targets) {
            if (down.contains(t)) continue;
            ClusterConfig have = installed.get(t);
            if (have == null || have.epoch() < config.epoch()) installed.put(t, config);
            if (config.members().contains(t) && identities.get(t) == null
                && config.incarnation(t) > lost.getOrDefault(t, 0L)) {
              identities.put(t, new JsonObject().put("clusterId", clusterId).put("incarnation",
                  config.incarnation(t)));
            }
            up++;
          }
          return up * 2 > targets.size() ? Future.succeededFuture() : Future.failedFuture("not enough nodes");
        }
      }

      @Override
      public Future<JsonObject> memberStatus(int other) {
        synchronized (FakeClusterPorts.this) {
          if (down.contains(other)) return Future.failedFuture("no handlers");
          return Future.succeededFuture(new JsonObject().put("nodeId", other).put("identity",
              identities.get(other)).put("amnesiac", identities.get(other) == null && lost.containsKey(other)));
        }
      }

      @Override
      public Future<KeyPages.Page> keys(int acceptor, String after, int limit) {
        synchronized (FakeClusterPorts.this) {
          keysAsked.add(acceptor);
          if (down.contains(acceptor) || keysDown.contains(acceptor)) return Future.failedFuture("timeout");
          if (keysSilent.contains(acceptor)) return io.vertx.core.Promise.<KeyPages.Page>promise().future();
          TreeSet<String> held = keys.get(acceptor);
          List<String> page = new ArrayList<>();
          for (String k : after == null ? held : held.tailSet(after, false)) {
            if (page.size() == limit) break;
            page.add(k);
          }
          return Future.succeededFuture(new KeyPages.Page(acceptor, page, page.size() == limit, held.size()));
        }
      }

      @Override
      public Future<Void> touch(String key) {
        synchronized (FakeClusterPorts.this) {
          inFlight++;
          maxInFlight = Math.max(maxInFlight, inFlight);
          Integer fail = failTouches.get(key);
          if (fail != null && fail > 0) {
            failTouches.put(key, fail - 1);
            inFlight--;
            return Future.failedFuture(new ReplyException(ReplyFailure.RECIPIENT_FAILURE, 503, "no quorum"));
          }
          touches.merge(key, 1, Integer::sum);
          for (int a : value.config().quorums().acceptNodes()) {
            if (!down.contains(a)) keys.get(a).add(key);
          }
        }
        // complete later, so that touches overlap
        io.vertx.core.Promise<Void> p = io.vertx.core.Promise.promise();
        io.vertx.core.Vertx.currentContext().runOnContext(v -> {
          synchronized (FakeClusterPorts.this) {
            inFlight--;
          }
          p.complete();
        });
        return p.future();
      }
    };
  }

  static TreeMap<Integer, Long> incarnations(ClusterConfig c) {
    return new TreeMap<>(c.incarnations());
  }
}
