package io.kshaka.bench;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.Set;

/**
 * Where the nodes that the fault mode starts live: {@link Loopback} (127.0.0.1, free ports from 18100 up, no
 * partitions) or {@link Namespaces} (a network namespace per node on a bridge, which can cut a node off from the
 * others while the bench, in the root namespace, still reaches every node).
 */
interface LocalNetwork extends AutoCloseable {
  String host(int node);

  int httpPort(int node);

  int clusterPort(int node);

  /** The start of the command line that runs a process in the node's network (empty: this one). */
  List<String> launchPrefix(int node);

  /** Cuts every link between a node of {@code cut} and a node outside it, both ways; packets vanish silently. */
  void isolate(Set<Integer> cut);

  /** Restores every link. */
  void heal();

  String describe();

  @Override
  void close();

  /** Why {@link Namespaces} cannot work here, or null if it can. */
  static String namespacesUnsupported() {
    if (!System.getProperty("os.name", "").toLowerCase(Locale.ROOT).contains("linux")) return "not Linux";
    Commands.Result ip = Commands.run(List.of("ip", "-V"), "");
    if (!ip.ok()) return "no iproute2 'ip' command (" + ip.output() + ")";
    String probe = String.format(Locale.ROOT, "kbprobe%05x", new Random().nextInt(1 << 20));
    Commands.Result add = Commands.run(List.of("ip", "netns", "add", probe), "");
    if (!add.ok()) return "cannot create a network namespace, root needed (" + add.output() + ")";
    Commands.run(List.of("ip", "netns", "del", probe), "");
    return null;
  }

  /** Every node on 127.0.0.1; ports in a block that is free now, from 18100 up (never run.sh's 8081-3/5701-3). */
  final class Loopback implements LocalNetwork {
    private final int base;

    Loopback(int nodes) {
      for (int b = 18100; b < 30000; b += 200) {
        if (free(b, nodes)) {
          base = b;
          return;
        }
      }
      throw new BenchFailure("no free block of ports on 127.0.0.1 between 18100 and 30000");
    }

