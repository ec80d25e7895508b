package io.kshaka.storage;

import java.io.IOException;

/** A write or fsync of the acceptor store failed: this and every later write is refused. */
public final class StoreFailedException extends IOException {
  private static final long serialVersionUID = 1L;

  public StoreFailedException(String message, Throwable cause) {
    super(message, cause);
  }
}
