package io.kshaka.membership;

import io.kshaka.cluster.Addresses;
import io.kshaka.cluster.Wire;
import io.kshaka.core.AcceptorState;
import io.kshaka.core.Ballot;
import io.kshaka.core.Change;
import io.kshaka.core.ClusterConfig;
import io.kshaka.security.BusGuard;
import io.kshaka.storage.AcceptorStore;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.function.BiFunction;
import java.util.function.IntPredicate;
import java.util.function.Supplier;

/**
 * {@link GcJob}'s ports on a real node: the register, forgets and touches through this node's proposer, peeks and removals
 * on the acceptors' admin addresses ({@code kshaka.acceptor.<id>.admin}), the fence pushed by the node's
 * membership, and the tombstones read from this node's own acceptor store.
 */
public final class GcPorts implements GcJob.Ports {
  /** Keys per page when scanning the local store. */
  static final int SCAN_PAGE = 4_096;

  private final Vertx vertx;
  private final Addresses addresses;
  private final int nodeId;
  private final AcceptorStore store;
  private final Supplier<ClusterConfig> installed;
  private final IntPredicate suspect;
  private final ConfigRegister register;
  private final BiFunction<String, Change, Future<JsonObject>> submit;
  private final BiFunction<ClusterConfig, Long, Future<Set<Integer>>> pushAll;
  private final DeliveryOptions admin;
  private final BusGuard guard;

  /**
   * @param submit runs a change through this node's proposer ({@code ProposerVerticle::submitInternal})
   * @param pushAll pushes a configuration to every node of it, with a timeout in ms, and completes with the nodes
   *     that persisted it ({@code Membership.push(config, Need.ALL, deadline)})
   * @param adminTimeoutMs send timeout of each admin request
   */
  public GcPorts(Vertx vertx, Addresses addresses, int nodeId, AcceptorStore store, Supplier<ClusterConfig> installed,
      IntPredicate suspect, ConfigRegister register, BiFunction<String, Change, Future<JsonObject>> submit,
      BiFunction<ClusterConfig, Long, Future<Set<Integer>>> pushAll, long adminTimeoutMs) {
    this(vertx, addresses, nodeId, store, installed, suspect, register, submit, pushAll, adminTimeoutMs,
        BusGuard.OFF);
  }

  /** As above, with the admin requests signed and their replies checked by {@code guard}. */
  public GcPorts(Vertx vertx, Addresses addresses, int nodeId, AcceptorStore store,
      Supplier<ClusterConfig> installed, IntPredicate suspect, ConfigRegister register, BiFunction<String, Change, Future<JsonObject>> submit,
      BiFunction<ClusterConfig, Long, Future<Set<Integer>>> pushAll, long adminTimeoutMs, BusGuard guard) {
    this.guard = guard;
    this.vertx = vertx;
    this.addresses = addresses;
    this.nodeId = nodeId;
    this.store = store;
    this.installed = installed;
    this.suspect = suspect;
    this.register = register;
    this.submit = submit;
    this.pushAll = pushAll;
    this.admin = new DeliveryOptions().setSendTimeout(adminTimeoutMs);
  }

  @Override
  public int nodeId() {
    return nodeId;
  }

  @Override
  public ClusterConfig installed() {
    return installed.get();
  }

  @Override
  public boolean suspect(int node) {
    return suspect.test(node);
  }

  @Override
  public long wallMillis() {
    return System.currentTimeMillis();
  }

  @Override
  public long monoMillis() {
    return System.nanoTime() / 1_000_000;
  }

  @Override
  public Future<ConfigRegister.Snapshot> read() {
    return register.read();
  }

  @Override
  public Future<ConfigRegister.Snapshot> compareAndSet(long expectedVersion, ConfigRegister.Value next) {
    return register.compareAndSet(expectedVersion, next);
  }

  @Override
  public Future<List<String>> localTombstones() {
    // Empty entries (absent, 0) are not counted by the store: scan unless it holds nothing at all.
    return scan((key, s) -> !s.state().present(), Integer.MAX_VALUE);
  }

  @Override
  public Future<List<String>> localExpired(long expiredBefore, int max) {
    return scan((key, s) -> !GcJob.reserved(key) && s.state().present() && s.state().expiring()
        && s.state().expiresAt() <= expiredBefore, max);
  }

