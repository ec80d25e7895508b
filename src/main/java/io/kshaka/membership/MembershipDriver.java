package io.kshaka.membership;

import io.kshaka.core.ClusterConfig;
import io.kshaka.core.MembershipPlan;
import io.kshaka.core.QuorumSpec;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The online membership procedure of one node (contract of issue 9, "Driver"). One change runs at a time, cluster
 * wide: its record lives in the {@link ConfigRegister} beside the configuration it has reached. The driver walks the
 * steps of {@link MembershipPlan} one acceptor at a time; for each it decides the step's configuration in the
 * register (compare-and-set, epoch + 1), pushes it to a blocking set of nodes (retrying: a node that is down
 * postpones the change, it never fails it), then runs the rescan the step owes, recording its cursor after every
 * page. Everything it does is recomputed from the register at each turn, so every step is idempotent and any node
 * that takes the change over (the same target posted again, or the driver restarted) resumes where it stopped.
 *
 * <p>All state is confined to the context the driver was made on.
 */
public final class MembershipDriver {
  private static final Logger log = LoggerFactory.getLogger(MembershipDriver.class);
  /** How long a page waits for the acceptors still silent once enough have answered. */
  static final long PAGE_GRACE_MS = 100;
  /** How long a driver that lags two epochs behind the register waits to learn the one between before pushing. */
  static final long LAG_WAIT_MS = 15_000;

  /**
   * @param pageSize keys asked of each acceptor per page
   * @param inFlight touches running at once
   * @param touchAttempts tries of one touch before the change fails
   * @param backoffMinMs first wait after a failure (doubles up to {@code backoffMaxMs})
   * @param pushDeadlineMs how long one push may take before it is tried again
   * @param heartbeatMs while a change waits, its driver writes the record at least this often (see {@link #watch})
   */
  public record Options(int pageSize, int inFlight, int touchAttempts, long backoffMinMs, long backoffMaxMs,
      long pushDeadlineMs, long heartbeatMs) {
    public static Options defaults() {
      return new Options(1_000, 64, 30, 50, 2_000, 5_000, 5_000);
    }
  }

  /** An answer to an admin request: HTTP status and JSON body. */
  public record Answer(int status, JsonObject body) {
    static Answer error(int status, String code, String message) {
      return new Answer(status, new JsonObject().put("error", code).put("message", message));
    }
  }

  /** A problem that ends the change (state failed). Any other failure is retried. */
  static final class Permanent extends RuntimeException {
    Permanent(String message) {
      super(message, null, false, false);
    }
  }

  private final Vertx vertx;
  private final Context context;
  private final DriverPorts ports;
  private final Options options;
  private final LongSupplier clock;
  private final int me;
  private boolean looping;
  private boolean stopped;
  private String noted;
  private long lastWrite;
  private boolean healing;
  private Promise<Void> idle = Promise.promise();
  private long lagEpoch = -1;
  private long lagStart;
  // the watchdog: the running change's register version as last seen, and when it last moved (local clock)
  private long watchTimer = -1;
  private long seenVersion = -1;
  private long seenSince;

  /** Made on the context it will run on. */
  public MembershipDriver(Vertx vertx, DriverPorts ports, Options options, LongSupplier clock) {
    this.vertx = vertx;
    this.context = vertx.getOrCreateContext();
    this.ports = ports;
    this.options = options;
    this.clock = clock;
    this.me = ports.nodeId();
    idle.complete();
  }

  // ---------------------------------------------------------------- requests

  /** {@code {epoch, config, change}} as the register holds them (the change may be null). */
  public Future<Answer> status() {
    return here(ports.read()).map(snap -> {
      heal(snap.value().config());
      ClusterConfig c = snap.value().config();
      return new Answer(200, new JsonObject().put("epoch", c.epoch()).put("config", ConfigJson.toJson(c))
          .put("change", snap.value().change()).put("gc", snap.value().gc()).put("node", me)
          .put("installedEpoch", ports.installed().epoch()));
    }).recover(t -> Future.succeededFuture(unavailable(t)));
  }

