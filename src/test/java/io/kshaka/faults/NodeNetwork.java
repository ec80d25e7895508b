package io.kshaka.faults;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.Collection;
import java.util.List;
import java.util.Set;

/**
 * Where the nodes of a test cluster live on this machine: the address and ports of each node, how to launch a
 * process inside its network, and (if possible) how to cut the network between nodes.
 */
interface NodeNetwork extends AutoCloseable {

  /** The address node {@code node} (1-based) binds its HTTP API and Hazelcast to. */
  String host(int node);

  int httpPort(int node);

  int clusterPort(int node);

  /** The prefix of the command line that launches a process inside the node's network (empty: this one). */
  List<String> launchPrefix(int node);

  /** Null if {@link #partition} works here, else why not (printed when the fault is skipped). */
  String partitionUnsupportedReason();

  /**
   * Cuts the network so that nodes in different groups cannot reach each other (a node in no group keeps all its
   * links). Replaces any earlier partition.
   */
  void partition(Collection<Set<Integer>> groups);

  /**
   * Cuts exactly these links (pairs of node ids), both directions; every other link works. Replaces any earlier
   * partition.
   */
  void cut(Collection<List<Integer>> links);

  /** Removes every partition. */
  void heal();

  /** Undoes everything this network set up. */
  @Override
  void close();

  /** All nodes on 127.0.0.1 with free ports; partitions are not supported. */
  static NodeNetwork loopback(int nodes, String partitionReason) {
    return new Loopback(nodes, partitionReason);
  }

  final class Loopback implements NodeNetwork {
    private final int[] httpPorts;
    private final int[] clusterPorts;
    private final String reason;

    Loopback(int nodes, String partitionReason) {
      int[] ports = freePorts(2 * nodes);
      httpPorts = java.util.Arrays.copyOfRange(ports, 0, nodes);
      clusterPorts = java.util.Arrays.copyOfRange(ports, nodes, 2 * nodes);
      reason = partitionReason == null ? "the nodes share 127.0.0.1" : partitionReason;
    }

    @Override
    public String host(int node) {
      return "127.0.0.1";
    }

    @Override
    public int httpPort(int node) {
      return httpPorts[node - 1];
    }

    @Override
    public int clusterPort(int node) {
      return clusterPorts[node - 1];
    }

    @Override
    public List<String> launchPrefix(int node) {
      return List.of();
    }

    @Override
    public String partitionUnsupportedReason() {
      return reason;
    }

    @Override
    public void partition(Collection<Set<Integer>> groups) {
      throw new UnsupportedOperationException(reason);
    }

    @Override
    public void cut(Collection<List<Integer>> links) {
      throw new UnsupportedOperationException(reason);
    }

    @Override
    public void heal() {}

    @Override
    public void close() {}

    /** Distinct free ports: all sockets stay open until every port is chosen, so none is chosen twice. */
    private static int[] freePorts(int count) {
      List<ServerSocket> open = new java.util.ArrayList<>();
      try {
        int[] ports = new int[count];
        for (int i = 0; i < count; i++) {
          ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
          open.add(s);
          ports[i] = s.getLocalPort();
        }
        return ports;
      } catch (IOException e) {
        throw new IllegalStateException("no free port on 127.0.0.1", e);
      } finally {
        for (ServerSocket s : open) {
          try {
            s.close();
          } catch (IOException ignored) {
            // closing a listening socket that never accepted
          }
        }
      }
    }
  }
}
