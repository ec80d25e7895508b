package io.kshaka.cluster;

import io.kshaka.core.Change;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.MessageCodec;

/**
 * Carries a {@link Change.Custom} (a Java function) to the proposer of this JVM. Functions never cross the cluster:
 * encoding to the wire fails.
 */
final class LocalChangeCodec implements MessageCodec<Change.Custom, Change.Custom> {
  private final String name;

  /** @param name the codec's name ({@link Addresses#localChangeCodec()}) */
  LocalChangeCodec(String name) {
    this.name = name;
  }

  @Override
  public void encodeToWire(Buffer buffer, Change.Custom change) {
    throw new IllegalStateException("change functions are local-only and never cross the cluster");
  }

  @Override
  public Change.Custom decodeFromWire(int pos, Buffer buffer) {
    throw new IllegalStateException("change functions are local-only and never cross the cluster");
  }

  @Override
  public Change.Custom transform(Change.Custom change) {
    return change;
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public byte systemCodecID() {
    return -1;
  }
}
