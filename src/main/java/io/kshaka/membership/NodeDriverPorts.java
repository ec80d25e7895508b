package io.kshaka.membership;

import io.kshaka.core.Change;
import io.kshaka.core.ClusterConfig;
import io.kshaka.security.BusGuard;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BiFunction;
import java.util.function.Function;
import java.util.function.Supplier;

/** The driver's ports on a real node: the register and touches through its proposer, the rest on the event bus. */
public final class NodeDriverPorts implements DriverPorts {
  private final Vertx vertx;
  private final int nodeId;
  private final Supplier<ClusterConfig> installed;
  private final BiFunction<String, Change, Future<JsonObject>> submit;
  private final BiFunction<ClusterConfig, Long, Future<Void>> push;
  private final Function<Integer, String> memberAddress;
  private final Function<Integer, String> adminAddress;
  private final ConfigRegister register;
  private final DeliveryOptions ask;
  private final BusGuard guard;

  /**
   * @param submit runs a change through this node's proposer ({@code ProposerVerticle::submitInternal})
   * @param push installs a configuration on a blocking set, within a deadline in ms from now
   * @param memberAddress the membership address of a node ({@code kshaka.member.<id>})
   * @param adminAddress the acceptor admin address of a node ({@code kshaka.acceptor.<id>.admin})
   * @param sendTimeoutMs how long a node may take to answer a status or a page of keys
   */
  public NodeDriverPorts(Vertx vertx, int nodeId, Supplier<ClusterConfig> installed,
      BiFunction<String, Change, Future<JsonObject>> submit, BiFunction<ClusterConfig, Long, Future<Void>> push,
      Function<Integer, String> memberAddress, Function<Integer, String> adminAddress, long sendTimeoutMs) {
    this(vertx, nodeId, installed, submit, push, memberAddress, adminAddress, sendTimeoutMs, BusGuard.OFF);
  }

  /** As above, with the status and keys requests signed and their replies checked by {@code guard}. */
  public NodeDriverPorts(Vertx vertx, int nodeId, Supplier<ClusterConfig> installed,
      BiFunction<String, Change, Future<JsonObject>> submit, BiFunction<ClusterConfig, Long, Future<Void>> push,
      Function<Integer, String> memberAddress, Function<Integer, String> adminAddress, long sendTimeoutMs,
      BusGuard guard) {
    this.guard = guard;
    this.vertx = vertx;
    this.nodeId = nodeId;
    this.installed = installed;
    this.submit = submit;
    this.push = push;
    this.memberAddress = memberAddress;
    this.adminAddress = adminAddress;
    this.register = new ConfigRegister(submit, installed);
    this.ask = new DeliveryOptions().setSendTimeout(sendTimeoutMs);
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
  public Future<ConfigRegister.Snapshot> read() {
    return register.read();
  }

  @Override
  public Future<ConfigRegister.Snapshot> compareAndSet(long expectedVersion, ConfigRegister.Value next) {
    return register.compareAndSet(expectedVersion, next);
  }

  @Override
  public Future<Void> push(ClusterConfig config, long deadlineMs) {
    return push.apply(config, deadlineMs);
  }

  @Override
  public Future<JsonObject> memberStatus(int node) {
    return guard.<JsonObject>request(vertx, memberAddress.apply(node), new JsonObject().put("op", "status"), ask,
        BusGuard.Kind.MEMBER).map(m -> m.body());
  }

  @Override
  public Future<KeyPages.Page> keys(int node, String after, int limit) {
    JsonObject request = new JsonObject().put("op", "keys").put("after", after).put("limit", limit);
    return guard.<JsonObject>request(vertx, adminAddress.apply(node), request, ask, BusGuard.Kind.ADMIN).map(m -> {
      JsonObject body = m.body();
      JsonArray a = body.getJsonArray("keys");
      List<String> keys = new ArrayList<>(a.size());
      for (int i = 0; i < a.size(); i++) keys.add(a.getString(i));
      boolean full = body.getString("next") != null || keys.size() >= limit;
      return new KeyPages.Page(node, keys, full, body.getLong("total", (long) keys.size()));
    });
  }

  @Override
  public Future<Void> touch(String key) {
    return submit.apply(key, Change.Touch.INSTANCE).mapEmpty();
  }
}
