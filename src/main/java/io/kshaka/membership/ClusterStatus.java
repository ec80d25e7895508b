package io.kshaka.membership;

import io.kshaka.cluster.KvService;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import java.util.function.Supplier;

/**
 * A {@link KvService} whose {@link #clusterStatus} (what {@code GET /v1/cluster} shows) adds the keys and
 * tombstones of each acceptor ({@code "stores"}) and the garbage collection's state ({@code "gc"}); everything
 * else goes to the wrapped service unchanged ({@code /ready} does not wait for the stores).
 */
public final class ClusterStatus implements KvService {
  private final KvService service;
  private final Supplier<Future<JsonObject>> stores;
  private final Supplier<JsonObject> gc;

  public ClusterStatus(KvService service, Supplier<Future<JsonObject>> stores, Supplier<JsonObject> gc) {
    this.service = service;
    this.stores = stores;
    this.gc = gc;
  }

  @Override
  public Future<JsonObject> execute(JsonObject request) {
    return service.execute(request);
  }

  @Override
  public Future<JsonObject> status() {
    return service.status();
  }

  @Override
  public Future<JsonObject> clusterStatus() {
    Future<JsonObject> base = service.clusterStatus();
    Future<JsonObject> counts = stores.get().otherwise(e -> new JsonObject().put("error", String.valueOf(e)));
    return Future.all(base, counts)
        .map(all -> base.result().copy().put("stores", counts.result()).put("gc", gc.get()));
  }
}
