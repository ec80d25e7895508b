package io.kshaka.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kshaka.client.KeyPage;
import io.kshaka.client.KshakaClient;
import io.kshaka.client.KshakaException;
import io.kshaka.client.Versioned;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.TreeSet;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * List and TTL on three real nodes (README, "List and TTL"; docs/http.md): pages by prefix in code point order
 * over HTTP, the bus and {@link KshakaClient}, without tombstones or expired keys; a TTL makes a key read absent at
 * its version, a CAS that keeps the value refreshes it, and garbage collection removes an expired key from every
 * acceptor.
 */
class ListAndTtlTest {
  private static final long INTERVAL_MS = 300;
  private static final long AGE_MS = 500;

  @TempDir
  static Path dir;

  static TestCluster cluster;
  static KshakaClient client;

  @BeforeAll
  static void start() {
    cluster = TestCluster.start(dir, 3, new JsonObject().put("requestTimeoutMs", 10_000),
        new JsonObject().put("gc", new JsonObject().put("intervalMs", INTERVAL_MS).put("tombstoneAgeMs", AGE_MS)));
    client = KshakaClient.create(cluster.vertx(1));
  }

  @AfterAll
  static void stop() {
    if (cluster != null) cluster.close();
  }

  static String enc(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8);
  }

  static JsonObject listHttp(int node, String query) {
    Http.Response r = Http.get(cluster.url(node) + "/v1/kv?" + query);
    assertEquals(200, r.status(), query + " -> " + r.body());
    return r.json();
  }

  /** Every key listed under {@code prefix} over HTTP, {@code limit} a page, following {@code next}. */
  static List<JsonObject> listAll(String prefix, int limit, boolean values) {
    List<JsonObject> all = new ArrayList<>();
    String after = null;
    int node = 1;
    for (int pages = 0; pages < 1_000; pages++) {
      JsonObject page = listHttp(node, "prefix=" + enc(prefix) + "&limit=" + limit + "&values=" + values
          + (after == null ? "" : "&after=" + enc(after)));
      JsonArray keys = page.getJsonArray("keys");
      assertTrue(keys.size() <= limit, page.encode());
      for (int i = 0; i < keys.size(); i++) all.add(keys.getJsonObject(i));
      after = page.getString("next");
      if (after == null) return all;
      assertEquals(keys.getJsonObject(keys.size() - 1).getString("key"), after, "next = last key of the page");
      node = node % 3 + 1; // any node continues a listing
    }
    throw new AssertionError("listing did not end");
  }

  @Test
  void listByPrefixPagesInCodePointOrderWithValuesAndSkipsTombstonesAndExpiredKeys() throws Exception {
    TreeSet<String> expected = new TreeSet<>(io.kshaka.storage.AcceptorStore.KEY_ORDER);
    for (int i = 0; i < 27; i++) {
      String key = "ls/a/" + (i % 3 == 0 ? "\u00e9" : "") + i;
      TestCluster.await(client.put(key, "v" + i));
      expected.add(key);
    }
    TestCluster.await(client.put("ls/a\uD83D\uDD11", "supplementary: after every ls/a/ key"));
    TestCluster.await(client.put("ls/b/1", "other prefix"));
    TestCluster.await(client.put("ls/", "the prefix itself"));
    for (String gone : List.of("ls/a/1", "ls/a/2", "ls/a/\u00e99")) {
      TestCluster.await(client.delete(gone));
      expected.remove(gone);
    }
    TestCluster.await(client.put("ls/a/expiring", "soon gone", 1_000));
    TestCluster.waitUntil("ls/a/expiring expires", 30_000,
        () -> !TestCluster.await(client.get("ls/a/expiring")).present());

    List<JsonObject> listed = listAll("ls/a/", 5, true);
    List<String> keys = listed.stream().map(o -> o.getString("key")).toList();
    assertEquals(new ArrayList<>(expected), keys, "code point order, no tombstone, no expired key");
    for (JsonObject e : listed) {
      Versioned read = TestCluster.await(client.get(e.getString("key")));
      assertEquals(read.version(), e.getLong("version"));
      assertEquals(read.asString(), new String(Base64.getDecoder().decode(e.getString("value")),
          StandardCharsets.UTF_8));
    }
    List<JsonObject> bare = listAll("ls/a/", 1_000, false);
    assertEquals(keys, bare.stream().map(o -> o.getString("key")).toList());
    assertFalse(bare.get(0).containsKey("value"), "values only with values=true");

    List<String> everything = listAll("ls/", 7, false).stream().map(o -> o.getString("key")).toList();
    assertEquals("ls/", everything.get(0));
    assertTrue(everything.contains("ls/b/1") && everything.contains("ls/a\uD83D\uDD11"), everything.toString());
    assertEquals("ls/a\uD83D\uDD11", everything.get(everything.indexOf("ls/a/\u00e96") + 1),
        "U+1F511 sorts after U+00E9 (code point order, not UTF-16)");

    JsonObject afterPage = listHttp(2, "prefix=ls/a/&after=" + enc("ls/a/8") + "&limit=2");
    assertEquals(List.of("ls/a/\u00e90", "ls/a/\u00e912"),
        afterPage.getJsonArray("keys").stream().map(o -> ((JsonObject) o).getString("key")).toList(),
        "strictly after the cursor");
    assertEquals("ls/a/\u00e912", afterPage.getString("next"));
    JsonObject none = listHttp(3, "prefix=" + enc("ls/none/"));
    assertEquals(0, none.getJsonArray("keys").size());
    assertNull(none.getString("next"));
  }

  @Test
  void listOverTheBusAndKshakaClient() {
    for (int i = 0; i < 12; i++) TestCluster.await(client.put("bus/" + (char) ('a' + i), "x" + i));
    TestCluster.await(client.put("bus/ttl", "leased", 60_000));
    List<String> seen = new ArrayList<>();
    String after = null;
    do {
      KeyPage page = TestCluster.await(client.list("bus/", after, 5, true));
      assertTrue(page.entries().size() <= 5);
      for (KeyPage.Entry e : page.entries()) {
        seen.add(e.key());
        assertNotNull(e.value());
        if (e.key().equals("bus/ttl")) {
          assertTrue(e.expiresAt() > System.currentTimeMillis(), "expiresAt of a key with a TTL");
        } else {
          assertEquals(0, e.expiresAt());
        }
      }
      after = page.next();
    } while (after != null);
    assertEquals(13, seen.size(), seen.toString());
    assertEquals("bus/a", seen.get(0));
    assertEquals("bus/ttl", seen.get(12));

    JsonObject reply = TestCluster.await(cluster.vertx(2).eventBus().<JsonObject>request("kshaka.kv",
        new JsonObject().put("op", "list").put("prefix", "bus/").put("limit", 3))).body();
    assertEquals(3, reply.getJsonArray("keys").size());
    assertEquals("bus/c", reply.getString("next"));
    assertFalse(reply.getJsonArray("keys").getJsonObject(0).containsKey("value"));

    KshakaException bad = assertThrowsKshaka(() -> TestCluster.await(client.list("bus/", null, 0, false)));
    assertEquals(400, bad.status());
  }

  static KshakaException assertThrowsKshaka(Runnable r) {
    try {
      r.run();
    } catch (IllegalStateException e) {
      if (e.getCause() instanceof KshakaException k) return k;
      throw e;
    }
    throw new AssertionError("expected a KshakaException");
  }

  @Test
  void badListAndTtlParametersAre400() {
    for (String q : List.of("limit=0", "limit=1001", "limit=ten", "values=yes")) {
      Http.Response r = Http.get(cluster.url(1) + "/v1/kv?" + q);
      assertEquals(400, r.status(), q + " -> " + r.body());
      assertEquals("bad_parameter", r.json().getString("error"), r.body());
    }
    for (String ttl : List.of("0s", "999ms", "721h", "10", "1d", "-1s", "")) {
      Http.Response r = Http.put(cluster.url(1) + "/v1/kv/badttl?ttl=" + enc(ttl), "v");
      assertEquals(400, r.status(), ttl + " -> " + r.body());
      assertEquals("bad_parameter", r.json().getString("error"), r.body());
    }
  }

  static HttpResponse<String> raw(String method, String url, String body, String... headers) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(30))
        .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
    for (int i = 0; i + 1 < headers.length; i += 2) b.header(headers[i], headers[i + 1]);
    return HttpClient.newHttpClient().send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void keyWithTtlReadsAbsentWithItsVersionOnceExpiredAndCanBeCreatedAgain() throws Exception {
    String url = cluster.url(2) + "/v1/kv/ttl/one";
    long before = System.currentTimeMillis();
    HttpResponse<String> put = raw("PUT", url + "?ttl=1500ms", "short-lived");
    assertEquals(200, put.statusCode(), put.body());
    JsonObject written = new JsonObject(put.body());
    long version = written.getLong("version");
    long expiresAt = written.getLong("expiresAt");
    assertTrue(expiresAt >= before + 1_500 && expiresAt <= System.currentTimeMillis() + 1_500, put.body());
    HttpResponse<String> get = raw("GET", cluster.url(1) + "/v1/kv/ttl/one", null);
    if (get.statusCode() == 200) { // unless this machine was slower than 1.5 s
      assertEquals(Long.toString(expiresAt), get.headers().firstValue("X-Kshaka-Expires").orElse(null));
    }
    TestCluster.waitUntil("the key reads absent", 30_000,
        () -> Http.get(cluster.url(3) + "/v1/kv/ttl/one").status() == 404);
    assertTrue(System.currentTimeMillis() >= expiresAt, "not absent before its expiry");
    Http.Response absent = Http.get(cluster.url(1) + "/v1/kv/ttl/one");
    assertEquals(404, absent.status());
    assertEquals(version, absent.json().getLong("version"), "absent at its last version");
    assertEquals(412, Http.put(url, "cas on expired", "If-Match", "\"" + version + "\"").status(),
        "a CAS on an expired key fails as on an absent one");
    Http.Response created = Http.put(url, "mine now", "If-None-Match", "*");
    assertEquals(200, created.status(), created.body());
    assertEquals(version + 1, created.json().getLong("version"));
    HttpResponse<String> plain = raw("GET", url, null);
    assertEquals("mine now", plain.body());
    assertTrue(plain.headers().firstValue("X-Kshaka-Expires").isEmpty(), "a PUT without ttl has no TTL");
  }

  @Test
  void casThatKeepsTheValueRefreshesTheTtl() throws Exception {
    Versioned v = TestCluster.await(client.putIfAbsent("ttl/refresh", "holder", 1_500));
    long end = System.currentTimeMillis() + 4_000;
    while (System.currentTimeMillis() < end) {
      Thread.sleep(300);
      Versioned refreshed = TestCluster.await(client.compareAndSet("ttl/refresh", v.version(), "holder", 1_500));
      assertEquals(v.version() + 1, refreshed.version());
      assertTrue(refreshed.expiresAt() >= v.expiresAt(), "the expiry moves forward");
      v = refreshed;
    }
    assertTrue(TestCluster.await(client.get("ttl/refresh")).present(), "alive 4 s after a 1.5 s TTL: refreshed");
    long last = v.version();
    TestCluster.waitUntil("expires once no longer refreshed", 30_000,
        () -> !TestCluster.await(client.get("ttl/refresh")).present());
    assertEquals(last, TestCluster.await(client.get("ttl/refresh")).version());
  }

  /** True when no acceptor holds {@code key} (peeked on its admin address: nothing accepted). */
  static boolean heldByNoAcceptor(String key) {
    for (int node = 1; node <= 3; node++) {
      JsonObject reply = TestCluster.await(cluster.vertx(1).eventBus().<JsonObject>request(
          io.kshaka.cluster.Addresses.DEFAULT.acceptorAdmin(node), io.kshaka.cluster.Wire.adminPeek(List.of(key), false)))
          .body();
      if (!io.kshaka.cluster.Wire.adminStates(reply).get(0).accepted().equals(io.kshaka.core.Ballot.ZERO)) return false;
    }
    return true;
  }

  @Test
  void garbageCollectionRemovesAnExpiredKeyFromEveryAcceptor() throws Exception {
    TestCluster.await(client.put("gc-ttl/leased", "v", 1_000));
    TestCluster.await(client.put("gc-ttl/kept", "v", 600_000));
    TestCluster.await(client.put("gc-ttl/plain", "v"));
    assertFalse(heldByNoAcceptor("gc-ttl/leased"));
    TestCluster.waitUntil("the expired key leaves every acceptor", 120_000, () -> heldByNoAcceptor("gc-ttl/leased"));
    Http.Response r = Http.get(cluster.url(2) + "/v1/kv/gc-ttl/leased");
    assertEquals(404, r.status(), r.body());
    assertEquals(0, r.json().getLong("version"), "collected: the key starts again at version 0");
    assertTrue(TestCluster.await(client.get("gc-ttl/kept")).present(), "a TTL not yet passed is kept");
    assertTrue(TestCluster.await(client.get("gc-ttl/plain")).present());
    assertFalse(heldByNoAcceptor("gc-ttl/kept"));
  }
}
