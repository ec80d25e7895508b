package io.kshaka.membership;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** {@code kshaka admin}: what it sends and its exit codes, against a fake node. */
class AdminCommandTest {
  Vertx vertx;
  HttpServer server;
  final AtomicReference<JsonObject> posted = new AtomicReference<>();
  final AtomicInteger postStatus = new AtomicInteger(202);
  final AtomicInteger polls = new AtomicInteger();
  String url;

  static JsonObject change(String state, long rescanned) {
    return new JsonObject().put("target", new JsonArray().add(1).add(2).add(3).add(4)).put("state", state)
        .put("step", 1).put("steps", 2).put("description", "add 4").put("startedAt", 42L)
        .put("rescan", new JsonObject().put("epoch", 2).put("done", false)).put("rescanned", rescanned)
        .put("total", 1000).put("driver", 1);
  }

  @BeforeEach
  void setUp() {
    vertx = Vertx.vertx();
    server = MembershipDriverTest.await(vertx.createHttpServer().requestHandler(req -> {
      if (req.method().name().equals("POST")) {
        req.body().onSuccess(b -> {
          posted.set(b.toJsonObject());
          JsonObject body = postStatus.get() == 202 ? change("running", 0)
              : new JsonObject().put("error", "x").put("message", "refused");
          req.response().setStatusCode(postStatus.get()).end(body.encode());
        });
        return;
      }
      int n = polls.incrementAndGet();
      JsonObject config = new JsonObject().put("epoch", 2).put("clusterId", "c")
          .put("prepare", new JsonObject().put("nodes", new JsonArray().add(1)).put("quorum", 1))
          .put("accept", new JsonObject().put("nodes", new JsonArray().add(1)).put("quorum", 1))
          .put("incarnations", new JsonObject().put("1", 1));
      JsonObject c = n < 3 ? change("running", n * 300L) : change(postStatus.get() == 202 ? "done" : "failed", 1000);
      req.response().end(new JsonObject().put("epoch", 2).put("config", config).put("change", c).encode());
    }).listen(0, "127.0.0.1"));
    url = "http://127.0.0.1:" + server.actualPort();
  }

  @AfterEach
  void tearDown() {
    MembershipDriverTest.await(vertx.close());
  }

  @Test
  void exitCodesFollowTheAnswer() {
    assertEquals(0, AdminCommand.run(new String[] {"status", "--node", url}));
    assertEquals(0, AdminCommand.run(new String[] {"add", "4", "--node", url}));
    assertEquals(new JsonObject().put("add", 4), posted.get());
    assertEquals(0, AdminCommand.run(new String[] {"remove", "2", "--node", url, "--wait"}), "waited until done");
    assertTrue(polls.get() >= 3);
    assertEquals(new JsonObject().put("remove", 2), posted.get());
    postStatus.set(409);
    assertEquals(3, AdminCommand.run(new String[] {"replace", "2", "--node", url}));
    postStatus.set(400);
    assertEquals(2, AdminCommand.run(new String[] {"add", "0", "--node", url}));
    assertEquals(2, AdminCommand.run(new String[] {"add"}), "usage");
    assertEquals(2, AdminCommand.run(new String[] {"frobnicate"}), "usage");
    assertEquals(1, AdminCommand.run(new String[] {"status", "--node", "http://127.0.0.1:1", "--conf",
        "target/no-such-conf"}), "unreachable");
    assertEquals(0, AdminCommand.run(new String[] {"status", "--node", "http://127.0.0.1:1," + url}),
        "the next node when one cannot be connected to");
  }

  @Test
  void progressLineShowsTheRescanAndTimeLeft() {
    AdminCommand.Progress p = new AdminCommand.Progress();
    p.line(change("running", 100), 0);
    String line = p.line(change("running", 400), 1_000_000_000L);
    assertTrue(line.contains("400/1000 keys"), line);
    assertTrue(line.contains("300 keys/s"), line);
    assertTrue(line.contains("~2 s left"), line);
  }
}
