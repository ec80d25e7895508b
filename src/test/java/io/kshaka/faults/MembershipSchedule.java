package io.kshaka.faults;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * Walks the cluster through a list of acceptor sets with the admin API, as an operator would while faults happen:
 * for each target, {@code POST /v1/admin/membership} to a node drawn at random (another one if it does not answer),
 * then polls {@code GET /v1/admin/membership} until the configuration is the target and no change runs. A change
 * that failed, or whose driver was killed, is posted again (the same target resumes it). Every step is logged in the
 * run's events.
 */
final class MembershipSchedule {
  private final NodeCluster cluster;
  private final Random random;
  private final Events events;
  private final HttpClient client;
  private final List<String> done = new ArrayList<>();

  MembershipSchedule(NodeCluster cluster, Random random, Events events) {
    this.cluster = cluster;
    this.random = random;
    this.events = events;
    this.client = cluster.security().client(Duration.ofSeconds(2)).build();
  }

  /** The targets reached, in order. */
  List<String> done() {
    synchronized (done) {
      return List.copyOf(done);
    }
  }

  /**
   * Reaches each target in turn, each within {@code perChange}.
   *
   * @throws IllegalStateException when a target is not reached in time
   */
  void run(List<List<Integer>> targets, Duration perChange) {
    for (List<Integer> target : targets) {
      // a seeded gap before each change, so that the changes spread over the faults instead of finishing together
      LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(2_000 + random.nextInt(6_000)));
      Set<Integer> want = new TreeSet<>(target);
      long deadline = System.nanoTime() + perChange.toNanos();
      events.log("membership: change toward " + want);
      long posted = 0;
      while (true) {
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException("membership change toward " + want + " not done within "
              + perChange.toSeconds() + " s; last status: " + status(any()));
        }
        JsonObject status = status(any());
        if (status != null && reached(status, want)) break;
        boolean running = status != null && status.getJsonObject("change") != null
            && "running".equals(status.getJsonObject("change").getString("state"));
        if (!running && System.nanoTime() - posted > TimeUnit.SECONDS.toNanos(5)) {
          String node = any();
          int code = post(node, new JsonObject().put("acceptors", new JsonArray(new ArrayList<>(want))));
          events.log("membership: POST toward " + want + " to " + node + " → " + code);
          posted = System.nanoTime();
        }
        LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(250));
      }
      events.log("membership: configuration is " + want);
      synchronized (done) {
        done.add(want.toString());
      }
    }
  }

  /**
   * A lost disk, as an operator meets it: node {@code id} is killed, its data directory deleted, and it is started
   * again (empty, so it must not vote); then {@code POST {"replace": id}} to another node, until the configuration
   * holds a newer incarnation of it and no change runs.
   */
  void replace(int id, Duration within) {
    NodeProcess node = cluster.node(id);
    JsonObject before = status(other(id));
    long incarnation = before == null ? 1 : before.getJsonObject("config").getJsonObject("incarnations")
        .getLong(String.valueOf(id), 1L);
    events.log("membership: node " + id + " loses its disk (kill -9, data directory deleted, started empty)");
    node.kill();
    FaultRun.deleteRecursively(cluster.dataDir(id));
    node.start();
    long deadline = System.nanoTime() + within.toNanos();
    long posted = 0;
    while (true) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("replace of node " + id + " not done within " + within.toSeconds()
            + " s; last status: " + status(other(id)));
      }
      JsonObject status = status(other(id));
      JsonObject change = status == null ? null : status.getJsonObject("change");
      boolean running = change != null && "running".equals(change.getString("state"));
      if (status != null && !running && status.getJsonObject("config").getJsonObject("incarnations")
          .getLong(String.valueOf(id), 0L) > incarnation) {
        break;
      }
      if (!running && System.nanoTime() - posted > TimeUnit.SECONDS.toNanos(5)) {
        String via = other(id);
        int code = post(via, new JsonObject().put("replace", id));
        events.log("membership: POST replace " + id + " to " + via + " → " + code);
        posted = System.nanoTime();
      }
      LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(250));
    }
    events.log("membership: node " + id + " is back as incarnation " + (incarnation + 1));
    synchronized (done) {
      done.add("replace " + id);
    }
  }

  /** A node other than {@code id}, drawn at random. */
  private String other(int id) {
    while (true) {
      NodeProcess n = cluster.nodes().get(random.nextInt(cluster.size()));
      if (n.id != id) return n.baseUrl;
    }
  }

  /** True when the node's configuration has exactly {@code want} in both phases and no change runs. */
  static boolean reached(JsonObject status, Set<Integer> want) {
    JsonObject config = status.getJsonObject("config");
    if (config == null) return false;
    JsonObject change = status.getJsonObject("change");
    if (change != null && "running".equals(change.getString("state"))) return false;
    return want.equals(nodes(config.getJsonObject("prepare"))) && want.equals(nodes(config.getJsonObject("accept")));
  }

  private static Set<Integer> nodes(JsonObject phase) {
    Set<Integer> s = new TreeSet<>();
    if (phase == null) return s;
    JsonArray a = phase.getJsonArray("nodes");
    for (int i = 0; i < a.size(); i++) s.add(a.getInteger(i));
    return s;
  }

  private String any() {
    List<NodeProcess> nodes = cluster.nodes();
    return nodes.get(random.nextInt(nodes.size())).baseUrl;
  }

  /** The admin status of a node, or null if it does not answer 200. */
  JsonObject status(String baseUrl) {
    try {
      HttpRequest request = cluster.security().admin(HttpRequest.newBuilder(URI.create(baseUrl
          + "/v1/admin/membership"))).timeout(Duration.ofSeconds(5)).GET().build();
      HttpResponse<String> r = client.send(request, HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
      return r.statusCode() == 200 ? new JsonObject(r.body()) : null;
    } catch (Exception e) {
      return null;
    }
  }

  private int post(String baseUrl, JsonObject body) {
    try {
      HttpRequest request = cluster.security().admin(HttpRequest.newBuilder(URI.create(baseUrl
          + "/v1/admin/membership"))).timeout(Duration.ofSeconds(10)).header("Content-Type", "application/json")
          .POST(HttpRequest.BodyPublishers.ofString(body.encode())).build();
      HttpResponse<String> r = client.send(request, HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
      return r.statusCode();
    } catch (Exception e) {
      return -1;
    }
  }
}