    private static boolean free(int base, int nodes) {
      List<Integer> ports = new ArrayList<>();
      for (int i = 1; i <= nodes; i++) {
        ports.add(base + i);
        ports.add(base + 100 + i);
      }
      for (int p : ports) {
        try (ServerSocket s = new ServerSocket()) {
          s.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), p));
        } catch (IOException e) {
          return false;
        }
      }
      return true;
    }

    @Override
    public String host(int node) {
      return "127.0.0.1";
    }

    @Override
    public int httpPort(int node) {
      return base + node;
    }

    @Override
    public int clusterPort(int node) {
      return base + 100 + node;
    }

    @Override
    public List<String> launchPrefix(int node) {
      return List.of();
    }

    @Override
    public void isolate(Set<Integer> cut) {
      throw new UnsupportedOperationException("the nodes share 127.0.0.1: use --network netns for partitions");
    }

    @Override
    public void heal() {}

    @Override
    public String describe() {
      return "127.0.0.1, HTTP ports " + (base + 1) + "+, cluster ports " + (base + 101) + "+";
    }

    @Override
    public void close() {}
  }

  /**
   * Node i in network namespace {@code kb<tag>n<i>} at {@code 10.A.B.i}, joined by a veth pair to a bridge that
   * holds {@code 10.A.B.254} in the root namespace (where the bench's clients are). Every node knows the MAC address
   * of every other node by a permanent neighbour entry; a cut replaces the entry on both sides with an address no
   * interface has, so that frames between them are dropped silently by every receiver (established connections
   * stall, new ones time out), as on a real network; a heal puts the real addresses back. This needs root and
   * iproute2 only (no iptables, no tc).
   */
  final class Namespaces implements LocalNetwork {
    static final int HTTP_PORT = 8080;
    static final int CLUSTER_PORT = 5701;

    private final int nodes;
    private final String tag;
    private final String subnet;
    private final List<String> created = new ArrayList<>();
    private boolean closed;

    Namespaces(int nodes) {
      Random random = new Random();
      this.nodes = nodes;
      this.tag = String.format(Locale.ROOT, "%05x", random.nextInt(1 << 20));
      this.subnet = freeSubnet(random);
      try {
        setUp();
      } catch (RuntimeException e) {
        close();
        throw e;
      }
    }

    private String namespace(int i) {
      return "kb" + tag + "n" + i;
    }

    private String inside(int i) {
      return "kb" + tag + "v" + i;
    }

    private String mac(int i, boolean real) {
      return String.format(Locale.ROOT, "02:%s:%s:%s:%s:%02x", real ? "4b" : "4c", tag.substring(0, 1) + "0",
          tag.substring(1, 3), tag.substring(3, 5), i);
    }

    private void setUp() {
      String bridge = "kb" + tag + "b";
      StringBuilder root = new StringBuilder();
      root.append("link add ").append(bridge).append(" type bridge\n");
      root.append("addr add ").append(subnet).append("254/24 dev ").append(bridge).append('\n');
      root.append("link set ").append(bridge).append(" up\n");
      created.add("link:" + bridge);
      for (int i = 1; i <= nodes; i++) {
        String outside = "kb" + tag + "h" + i;
        root.append("netns add ").append(namespace(i)).append('\n');
        root.append("link add ").append(outside).append(" type veth peer name ").append(inside(i)).append(" address ")
            .append(mac(i, true)).append('\n');
        root.append("link set ").append(outside).append(" master ").append(bridge).append('\n');
        root.append("link set ").append(outside).append(" up\n");
        root.append("link set ").append(inside(i)).append(" netns ").append(namespace(i)).append('\n');
        created.add("netns:" + namespace(i));
        created.add("link:" + outside);
      }
      Commands.check(List.of("ip", "-batch", "-"), root.toString());
      for (int i = 1; i <= nodes; i++) {
        StringBuilder local = new StringBuilder()
            .append("addr add ").append(host(i)).append("/24 dev ").append(inside(i)).append('\n')
            .append("link set ").append(inside(i)).append(" up\n")
            .append("link set lo up\n");
        for (int j = 1; j <= nodes; j++) {
          if (j != i) local.append(neighbour(i, j, true));
        }
        Commands.check(List.of("ip", "-n", namespace(i), "-batch", "-"), local.toString());
      }
    }

    private String neighbour(int at, int peer, boolean real) {
      return "neigh replace " + host(peer) + " lladdr " + mac(peer, real) + " nud permanent dev " + inside(at) + "\n";
    }

    @Override
    public String host(int node) {
      return subnet + node;
    }

    @Override
    public int httpPort(int node) {
      return HTTP_PORT;
    }

    @Override
    public int clusterPort(int node) {
      return CLUSTER_PORT;
    }

    @Override
    public List<String> launchPrefix(int node) {
      return List.of("ip", "netns", "exec", namespace(node)); // it execs: the node keeps the PID we see
    }

    @Override
    public synchronized void isolate(Set<Integer> cut) {
      apply(cut);
    }

    @Override
    public synchronized void heal() {
      if (!closed) apply(Set.of());
    }

    private void apply(Set<Integer> cut) {
      for (int i = 1; i <= nodes; i++) {
        StringBuilder b = new StringBuilder();
        for (int j = 1; j <= nodes; j++) {
          if (j != i) b.append(neighbour(i, j, cut.contains(i) == cut.contains(j)));
        }
        Commands.check(List.of("ip", "-n", namespace(i), "-batch", "-"), b.toString());
      }
    }

    @Override
    public String describe() {
      return "a network namespace per node (" + subnet + "1.." + nodes + ", ports " + HTTP_PORT + "/" + CLUSTER_PORT
          + ", bridge kb" + tag + "b)";
    }

    /** Deletes what was created, newest first (the nodes must be stopped first). */
    @Override
    public synchronized void close() {
      if (closed) return;
      closed = true;
      for (int i = created.size() - 1; i >= 0; i--) {
        String what = created.get(i);
        String name = what.substring(what.indexOf(':') + 1);
        if (what.startsWith("netns:")) {
          Commands.run(List.of("ip", "netns", "del", name), "");
        } else {
          Commands.run(List.of("ip", "link", "del", name), "");
        }
      }
      created.clear();
    }

    private static String freeSubnet(Random random) {
      String inUse = Commands.run(List.of("ip", "-4", "addr"), "").output() + "\n"
          + Commands.run(List.of("ip", "-4", "route"), "").output();
      for (int attempt = 0; attempt < 100; attempt++) {
        String s = "10." + (100 + random.nextInt(150)) + "." + random.nextInt(256) + ".";
        if (!inUse.contains(s) && !inUse.contains(" 10.0.0.0/8")) return s;
      }
      throw new BenchFailure("no free 10.x.y.0/24 subnet found for the network namespaces");
    }
  }
}
