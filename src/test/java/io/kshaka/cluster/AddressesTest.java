package io.kshaka.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kshaka.client.KshakaClientOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

/** The top-level "namespace": every address under it, kshaka by default, bad values refused naming the field. */
class AddressesTest {
  private static JsonObject node(Object namespace) {
    JsonObject json = new JsonObject().put("nodeId", 1)
        .put("http", new JsonObject())
        .put("cluster", new JsonObject().put("members", new JsonArray()))
        .put("acceptors", new JsonArray().add(1).add(2).add(3));
    return namespace == null ? json : json.put("namespace", namespace);
  }

  @Test
  void theDefaultNamespaceKeepsTodaysAddresses() {
    Addresses a = NodeConfig.fromJson(node(null)).addresses();
    assertEquals(Addresses.DEFAULT, a);
    assertEquals("kshaka.kv", a.kv());
    assertEquals("kshaka.kv.local", a.kvLocal());
    assertEquals("kshaka.local-change", a.localChangeCodec());
    assertEquals("kshaka.kv.2", a.kv(2));
    assertEquals("kshaka.acceptor.2", a.acceptor(2));
    assertEquals("kshaka.acceptor.2.admin", a.acceptorAdmin(2));
    assertEquals("kshaka.member.2", a.member(2));
    assertEquals("kshaka.admin", a.admin());
    assertEquals("kshaka.admin.2", a.admin(2));
  }

  @Test
  void everyAddressLivesUnderTheConfiguredNamespace() {
    Addresses a = NodeConfig.fromJson(node("team-A_2")).addresses();
    assertEquals("team-A_2.kv", a.kv());
    assertEquals("team-A_2.acceptor.3", a.acceptor(3));
    assertEquals("team-A_2.local-change", a.localChangeCodec());
    assertTrue(a.owns(a.member(9)));
    assertFalse(a.owns("team-A_2x.kv"), "another namespace sharing a prefix");
    assertFalse(a.owns("kshaka.kv"));
    assertFalse(Addresses.DEFAULT.owns("kshaka-blue.kv"));
  }

  @Test
  void aBadNamespaceIsRefusedNamingTheField() {
    for (Object bad : new Object[] {"", "a.b", "with space", "x".repeat(65), "é", 7}) {
      String message = assertThrows(IllegalArgumentException.class, () -> NodeConfig.fromJson(node(bad)),
          String.valueOf(bad)).getMessage();
      assertTrue(message.contains("'namespace'"), message);
    }
    assertEquals("x".repeat(64), NodeConfig.fromJson(node("x".repeat(64))).addresses().namespace());
  }

  @Test
  void aClientOptionsNamespaceSetsAllThreeNames() {
    KshakaClientOptions options = new KshakaClientOptions().setNamespace("green");
    assertEquals("green.kv", options.getAddress());
    assertEquals("green.kv.local", options.getLocalChangeAddress());
    assertEquals("green.local-change", options.getLocalChangeCodec());
    assertEquals("green.kv", new KshakaClientOptions(options).getAddress());
    assertEquals("kshaka.local-change", new KshakaClientOptions().getLocalChangeCodec());
    assertThrows(IllegalArgumentException.class, () -> options.setNamespace("a.b"));
  }
}