  /** Starts (or takes over) a change toward the acceptor set {@code target}. */
  public Future<Answer> change(Collection<Integer> target) {
    if (target == null || target.isEmpty()) {
      return Future.succeededFuture(Answer.error(400, "invalid_target",
          "target acceptor set must not be empty (it would remove every acceptor)"));
    }
    for (Integer n : target) {
      if (n == null || n < 1) {
        return Future.succeededFuture(Answer.error(400, "invalid_target",
            "acceptor id " + n + " is invalid: ids start at 1"));
      }
    }
    return onContext(() -> start(new TreeSet<>(target), 0, 3));
  }

  /** Starts (or takes over) the replacement of {@code node}: it comes back as a new incarnation. */
  public Future<Answer> replace(int node) {
    if (node < 1) {
      return Future.succeededFuture(Answer.error(400, "invalid_target", "acceptor id " + node
          + " is invalid: ids start at 1"));
    }
    return onContext(() -> start(null, node, 3));
  }

  /** At node start: resumes the running change if this node drives it (retries until the register answers). */
  public void resumeIfMine() {
    context.runOnContext(v -> resumeAttempt(0));
  }

  /** Stops the loop here (the change stays running in the register: another start resumes it). */
  public void stop() {
    context.runOnContext(v -> {
      stopped = true;
      if (watchTimer >= 0) vertx.cancelTimer(watchTimer);
    });
  }

  /**
   * Watches the register every {@code periodMs} while {@code eligible} (this node is a voting acceptor): resumes a
   * running change this node drives but no loop runs here (the node restarted), and takes over a running change
   * whose record has not moved for {@code staleMs} (its driver is down or cut off: a live driver writes at least
   * every {@code staleMs / 3}). Any number of nodes may watch: a takeover is a compare-and-set, one wins.
   */
  public void watch(java.util.function.BooleanSupplier eligible, long periodMs, long staleMs) {
    context.runOnContext(v -> {
      if (watchTimer >= 0) vertx.cancelTimer(watchTimer);
      watchTimer = vertx.setPeriodic(periodMs, periodMs, id -> {
        if (!stopped && !looping && eligible.getAsBoolean()) watchOnce(staleMs);
      });
    });
  }

  private void watchOnce(long staleMs) {
    here(ports.read()).onSuccess(snap -> {
      if (looping || stopped) return;
      ChangeRecord rec = ChangeRecord.fromJson(snap.value().change());
      long now = System.nanoTime() / 1_000_000;
      if (rec == null || !rec.running()) {
        seenVersion = -1;
        heal(snap.value().config());
        return;
      }
      if (rec.driver() == me) {
        log.info("node {}: resuming the membership change toward {} (step {} of {})", me, rec.target(),
            rec.step() + 1, rec.steps());
        runLoop();
        return;
      }
      if (snap.version() != seenVersion) {
        seenVersion = snap.version();
        seenSince = now;
        return;
      }
      if (now - seenSince < staleMs) return;
      ChangeRecord mine = rec.withDriver(me, clock.getAsLong());
      here(ports.compareAndSet(snap.version(), snap.value().withChange(mine.toJson()))).onSuccess(s -> {
        log.warn("node {}: the membership change toward {} did not move for {} ms under node {}: taking it over",
            me, rec.target(), now - seenSince, rec.driver());
        seenVersion = -1;
        runLoop();
      });
    });
  }

  /** Completes when no loop runs here (tests). */
  public Future<Void> idle() {
    Promise<Void> p = Promise.promise();
    context.runOnContext(v -> idle.future().onComplete(p));
    return p.future();
  }

  /** Whether this node runs a change loop now. */
  public boolean driving() {
    return looping;
  }

  private void resumeAttempt(int attempt) {
    if (stopped) return;
    here(ports.read()).onComplete(ar -> {
      if (ar.failed()) {
        vertx.setTimer(backoff(attempt + 3), id -> resumeAttempt(attempt + 1));
        return;
      }
      heal(ar.result().value().config());
      ChangeRecord rec = ChangeRecord.fromJson(ar.result().value().change());
      if (rec != null && rec.running() && rec.driver() == me) {
        log.info("node {}: resuming the membership change toward {} (step {} of {})", me, rec.target(),
            rec.step() + 1, rec.steps());
        runLoop();
      }
    });
  }

