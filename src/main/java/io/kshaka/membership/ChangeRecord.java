package io.kshaka.membership;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.Collection;
import java.util.Collections;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;

/**
 * The membership change in the {@link ConfigRegister} ({@code "change"} field): what any node needs to resume it.
 * The configuration the change has reached is the register's own {@code config}; the steps left are recomputed from
 * it ({@link io.kshaka.core.MembershipPlan}), so the record keeps only the target, progress and the rescan owed.
 *
 * @param target the acceptor set the change ends with (for a replace: the set it started from)
 * @param replace the node whose incarnation the change bumps (0 for none)
 * @param replaceFrom that node's incarnation when the change started (0 for none)
 * @param fromEpoch the register's epoch when the change started
 * @param step steps done so far; {@code steps}: steps done + steps left when last computed
 * @param state {@code running}, {@code done} or {@code failed}
 * @param rescan the rescan owed by the latest step, or null
 * @param lastError the latest problem met (a node that does not answer, a failed touch), or null
 * @param driver the node that drives the change
 */
public record ChangeRecord(Set<Integer> target, int replace, long replaceFrom, long fromEpoch, int step, int steps,
    String description, String state, Rescan rescan, long rescanned, long total, String lastError, int driver,
    long startedAt, long updatedAt) {

  public static final String RUNNING = "running";
  public static final String DONE = "done";
  public static final String FAILED = "failed";

  /**
   * A rescan owed under the configuration of {@code epoch}: touch every key any acceptor of {@code from ∪ the
   * register's config} holds, each page answered by at least {@code |fromAccept| - fromQuorum + 1} acceptors of the
   * previous accept set. {@code after}: the keys up to this one (code point order) are done; null = from the start.
   */
  public record Rescan(long epoch, Set<Integer> fromAccept, int fromQuorum, String after, boolean done) {
    public Rescan {
      fromAccept = Collections.unmodifiableSortedSet(new TreeSet<>(fromAccept));
    }

    /** How many acceptors of the previous accept set must list their keys for a page to be complete. */
    public int answersNeeded() {
      return fromAccept.size() - fromQuorum + 1;
    }

    public Rescan at(String cursor) {
      return new Rescan(epoch, fromAccept, fromQuorum, cursor, false);
    }

    public Rescan finished() {
      return new Rescan(epoch, fromAccept, fromQuorum, after, true);
    }

    JsonObject toJson() {
      return new JsonObject().put("epoch", epoch).put("fromAccept", ids(fromAccept)).put("fromQuorum", fromQuorum)
          .put("after", after).put("done", done);
    }

    static Rescan fromJson(JsonObject o) {
      return o == null ? null : new Rescan(o.getLong("epoch"), idSet(o.getJsonArray("fromAccept")),
          o.getInteger("fromQuorum"), o.getString("after"), o.getBoolean("done", false));
    }
  }

  public ChangeRecord {
    target = Collections.unmodifiableSortedSet(new TreeSet<>(Objects.requireNonNull(target, "target")));
    Objects.requireNonNull(state, "state");
  }

  public boolean running() {
    return RUNNING.equals(state);
  }

  /** Whether a request for {@code otherTarget} (and {@code otherReplace}) asks for this same change. */
  public boolean sameChange(Collection<Integer> otherTarget, int otherReplace) {
    return replace == otherReplace && target.equals(new TreeSet<>(otherTarget));
  }

  public boolean rescanPending() {
    return rescan != null && !rescan.done();
  }

  public ChangeRecord withDriver(int node, long now) {
    return new ChangeRecord(target, replace, replaceFrom, fromEpoch, step, steps, description, RUNNING, rescan,
        rescanned, total, lastError, node, startedAt, now);
  }

  public ChangeRecord withState(String newState, String error, long now) {
    return new ChangeRecord(target, replace, replaceFrom, fromEpoch, step, steps, description, newState, rescan,
        rescanned, total, error, driver, startedAt, now);
  }

  public ChangeRecord withError(String error, long now) {
    return withState(state, error, now);
  }

  /**
   * After deciding one more step: its description, the rescan it owes (or null); the counters restart with a new
   * rescan, else they keep showing the last one.
   */
  public ChangeRecord nextStep(int stepsLeftAfter, String what, Rescan owed, long now) {
    return new ChangeRecord(target, replace, replaceFrom, fromEpoch, step + 1, step + 1 + stepsLeftAfter, what,
        state, owed, owed != null ? 0 : rescanned, owed != null ? 0 : total, null, driver, startedAt, now);
  }

  public ChangeRecord withRescan(Rescan r, long scanned, long keys, long now) {
    return new ChangeRecord(target, replace, replaceFrom, fromEpoch, step, steps, description, state, r, scanned,
        keys, lastError, driver, startedAt, now);
  }

  public ChangeRecord withSteps(int stepsLeft, long now) {
    return new ChangeRecord(target, replace, replaceFrom, fromEpoch, step, step + stepsLeft, description, state,
        rescan, rescanned, total, lastError, driver, startedAt, now);
  }

  public JsonObject toJson() {
    return new JsonObject()
        .put("target", ids(target))
        .put("replace", replace == 0 ? null : replace)
        .put("replaceFrom", replace == 0 ? null : replaceFrom)
        .put("fromEpoch", fromEpoch)
        .put("step", step)
        .put("steps", steps)
        .put("description", description)
        .put("state", state)
        .put("rescan", rescan == null ? null : rescan.toJson())
        .put("rescanned", rescanned)
        .put("total", total)
        .put("lastError", lastError)
        .put("driver", driver)
        .put("startedAt", startedAt)
        .put("updatedAt", updatedAt);
  }

  /** Null for null (no change). */
  public static ChangeRecord fromJson(JsonObject o) {
    if (o == null) return null;
    return new ChangeRecord(idSet(o.getJsonArray("target")), (int) number(o, "replace"), number(o, "replaceFrom"),
        number(o, "fromEpoch"), o.getInteger("step", 0), o.getInteger("steps", 0), o.getString("description"),
        o.getString("state", RUNNING), Rescan.fromJson(o.getJsonObject("rescan")), o.getLong("rescanned", 0L),
        o.getLong("total", 0L), o.getString("lastError"), o.getInteger("driver", 0), o.getLong("startedAt", 0L),
        o.getLong("updatedAt", 0L));
  }

  /** A number field, 0 when absent or null. */
  private static long number(JsonObject o, String field) {
    Object v = o.getValue(field);
    return v instanceof Number n ? n.longValue() : 0;
  }

  static JsonArray ids(Collection<Integer> ids) {
    return new JsonArray(List.copyOf(new TreeSet<>(ids)));
  }

  static Set<Integer> idSet(JsonArray a) {
    Set<Integer> out = new TreeSet<>();
    if (a != null) for (int i = 0; i < a.size(); i++) out.add(a.getInteger(i));
    return out;
  }
}
