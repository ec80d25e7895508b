/**
 * Durable acceptor storage.
 *
 * <ul>
 *   <li>{@link io.kshaka.storage.AcceptorStore}: the contract the acceptor codes against.</li>
 *   <li>{@link io.kshaka.storage.FileAcceptorStore}: the production store (append-only CRC32C log written with
 *       AsyncFile, group commit, background snapshots, crash recovery). Confined to the context that opens it.</li>
 *   <li>{@link io.kshaka.storage.MemoryAcceptorStore}: for tests of the layers above; can hold puts until
 *       {@code sync()} and simulate crashes and fsync failures.</li>
 *   <li>{@link io.kshaka.storage.DurableLong}: one crash-safe long (the proposer's ballot counter floor).</li>
 *   <li>{@link io.kshaka.storage.StoreMetrics}: listener the verticle layer can bridge to a metrics registry.</li>
 * </ul>
 *
 * <h2>How the acceptor uses it</h2>
 * <pre>{@code
 * // start(): the store is opened on the verticle's own context and used only from it
 * store = new FileAcceptorStore(vertx, StoreOptions.defaults(dataDir).withMetrics(listener));
 * return store.open().compose(v -> consumer.completion());
 *
 * // per message: apply the pure transition, persist, then reply
 * AcceptorState next = ...;                       // from io.kshaka.core.Acceptor
 * Future<Void> durable = next.equals(current) ? store.barrier() : store.put(key, next);
 * durable.onComplete(ar -> { if (ar.succeeded()) msg.reply(...); else msg.fail(...); });
 * }</pre>
 * A reply computed from memory may depend on a put that is not durable yet (another message on the same key):
 * {@code barrier()} waits for it, and costs nothing when nothing is pending. When {@code failed()} is true the
 * acceptor must stop replying altogether: memory may hold states that never reached the disk.
 *
 * <p>Files are described in {@link io.kshaka.storage.FileAcceptorStore}; the record format in {@code RecordCodec}.
 * Persisting a state that was never acknowledged (a snapshot taken while a put is pending, then a crash) is
 * harmless: acceptor state only moves forward, as if the reply had been lost.
 */
package io.kshaka.storage;
