package io.kshaka.security;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonObject;
import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;

class TokenCommandTest {
  @Test
  void printsANewTokenOnceAndTheTokensFileLineWithItsHash() {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    TokenCommand command = new TokenCommand();
    command.out = new PrintWriter(out, true);
    command.err = new PrintWriter(err, true);
    assertEquals(0, TokenCommand.run(new String[] {"--role", "write", "--name", "app-1"}, command));
    String[] lines = out.toString().split("\n");
    assertEquals(2, lines.length, out::toString);
    String token = lines[0].strip();
    assertEquals(43, token.length());
    JsonObject entry = new JsonObject(lines[1]);
    assertEquals("app-1", entry.getString("name"));
    assertEquals("write", entry.getString("role"));
    assertEquals(Tokens.sha256Hex(token), entry.getString("sha256"));
    assertTrue(!err.toString().contains(token), "the token is printed once");
    Tokens tokens = Tokens.parse(new JsonObject().put("tokens", new io.vertx.core.json.JsonArray().add(entry))
        .encode(), "t.json");
    assertEquals(new Tokens.Allowed("app-1", Role.WRITE), tokens.check("Bearer " + token, Role.WRITE));
  }

  @Test
  void anUnknownRoleIsAUsageError() {
    TokenCommand command = new TokenCommand();
    StringWriter err = new StringWriter();
    command.out = new PrintWriter(new StringWriter(), true);
    command.err = new PrintWriter(err, true);
    assertEquals(2, TokenCommand.run(new String[] {"--role", "root", "--name", "x"}, command));
    assertTrue(err.toString().contains("read, write or admin"), err::toString);
  }
}
