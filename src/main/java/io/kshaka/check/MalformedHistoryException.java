package io.kshaka.check;

import java.io.IOException;

/** A history file has a record that cannot be read; the message starts with its line number. */
public final class MalformedHistoryException extends IOException {
  private final long lineNumber;

  public MalformedHistoryException(long lineNumber, String message) {
    super("line " + lineNumber + ": " + message);
    this.lineNumber = lineNumber;
  }

  /** The 1-based line number of the bad record. */
  public long lineNumber() {
    return lineNumber;
  }
}
