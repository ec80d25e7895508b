package io.kshaka.client;

import java.util.Objects;

/** Where {@link KshakaClient} sends its requests and how long it waits for an answer. */
public final class KshakaClientOptions {
  public static final String DEFAULT_ADDRESS = "kshaka.kv";
  public static final String DEFAULT_LOCAL_CHANGE_ADDRESS = "kshaka.kv.local";
  public static final long DEFAULT_SEND_TIMEOUT_MS = 10_000;
  public static final long DEFAULT_DEADLINE_MS = 15_000;

  private String address = DEFAULT_ADDRESS;
  private String localChangeAddress = DEFAULT_LOCAL_CHANGE_ADDRESS;
  private long sendTimeoutMs = DEFAULT_SEND_TIMEOUT_MS;
  private long deadlineMs = DEFAULT_DEADLINE_MS;
  private String token;

  public KshakaClientOptions() {}

  public KshakaClientOptions(KshakaClientOptions other) {
    this.address = other.address;
    this.localChangeAddress = other.localChangeAddress;
    this.sendTimeoutMs = other.sendTimeoutMs;
    this.deadlineMs = other.deadlineMs;
    this.token = other.token;
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

  private static String requireText(String value, String name) {
    Objects.requireNonNull(value, name);
    if (value.isBlank()) throw new IllegalArgumentException(name + " must not be blank");
    return value;
  }
}