  private Future<Answer> start(Set<Integer> requested, int replace, int attemptsLeft) {
    return here(ports.read()).compose(snap -> decide(snap, requested, replace)).recover(t -> {
      if (attemptsLeft > 1 && isConflict(t)) return start(requested, replace, attemptsLeft - 1);
      return Future.succeededFuture(unavailable(t));
    });
  }

  private Future<Answer> decide(ConfigRegister.Snapshot snap, Set<Integer> requested, int replace) {
    ConfigRegister.Value v = snap.value();
    ClusterConfig cfg = v.config();
    heal(cfg);
    ChangeRecord rec = ChangeRecord.fromJson(v.change());
    Set<Integer> target = replace != 0 ? (rec != null && rec.running() && rec.replace() == replace ? rec.target()
        : cfg.members()) : requested;
    long now = clock.getAsLong();
    if (rec != null && rec.running()) {
      if (!rec.sameChange(target, replace)) {
        return Future.succeededFuture(new Answer(409, new JsonObject().put("error", "change_running")
            .put("message", "a membership change toward " + rec.target() + describeReplace(rec.replace())
                + " is running (driven by node " + rec.driver() + "); wait for it or post the same target to take "
                + "it over").put("change", v.change())));
      }
      if (rec.driver() == me && looping) return Future.succeededFuture(new Answer(202, rec.toJson()));
      ChangeRecord mine = rec.withDriver(me, now);
      return ports.compareAndSet(snap.version(), v.withChange(mine.toJson())).map(s -> {
        log.info("node {}: took over the membership change toward {} from node {}", me, rec.target(), rec.driver());
        context.runOnContext(x -> runLoop());
        return new Answer(202, mine.toJson());
      });
    }
    if (v.gc() != null) {
      return Future.succeededFuture(Answer.error(409, "gc_running",
          "a garbage-collection batch is changing the configuration; retry in a few seconds"));
    }
    if (rec != null && ChangeRecord.FAILED.equals(rec.state()) && rec.sameChange(target, replace)) {
      ChangeRecord again = rec.withDriver(me, now);
      return ports.compareAndSet(snap.version(), v.withChange(again.toJson())).map(s -> {
        log.info("node {}: restarting the failed membership change toward {}", me, rec.target());
        context.runOnContext(x -> runLoop());
        return new Answer(202, again.toJson());
      });
    }
    List<MembershipPlan.Step> steps;
    try {
      if (replace != 0 && !cfg.members().contains(replace)) {
        throw new IllegalArgumentException("node " + replace + " is not an acceptor at epoch " + cfg.epoch()
            + " (acceptors " + cfg.members() + "): use add");
      }
      steps = replace != 0 ? MembershipPlan.replace(cfg.quorums(), replace)
          : MembershipPlan.plan(cfg.quorums(), target);
    } catch (IllegalArgumentException e) {
      return Future.succeededFuture(Answer.error(400, "invalid_target", e.getMessage()));
    }
    // A change that failed half-way may owe a rescan under the configuration it reached: the new one pays it first.
    ChangeRecord.Rescan owed = rec != null && rec.rescanPending() ? rec.rescan() : null;
    ChangeRecord fresh = new ChangeRecord(target, replace, replace == 0 ? 0 : cfg.incarnation(replace), cfg.epoch(),
        0, steps.size(), owed != null ? "rescan owed by the previous change" : "starting", ChangeRecord.RUNNING,
        owed, 0, 0, null, me, now, now);
    return ports.compareAndSet(snap.version(), v.withChange(fresh.toJson())).map(s -> {
      log.info("node {}: membership change toward {}{} started at epoch {}: {} steps", me, target,
          describeReplace(replace), cfg.epoch(), steps.size());
      context.runOnContext(x -> runLoop());
      return new Answer(202, fresh.toJson());
    });
  }

  private static String describeReplace(int replace) {
    return replace == 0 ? "" : " (replacing node " + replace + ")";
  }

  // ---------------------------------------------------------------- the loop

  private void runLoop() {
    if (looping || stopped) return;
    looping = true;
    noted = null;
    lastWrite = clock.getAsLong();
    idle = Promise.promise();
    turn(0);
  }

