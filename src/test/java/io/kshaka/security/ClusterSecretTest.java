package io.kshaka.security;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kshaka.cluster.NodeConfig;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ClusterSecretTest {
  @TempDir
  Path dir;

  private static JsonObject node(Object secretFile) {
    JsonObject cluster = new JsonObject().put("members", new JsonArray().add("127.0.0.1:5701"));
    if (secretFile != null) cluster.put("secretFile", secretFile);
    return new JsonObject().put("nodeId", 1).put("http", new JsonObject()).put("cluster", cluster).put("acceptors", new JsonArray().add(1));
  }

  @Test
  void noSecretFileMeansNodeMessagesAreNotAuthenticated() {
    assertFalse(ClusterSecret.from(node(null)).enabled());
    assertFalse(NodeConfig.fromJson(node(null)).clusterSecret().enabled());
  }

  @Test
  void aSecretIsReadTrimmedFromItsFile() throws Exception {
    String secret = ClusterSecret.generate();
    Path file = Files.writeString(dir.resolve("secret"), "  " + secret + "\n");
    ClusterSecret s = NodeConfig.fromJson(node(file.toString())).clusterSecret();
    assertTrue(s.enabled());
    assertFalse(s.toString().contains(secret), "the secret never appears in toString");
    // the key is the trimmed text: a node with the same secret without the whitespace agrees
    Path bare = Files.writeString(dir.resolve("bare"), secret);
    BusAuth a = s.auth();
    BusAuth b = ClusterSecret.from(node(bare.toString())).auth();
    assertEquals(a.signRequest("x", "body"), b.signRequest("x", "body"));
  }

  @Test
  void aShortSecretIsRefusedNamingTheField() throws Exception {
    Path file = Files.writeString(dir.resolve("short"), " " + "x".repeat(31) + " \n");
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> NodeConfig.fromJson(node(file.toString())));
    assertTrue(e.getMessage().contains("cluster.secretFile") && e.getMessage().contains("31 characters"),
        e.getMessage());
    assertFalse(e.getMessage().contains("xxxxxxxx"), "the secret is not in the message");
  }

  @Test
  void anUnreadableFileIsRefusedNamingTheField() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> NodeConfig.fromJson(node(dir.resolve("missing").toString())));
    assertTrue(e.getMessage().contains("cluster.secretFile") && e.getMessage().contains("cannot be read"),
        e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> NodeConfig.fromJson(node(dir.toString())));
    assertTrue(e.getMessage().contains("cannot be read"), e.getMessage());
  }

  @Test
  void aSecretFileThatIsNotAStringIsRefused() {
    for (Object bad : new Object[] {42, "", "  ", new JsonObject()}) {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> NodeConfig.fromJson(node(bad)));
      assertTrue(e.getMessage().contains("cluster.secretFile"), e.getMessage());
    }
  }

  @Test
  void generatedSecretsAreLongEnoughAndDiffer() {
    String a = ClusterSecret.generate();
    assertTrue(a.length() >= ClusterSecret.MIN_CHARS, a);
    assertTrue(a.matches("[A-Za-z0-9_-]+"), a);
    assertNotEquals(a, ClusterSecret.generate());
  }
}
