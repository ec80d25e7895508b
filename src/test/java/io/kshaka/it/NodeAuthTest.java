package io.kshaka.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kshaka.cluster.Addresses;
import io.kshaka.cluster.HazelcastSetup;
import io.kshaka.cluster.Wire;
import io.kshaka.core.AcceptorReply;
import io.kshaka.core.AcceptorRequest;
import io.kshaka.core.Ballot;
import io.kshaka.core.RegisterState;
import io.kshaka.security.BusAuth;
import io.kshaka.security.BusGuard;
import io.kshaka.security.ClusterSecret;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.core.json.JsonObject;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * The cluster secret ({@code cluster.secretFile}) on three real nodes, with a "rogue" clustered Vert.x that joined
 * the same Hazelcast cluster without the secret: its prepares, accepts, admin, membership and forwarded requests
 * are refused before the protocol sees them (401, counted in /metrics), and its answers on an acceptor's address
 * are not votes. The last test stops nodes 2 and 3, so the tests run in order.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class NodeAuthTest {
  private static final DeliveryOptions TIMEOUT = new DeliveryOptions().setSendTimeout(10_000);

  @TempDir
  static Path dir;

  static TestCluster cluster;
  static Vertx rogue;
  /** What a process holding the secret sends with (the test's own view of the acceptors). */
  static BusGuard insider;
  static BusAuth wrongSecret;

  @BeforeAll
  static void start() throws Exception {
    String secret = ClusterSecret.generate();
    Path file = Files.writeString(dir.resolve("cluster.secret"), secret + "\n");
    cluster = TestCluster.start(dir, 3, new JsonObject().put("requestTimeoutMs", 3_000),
        new JsonObject().put("cluster", new JsonObject().put("secretFile", file.toString())));
    insider = BusGuard.create(new BusAuth(secret.getBytes(StandardCharsets.UTF_8)), new SimpleMeterRegistry());
    wrongSecret = new BusAuth(ClusterSecret.generate().getBytes(StandardCharsets.UTF_8));
    rogue = joinAsRogue(cluster);
  }

  @AfterAll
  static void stop() {
    if (rogue != null) TestCluster.await(rogue.close());
    if (cluster != null) cluster.close();
  }

  static String kv(int node, String key) {
    return cluster.url(node) + "/v1/kv/" + key;
  }

  /** The value of {@code kshaka_auth_refused_total} on a node for this address kind and message (request, reply). */
  static double refused(int node, String kind, String message) {
    Http.Response r = Http.get(cluster.url(node) + "/metrics");
    assertEquals(200, r.status(), r.body());
    for (String line : r.body().split("\n")) {
      if (line.startsWith("kshaka_auth_refused_total{") && line.contains("address_kind=\"" + kind + "\"")
          && line.contains("message=\"" + message + "\"")) {
        return Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
      }
    }
    throw new AssertionError("no kshaka_auth_refused_total for " + kind + "/" + message + " in /metrics");
  }

  /** The failure of a request that must fail. */
  static ReplyException failure(Future<?> f) throws Exception {
    try {
      f.toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      return assertInstanceOf(ReplyException.class, e.getCause());
    }
    throw new AssertionError("the request succeeded");
  }

  static void assertUnauthenticated(Future<?> f) throws Exception {
    ReplyException e = failure(f);
    assertEquals(ReplyFailure.RECIPIENT_FAILURE, e.failureType(), e.toString());
    assertEquals(401, e.failureCode(), e.toString());
    assertEquals("unauthenticated", new JsonObject(e.getMessage()).getString("error"));
  }

  /** Acceptor {@code node}'s state of a key, read through its admin address with the secret. */
  static Wire.AdminState peek(int node, String key) {
    JsonObject reply = TestCluster.await(insider.<JsonObject>request(rogue, Addresses.DEFAULT.acceptorAdmin(node),
        Wire.adminPeek(List.of(key), true), TIMEOUT, BusGuard.Kind.ADMIN)).body();
    return Wire.adminStates(reply).get(0);
  }

  static Buffer forgedAccept(String key, String value) {
    return Wire.encode(new AcceptorRequest.Accept(key, new Ballot(1L << 40, 9),
        new RegisterState(value.getBytes(StandardCharsets.UTF_8), 99), null));
  }

  @Test
  @Order(1)
  void aClusterWithTheSecretServesEverything() {
    for (int node = 1; node <= 3; node++) {
      Http.Response ready = Http.get(cluster.url(node) + "/ready");
      assertEquals(200, ready.status(), ready.body());
    }
    assertEquals(200, Http.put(kv(1, "a"), "1").status());
    assertEquals(200, Http.put(kv(2, "b"), "2").status());
    assertEquals(200, Http.put(kv(3, "a"), "3", "If-Match", "\"1\"").status());
    for (int node = 1; node <= 3; node++) {
      assertEquals("3", Http.get(kv(node, "a")).body());
      assertEquals("2", Http.get(kv(node, "b")).body());
    }
    Http.Response del = Http.send("DELETE", kv(2, "b"), null);
    assertEquals(200, del.status(), del.body());
    assertEquals(404, Http.get(kv(3, "b")).status());
    // a list (key pages from the acceptors' admin addresses), membership status (member ops) and the acceptors'
    // key counts (admin ops) travel signed too
    Http.Response list = Http.get(cluster.url(2) + "/v1/kv?prefix=a");
    assertEquals(200, list.status(), list.body());
    assertTrue(list.body().contains("\"a\""), list.body());
    Http.Response membership = Http.get(cluster.url(1) + "/v1/admin/membership");
    assertEquals(200, membership.status(), membership.body());
    JsonObject stores = Http.get(cluster.url(2) + "/v1/cluster").json().getJsonObject("stores");
    for (int node = 1; node <= 3; node++) {
      assertTrue(stores.getJsonObject(String.valueOf(node)).containsKey("keys"), stores.encode());
    }
    assertEquals(0.0, refused(1, "acceptor", "request") + refused(1, "acceptor", "reply"));
  }

  @Test
  @Order(2)
  void forgedPrepareAndAcceptAreRefusedCountedAndChangeNothing() throws Exception {
    assertEquals(200, Http.put(kv(1, "forge-me"), "real").status());
    Wire.AdminState before = peek(1, "forge-me");
    assertEquals("real", new String(before.value(), StandardCharsets.UTF_8));
    double refusedBefore = refused(1, "acceptor", "request");

    String acceptor = Addresses.DEFAULT.acceptor(1);
    Buffer accept = forgedAccept("forge-me", "forged");
    Buffer prepare = Wire.encode(new AcceptorRequest.Prepare("forge-me", new Ballot(1L << 40, 9)));
    // no MAC: a verticle, or a member, without the secret
    assertUnauthenticated(rogue.eventBus().request(acceptor, accept, TIMEOUT));
    assertUnauthenticated(rogue.eventBus().request(acceptor, prepare, TIMEOUT));
    assertUnauthenticated(rogue.eventBus().request(acceptor, Wire.batch(List.of(prepare, accept)), TIMEOUT));
    // a MAC made with another secret, and a right MAC for another address
    assertUnauthenticated(rogue.eventBus().request(acceptor, accept, new DeliveryOptions().setSendTimeout(10_000)
        .addHeader(BusAuth.HEADER, wrongSecret.signRequest(acceptor, accept))));
    assertUnauthenticated(rogue.eventBus().request(acceptor, accept, new DeliveryOptions().setSendTimeout(10_000)
        .addHeader(BusAuth.HEADER, new BusAuth(secretBytes()).signRequest(Addresses.DEFAULT.acceptor(2), accept))));
    assertEquals(refusedBefore + 5, refused(1, "acceptor", "request"));

    // nothing changed on the acceptor, and the cluster still reads the real value
    Wire.AdminState after = peek(1, "forge-me");
    assertEquals(before.promised(), after.promised());
    assertEquals(before.accepted(), after.accepted());
    assertEquals(before.version(), after.version());
    assertEquals("real", new String(after.value(), StandardCharsets.UTF_8));
    assertEquals("real", Http.get(kv(2, "forge-me")).body());
  }

  @Test
  @Order(3)
  void adminMembershipAndForwardedRequestsWithoutTheSecretAreRefused() throws Exception {
    double admin = refused(1, "admin", "request");
    double member = refused(1, "member", "request");
    double forward = refused(1, "forward", "request");
    assertEquals(200, Http.put(kv(1, "keep-me"), "kept").status());
    Wire.AdminState state = peek(1, "keep-me");
    assertUnauthenticated(rogue.eventBus().request(Addresses.DEFAULT.acceptorAdmin(1),
        Wire.adminRemove("keep-me", state.accepted(), Long.MAX_VALUE), TIMEOUT));
    assertUnauthenticated(rogue.eventBus().request(Addresses.DEFAULT.acceptorAdmin(1), Wire.adminKeys(null, 10), TIMEOUT));
    assertUnauthenticated(rogue.eventBus().request(Addresses.DEFAULT.member(1), Wire.memberStatus(), TIMEOUT));
    assertUnauthenticated(rogue.eventBus().request(Addresses.DEFAULT.kv(1), Wire.kvRequest("put", "keep-me",
        "forged".getBytes(StandardCharsets.UTF_8), null, null), TIMEOUT));
    assertEquals(admin + 2, refused(1, "admin", "request"));
    assertEquals(member + 1, refused(1, "member", "request"));
    assertEquals(forward + 1, refused(1, "forward", "request"));
    assertEquals("kept", Http.get(kv(3, "keep-me")).body());
    assertEquals(state.version(), peek(1, "keep-me").version());
  }

  @Test
  @Order(4)
  void aRogueHandlerOnAcceptorAddressesCannotMakeAProposerDecide() throws Exception {
    AtomicInteger rogueMessages = new AtomicInteger();
    registerRogueAcceptors(rogue, rogueMessages, 2, 3);

    // with the real acceptors up, the cluster answers correctly while the rogue takes some of their messages
    double repliesRefused = refused(1, "acceptor", "reply");
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    int writes = 0;
    while ((rogueMessages.get() < 10 || writes < 10) && writes < 300 && System.nanoTime() < deadline) {
      String key = "shared-" + writes;
      Http.Response put = Http.put(kv(1, key), "v" + writes);
      assertEquals(200, put.status(), put.body());
      assertEquals(1, put.json().getLong("version"), "a rogue's empty promise must not hide a value: " + key);
      assertEquals("v" + writes, Http.get(kv(1 + writes % 3, key)).body());
      writes++;
    }
    assertTrue(rogueMessages.get() >= 10, "the rogue received " + rogueMessages.get() + " messages in " + writes
        + " writes");
    assertTrue(refused(1, "acceptor", "reply") > repliesRefused, "node 1 refused the rogue's replies");

    // with nodes 2 and 3 gone, only the rogue answers on their addresses: no quorum, nothing decided
    cluster.stopNode(3);
    cluster.stopNode(2);
    int seenBefore = rogueMessages.get();
    double refusedBefore = refused(1, "acceptor", "reply");
    Http.Response put = Http.put(kv(1, "undecided"), "x");
    assertEquals(503, put.status(), put.body());
    assertEquals("not_applied", put.json().getString("outcome"), put.body());
    assertTrue(rogueMessages.get() > seenBefore, "the rogue was asked to vote");
    assertTrue(refused(1, "acceptor", "reply") > refusedBefore);
    Wire.AdminState state = peek(1, "undecided");
    assertEquals(Ballot.ZERO, state.accepted(), "nothing accepted on node 1");
    assertEquals(0, state.version());
  }

  /**
   * Registers, on {@code vertx}, handlers on the acceptor addresses of {@code nodes} that promise every prepare with
   * nothing accepted and accept every accept, echoing the request's MAC header as their own; counts what they get.
   */
  static void registerRogueAcceptors(Vertx vertx, AtomicInteger received, int... nodes) {
    List<MessageConsumer<Buffer>> rogues = new ArrayList<>();
    for (int node : nodes) {
      rogues.add(vertx.eventBus().<Buffer>consumer(Addresses.DEFAULT.acceptor(node), m -> {
        received.incrementAndGet();
        Buffer b = m.body();
        DeliveryOptions echo = new DeliveryOptions();
        if (m.headers().get(BusAuth.HEADER) != null) echo.addHeader(BusAuth.HEADER, m.headers().get(BusAuth.HEADER));
        if (Wire.isPing(b)) {
          m.reply(Wire.pong(), echo);
          return;
        }
        List<Buffer> replies = new ArrayList<>();
        for (Buffer part : Wire.isBatch(b) ? Wire.unbatch(b) : List.of(b)) {
          replies.add(Wire.decodeRequest(part) instanceof AcceptorRequest.Prepare
              ? Wire.encode(new AcceptorReply.Promise(Ballot.ZERO, RegisterState.EMPTY))
              : Wire.encode(AcceptorReply.Accepted.INSTANCE));
        }
        m.reply(Wire.isBatch(b) ? Wire.batch(replies) : replies.get(0), echo);
      }));
    }
    for (MessageConsumer<Buffer> c : rogues) TestCluster.await(c.completion());
  }

  /** A clustered Vert.x that joins the test cluster's Hazelcast (cluster name and members) and nothing else. */
  static Vertx joinAsRogue(TestCluster cluster) {
    JsonObject c = cluster.config(1).getJsonObject("cluster");
    List<String> members = new ArrayList<>();
    c.getJsonArray("members").forEach(m -> members.add((String) m));
    VertxOptions options = new VertxOptions();
    options.getEventBusOptions().setHost("127.0.0.1").setPort(0);
    return TestCluster.await(Vertx.builder().with(options)
        .withClusterManager(new HazelcastClusterManager(HazelcastSetup.hazelcast(c.getString("name"), "127.0.0.1",
            TestCluster.freePort(), members)))
        .buildClustered());
  }

  private static byte[] secretBytes() throws Exception {
    return Files.readString(dir.resolve("cluster.secret")).strip().getBytes(StandardCharsets.UTF_8);
  }
}