  private void turn(int failures) {
    if (stopped) {
      endLoop();
      return;
    }
    iterate().onComplete(ar -> {
      if (ar.succeeded() && ar.result()) {
        context.runOnContext(v -> turn(0));
      } else if (ar.succeeded()) {
        endLoop();
      } else {
        String why = message(ar.cause());
        if (failures == 0 || !why.equals(noted)) log.info("node {}: membership change waits: {}", me, why);
        note(why, clock.getAsLong() - lastWrite > options.heartbeatMs());
        vertx.setTimer(backoff(failures), id -> turn(failures + 1));
      }
    });
  }

  private void endLoop() {
    looping = false;
    idle.tryComplete();
  }

  /** One turn: true to go on at once, false when the change is no longer this node's to run. */
  private Future<Boolean> iterate() {
    return here(ports.read()).compose(snap -> {
      ChangeRecord rec = ChangeRecord.fromJson(snap.value().change());
      if (rec == null || !rec.running() || rec.driver() != me) return Future.succeededFuture(false);
      ClusterConfig cfg = snap.value().config();
      long known = ports.installed().epoch();
      if (known < cfg.epoch() - 1 && lagSince(cfg.epoch()) < LAG_WAIT_MS) {
        // A push computes what it needs from the configuration this node holds: it must be the one before
        // (a blocking set of an older one may not block the predecessor's quorums). Gossip brings it in seconds.
        return Future.failedFuture(new IllegalStateException("node " + me + " knows epoch " + known
            + " only: waiting to learn epoch " + (cfg.epoch() - 1) + " before it pushes epoch " + cfg.epoch()));
      }
      return pushInstalled(cfg).compose(v -> {
        if (rec.rescanPending()) return rescan(snap, rec).map(true);
        List<MembershipPlan.Step> steps = remaining(cfg, rec);
        if (steps.isEmpty()) {
          ChangeRecord done = rec.withState(ChangeRecord.DONE, null, clock.getAsLong()).withSteps(0,
              clock.getAsLong());
          return here(ports.compareAndSet(snap.version(), snap.value().withChange(done.toJson()))).map(s -> {
            log.info("node {}: membership change toward {} done at epoch {}", me, rec.target(), cfg.epoch());
            return false;
          });
        }
        MembershipPlan.Step step = steps.get(0);
        return admit(step, cfg).compose(x -> decideStep(snap, rec, cfg, step, steps.size() - 1)).map(true);
      });
    }).recover(t -> {
      if (!(t instanceof Permanent)) return Future.failedFuture(t);
      return failChange(t.getMessage()).map(false);
    });
  }

  /** How long this node has been waiting to learn the predecessor of {@code epoch} (ms). */
  private long lagSince(long epoch) {
    long now = System.nanoTime() / 1_000_000;
    if (lagEpoch != epoch) {
      lagEpoch = epoch;
      lagStart = now;
    }
    return now - lagStart;
  }

  /** The steps left from the register's configuration (a plan is a function of where the change stands). */
  static List<MembershipPlan.Step> remaining(ClusterConfig cfg, ChangeRecord rec) {
    QuorumSpec spec = cfg.quorums();
    try {
      if (rec.replace() != 0) {
        int x = rec.replace();
        if (cfg.incarnation(x) > rec.replaceFrom()) {
          return MembershipPlan.isSteady(spec) ? List.of() : MembershipPlan.replaceRejoined(spec, x);
        }
        return MembershipPlan.replace(spec, x);
      }
      if (MembershipPlan.isSteady(spec) && spec.acceptNodes().equals(rec.target())) return List.of();
      return MembershipPlan.plan(spec, rec.target());
    } catch (IllegalArgumentException e) {
      throw new Permanent("no way from epoch " + cfg.epoch() + " to the target: " + e.getMessage());
    }
  }

  /** A node the step brings in must answer and hold no store (a lost disk comes back empty too). */
  private Future<Void> admit(MembershipPlan.Step step, ClusterConfig cfg) {
    int x = step.node();
    if (x == 0 || cfg.members().contains(x)) return Future.succeededFuture();
    return here(ports.memberStatus(x)).transform(ar -> {
      if (ar.failed()) {
        return Future.failedFuture(new IllegalStateException("node " + x + " does not answer (start it with an "
            + "empty dataDir before it is added): " + message(ar.cause())));
      }
      String problem = admissionProblem(ar.result(), x);
      return problem == null ? Future.succeededFuture() : Future.failedFuture(new IllegalStateException(problem));
    });
  }

