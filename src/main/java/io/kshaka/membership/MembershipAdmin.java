package io.kshaka.membership;

import io.kshaka.cluster.Addresses;
import io.kshaka.cluster.AdminService;
import io.kshaka.core.ClusterConfig;
import io.vertx.core.Future;
import io.kshaka.security.BusGuard;
import io.kshaka.security.Role;
import io.kshaka.security.Tokens;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * The membership admin API of one node, behind HTTP ({@code GET|POST /v1/admin/membership}) and the event bus
 * ({@code kshaka.admin}, any node; {@code kshaka.admin.<id>}, this one). Ops: {@code status}, {@code change}
 * ({@code acceptors}), {@code add}, {@code remove}, {@code replace} ({@code node}). A node that cannot drive the
 * change (not a voting acceptor, or one the change removes or replaces) forwards the request to one that can, or
 * answers 503 naming the acceptors to ask.
 *
 * <p>On the bus a 2xx answer is the reply body (200 for status, 202 for a change); any other fails the message
 * with the status as failure code and the JSON body as message.
 */
public final class MembershipAdmin implements AdminService {
  /** The default namespace's any-node address; a node listens on {@link Addresses#admin()} of its namespace. */
  public static final String ADDRESS = "kshaka.admin";

  private final Addresses addresses;

  private final Vertx vertx;
  private final MembershipDriver driver;
  private final int me;
  private final Supplier<ClusterConfig> installed;
  private final BooleanSupplier voting;
  private final DeliveryOptions forwardOptions;
  private final List<MessageConsumer<JsonObject>> consumers = new ArrayList<>();
  /** Node-to-node forwards ({@code admin.<id>}) carry the cluster secret's MAC when there is one. */
  private BusGuard guard = BusGuard.OFF;
  /** With client auth on, a request on the any-node address needs a token of role admin. */
  private Tokens tokens;

  public MembershipAdmin(Vertx vertx, MembershipDriver driver, int nodeId, Supplier<ClusterConfig> installed,
      BooleanSupplier voting, long forwardTimeoutMs) {
    this(vertx, Addresses.DEFAULT, driver, nodeId, installed, voting, forwardTimeoutMs);
  }

  public MembershipAdmin(Vertx vertx, Addresses addresses, MembershipDriver driver, int nodeId,
      Supplier<ClusterConfig> installed, BooleanSupplier voting, long forwardTimeoutMs) {
    this.vertx = vertx;
    this.addresses = addresses;
    this.driver = driver;
    this.me = nodeId;
    this.installed = installed;
    this.voting = voting;
    this.forwardOptions = new DeliveryOptions().setSendTimeout(forwardTimeoutMs);
  }

  /**
   * Credentials, before {@link #register}: {@code guard} signs and checks the forwards between nodes, and with
   * {@code tokens} (null: auth off) a request on the any-node address needs a bearer token of role admin in its
   * {@code authorization} header, as {@code /v1/admin/*} does over HTTP.
   */
  public MembershipAdmin security(BusGuard guard, Tokens tokens) {
    this.guard = guard;
    this.tokens = tokens;
    return this;
  }

  /** Consumes {@code kshaka.admin} and {@code kshaka.admin.<id>}; completes once both are registered. */
  public Future<Void> register() {
    consumers.add(vertx.eventBus().consumer(addresses.admin(), msg -> {
      if (tokens != null && tokens.check(msg.headers().getAll(Tokens.HEADER), Role.ADMIN)
          instanceof Tokens.Refused r) {
        msg.fail(r.status(), r.body().encode());
        return;
      }
      handle(msg);
    }));
    consumers.add(vertx.eventBus().consumer(addresses.admin(me), msg -> {
      if (guard.admit(msg, BusGuard.Kind.CLUSTER_ADMIN)) handle(msg);
    }));
    List<Future<Void>> ready = new ArrayList<>();
    for (MessageConsumer<JsonObject> c : consumers) ready.add(c.completion());
    return Future.all(ready).mapEmpty();
  }

