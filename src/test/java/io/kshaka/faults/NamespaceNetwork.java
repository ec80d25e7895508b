package io.kshaka.faults;

import io.kshaka.bench.Commands;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;

/**
 * Each node in a network namespace of its own, joined to the others (and to this JVM, in the root namespace) by a
 * bridge: {@code 10.A.B.i/24} for node i, {@code 10.A.B.254} on the bridge. A partition is made of iptables DROP rules
 * inside the namespaces of the nodes on both sides of each cut link (INPUT from the peer, OUTPUT to it), so packets
 * vanish silently, as on a real network; the clients in this JVM keep reaching every node. Each namespace's filter
 * table is replaced whole ({@code iptables-restore}), so a new partition never stacks on an old one.
 *
 * <p>Needs root, iproute2 and iptables; {@link #unsupportedReason()} says why not when they are missing. Every name
 * carries a random tag, so parallel test runs on the same machine do not meet; {@link #close()} removes everything
 * this instance created (also from a shutdown hook if the JVM exits first).
 */
final class NamespaceNetwork implements NodeNetwork {
  static final int HTTP_PORT = 8080;
  static final int CLUSTER_PORT = 5701;
  private static final Duration CMD_TIMEOUT = Duration.ofSeconds(20);

  private final int nodes;
  private final String tag;
  private final String subnet; // "10.A.B."
  private final List<String> created = new ArrayList<>(); // links and namespaces, in creation order
  private final Thread cleanup = new Thread(this::removeAll, "netns-cleanup");
  private boolean closed;

  private NamespaceNetwork(int nodes, Random random) {
    this.nodes = nodes;
    this.tag = String.format(Locale.ROOT, "%05x", random.nextInt(1 << 20));
    this.subnet = freeSubnet(random);
  }

  /**
   * Null if namespaces with iptables work on this machine; otherwise the reason (not root, no {@code ip}, no
   * {@code iptables}, ...).
   */
  static String unsupportedReason() {
    if (!System.getProperty("os.name", "").toLowerCase(Locale.ROOT).contains("linux")) return "not Linux";
    Commands.Result ip = Commands.run(List.of("ip", "-V"), CMD_TIMEOUT);
    if (!ip.ok()) return "no iproute2 'ip' command (" + ip.output() + ")";
    String probe = String.format(Locale.ROOT, "kfprobe%05x", new Random().nextInt(1 << 20));
    Commands.Result add = Commands.run(List.of("ip", "netns", "add", probe), CMD_TIMEOUT);
    if (!add.ok()) return "cannot create a network namespace (" + add.output() + ")";
    try {
      Commands.Result ipt = Commands.run(List.of("ip", "netns", "exec", probe, "iptables-restore", "-w", "5"), rules(List.of()),
          CMD_TIMEOUT);
      if (!ipt.ok()) return "iptables does not work in a network namespace (" + ipt.output() + ")";
      return null;
    } finally {
      Commands.run(List.of("ip", "netns", "del", probe), CMD_TIMEOUT);
    }
  }

  /** Creates the bridge and one namespace per node. Throws (after undoing what it did) if a step fails. */
  static NamespaceNetwork create(int nodes, Random random) {
    NamespaceNetwork n = new NamespaceNetwork(nodes, random);
    Runtime.getRuntime().addShutdownHook(n.cleanup);
    try {
      n.setUp();
      return n;
    } catch (RuntimeException e) {
      n.close();
      throw e;
    }
  }

  /** One {@code ip -batch} in this namespace, then one in each node's namespace (a process each, not one a step). */
  private void setUp() {
    String bridge = "kf" + tag + "b";
    StringBuilder root = new StringBuilder();
    root.append("link add ").append(bridge).append(" type bridge\n");
    root.append("addr add ").append(subnet).append("254/24 dev ").append(bridge).append('\n');
    root.append("link set ").append(bridge).append(" up\n");
    created.add("link:" + bridge);
    for (int i = 1; i <= nodes; i++) {
      String outside = "kf" + tag + "h" + i;
      String inside = "kf" + tag + "v" + i;
      root.append("netns add ").append(namespace(i)).append('\n');
      root.append("link add ").append(outside).append(" type veth peer name ").append(inside).append('\n');
      root.append("link set ").append(outside).append(" master ").append(bridge).append('\n');
      root.append("link set ").append(outside).append(" up\n");
      root.append("link set ").append(inside).append(" netns ").append(namespace(i)).append('\n');
      created.add("netns:" + namespace(i));
      created.add("link:" + outside);
    }
    Commands.check(List.of("ip", "-batch", "-"), root.toString());
    for (int i = 1; i <= nodes; i++) {
      String inside = "kf" + tag + "v" + i;
      String local = "addr add " + host(i) + "/24 dev " + inside + "\n"
          + "link set " + inside + " up\n"
          + "link set lo up\n";
      Commands.check(List.of("ip", "-n", namespace(i), "-batch", "-"), local);
    }
  }