  /** Null if {@code status} (a node's membership status) shows an empty store, else why the node cannot join. */
  static String admissionProblem(JsonObject status, int node) {
    JsonObject identity = status.getJsonObject("identity");
    if (identity == null) return null;
    return "node " + node + " holds a store (cluster " + identity.getString("clusterId") + ", incarnation "
        + identity.getValue("incarnation") + "): an acceptor joins empty; stop it, delete its dataDir and start it "
        + "again";
  }

  private Future<Void> decideStep(ConfigRegister.Snapshot snap, ChangeRecord rec, ClusterConfig cfg,
      MembershipPlan.Step step, int stepsLeftAfter) {
    Map<Integer, Long> added = step.newIncarnation() ? Map.of(step.node(), rec.replaceFrom() + 1) : Map.of();
    ClusterConfig next = cfg.next(step.spec(), added);
    ChangeRecord.Rescan owed = step.rescanAfter() ? new ChangeRecord.Rescan(next.epoch(),
        cfg.quorums().acceptNodes(), cfg.quorums().acceptQuorum(), null, false) : null;
    String what = describe(step) + (owed != null ? ", then rescan" : "");
    ChangeRecord nr = rec.nextStep(stepsLeftAfter, what, owed, clock.getAsLong());
    return here(ports.compareAndSet(snap.version(), new ConfigRegister.Value(next, nr.toJson(), snap.value().gc())))
        .map(s -> {
          lastWrite = clock.getAsLong();
          log.info("node {}: membership step {}/{} decided at epoch {}: {}", me, nr.step(), nr.steps(), next.epoch(),
              what);
          return null;
        });
  }

  static String describe(MembershipPlan.Step step) {
    QuorumSpec s = step.spec();
    String quorums = "prepare " + s.prepareNodes() + "/" + s.prepareQuorum() + ", accept " + s.acceptNodes() + "/"
        + s.acceptQuorum();
    return switch (step.kind()) {
      case ADD -> "add " + step.node() + " (" + quorums + ")";
      case REMOVE -> "remove " + step.node() + " (" + quorums + ")";
      case REPLACE_ADD -> "re-add " + step.node() + (step.newIncarnation() ? " as a new incarnation" : "") + " ("
          + quorums + ")";
      case RESCAN -> "rescan (" + quorums + ")";
    };
  }

  /** Pushes the register's configuration until a blocking set holds it (idempotent: it may be there already). */
  private Future<Void> pushInstalled(ClusterConfig cfg) {
    return here(ports.push(cfg, options.pushDeadlineMs())).recover(t -> Future.failedFuture(
        new IllegalStateException("configuration of epoch " + cfg.epoch() + " not yet installed on enough nodes: "
            + message(t))));
  }

  /** Anyone who finds the register ahead of this node's configuration pushes it again (a driver may have died). */
  private void heal(ClusterConfig cfg) {
    long known = ports.installed().epoch();
    // only from the predecessor: a push computes what it needs from the configuration this node holds
    if (cfg.epoch() > known && cfg.epoch() - 1 <= known && !looping && !healing) {
      healing = true;
      here(ports.push(cfg, options.pushDeadlineMs())).onComplete(ar -> {
        healing = false;
        if (ar.failed()) log.debug("node {}: push of epoch {} failed: {}", me, cfg.epoch(), ar.cause().toString());
      });
    }
  }

  private Future<Void> failChange(String why) {
    log.warn("node {}: membership change failed: {}", me, why);
    return here(ports.read()).compose(snap -> {
      ChangeRecord rec = ChangeRecord.fromJson(snap.value().change());
      if (rec == null || !rec.running() || rec.driver() != me) return Future.succeededFuture();
      ChangeRecord failed = rec.withState(ChangeRecord.FAILED, why, clock.getAsLong());
      return here(ports.compareAndSet(snap.version(), snap.value().withChange(failed.toJson()))).mapEmpty();
    });
  }

