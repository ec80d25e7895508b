package io.kshaka.client;

import java.util.Objects;

/** Where {@link KshakaClient} sends its requests and how long it waits for an answer. */
public final class KshakaClientOptions {
  public static final String DEFAULT_ADDRESS = "kshaka.kv";
  public static final String DEFAULT_LOCAL_CHANGE_ADDRESS = "kshaka.kv.local";
  public static final long DEFAULT_SEND_TIMEOUT_MS = 10_000;

  private String address = DEFAULT_ADDRESS;
  private String localChangeAddress = DEFAULT_LOCAL_CHANGE_ADDRESS;
  private long sendTimeoutMs = DEFAULT_SEND_TIMEOUT_MS;

  public KshakaClientOptions() {}

  public KshakaClientOptions(KshakaClientOptions other) {
    this.address = other.address;
    this.localChangeAddress = other.localChangeAddress;
    this.sendTimeoutMs = other.sendTimeoutMs;
  }

  /** The clustered address of the nodes' key-value service ({@code kshaka.kv}). */
  public String getAddress() {
    return address;
  }

  public KshakaClientOptions setAddress(String address) {
    this.address = requireText(address, "address");
    return this;
  }

  /** The local-only address where a node in this JVM runs change functions ({@code kshaka.kv.local}). */
  public String getLocalChangeAddress() {
    return localChangeAddress;
  }

  public KshakaClientOptions setLocalChangeAddress(String localChangeAddress) {
    this.localChangeAddress = requireText(localChangeAddress, "localChangeAddress");
    return this;
  }

  /**
   * How long to wait for a reply before failing with 504 outcome unknown. Keep it above the nodes'
   * {@code proposer.requestTimeoutMs} (5 s by default) so that the node's own, more precise, answer arrives first.
   */
  public long getSendTimeoutMs() {
    return sendTimeoutMs;
  }

  public KshakaClientOptions setSendTimeoutMs(long sendTimeoutMs) {
    if (sendTimeoutMs <= 0) throw new IllegalArgumentException("sendTimeoutMs must be > 0: " + sendTimeoutMs);
    this.sendTimeoutMs = sendTimeoutMs;
    return this;
  }

  private static String requireText(String value, String name) {
    Objects.requireNonNull(value, name);
    if (value.isBlank()) throw new IllegalArgumentException(name + " must not be blank");
    return value;
  }
}
