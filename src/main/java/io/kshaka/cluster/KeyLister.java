package io.kshaka.cluster;

import io.kshaka.core.QuorumSpec;
import io.kshaka.membership.KeyPages;
import io.kshaka.security.BusGuard;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * The {@code list} operation (docs/http.md, "List"): one page of the keys that start with a prefix, after a cursor,
 * each with what a linearizable read of it answered during the call.
 *
 * <p>It pages through the key indexes of the acceptors of the prepare set in force (admin op {@code keys} with a
 * prefix) until a prepare quorum of them answered: a value chosen sits on an accept quorum, which meets every
 * prepare quorum, so the union of their keys holds every key that has a value. {@link KeyPages#merge} merges their
 * pages in code point order without skipping a key. Each candidate is then read through the normal proposer path
 * ({@code get}, routed to its home, {@value #READS_IN_FLIGHT} in flight); absent, deleted and expired keys are
 * dropped, and candidates are read until the page holds {@code limit} keys. The page is not a snapshot: each entry
 * is linearizable on its own, at some instant during the call.
 */
public final class KeyLister {
  /** Default and largest page sizes. */
  public static final int DEFAULT_LIMIT = 100;
  public static final int MAX_LIMIT = 1_000;
  /** Reads of candidate keys in flight at once, per list call. */
  static final int READS_IN_FLIGHT = 64;
  /** Fewest candidates read in one step (when few keys are missing, tombstones may follow). */
  static final int MIN_STEP = 32;

  private final Vertx vertx;
  private final Supplier<QuorumSpec> quorums;
  private final Function<JsonObject, Future<JsonObject>> read;
  private final Function<Integer, String> adminAddress;
  private final DeliveryOptions ask;
  private final BusGuard guard;

  /**
   * @param quorums the quorums in force (the prepare set and quorum are used)
   * @param read runs a {@code get} request through the node's router ({@link KvRouter#execute})
   * @param adminAddress the admin address of an acceptor ({@code kshaka.acceptor.<id>.admin})
   * @param sendTimeoutMs how long an acceptor may take to answer a page of keys
   */
  public KeyLister(Vertx vertx, Supplier<QuorumSpec> quorums, Function<JsonObject, Future<JsonObject>> read,
      Function<Integer, String> adminAddress, long sendTimeoutMs) {
    this(vertx, quorums, read, adminAddress, sendTimeoutMs, BusGuard.OFF);
  }

  /** As above, with the key pages asked signed and their replies checked by {@code guard}. */
  public KeyLister(Vertx vertx, Supplier<QuorumSpec> quorums, Function<JsonObject, Future<JsonObject>> read,
      Function<Integer, String> adminAddress, long sendTimeoutMs, BusGuard guard) {
    this.guard = guard;
    this.vertx = vertx;
    this.quorums = quorums;
    this.read = read;
    this.adminAddress = adminAddress;
    this.ask = new DeliveryOptions().setSendTimeout(sendTimeoutMs);
  }

  /** A validated list request. */
  public record Request(String prefix, String after, int limit, boolean values) {}

  /**
   * Parses the bus request {@code {"op":"list","prefix":p,"after":k,"limit":n,"values":b}} (all optional);
   * malformed fields fail with 400 bad_request.
   */
  public static Request request(JsonObject body) {
    Object prefix = body.getValue("prefix");
    if (prefix != null && !(prefix instanceof String)) {
      throw Wire.failure(KvError.BAD_REQUEST, "field 'prefix' must be a string", null);
    }
    Object after = body.getValue("after");
    if (after != null && !(after instanceof String)) {
      throw Wire.failure(KvError.BAD_REQUEST, "field 'after' must be a string or null", null);
    }
    Object limit = body.getValue("limit");
    if (limit != null && (!(limit instanceof Integer || limit instanceof Long)
        || ((Number) limit).longValue() < 1 || ((Number) limit).longValue() > MAX_LIMIT)) {
      throw Wire.failure(KvError.BAD_REQUEST, "field 'limit' must be an integer 1.." + MAX_LIMIT + ", got " + limit,
          null);
    }
    Object values = body.getValue("values");
    if (values != null && !(values instanceof Boolean)) {
      throw Wire.failure(KvError.BAD_REQUEST, "field 'values' must be a boolean", null);
    }
    String p = prefix == null ? "" : (String) prefix;
    if (!p.isEmpty() && p.charAt(0) == Keys.RESERVED) {
      throw Wire.failure(KvError.BAD_REQUEST, "keys starting with U+0000 are reserved for Kshaka's own registers",
          null);
    }
    return new Request(p, (String) after, limit == null ? DEFAULT_LIMIT : ((Number) limit).intValue(),
        Boolean.TRUE.equals(values));
  }

  /** Answers a bus list request: {@code {"keys":[{"key","version","value"?,"expiresAt"?}],"next":k|null}}. */
  public Future<JsonObject> list(JsonObject body) {
    Request r;
    try {
      r = request(body);
    } catch (RuntimeException e) {
      return Future.failedFuture(e);
    }
    return list(r);
  }

  public Future<JsonObject> list(Request r) {
    Promise<JsonObject> done = Promise.promise();
    new Listing(r, done).nextPage(r.after());
    return done.future();
  }

  /** One list call: pages of candidates, read in order until the page is full or no acceptor has more. */
  private final class Listing {
    private final Request r;
    private final Promise<JsonObject> done;
    private final JsonArray out = new JsonArray();
    private final int pageSize;

    Listing(Request r, Promise<JsonObject> done) {
      this.r = r;
      this.done = done;
      // a few more than asked: some candidates may be tombstones or expired
      this.pageSize = Math.min(Wire.ADMIN_MAX_KEYS, r.limit() + MIN_STEP);
    }

    void nextPage(String cursor) {
      QuorumSpec q = quorums.get();
      List<Integer> nodes = new ArrayList<>(q.prepareNodes());
      List<Future<KeyPages.Page>> answers = new ArrayList<>();
      for (int node : nodes) answers.add(page(node, cursor));
      Future.join(answers).onComplete(ignored -> {
        List<KeyPages.Page> pages = new ArrayList<>();
        for (Future<KeyPages.Page> a : answers) if (a.succeeded()) pages.add(a.result());
        if (!KeyPages.enough(pages, q.prepareNodes(), q.prepareQuorum())) {
          done.fail(Wire.failure(KvError.NO_QUORUM, "only " + pages.size() + " of the acceptors " + nodes
              + " listed their keys, " + q.prepareQuorum() + " needed", null));
          return;
        }
        KeyPages.Merged merged = KeyPages.merge(pages);
        List<String> candidates = new ArrayList<>();
        for (String k : merged.keys()) {
          if (k.isEmpty() || k.charAt(0) != Keys.RESERVED) candidates.add(k);
        }
        readFrom(candidates, 0, merged);
      });
    }

    private Future<KeyPages.Page> page(int node, String cursor) {
      JsonObject request = Wire.adminKeys(cursor, pageSize, r.prefix());
      return guard.<JsonObject>request(vertx, adminAddress.apply(node), request, ask, BusGuard.Kind.ADMIN).map(m -> {
        JsonObject body = m.body();
        JsonArray a = body.getJsonArray("keys");
        List<String> keys = new ArrayList<>(a.size());
        for (int i = 0; i < a.size(); i++) keys.add(a.getString(i));
        boolean full = body.getString("next") != null || keys.size() >= pageSize;
        return new KeyPages.Page(node, keys, full, body.getLong("total", (long) keys.size()));
      });
    }

    /** Reads candidates from index {@code from} on, a step at a time, in order. */
    private void readFrom(List<String> candidates, int from, KeyPages.Merged merged) {
      if (from >= candidates.size()) {
        if (merged.finished()) {
          done.complete(reply(null));
        } else {
          nextPage(merged.cursor());
        }
        return;
      }
      int need = r.limit() - out.size();
      int to = Math.min(candidates.size(), from + Math.max(need, MIN_STEP));
      List<String> step = candidates.subList(from, to);
      readAll(step).onComplete(ar -> {
        if (ar.failed()) {
          done.fail(ar.cause());
          return;
        }
        List<JsonObject> replies = ar.result();
        for (int i = 0; i < step.size(); i++) {
          JsonObject reply = replies.get(i);
          if (reply.getValue("value") == null) continue; // absent: never written, deleted or expired
          JsonObject entry = new JsonObject().put("key", step.get(i)).put("version", reply.getLong("version"));
          if (r.values()) entry.put("value", reply.getString("value"));
          if (reply.getValue("expiresAt") != null) entry.put("expiresAt", reply.getLong("expiresAt"));
          out.add(entry);
          if (out.size() == r.limit()) {
            boolean more = from + i + 1 < candidates.size() || !merged.finished();
            done.complete(reply(more ? step.get(i) : null));
            return;
          }
        }
        readFrom(candidates, to, merged);
      });
    }

    /** Reads every key (in order of the answers), at most {@link #READS_IN_FLIGHT} in flight; any failure fails. */
    private Future<List<JsonObject>> readAll(List<String> keys) {
      Promise<List<JsonObject>> all = Promise.promise();
      JsonObject[] results = new JsonObject[keys.size()];
      int[] state = {0, 0}; // next to launch, completed
      boolean[] failed = {false};
      Runnable[] launch = new Runnable[1];
      launch[0] = () -> {
        int i;
        synchronized (state) {
          if (state[0] >= keys.size() || failed[0]) return;
          i = state[0]++;
        }
        read.apply(new JsonObject().put("op", "get").put("key", keys.get(i))).onComplete(ar -> {
          boolean finished;
          synchronized (state) {
            if (failed[0]) return;
            if (ar.failed()) {
              failed[0] = true;
            } else {
              results[i] = ar.result();
              state[1]++;
            }
            finished = state[1] == keys.size();
          }
          if (ar.failed()) {
            all.fail(ar.cause());
          } else if (finished) {
            all.complete(List.of(results));
          } else {
            launch[0].run();
          }
        });
      };
      for (int i = 0; i < Math.min(READS_IN_FLIGHT, keys.size()); i++) launch[0].run();
      return all.future();
    }

    private JsonObject reply(String next) {
      return new JsonObject().put("keys", out).put("next", next);
    }
  }
}