  /**
   * Records the latest problem in the change (best effort): once per distinct problem, and again as a heartbeat
   * when {@code beat} (so that watchers see the driver alive while it waits).
   */
  private void note(String why, boolean beat) {
    if (why.equals(noted) && !beat) return;
    noted = why;
    lastWrite = clock.getAsLong();
    here(ports.read()).compose(snap -> {
      ChangeRecord rec = ChangeRecord.fromJson(snap.value().change());
      if (rec == null || !rec.running() || rec.driver() != me || (why.equals(rec.lastError()) && !beat)) {
        return Future.succeededFuture();
      }
      return ports.compareAndSet(snap.version(), snap.value().withChange(rec.withError(why, clock.getAsLong())
          .toJson())).mapEmpty();
    });
  }

  // ---------------------------------------------------------------- rescan

  /** The register's snapshot as the rescan last wrote it. */
  private static final class Held {
    ConfigRegister.Snapshot snap;
    ChangeRecord rec;
    final long startNanos = System.nanoTime();
    long touched;
  }

  private Future<Void> rescan(ConfigRegister.Snapshot snap, ChangeRecord rec) {
    ChangeRecord.Rescan r = rec.rescan();
    Set<Integer> nodes = new TreeSet<>(r.fromAccept());
    nodes.addAll(snap.value().config().members());
    Held held = new Held();
    held.snap = snap;
    held.rec = rec;
    log.info("node {}: rescan under epoch {} from {} (keys of {}, {} of {} must answer each page)", me, r.epoch(),
        r.after() == null ? "the start" : "after a cursor", nodes, r.answersNeeded(), r.fromAccept());
    return rescanPages(nodes, held);
  }

  private Future<Void> rescanPages(Set<Integer> nodes, Held held) {
    ChangeRecord.Rescan r = held.rec.rescan();
    return fetchPage(nodes, r, 0).compose(page -> touchAll(page.keys()).compose(v -> {
      ChangeRecord.Rescan at = page.finished() ? r.at(r.after()).finished() : r.at(page.cursor());
      long now = clock.getAsLong();
      ChangeRecord nr = held.rec.withRescan(at, held.rec.rescanned() + page.keys().size(),
          Math.max(page.total(), held.rec.rescanned() + page.keys().size()), now);
      return here(ports.compareAndSet(held.snap.version(), held.snap.value().withChange(nr.toJson()))).compose(s -> {
        held.snap = s;
        held.rec = nr;
        held.touched += page.keys().size();
        lastWrite = now;
        if (page.finished()) {
          double seconds = Math.max(1e-3, (System.nanoTime() - held.startNanos) / 1e9);
          log.info("node {}: rescan under epoch {} done: {} keys touched in all, {} by this run in {} s ({} keys/s)",
              me, r.epoch(), nr.rescanned(), held.touched, String.format(java.util.Locale.ROOT, "%.1f", seconds),
              Math.round(held.touched / seconds));
          return Future.succeededFuture();
        }
        return rescanPages(nodes, held);
      });
    }));
  }

  /**
   * One merged page; waits (and retries) until enough acceptors of the previous accept set answer. Once enough
   * did, the others get {@link #PAGE_GRACE_MS} more: a node that is down must not slow every page to its timeout
   * (its keys are not needed: every chosen value sits on one of the acceptors that answered).
   */
  private Future<KeyPages.Merged> fetchPage(Set<Integer> nodes, ChangeRecord.Rescan r, int attempt) {
    if (stopped) return Future.failedFuture(new IllegalStateException("stopped"));
    List<KeyPages.Page> pages = new ArrayList<>();
    int[] pending = {nodes.size()};
    Promise<Void> gathered = Promise.promise();
    long[] grace = {-1};
    for (int n : nodes) {
      here(ports.keys(n, r.after(), options.pageSize())).onComplete(ar -> {
        pending[0]--;
        if (ar.succeeded() && ar.result() != null) pages.add(ar.result());
        if (pending[0] == 0) {
          if (grace[0] >= 0) vertx.cancelTimer(grace[0]);
          gathered.tryComplete();
        } else if (grace[0] < 0 && !gathered.future().isComplete()
            && KeyPages.enough(pages, r.fromAccept(), r.answersNeeded())) {
          grace[0] = vertx.setTimer(PAGE_GRACE_MS, id -> gathered.tryComplete());
        }
      });
    }
    return gathered.future().compose(x -> {
      List<KeyPages.Page> answered = List.copyOf(pages);
      if (KeyPages.enough(answered, r.fromAccept(), r.answersNeeded())) {
        return Future.succeededFuture(KeyPages.merge(answered));
      }
      String why = "rescan waits: " + answered.size() + " acceptors listed their keys, " + r.answersNeeded()
          + " of " + r.fromAccept() + " are needed";
      if (attempt == 0 || attempt % 20 == 0) log.info("node {}: {}", me, why);
      if (attempt == 3 || clock.getAsLong() - lastWrite > options.heartbeatMs()) note(why, true);
      Promise<KeyPages.Merged> later = Promise.promise();
      vertx.setTimer(backoff(attempt), id -> fetchPage(nodes, r, attempt + 1).onComplete(later));
      return later.future();
    });
  }

