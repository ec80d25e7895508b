package io.kshaka.storage;

import java.io.IOException;

/**
 * The files of the store cannot be trusted: a record before the end of a log segment, or anywhere in a snapshot,
 * is damaged, or a file the recovery needs is missing. The node must not start on them.
 */
public final class StoreCorruptedException extends IOException {
  private static final long serialVersionUID = 1L;

  private final String file;
  private final long offset;

  public StoreCorruptedException(String file, long offset, String detail) {
    super(file + ": corrupt at byte offset " + offset + ": " + detail);
    this.file = file;
    this.offset = offset;
  }

  /** Path of the damaged file. */
  public String file() {
    return file;
  }

  /** Byte offset of the first damaged record in {@link #file()}. */
  public long offset() {
    return offset;
  }
}
