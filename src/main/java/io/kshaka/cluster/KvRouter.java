package io.kshaka.cluster;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;

/**
 * The node's {@link KvService}: sends each request to the key's home proposer (a stable hash of the key over the
 * configured nodes, so its 1-RTT cache is hit), or to this node's proposer when the home node is suspect or has no
 * handler (the request was then never delivered, so trying elsewhere is safe). A request that times out is never
 * resent: its outcome is unknown. Thread-safe: used from the HTTP verticle and the {@code kshaka.kv} consumer.
 */
public final class KvRouter implements KvService {
  private final Vertx vertx;
  private final NodeConfig config;
  private final NodeHealth health;
  private final List<Integer> homes;
  private final DeliveryOptions requestOptions;

  public KvRouter(Vertx vertx, NodeConfig config, NodeHealth health) {
    this.vertx = vertx;
    this.config = config;
    this.health = health;
    this.homes = new ArrayList<>(new TreeSet<>(config.acceptors()));
    // The home proposer gives up at its own deadline and answers 503/504 itself; wait a little longer than that.
    this.requestOptions = new DeliveryOptions().setSendTimeout(config.requestTimeoutMs() + 1_000);
  }

  /** The home node of a key: FNV-1a over its UTF-8 bytes, modulo the sorted node ids. */
  public int home(String key) {
    long h = 0xcbf29ce484222325L;
    for (byte b : key.getBytes(StandardCharsets.UTF_8)) {
      h ^= b & 0xff;
      h *= 0x100000001b3L;
    }
    return homes.get((int) Long.remainderUnsigned(h, homes.size()));
  }

  @Override
  public Future<JsonObject> execute(JsonObject request) {
    String key;
    try {
      key = Wire.key(request);
    } catch (ReplyException e) {
      return Future.failedFuture(e);
    }
    int home = home(key);
    if (home == config.nodeId() || health.suspect(home)) return send(config.nodeId(), request);
    return send(home, request).recover(t -> {
      if (t instanceof ReplyException re && re.failureType() == ReplyFailure.NO_HANDLERS) {
        health.failure(home);
        return send(config.nodeId(), request);
      }
      if (t instanceof ReplyException re && re.failureType() == ReplyFailure.TIMEOUT) health.failure(home);
      return Future.failedFuture(t);
    });
  }

  private Future<JsonObject> send(int node, JsonObject request) {
    return vertx.eventBus().<JsonObject>request(Addresses.kv(node), request, requestOptions).map(Message::body);
  }

  @Override
  public Future<JsonObject> status() {
    // An acceptor that answered the proposer within the last second counts without a probe; others are pinged
    // with a timeout that tolerates a busy machine (readiness must not flap under load).
    DeliveryOptions ping = new DeliveryOptions().setSendTimeout(Math.max(config.sendTimeoutMs(), 2_000));
    List<Integer> nodes = new ArrayList<>(config.quorums().allNodes());
    List<Future<Boolean>> answers = new ArrayList<>();
    for (int node : nodes) {
      answers.add(health.answeredWithin(node, 1_000) ? Future.succeededFuture(true)
          : vertx.eventBus().request(Addresses.acceptor(node), Wire.ping(), ping).map(m -> {
            health.success(node);
            return true;
          }).otherwise(false));
    }
    return Future.join(answers).map(all -> {
      JsonArray reachable = new JsonArray();
      int inPrepare = 0;
      int inAccept = 0;
      for (int i = 0; i < nodes.size(); i++) {
        if (!answers.get(i).result()) continue;
        int node = nodes.get(i);
        reachable.add(node);
        if (config.quorums().prepareNodes().contains(node)) inPrepare++;
        if (config.quorums().acceptNodes().contains(node)) inAccept++;
      }
      boolean ready = inPrepare >= config.quorums().prepareQuorum() && inAccept >= config.quorums().acceptQuorum();
      return new JsonObject()
          .put("nodeId", config.nodeId())
          .put("acceptors", new JsonArray(config.acceptors()))
          .put("prepare", new JsonObject().put("nodes", new JsonArray(new ArrayList<>(new TreeSet<>(
              config.quorums().prepareNodes())))).put("quorum", config.quorums().prepareQuorum()))
          .put("accept", new JsonObject().put("nodes", new JsonArray(new ArrayList<>(new TreeSet<>(
              config.quorums().acceptNodes())))).put("quorum", config.quorums().acceptQuorum()))
          .put("reachable", reachable)
          .put("ready", ready);
    });
  }
}