  /** Touches every key, at most {@code inFlight} at once; fails (permanently) if one touch keeps failing. */
  private Future<Void> touchAll(List<String> keys) {
    Promise<Void> done = Promise.promise();
    if (keys.isEmpty()) {
      done.complete();
      return done.future();
    }
    int[] next = {0};
    int[] running = {0};
    Runnable[] pump = new Runnable[1];
    pump[0] = () -> {
      while (running[0] < options.inFlight() && next[0] < keys.size() && !done.future().isComplete()) {
        String key = keys.get(next[0]++);
        running[0]++;
        touch(key, 1).onComplete(ar -> {
          running[0]--;
          if (ar.failed()) {
            done.tryFail(ar.cause());
          } else if (next[0] == keys.size() && running[0] == 0) {
            done.tryComplete();
          } else {
            pump[0].run();
          }
        });
      }
    };
    pump[0].run();
    return done.future();
  }

  private Future<Void> touch(String key, int attempt) {
    return here(ports.touch(key)).recover(t -> {
      if (stopped) return Future.failedFuture(t);
      if (attempt >= options.touchAttempts()) {
        return Future.failedFuture(new Permanent("touch of key " + printable(key) + " failed " + attempt
            + " times, last: " + message(t)));
      }
      Promise<Void> later = Promise.promise();
      vertx.setTimer(backoff(attempt - 1), id -> touch(key, attempt + 1).onComplete(later));
      return later.future();
    });
  }

  // ---------------------------------------------------------------- helpers

  private long backoff(int failures) {
    long ms = options.backoffMinMs() << Math.min(failures, 16);
    return Math.max(1, Math.min(options.backoffMaxMs(), ms));
  }

  /** The same outcome, delivered on this driver's context. */
  private <T> Future<T> here(Future<T> f) {
    Promise<T> p = Promise.promise();
    f.onComplete(ar -> {
      if (Vertx.currentContext() == context) {
        p.handle(ar);
      } else {
        context.runOnContext(v -> p.handle(ar));
      }
    });
    return p.future();
  }

  private <T> Future<T> onContext(java.util.function.Supplier<Future<T>> action) {
    Promise<T> p = Promise.promise();
    context.runOnContext(v -> {
      try {
        action.get().onComplete(p);
      } catch (RuntimeException e) {
        p.fail(e);
      }
    });
    return here(p.future());
  }

  private static boolean isConflict(Throwable t) {
    return t instanceof io.vertx.core.eventbus.ReplyException re && re.failureCode() == 412;
  }

  private static Answer unavailable(Throwable t) {
    return Answer.error(503, "unavailable", "cannot read or write the configuration register: " + message(t));
  }

  static String message(Throwable t) {
    String m = t.getMessage();
    return m != null ? m : t.getClass().getSimpleName();
  }

  static String printable(String key) {
    StringBuilder b = new StringBuilder("'");
    key.codePoints().limit(80).forEach(c -> {
      if (c < 0x20) b.append(String.format("\\u%04x", c)); else b.appendCodePoint(c);
    });
    return b.append(key.length() > 80 ? "…'" : "'").toString();
  }
}
