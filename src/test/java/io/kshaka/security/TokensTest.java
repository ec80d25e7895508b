package io.kshaka.security;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.Test;

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
  }
}
