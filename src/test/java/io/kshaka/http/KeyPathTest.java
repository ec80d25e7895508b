package io.kshaka.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The key and condition rules of the HTTP API, without a server. */
class KeyPathTest {

  @Test
  void keyIsTheExactPercentDecodedRemainder() throws Exception {
    assertEquals("a/b", KeyPath.key("/v1/kv/a%2Fb"));
    assertEquals("a/../b", KeyPath.key("/v1/kv/a/%2e%2e/b"));
    assertEquals("a+b c", KeyPath.key("/v1/kv/a+b%20c"));
    assertEquals("%2F", KeyPath.key("/v1/kv/%252F"));
    assertEquals("//x/", KeyPath.key("/v1/kv///x/"));
  }

  @Test
  void rawUtf8BytesInTheRequestLineAreAccepted() throws Exception {
    // Netty hands the request line over one byte per char
    String raw = new String("/v1/kv/café".getBytes(java.nio.charset.StandardCharsets.UTF_8),
        java.nio.charset.StandardCharsets.ISO_8859_1);
    assertEquals("café", KeyPath.key(raw));
  }

  @Test
  void keyLengthIsOneTo512BytesOfUtf8() throws Exception {
    assertEquals(512, KeyPath.key("/v1/kv/" + "a".repeat(512)).length());
    assertEquals("€".repeat(170) + "ab", KeyPath.key("/v1/kv/" + "%E2%82%AC".repeat(170) + "ab")); // 512 bytes
    assertTrue(assertThrows(KeyPath.BadKey.class, () -> KeyPath.key("/v1/kv/" + "a".repeat(513)))
        .getMessage().contains("513 bytes"));
    assertTrue(assertThrows(KeyPath.BadKey.class, () -> KeyPath.key("/v1/kv/")).getMessage().contains("empty"));
  }

  @Test
  void malformedPercentEncodingAndInvalidUtf8AreRefused() {
    for (String bad : new String[] {"%", "%4", "%zz", "%ff", "%C3", "%C3%28", "%ED%A0%80", "%C0%AF"}) {
      assertThrows(KeyPath.BadKey.class, () -> KeyPath.key("/v1/kv/" + bad), bad);
    }
  }

  @Test
  void ifMatchTakesOneVersionQuotedOrBare() throws Exception {
    assertNull(Conditions.ifMatch(null));
    assertEquals(3L, Conditions.ifMatch("\"3\""));
    assertEquals(3L, Conditions.ifMatch(" 3 "));
    assertEquals(0L, Conditions.ifMatch("\"0\""));
    for (String bad : new String[] {"", "\"\"", "*", "W/\"3\"", "\"3\", \"4\"", "-1", "3.0", "99999999999999999999"}) {
      assertThrows(Conditions.BadHeader.class, () -> Conditions.ifMatch(bad), bad);
    }
  }

  @Test
  void ifNoneMatchTakesOnlyStar() throws Exception {
    assertTrue(Conditions.ifNoneMatchAny("*"));
    assertTrue(!Conditions.ifNoneMatchAny(null));
    assertThrows(Conditions.BadHeader.class, () -> Conditions.ifNoneMatchAny("\"1\""));
  }
}
