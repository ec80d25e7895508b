package io.kshaka.cluster;

import io.vertx.core.json.JsonObject;
import java.util.regex.Pattern;

/**
 * The event-bus addresses of one Kshaka cluster, all under its namespace (top-level config {@code "namespace"},
 * default {@code kshaka}): {@code <ns>.kv}, {@code <ns>.acceptor.<id>} and so on. Two Kshaka clusters with different
 * namespaces share one Vert.x cluster without seeing each other's messages. A namespace has no dot, so
 * {@code <ns>.} is a prefix no other namespace's address starts with ({@link #owns}).
 *
 * @param namespace 1 to 64 characters of {@code [A-Za-z0-9_-]}
 */
public record Addresses(String namespace) {
  public static final String DEFAULT_NAMESPACE = "kshaka";
  private static final Pattern VALID = Pattern.compile("[A-Za-z0-9_-]{1,64}");

  /** The default namespace: {@code kshaka.kv}, {@code kshaka.acceptor.<id>}, ... */
  public static final Addresses DEFAULT = new Addresses(DEFAULT_NAMESPACE);

  public Addresses {
    if (namespace == null || !VALID.matcher(namespace).matches()) {
      throw new IllegalArgumentException("config: field 'namespace' must be 1 to 64 characters of [A-Za-z0-9_-]"
          + (namespace == null ? "" : ", not \"" + namespace + "\""));
    }
  }

  /** The addresses of a node's JSON config: its {@code "namespace"} (a string), or the default. */
  public static Addresses from(JsonObject nodeJson) {
    Object value = nodeJson == null ? null : nodeJson.getValue("namespace");
    if (value == null) return DEFAULT;
    if (!(value instanceof String s)) {
      throw new IllegalArgumentException("config: field 'namespace' must be a string");
    }
    return new Addresses(s);
  }

  /** {@code <ns>.}: every address of this namespace starts with it. */
  public String prefix() {
    return namespace + ".";
  }

  /** Whether {@code address} belongs to this namespace (never a host application's address, nor another's). */
  public boolean owns(String address) {
    return address != null && address.startsWith(prefix());
  }

  /** Client requests, any node (the bus spreads them; the receiving node routes each key to its home). */
  public String kv() {
    return namespace + ".kv";
  }

  /** Local-only: {@code Change.Custom} functions from code in this JVM, key in the {@code key} header. */
  public String kvLocal() {
    return kv() + ".local";
  }

  /** The codec name for {@link #kvLocal()} bodies (one per namespace: codec names are unique per Vert.x). */
  public String localChangeCodec() {
    return namespace + ".local-change";
  }

  /** Client requests executed by this node's proposer. */
  public String kv(int nodeId) {
    return kv() + "." + nodeId;
  }

  /** One acceptor (never a shared address: a send goes to one handler). */
  public String acceptor(int nodeId) {
    return namespace + ".acceptor." + nodeId;
  }

  /** One acceptor's admin requests (JSON: keys, peek, remove; {@link AcceptorAdmin}). */
  public String acceptorAdmin(int nodeId) {
    return acceptor(nodeId) + ".admin";
  }

  /** One node's membership operations (status, install, adopt, seal: {@link Wire#memberStatus} and others). */
  public String member(int nodeId) {
    return namespace + ".member." + nodeId;
  }

  /** Membership admin requests, any node. */
  public String admin() {
    return namespace + ".admin";
  }

  /** One node's membership admin requests. */
  public String admin(int nodeId) {
    return admin() + "." + nodeId;
  }
}
