package io.kshaka.storage;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/** Directory fsync, which the Vert.x file system API does not offer: makes creations, renames and deletions durable. */
public final class Fsync {
  private Fsync() {}

  /** Opens {@code dir} read-only and forces it, on a worker thread. */
  public static Future<Void> directory(Vertx vertx, Path dir) {
    return vertx.executeBlocking(() -> {
      try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
        ch.force(true);
      }
      return null;
    }, false);
  }
}
