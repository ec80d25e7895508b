package io.kshaka.security;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.kshaka.it.TestCluster;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

class TokensTest {
  static final String READER = "reader-token-value";
  static final String WRITER = "writer-token-value";

  static Tokens tokens() {
    return Tokens.parse(new JsonObject().put("tokens", new JsonArray()
        .add(Tokens.entry("reader", READER, Role.READ))
        .add(Tokens.entry("writer", WRITER, Role.WRITE))).encode(), "t.json");
  }

  static String problem(String json) {
    return assertThrows(IllegalArgumentException.class, () -> Tokens.parse(json, "t.json")).getMessage();
  }

  static String entry(String name, String hex, String role) {
    return new JsonObject().put("name", name).put("sha256", hex).put("role", role).encode();
  }

  @Test
  void rolesAreOrderedReadWriteAdmin() {
    assertTrue(Role.ADMIN.allows(Role.WRITE));
    assertTrue(Role.WRITE.allows(Role.READ));
    assertTrue(Role.READ.allows(Role.READ));
    assertFalse(Role.READ.allows(Role.WRITE));
    assertFalse(Role.WRITE.allows(Role.ADMIN));
    assertEquals(Role.READ, Role.forOp("get"));
    assertEquals(Role.READ, Role.forOp("watch"));
    for (String op : List.of("put", "cas", "create", "delete", "add", "other")) assertEquals(Role.WRITE, Role.forOp(op));
  }

  @Test
  void aKnownTokenWithAHighEnoughRoleIsAllowed() {
    Tokens t = tokens();
    assertEquals(new Tokens.Allowed("writer", Role.WRITE), t.check("Bearer " + WRITER, Role.READ));
    assertEquals(new Tokens.Allowed("reader", Role.READ), t.check("bearer  " + READER, Role.READ));
  }

  @Test
  void aMissingMalformedOrUnknownTokenIs401AndATooLowRole403() {
    Tokens t = tokens();
    for (String bad : new String[] {null, "", "Bearer", "Bearer ", "Basic " + READER, READER, "Bearer nope"}) {
      Tokens.Decision d = t.check(bad, Role.READ);
      assertEquals(401, assertInstanceOf(Tokens.Refused.class, d, String.valueOf(bad)).status());
    }
    assertEquals(401, ((Tokens.Refused) t.check(List.of("Bearer " + READER, "Bearer " + READER), Role.READ))
        .status());
    Tokens.Refused low = (Tokens.Refused) t.check("Bearer " + READER, Role.WRITE);
    assertEquals(403, low.status());
    assertEquals("forbidden", low.error());
    assertFalse(low.message().contains(READER));
  }

  @Test
  void theFileHoldsOnlyHashes() {
    String hex = Tokens.sha256Hex(READER);
    assertEquals(64, hex.length());
    assertFalse(Tokens.entry("reader", READER, Role.READ).encode().contains(READER));
  }

  @Test
  void newTokensAre32RandomBytesInBase64Url() {
    String a = Tokens.newToken(new SecureRandom());
    assertEquals(43, a.length());
    assertEquals(32, Base64.getUrlDecoder().decode(a).length);
    assertFalse(a.equals(Tokens.newToken(new SecureRandom())));
  }

  @Test
  void badFilesAreRefusedNamingTheField() {
    String good = Tokens.sha256Hex("x");
    assertTrue(problem("[]").contains("t.json"));
    assertTrue(problem("{}").contains("'tokens'"));
    assertTrue(problem("{\"tokens\":[" + entry("a", "zz" + good.substring(2), "read") + "]}")
        .contains("'tokens[0].sha256'"));
    assertTrue(problem("{\"tokens\":[" + entry("a", good.substring(1), "read") + "]}")
        .contains("'tokens[0].sha256'"));
    assertTrue(problem("{\"tokens\":[" + entry("a", good, "root") + "]}").contains("'tokens[0].role'"));
    String dup = problem("{\"tokens\":[" + entry("a", good, "read") + "," + entry("b", good.toUpperCase(), "admin")
        + "]}");
    assertTrue(dup.contains("'tokens[1].sha256'") && dup.contains("tokens[0]"), dup);
    assertTrue(problem("{\"tokens\":[" + entry("a", good, "read") + "," + entry("a", Tokens.sha256Hex("y"), "read")
        + "]}").contains("'tokens[1].name'"));
  }