  /** Registers the consumers again (after a split-brain merge lost their entries). */
  public void reRegister() {
    List<MessageConsumer<JsonObject>> old = new ArrayList<>(consumers);
    consumers.clear();
    register();
    old.forEach(MessageConsumer::unregister);
  }

  public Future<Void> unregister() {
    List<Future<Void>> done = new ArrayList<>();
    for (MessageConsumer<JsonObject> c : consumers) done.add(c.unregister());
    consumers.clear();
    return Future.join(done).mapEmpty();
  }

  private void handle(Message<JsonObject> msg) {
    Object body = msg.body();
    Future<Reply> answer = body instanceof JsonObject request ? admin(request)
        : Future.succeededFuture(bad("the body must be a JSON object"));
    answer.onComplete(ar -> {
      Reply r = ar.succeeded() ? ar.result() : new Reply(500, error("internal_error", String.valueOf(ar.cause())));
      if (r.status() < 400) {
        guard.reply(msg, r.body());
      } else {
        msg.fail(r.status(), r.body().encode());
      }
    });
  }

  @Override
  public Future<Reply> admin(JsonObject request) {
    Request r;
    try {
      r = parse(request);
    } catch (IllegalArgumentException e) {
      return Future.succeededFuture(bad(e.getMessage()));
    }
    boolean forwarded = request.getBoolean("forwarded", false);
    ClusterConfig here = installed.get();
    boolean member = voting.getAsBoolean() && here.members().contains(me);
    if (!member) return forward(r, forwarded, here, here.members());
    switch (r.op()) {
      case "status":
        return driver.status().map(MembershipAdmin::reply);
      case "replace":
        if (r.node() == me) return forward(r, forwarded, here, without(here.members(), me));
        return driver.replace(r.node()).map(MembershipAdmin::reply);
      case "change":
        return change(r.acceptors(), forwarded, here);
      default:
        // add / remove: relative to the running change's target, else to the register's configuration
        return driver.status().compose(s -> {
          if (s.status() != 200) return Future.succeededFuture(reply(s));
          JsonObject change = s.body().getJsonObject("change");
          Set<Integer> base = change != null && ChangeRecord.RUNNING.equals(change.getString("state"))
              ? ChangeRecord.idSet(change.getJsonArray("target"))
              : ConfigJson.fromJson(s.body().getJsonObject("config")).members();
          Set<Integer> target = new TreeSet<>(base);
          if (r.op().equals("add")) target.add(r.node()); else target.remove(r.node());
          return change(target, forwarded, here);
        });
    }
  }

  private Future<Reply> change(Set<Integer> target, boolean forwarded, ClusterConfig here) {
    if (target.contains(me) || target.isEmpty()) return driver.change(target).map(MembershipAdmin::reply);
    // this node leaves: one that stays drives the change (it must keep proposing until the end)
    Set<Integer> stay = new TreeSet<>(here.members());
    stay.retainAll(target);
    JsonObject req = new JsonObject().put("op", "change").put("acceptors", ChangeRecord.ids(target));
    return forward(new Request("change", 0, target, req), forwarded, here, stay.isEmpty() ? here.members() : stay);
  }

  /** Sends the request to the first of {@code candidates} that answers; 503 naming them if none does. */
  private Future<Reply> forward(Request r, boolean forwarded, ClusterConfig here, Set<Integer> candidates) {
    List<Integer> order = new ArrayList<>(without(candidates, me));
    if (forwarded || order.isEmpty()) {
      return Future.succeededFuture(new Reply(503, error("not_member", "node " + me + " cannot run this request ("
          + (voting.getAsBoolean() ? "" : "it does not vote; ") + "acceptors at epoch " + here.epoch() + ": "
          + here.members() + "); send it to node " + (order.isEmpty() ? here.members() : order))
          .put("members", ChangeRecord.ids(here.members()))));
    }
    JsonObject req = r.raw().copy().put("forwarded", true);
    if (!req.containsKey("op")) req.put("op", r.op());
    return tryForward(order, 0, req, r.op().equals("status") ? 200 : 202, here);
  }

