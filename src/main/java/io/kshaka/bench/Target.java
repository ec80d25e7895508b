package io.kshaka.bench;

import io.vertx.core.Future;

/**
 * What the clients drive: the HTTP endpoints or the {@code kshaka.kv} event-bus address. An implementation never
 * fails its futures: every way an op can end is an {@link OpOutcome}, and every op ends within its timeout.
 * {@link #execute} is called on the client's event loop and must not block it.
 */
interface Target {
  /** Runs one op for client {@code client} on {@code key}; {@code value} is the bytes to write (put, cas). */
  Future<OpOutcome> execute(int client, OpKind op, String key, byte[] value);

  /** Frees what this target holds (connections); the Vert.x instance is closed by its owner. */
  Future<Void> close();
}
