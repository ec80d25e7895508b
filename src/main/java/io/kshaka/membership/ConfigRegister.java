package io.kshaka.membership;

import io.kshaka.cluster.Wire;
import io.kshaka.core.Change;
import io.kshaka.core.ClusterConfig;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.util.function.BiFunction;

/**
 * The one sequence of configurations, cluster-wide: every configuration change (a membership step, a garbage
 * collection fence) is first decided here, by a compare-and-set on a reserved CASPaxos register, and only then
 * pushed to the nodes. Two nodes racing to decide epoch e+1 cannot both win, so two different configurations never
 * share an epoch. The register is an ordinary key to the protocol (the membership rescan carries it along), but
 * clients cannot name it: keys starting with U+0000 are reserved ({@link io.kshaka.cluster.Keys#problem}).
 *
 * <p>Value (JSON): {@code {"config": <ConfigJson>, "change": <membership change record or null>, "gc": <pending
 * garbage-collection batch or null>}}. An absent register means nothing changed since bootstrap.
 */
public final class ConfigRegister {
  /** The reserved key. */
  public static final String KEY = "\u0000kshaka/config";

  /** What the register holds; {@code change} and {@code gc} may be null. */
  public record Value(ClusterConfig config, JsonObject change, JsonObject gc) {
    public JsonObject toJson() {
      return new JsonObject().put("config", ConfigJson.toJson(config)).put("change", change).put("gc", gc);
    }

    public static Value fromJson(JsonObject o) {
      return new Value(ConfigJson.fromJson(o.getJsonObject("config")), o.getJsonObject("change"),
          o.getJsonObject("gc"));
    }

    public Value withConfig(ClusterConfig c) {
      return new Value(c, change, gc);
    }

    public Value withChange(JsonObject c) {
      return new Value(config, c, gc);
    }

    public Value withGc(JsonObject g) {
      return new Value(config, change, g);
    }
  }

  /**
   * The register at one version. {@code version} 0 = never written: {@code value} then holds the caller's
   * current durable configuration and no change.
   */
  public record Snapshot(long version, Value value) {}

  private final BiFunction<String, Change, Future<JsonObject>> submit;
  private final java.util.function.Supplier<ClusterConfig> installed;

  /**
   * @param submit runs a change through this node's proposer ({@code ProposerVerticle::submitInternal})
   * @param installed the node's durable configuration (the register's meaning while it was never written)
   */
  public ConfigRegister(BiFunction<String, Change, Future<JsonObject>> submit,
      java.util.function.Supplier<ClusterConfig> installed) {
    this.submit = submit;
    this.installed = installed;
  }

  /** A linearizable read of the register. */
  public Future<Snapshot> read() {
    return submit.apply(KEY, Change.Read.INSTANCE).map(this::snapshot);
  }

  /**
   * Replaces the register's value if it is still at {@code expectedVersion}; fails (HTTP status 412 in the
   * failure, as {@link io.kshaka.cluster.KvService}) if another node changed it first.
   */
  public Future<Snapshot> compareAndSet(long expectedVersion, Value next) {
    byte[] bytes = next.toJson().encode().getBytes(StandardCharsets.UTF_8);
    Change cas = expectedVersion == 0 ? new Change.PutIfAbsent(bytes)
        : new Change.CompareAndSet(expectedVersion, bytes);
    return submit.apply(KEY, cas).map(this::snapshot);
  }

  private Snapshot snapshot(JsonObject reply) {
    byte[] value = Wire.replyValue(reply);
    long version = reply.getLong("version", 0L);
    if (value == null) return new Snapshot(version, new Value(installed.get(), null, null));
    return new Snapshot(version, Value.fromJson(new JsonObject(new String(value, StandardCharsets.UTF_8))));
  }
}