  @Test
  void tokensFileRequiresTheClusterSecretAndFlagsAreBooleans() {
    JsonObject node = new JsonObject().put("auth", new JsonObject().put("tokensFile", "tokens.json"));
    String why = assertThrows(IllegalArgumentException.class, () -> AuthSettings.from(node)).getMessage();
    assertTrue(why.contains("auth.tokensFile") && why.contains("cluster.secretFile") && why.contains("open"), why);
    node.put("cluster", new JsonObject().put("secretFile", "secret"));
    AuthSettings on = AuthSettings.from(node);
    assertTrue(on.enabled());
    assertFalse(on.readyNeedsToken());
    assertTrue(on.metricsNeedsToken());
    node.getJsonObject("auth").put("readyOpen", "no");
    assertTrue(assertThrows(IllegalArgumentException.class, () -> AuthSettings.from(node)).getMessage()
        .contains("auth.readyOpen"));
    assertFalse(AuthSettings.from(new JsonObject()).enabled());
    node.getJsonObject("auth").put("readyOpen", true);
    assertEquals(AuthSettings.DEFAULT_RELOAD_MS, AuthSettings.from(node).tokensReloadMs());
    assertEquals(0, AuthSettings.from(node.put("auth", node.getJsonObject("auth").put("tokensReloadMs", 0)))
        .tokensReloadMs());
    for (Object bad : new Object[] {-1, 1.5, "2000"}) {
      node.getJsonObject("auth").put("tokensReloadMs", bad);
      assertTrue(assertThrows(IllegalArgumentException.class, () -> AuthSettings.from(node)).getMessage()
          .contains("auth.tokensReloadMs"), "tokensReloadMs " + bad);
    }
  }

  /**
   * A watched file: a change is taken (a token added, another removed); a file that does not parse, or is gone,
   * changes nothing and is logged once; the next good contents are taken again.
   */
  @Test
  void watchedTokensFollowTheirFileAndKeepTheLastGoodOne(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("tokens.json");
    Files.writeString(file, file(Tokens.entry("reader", READER, Role.READ)));
    Vertx vertx = Vertx.vertx();
    ListAppender<ILoggingEvent> log = new ListAppender<>();
    Logger logger = (Logger) LoggerFactory.getLogger(Tokens.class);
    log.start();
    logger.addAppender(log);
    try {
      Tokens tokens = Tokens.watch(vertx, file.toString(), 20, "test").await();
      assertInstanceOf(Tokens.Allowed.class, tokens.check("Bearer " + READER, Role.READ));
      assertInstanceOf(Tokens.Refused.class, tokens.check("Bearer " + WRITER, Role.READ));

      Files.writeString(file, file(Tokens.entry("writer", WRITER, Role.WRITE)));
      TestCluster.waitUntil("the new file is taken", 30_000,
          () -> tokens.check("Bearer " + WRITER, Role.WRITE) instanceof Tokens.Allowed);
      assertEquals(401, ((Tokens.Refused) tokens.check("Bearer " + READER, Role.READ)).status(), "removed");

      Files.writeString(file, "{\"tokens\": [{\"name\": \"half");
      TestCluster.waitUntil("the bad file is logged", 30_000, () -> warnings(log).size() == 1);
      Thread.sleep(200); // ten periods, in which the same refusal must not be logged again
      Files.delete(file);
      TestCluster.waitUntil("the missing file is logged", 30_000, () -> warnings(log).size() >= 2);
      Thread.sleep(200);
      assertInstanceOf(Tokens.Allowed.class, tokens.check("Bearer " + WRITER, Role.WRITE), "the last good file holds");
      assertTrue(warnings(log).get(0).contains("is not a JSON object"), warnings(log).get(0));
      assertTrue(warnings(log).get(1).contains("cannot read it"), warnings(log).get(1));

      Files.writeString(file, file(Tokens.entry("reader", READER, Role.READ)));
      TestCluster.waitUntil("good contents are taken again", 30_000,
          () -> tokens.check("Bearer " + READER, Role.READ) instanceof Tokens.Allowed);
      assertEquals(2, warnings(log).size(), "each refusal is logged once: " + warnings(log));
      assertEquals(2, messages(log, Level.INFO).size(), "two changes taken: " + messages(log, Level.INFO));
      for (String m : messages(log, null)) {
        assertFalse(m.contains(READER) || m.contains(WRITER), "no token in the log: " + m);
      }
    } finally {
      logger.detachAppender(log);
      vertx.close().await();
    }
  }

  private static String file(JsonObject... entries) {
    JsonArray list = new JsonArray();
    for (JsonObject e : entries) list.add(e);
    return new JsonObject().put("tokens", list).encode();
  }

  private static List<String> warnings(ListAppender<ILoggingEvent> log) {
    return messages(log, Level.WARN);
  }

  /** The messages logged at {@code level} (null: all); the appender appends under its own lock. */
  private static List<String> messages(ListAppender<ILoggingEvent> log, Level level) {
    synchronized (log) {
      return log.list.stream().filter(e -> level == null || e.getLevel() == level)
          .map(ILoggingEvent::getFormattedMessage).toList();
    }
  }
}
