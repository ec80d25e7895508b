package io.kshaka.membership;

import io.kshaka.core.ClusterConfig;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;

/**
 * What the {@link MembershipDriver} needs from its node, so that its logic runs against fakes in tests. Futures may
 * complete on any thread; the driver moves back to its own context.
 */
public interface DriverPorts {
  /** This node's id. */
  int nodeId();

  /** This node's durable configuration. */
  ClusterConfig installed();

  /** A linearizable read of the {@link ConfigRegister}. */
  Future<ConfigRegister.Snapshot> read();

  /** Compare-and-set of the register; fails if it is no longer at {@code expectedVersion}. */
  Future<ConfigRegister.Snapshot> compareAndSet(long expectedVersion, ConfigRegister.Value next);

  /**
   * Installs {@code config} on a blocking set of the configuration it follows (and on any node it introduces);
   * fails if that is not done by {@code deadlineMs} from now.
   */
  Future<Void> push(ClusterConfig config, long deadlineMs);

  /** The membership status of {@code node} ({@code kshaka.member.<id>} op status): identity, voting, amnesiac. */
  Future<JsonObject> memberStatus(int node);

  /** One page of the keys acceptor {@code node} holds after {@code after} (null = from the start). */
  Future<KeyPages.Page> keys(int node, String after, int limit);

  /** A {@code Change.Touch} of {@code key} through this node's proposer. */
  Future<Void> touch(String key);
}
