package io.kshaka.membership;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kshaka.cluster.AdminService;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The admin API's parsing and forwarding, over a local event bus and the in-memory cluster. */
class MembershipAdminTest {
  Vertx vertx;
  FakeClusterPorts cluster;

  @BeforeEach
  void setUp() {
    vertx = Vertx.vertx();
    cluster = new FakeClusterPorts(3);
  }

  @AfterEach
  void tearDown() {
    MembershipDriverTest.await(vertx.close());
  }

  MembershipAdmin admin(int node, boolean voting) {
    MembershipDriver d = new MembershipDriver(vertx, cluster.node(node), MembershipDriverTest.FAST,
        System::currentTimeMillis);
    MembershipAdmin a = new MembershipAdmin(vertx, d, node, () -> cluster.node(node).installed(), () -> voting,
        2_000);
    MembershipDriverTest.await(a.register());
    return a;
  }

  AdminService.Reply call(MembershipAdmin a, JsonObject request) {
    return MembershipDriverTest.await(a.admin(request));
  }

  @Test
  void bodyFormsAndOpsParse() {
    assertEquals("change", MembershipAdmin.parse(new JsonObject().put("acceptors", new JsonArray().add(1))).op());
    assertEquals(2, MembershipAdmin.parse(new JsonObject().put("replace", 2)).node());
    assertEquals("add", MembershipAdmin.parse(new JsonObject().put("op", "add").put("node", 4)).op());
    assertThrows(IllegalArgumentException.class, () -> MembershipAdmin.parse(new JsonObject()));
    assertThrows(IllegalArgumentException.class, () -> MembershipAdmin.parse(new JsonObject().put("acceptors", "1")));
    assertThrows(IllegalArgumentException.class, () -> MembershipAdmin.parse(new JsonObject().put("replace", 1.5)));
    assertThrows(IllegalArgumentException.class, () -> MembershipAdmin.parse(new JsonObject().put("op", "nuke")));
  }

  @Test
  void badRequestsAre400NamingTheProblem() {
    MembershipAdmin one = admin(1, true);
    AdminService.Reply r = call(one, new JsonObject().put("acceptors", new JsonArray()));
    assertEquals(400, r.status());
    assertTrue(r.body().getString("message").contains("empty"), r.body().encode());
    assertEquals(400, call(one, new JsonObject().put("remove", 0)).status());
  }

  @Test
  void addAndRemoveAreShorthandsForATarget() {
    MembershipAdmin one = admin(1, true);
    AdminService.Reply r = call(one, new JsonObject().put("add", 4));
    assertEquals(202, r.status(), r.body().encode());
    assertEquals(new JsonArray().add(1).add(2).add(3).add(4), r.body().getJsonArray("target"));
    MembershipDriverTest.waitFor("add done", () -> MembershipDriverTest.finished(cluster));
    AdminService.Reply s = call(one, new JsonObject().put("op", "status"));
    assertEquals(200, s.status());
    assertEquals(3, s.body().getLong("epoch"));
    assertEquals("done", s.body().getJsonObject("change").getString("state"));
  }

  @Test
  void aNodeThatDoesNotVoteForwardsToAMember() {
    admin(1, true);
    admin(2, true);
    MembershipAdmin five = admin(5, false);
    AdminService.Reply status = call(five, new JsonObject().put("op", "status"));
    assertEquals(200, status.status(), status.body().encode());
    assertNotNull(status.body().getJsonObject("config"));
    AdminService.Reply r = call(five, new JsonObject().put("acceptors", new JsonArray().add(1).add(2).add(3)
        .add(5)));
    assertEquals(202, r.status(), r.body().encode());
    assertEquals(1, r.body().getInteger("driver"), "the lowest member drives it");
  }

  @Test
  void aNodeThatLeavesHandsTheChangeToOneThatStays() {
    admin(1, true);
    admin(2, true);
    MembershipAdmin three = admin(3, true);
    AdminService.Reply r = call(three, new JsonObject().put("remove", 3));
    assertEquals(202, r.status(), r.body().encode());
    assertEquals(1, r.body().getInteger("driver"));
    MembershipDriverTest.waitFor("remove done", () -> MembershipDriverTest.finished(cluster));
    assertEquals(Set.of(1, 2), cluster.config().members());
  }

  @Test
  void theBusAddressRepliesLikeHttp() {
    admin(1, true);
    JsonObject ok = MembershipDriverTest.await(vertx.eventBus().<JsonObject>request(MembershipAdmin.ADDRESS,
        new JsonObject().put("op", "status"))).body();
    assertEquals(1, ok.getLong("epoch"));
    Throwable t = assertThrows(IllegalStateException.class, () -> MembershipDriverTest.await(vertx.eventBus()
        .request(MembershipAdmin.ADDRESS, new JsonObject().put("op", "replace").put("node", 9))));
    ReplyException re = (ReplyException) t.getCause().getCause();
    assertEquals(400, re.failureCode());
    assertEquals("invalid_target", new JsonObject(re.getMessage()).getString("error"));
  }
}
