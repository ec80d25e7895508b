package io.kshaka.cluster;

/** Event-bus addresses (README, "How it works"). */
public final class Addresses {
  private Addresses() {}

  /** Client requests, any node (the bus spreads them; the receiving node routes each key to its home). */
  public static final String KV = "kshaka.kv";

  /** Local-only: {@code Change.Custom} functions from code in this JVM, key in the {@code key} header. */
  public static final String KV_LOCAL = "kshaka.kv.local";

  /** The codec name for {@link #KV_LOCAL} bodies. */
  public static final String LOCAL_CHANGE_CODEC = "kshaka.local-change";

  /** Client requests executed by this node's proposer. */
  public static String kv(int nodeId) {
    return KV + "." + nodeId;
  }

  /** One acceptor (never a shared address: a send goes to one handler). */
  public static String acceptor(int nodeId) {
    return "kshaka.acceptor." + nodeId;
  }

  /** One acceptor's admin requests (JSON: keys, peek, remove; {@link AcceptorAdmin}). */
  public static String acceptorAdmin(int nodeId) {
    return acceptor(nodeId) + ".admin";
  }

  /** One node's membership operations (status, install, adopt, seal: {@link Wire#memberStatus} and others). */
  public static String member(int nodeId) {
    return "kshaka.member." + nodeId;
  }
}
