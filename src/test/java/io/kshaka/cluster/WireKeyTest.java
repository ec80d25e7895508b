package io.kshaka.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

/** Event-bus keys obey the same rule as HTTP keys ({@link Keys}): well-formed Unicode, 1..512 bytes of UTF-8. */
class WireKeyTest {

  private static ReplyException refused(String key) {
    return assertThrows(ReplyException.class, () -> Wire.key(new JsonObject().put("op", "get").put("key", key)));
  }

  @Test
  void keysWithAnUnpairedSurrogateAreRefusedSoTheyCannotAliasAnotherKey() {
    // "a\uD800" encodes to the UTF-8 of "a?": accepted, both would reach the register of "a?"
    for (String bad : new String[] {"a\uD800", "a\uDC00", "\uDBFF", "x\uDC00\uD800y", "\uD83D"}) {
      ReplyException e = refused(bad);
      assertEquals(400, e.failureCode(), bad);
      assertTrue(e.getMessage().contains("surrogate"), e.getMessage());
    }
    assertEquals("a?", Wire.key(new JsonObject().put("key", "a?")));
  }

  @Test
  void wellFormedKeysPassWithTheirUtf8LengthCounted() {
    String emoji = "\uD83D\uDE00"; // one code point, 4 bytes of UTF-8
    assertEquals(emoji, Wire.key(new JsonObject().put("key", emoji)));
    assertEquals("é".repeat(256), Wire.key(new JsonObject().put("key", "é".repeat(256))));
    assertEquals(emoji.repeat(128), Wire.key(new JsonObject().put("key", emoji.repeat(128))));
    assertEquals(400, refused("é".repeat(256) + "x").failureCode());
    assertEquals(400, refused(emoji.repeat(128) + "x").failureCode());
    assertEquals(400, refused("").failureCode());
  }

  @Test
  void keysStartingWithNulAreReservedForTheConfigurationRegister() {
    ReplyException e = refused(io.kshaka.membership.ConfigRegister.KEY);
    assertEquals(400, e.failureCode());
    assertTrue(e.getMessage().contains("reserved"), e.getMessage());
    assertEquals(400, refused("\u0000x").failureCode());
    assertEquals("x\u0000", Wire.key(new JsonObject().put("key", "x\u0000")));
  }
}