  String namespace(int node) {
    return "kf" + tag + "n" + node;
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
    // ip netns exec execs the command: the launched process keeps the PID we get
    return List.of("ip", "netns", "exec", namespace(node));
  }

  @Override
  public String partitionUnsupportedReason() {
    return null;
  }

  @Override
  public synchronized void partition(Collection<Set<Integer>> groups) {
    List<Set<Integer>> g = new ArrayList<>(groups);
    List<List<Integer>> links = new ArrayList<>();
    for (int a = 0; a < g.size(); a++) {
      for (int b = a + 1; b < g.size(); b++) {
        for (int x : g.get(a)) {
          for (int y : g.get(b)) links.add(List.of(x, y));
        }
      }
    }
    cut(links);
  }

  @Override
  public synchronized void cut(Collection<List<Integer>> links) {
    Map<Integer, List<Integer>> peers = new TreeMap<>();
    for (int i = 1; i <= nodes; i++) peers.put(i, new ArrayList<>());
    Set<List<Integer>> done = new LinkedHashSet<>();
    for (List<Integer> link : links) {
      int a = link.get(0);
      int b = link.get(1);
      if (a == b || !done.add(List.of(Math.min(a, b), Math.max(a, b)))) continue;
      peers.get(a).add(b);
      peers.get(b).add(a);
    }
    for (Map.Entry<Integer, List<Integer>> e : peers.entrySet()) {
      List<String> hosts = new ArrayList<>();
      for (int peer : e.getValue()) hosts.add(host(peer));
      Commands.check(List.of("ip", "netns", "exec", namespace(e.getKey()), "iptables-restore", "-w", "5"), rules(hosts));
    }
  }

  @Override
  public synchronized void heal() {
    if (closed) return;
    cut(List.of());
  }

  /** A whole filter table (iptables-restore replaces the old one): DROP to and from each of {@code peers}. */
  private static String rules(List<String> peers) {
    StringBuilder b = new StringBuilder("*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n");
    for (String peer : peers) {
      b.append("-A INPUT -s ").append(peer).append(" -j DROP\n");
      b.append("-A OUTPUT -d ").append(peer).append(" -j DROP\n");
    }
    return b.append("COMMIT\n").toString();
  }

  @Override
  public synchronized void close() {
    if (closed) return;
    closed = true;
    removeAll();
    try {
      Runtime.getRuntime().removeShutdownHook(cleanup);
    } catch (IllegalStateException shuttingDown) {
      // the hook is running or has run
    }
  }

  /** Deletes what was created, newest first; best effort (the nodes must already be stopped). */
  private synchronized void removeAll() {
    for (int i = created.size() - 1; i >= 0; i--) {
      String what = created.get(i);
      String name = what.substring(what.indexOf(':') + 1);
      if (what.startsWith("netns:")) {
        Commands.run(List.of("ip", "netns", "del", name), CMD_TIMEOUT);
      } else {
        Commands.run(List.of("ip", "link", "del", name), CMD_TIMEOUT);
      }
    }
    created.clear();
  }

  /** A 10.A.B.0/24 that no address or route on this machine uses yet. */
  private static String freeSubnet(Random random) {
    String inUse = Commands.run(List.of("ip", "-4", "addr"), CMD_TIMEOUT).output() + "\n"
        + Commands.run(List.of("ip", "-4", "route"), CMD_TIMEOUT).output();
    for (int attempt = 0; attempt < 100; attempt++) {
      String s = "10." + (100 + random.nextInt(150)) + "." + random.nextInt(256) + ".";
      if (!inUse.contains(s) && !inUse.contains(" 10.0.0.0/8")) return s;
    }
    throw new IllegalStateException("no free 10.x.y.0/24 subnet found");
  }
}
