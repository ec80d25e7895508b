package io.kshaka.client;

import io.kshaka.cluster.Addresses;
import java.util.Objects;

/** Where {@link KshakaClient} sends its requests and how long it waits for an answer. */
public final class KshakaClientOptions {
  public static final String DEFAULT_ADDRESS = "kshaka.kv";
  public static final String DEFAULT_LOCAL_CHANGE_ADDRESS = "kshaka.kv.local";
  public static final String DEFAULT_LOCAL_CHANGE_CODEC = "kshaka.local-change";
  public static final long DEFAULT_SEND_TIMEOUT_MS = 10_000;
  public static final long DEFAULT_DEADLINE_MS = 15_000;
  public static final long DEFAULT_WATCH_WAIT_MS = 30_000;

  private String address = DEFAULT_ADDRESS;
  private String localChangeAddress = DEFAULT_LOCAL_CHANGE_ADDRESS;
  private String localChangeCodec = DEFAULT_LOCAL_CHANGE_CODEC;
  private long sendTimeoutMs = DEFAULT_SEND_TIMEOUT_MS;
  private long deadlineMs = DEFAULT_DEADLINE_MS;
  private String token;
  private long watchWaitMs = DEFAULT_WATCH_WAIT_MS;

  public KshakaClientOptions() {}

  public KshakaClientOptions(KshakaClientOptions other) {
    this.address = other.address;
    this.localChangeAddress = other.localChangeAddress;
    this.localChangeCodec = other.localChangeCodec;
    this.sendTimeoutMs = other.sendTimeoutMs;
    this.deadlineMs = other.deadlineMs;
    this.token = other.token;
    this.watchWaitMs = other.watchWaitMs;
  }

  /**
   * Talks to the Kshaka cluster of namespace {@code namespace} (the nodes' top-level config {@code "namespace"},
   * default {@code kshaka}): sets the address ({@code <namespace>.kv}), the local change address
   * ({@code <namespace>.kv.local}) and its codec ({@code <namespace>.local-change}).
   *
   * @throws IllegalArgumentException unless 1 to 64 characters of {@code [A-Za-z0-9_-]}
   */
  public KshakaClientOptions setNamespace(String namespace) {
    Addresses addresses = new Addresses(namespace);
    this.address = addresses.kv();
    this.localChangeAddress = addresses.kvLocal();
    this.localChangeCodec = addresses.localChangeCodec();
    return this;
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

  /** The codec name of change functions sent to {@link #getLocalChangeAddress()} ({@code kshaka.local-change}). */
  public String getLocalChangeCodec() {
    return localChangeCodec;
  }

  public KshakaClientOptions setLocalChangeCodec(String localChangeCodec) {
    this.localChangeCodec = requireText(localChangeCodec, "localChangeCodec");
    return this;
  }

  /**
   * How long one attempt waits for a reply (capped by what is left of {@link #getDeadlineMs()}); after that the
   * request is sent again, or fails with 504 outcome unknown at the deadline. Keep it above the nodes'
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

  /**
   * How long a call may take in all, retries included (15 s by default): a change that timed out, was answered
   * 504 outcome_unknown or found no node is retried with the same request id until then.
   */
  public long getDeadlineMs() {
    return deadlineMs;
  }

  public KshakaClientOptions setDeadlineMs(long deadlineMs) {
    if (deadlineMs <= 0) throw new IllegalArgumentException("deadlineMs must be > 0: " + deadlineMs);
    this.deadlineMs = deadlineMs;
    return this;
  }

  /** The bearer token sent with every request, or null (the nodes run without {@code auth.tokensFile}). */
  public String getToken() {
    return token;
  }

  /**
   * The bearer token for nodes with {@code auth.tokensFile}: sent as header {@code authorization: Bearer <token>}.
   * A node refuses a request without a valid one with 401 unauthorized, and one whose role is too low with 403
   * forbidden (get needs read; the changes need write). Null sends none.
   */
  public KshakaClientOptions setToken(String token) {
    if (token != null && (token.isBlank() || !token.equals(token.strip()))) {
      throw new IllegalArgumentException("token must be non-blank, without surrounding spaces");
    }
    this.token = token;
    return this;
  }

  /** How long one blocking read of {@link KshakaClient#watch} waits on a node before answering unchanged. */
  public long getWatchWaitMs() {
    return watchWaitMs;
  }

  /**
   * How long one blocking read of a watch waits on a node (1 ms to 5 minutes, default 30 s). A shorter wait finds
   * a failed node sooner: a read lost with its node is given up after this plus the send timeout.
   */
  public KshakaClientOptions setWatchWaitMs(long watchWaitMs) {
    if (watchWaitMs < 1 || watchWaitMs > 300_000) {
      throw new IllegalArgumentException("watchWaitMs must be from 1 to 300000: " + watchWaitMs);
    }
    this.watchWaitMs = watchWaitMs;
    return this;
  }

  private static String requireText(String value, String name) {
    Objects.requireNonNull(value, name);
    if (value.isBlank()) throw new IllegalArgumentException(name + " must not be blank");
    return value;
  }
}