  /**
   * The keys of this node's store whose state matches, in key order, at most {@code max}: pages through the
   * store's sorted key index on a worker thread (its reads are thread-safe).
   */
  private Future<List<String>> scan(java.util.function.BiPredicate<String, AcceptorState> matches, int max) {
    if (store.size() == 0) return Future.succeededFuture(List.of());
    return vertx.executeBlocking(() -> {
      List<String> out = new ArrayList<>();
      String after = null;
      while (true) {
        List<String> page = store.keys(after, SCAN_PAGE);
        for (String key : page) {
          if (matches.test(key, store.get(key))) {
            out.add(key);
            if (out.size() >= max) return out;
          }
        }
        if (page.size() < SCAN_PAGE) return out;
        after = page.get(page.size() - 1);
      }
    }, false);
  }

  @Override
  public Future<JsonObject> expire(String key) {
    return submit.apply(key, Change.Expire.INSTANCE);
  }

  @Override
  public Future<JsonObject> touch(String key) {
    return submit.apply(key, Change.Touch.INSTANCE);
  }

  @Override
  public Future<JsonObject> forget(String key) {
    return submit.apply(key, Change.Forget.INSTANCE);
  }

  @Override
  public Future<List<GcJob.Peeked>> peek(int acceptor, List<String> keys) {
    return guard.<JsonObject>request(vertx, addresses.acceptorAdmin(acceptor), Wire.adminPeek(keys, false), admin,
        BusGuard.Kind.ADMIN).map(m -> {
          JsonArray states = m.body().getJsonArray("states");
          List<GcJob.Peeked> out = new ArrayList<>(states.size());
          for (int i = 0; i < states.size(); i++) {
            JsonObject s = states.getJsonObject(i);
            out.add(new GcJob.Peeked(s.getString("key"), Wire.ballotFrom(s.getJsonObject("promised")),
                Wire.ballotFrom(s.getJsonObject("accepted")), s.getLong("version"), s.getBoolean("present")));
          }
          return out;
        });
  }

  @Override
  public Future<Boolean> remove(int acceptor, String key, Ballot bt, long epoch) {
    return guard.<JsonObject>request(vertx, addresses.acceptorAdmin(acceptor), Wire.adminRemove(key, bt, epoch),
        admin, BusGuard.Kind.ADMIN).map(m -> m.body().getBoolean("removed"));
  }

  @Override
  public Future<Set<Integer>> pushAll(ClusterConfig config, long timeoutMs) {
    return pushAll.apply(config, timeoutMs);
  }

  /**
   * Keys and tombstones of each acceptor of {@code members} (admin op {@code keys} with limit 1), for
   * {@code /v1/cluster}: {@code {"1":{"keys":n,"tombstones":m}, "2":{"error":"..."}}}.
   */
  public static Future<JsonObject> acceptorCounts(Vertx vertx, Addresses addresses, Set<Integer> members,
      long timeoutMs) {
    return acceptorCounts(vertx, addresses, BusGuard.OFF, members, timeoutMs);
  }

  /** As above, with the requests signed and their replies checked by {@code guard}. */
  public static Future<JsonObject> acceptorCounts(Vertx vertx, Addresses addresses, BusGuard guard,
      Set<Integer> members, long timeoutMs) {
    DeliveryOptions options = new DeliveryOptions().setSendTimeout(timeoutMs);
    List<Integer> nodes = new ArrayList<>(members);
    List<Future<JsonObject>> answers = new ArrayList<>();
    for (int node : nodes) {
      answers.add(guard.<JsonObject>request(vertx, addresses.acceptorAdmin(node), Wire.adminKeys(null, 1), options,
              BusGuard.Kind.ADMIN)
          .map(m -> new JsonObject().put("keys", m.body().getInteger("total"))
              .put("tombstones", m.body().getInteger("tombstones")))
          .otherwise(e -> new JsonObject().put("error", String.valueOf(e.getMessage()))));
    }
    return Future.join(answers).transform(ar -> {
      JsonObject out = new JsonObject();
      for (int i = 0; i < nodes.size(); i++) out.put(String.valueOf(nodes.get(i)), answers.get(i).result());
      return Future.succeededFuture(out);
    });
  }
}
