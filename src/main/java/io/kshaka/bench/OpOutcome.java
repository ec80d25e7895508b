package io.kshaka.bench;

import io.vertx.core.http.HttpClosedException;
import java.io.IOException;
import java.nio.channels.ClosedChannelException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.TimeoutException;

/**
 * How one operation ended. {@link #OK} and {@link #CONFLICT} are answers (their latency is recorded); every other
 * value is an error of the kind its {@link #label} names.
 */
public enum OpOutcome {
  /** Done as asked (for a read: 200 or 404). */
  OK(null),
  /** A compare-and-set whose expected version no longer held (HTTP 412): an answer, not an error. */
  CONFLICT(null),
  /** A 4xx other than the ones the op expects (a 412 outside cas, 400, 409, 413, ...). */
  CLIENT_ERROR("4xx"),
  /** 503: no quorum reachable, the change was not applied. */
  UNAVAILABLE("503"),
  /** 504: the outcome of the change is unknown. */
  OUTCOME_UNKNOWN("504"),
  /** Any other 5xx. */
  SERVER_ERROR("5xx"),
  /** No answer within {@code --timeout} (HTTP), or a ReplyException of type TIMEOUT (event bus). */
  TIMEOUT("timeout"),
  /** The connection could not be made, or broke before the answer. */
  CONNECTION("connection"),
  /** Event bus only: no handler registered on {@code kshaka.kv}. */
  NO_HANDLERS("no_handlers"),
  /** An answer that breaks the contract (e.g. a read without a parsable version, before a cas). */
  BAD_RESPONSE("bad_response"),
  /** Anything else (a 1xx/3xx status, an unexpected exception). */
  OTHER("other");

  private static final List<OpOutcome> ERRORS;

  static {
    List<OpOutcome> errors = new ArrayList<>();
    for (OpOutcome o : values()) {
      if (o.isError()) errors.add(o);
    }
    ERRORS = Collections.unmodifiableList(errors);
  }

  /** The name of the error kind in reports and JSON, or null for answers. */
  public final String label;

  OpOutcome(String label) {
    this.label = label;
  }

  public boolean isError() {
    return label != null;
  }

  /** The error kinds, in report order. */
  public static List<OpOutcome> errors() {
    return ERRORS;
  }

  /** The error kind of an HTTP status that the op did not expect. */
  public static OpOutcome ofStatus(int status) {
    if (status == 503) return UNAVAILABLE;
    if (status == 504) return OUTCOME_UNKNOWN;
    if (status >= 400 && status < 500) return CLIENT_ERROR;
    if (status >= 500 && status < 600) return SERVER_ERROR;
    return OTHER;
  }

  /** The error kind of a failed HTTP exchange. */
  public static OpOutcome ofHttpFailure(Throwable failure) {
    for (Throwable t = failure; t != null; t = t.getCause()) {
      if (t instanceof HttpTarget.RequestTimeout || t instanceof TimeoutException) return TIMEOUT;
      // ConnectException (and Netty's ConnectTimeoutException, a subclass), resets, closed connections
      if (t instanceof IOException || t instanceof ClosedChannelException || t instanceof HttpClosedException) {
        return CONNECTION;
      }
      if (t.getCause() == t) break;
    }
    return OTHER;
  }
}
