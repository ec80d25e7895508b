package io.kshaka.storage;

/**
 * One put refused, with no effect: neither memory nor disk changed, and the store stays healthy (unlike
 * {@link StoreFailedException}). It is that request's error: the acceptor answers it as a refusal (no vote) and
 * keeps voting on everything else.
 */
public final class StoreRefusedException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /** Why a put was refused. */
  public enum Reason {
    /** The record is over {@link StoreOptions#maxRecordBytes()}: it would be refused every time. */
    TOO_LARGE,
    /** The batch waiting for the write in flight is full ({@link StoreOptions#maxPendingBytes()}): retry later. */
    BUSY,
    /** Encoding the record failed (for example memory ran out); the partial record was cut from the batch. */
    NOT_ENCODED
  }

  private final Reason reason;

  public StoreRefusedException(Reason reason, String message, Throwable cause) {
    super(message, cause, false, false);
    this.reason = reason;
  }

  public Reason reason() {
    return reason;
  }
}