  private Future<Reply> tryForward(List<Integer> order, int i, JsonObject req, int okStatus, ClusterConfig here) {
    if (i == order.size()) {
      return Future.succeededFuture(new Reply(503, error("not_member", "node " + me + " is not a voting acceptor "
          + "and none of " + order + " answered; acceptors at epoch " + here.epoch() + ": " + here.members())
          .put("members", ChangeRecord.ids(here.members()))));
    }
    return guard.<JsonObject>request(vertx, addresses.admin(order.get(i)), req, forwardOptions,
            BusGuard.Kind.CLUSTER_ADMIN)
        .map(m -> new Reply(okStatus, m.body()))
        .recover(t -> {
          if (t instanceof ReplyException re && re.failureCode() >= 400 && re.failureCode() != 503) {
            try {
              return Future.succeededFuture(new Reply(re.failureCode(), new JsonObject(re.getMessage())));
            } catch (DecodeException | NullPointerException e) {
              return Future.succeededFuture(new Reply(re.failureCode(), error("error", re.getMessage())));
            }
          }
          return tryForward(order, i + 1, req, okStatus, here);
        });
  }

  /** A parsed request. */
  record Request(String op, int node, Set<Integer> acceptors, JsonObject raw) {}

  /** Parses the bus form ({@code op}) or the HTTP body forms. */
  static Request parse(JsonObject o) {
    String op = o.getValue("op") instanceof String s ? s : null;
    if (op == null) {
      if (o.containsKey("acceptors")) op = "change";
      else if (o.containsKey("replace")) op = "replace";
      else if (o.containsKey("add")) op = "add";
      else if (o.containsKey("remove")) op = "remove";
      else {
        throw new IllegalArgumentException("give {\"acceptors\": [ids]}, {\"replace\": id}, {\"add\": id} or "
            + "{\"remove\": id}");
      }
    }
    switch (op) {
      case "status":
        return new Request(op, 0, null, o);
      case "change": {
        Object a = o.getValue("acceptors");
        if (!(a instanceof JsonArray array)) {
          throw new IllegalArgumentException("field 'acceptors' must be an array of node ids");
        }
        Set<Integer> ids = new TreeSet<>();
        for (Object x : array) {
          if (!(x instanceof Number n) || n.doubleValue() != Math.rint(n.doubleValue())) {
            throw new IllegalArgumentException("field 'acceptors' must hold integer node ids, got " + x);
          }
          ids.add(n.intValue());
        }
        return new Request(op, 0, ids, o);
      }
      case "add":
      case "remove":
      case "replace": {
        Object n = o.containsKey("node") ? o.getValue("node") : o.getValue(op);
        if (!(n instanceof Number num) || num.doubleValue() != Math.rint(num.doubleValue())) {
          throw new IllegalArgumentException("field '" + (o.containsKey("node") ? "node" : op)
              + "' must be an integer node id");
        }
        if (num.intValue() < 1) throw new IllegalArgumentException("node id " + num + " is invalid: ids start at 1");
        return new Request(op, num.intValue(), null, o);
      }
      default:
        throw new IllegalArgumentException("unknown op '" + op + "': status, change, add, remove or replace");
    }
  }

  private static Set<Integer> without(Set<Integer> s, int x) {
    Set<Integer> out = new TreeSet<>(s);
    out.remove(x);
    return out;
  }

  private static Reply reply(MembershipDriver.Answer a) {
    return new Reply(a.status(), a.body());
  }

  private static Reply bad(String message) {
    return new Reply(400, error("bad_request", message));
  }

  private static JsonObject error(String code, String message) {
    return new JsonObject().put("error", code).put("message", message);
  }
}
