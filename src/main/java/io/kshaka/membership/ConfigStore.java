package io.kshaka.membership;

import io.kshaka.cluster.Wire;
import io.kshaka.core.ClusterConfig;
import io.kshaka.storage.Fsync;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.file.CopyOptions;
import io.vertx.core.file.OpenOptions;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.file.Path;
import java.util.function.Function;

/**
 * The node's durable membership facts in its data directory: {@code cluster.json} (the current
 * {@link ClusterConfig}) and {@code identity.json} ({@link Identity}). Each is replaced atomically: written to a
 * temporary file, synced, renamed over the old one, and the directory synced. A malformed file fails
 * {@link #load} with a message naming it: the node must not start on a configuration it cannot read.
 */
public final class ConfigStore {
  public static final String CONFIG_FILE = "cluster.json";
  public static final String IDENTITY_FILE = "identity.json";

  /** What {@link #load} found; either may be null (not written yet). */
  public record Stored(ClusterConfig config, Identity identity) {}

  private final Vertx vertx;
  private final Path dir;

  public ConfigStore(Vertx vertx, String dataDir) {
    this.vertx = vertx;
    this.dir = Path.of(dataDir).toAbsolutePath();
  }

  public Path dir() {
    return dir;
  }

  /** Reads both files (creating the directory if needed). */
  public Future<Stored> load() {
    return vertx.fileSystem().mkdirs(dir.toString())
        .compose(v -> read(CONFIG_FILE, Wire::configFromJson))
        .compose(config -> read(IDENTITY_FILE, Identity::fromJson).map(identity -> new Stored(config, identity)));
  }

  public Future<Void> saveConfig(ClusterConfig config) {
    return write(CONFIG_FILE, Wire.configToJson(config));
  }

  public Future<Void> saveIdentity(Identity identity) {
    return write(IDENTITY_FILE, identity.toJson());
  }

  private <T> Future<T> read(String name, Function<JsonObject, T> decode) {
    String file = dir.resolve(name).toString();
    return vertx.fileSystem().exists(file).compose(exists -> {
      if (!exists) return Future.succeededFuture(null);
      return vertx.fileSystem().readFile(file).compose(b -> {
        try {
          return Future.succeededFuture(decode.apply(new JsonObject(b)));
        } catch (DecodeException | IllegalArgumentException | ClassCastException e) {
          return Future.failedFuture(new IllegalStateException("malformed " + file + ": " + e.getMessage()
              + " (fix or remove the file; see docs on membership)", e));
        }
      });
    });
  }

  /**
   * The suffix of a file being written. Not "*.tmp": the acceptor store, which shares this directory, deletes those
   * when it opens, and both open at a node's start (a race that left a node unready).
   */
  static final String TEMP_SUFFIX = ".writing";

  private Future<Void> write(String name, JsonObject json) {
    Path target = dir.resolve(name);
    Path tmp = dir.resolve(name + TEMP_SUFFIX);
    Buffer content = Buffer.buffer(json.encodePrettily() + "\n");
    OpenOptions opts = new OpenOptions().setWrite(true).setCreate(true).setTruncateExisting(true);
    return vertx.fileSystem().mkdirs(dir.toString())
        .compose(v -> vertx.fileSystem().open(tmp.toString(), opts))
        .compose(f -> f.write(content, 0).compose(v -> f.flush())
            .transform(ar -> f.close().transform(c -> ar.failed() ? Future.<Void>failedFuture(ar.cause())
                : c.failed() ? Future.<Void>failedFuture(c.cause()) : Future.<Void>succeededFuture())))
        .compose(v -> vertx.fileSystem().move(tmp.toString(), target.toString(),
            new CopyOptions().setAtomicMove(true).setReplaceExisting(true)))
        .compose(v -> Fsync.directory(vertx, dir))
        .recover(t -> Future.failedFuture(new IOException("writing " + target + " failed: " + t.getMessage(), t)));
  }
}
