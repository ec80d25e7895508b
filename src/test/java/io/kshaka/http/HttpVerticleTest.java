package io.kshaka.http;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kshaka.cluster.KvError;
import io.kshaka.cluster.NodeConfig;
import io.kshaka.cluster.Wire;
import io.kshaka.core.RegisterState;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.junit5.VertxExtension;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The HTTP contract of docs/http.md against a real server on port 0 and an in-memory {@link FakeKvService}.
 * Tests block on futures from the JUnit thread (never from an event loop).
 */
@ExtendWith(VertxExtension.class)
class HttpVerticleTest {
  static final int LIMIT = 1024;

  private Vertx vertx;
  private FakeKvService kv;
  private PrometheusMeterRegistry registry;
  private WebClient client;
  private int port;

  private void start(Vertx vertx, long requestTimeoutMs) {
    this.vertx = vertx;
    NodeConfig config = NodeConfig.fromJson(new JsonObject()
        .put("nodeId", 1)
        .put("http", new JsonObject().put("host", "127.0.0.1").put("port", 0).put("maxValueBytes", LIMIT))
        .put("cluster", new JsonObject().put("members", new io.vertx.core.json.JsonArray()))
        .put("acceptors", new io.vertx.core.json.JsonArray().add(1))
        .put("proposer", new JsonObject().put("requestTimeoutMs", requestTimeoutMs)));
    kv = new FakeKvService(LIMIT);
    registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    HttpVerticle verticle = new HttpVerticle(config, kv, registry);
    vertx.deployVerticle(verticle).await();
    port = verticle.actualPort();
    client = WebClient.create(vertx);
  }

  private void start(Vertx vertx) {
    start(vertx, 5_000);
  }

  @AfterEach
  void closeClient() {
    if (client != null) client.close();
  }

  // ------------------------------------------------------------------ helpers

  private HttpResponse<Buffer> call(HttpMethod method, String uri, Buffer body, String... headers) {
    var request = client.request(method, port, "127.0.0.1", uri);
    for (int i = 0; i < headers.length; i += 2) request.putHeader(headers[i], headers[i + 1]);
    return (body == null ? request.send() : request.sendBuffer(body)).await();
  }

  private HttpResponse<Buffer> put(String key, String value, String... headers) {
    return call(HttpMethod.PUT, "/v1/kv/" + key, Buffer.buffer(value), headers);
  }

  private HttpResponse<Buffer> get(String key) {
    return call(HttpMethod.GET, "/v1/kv/" + key, null);
  }

  /** Asserts a JSON error reply: status, JSON content type, error code; returns the body. */
  private static JsonObject assertError(HttpResponse<Buffer> r, int status, String error) {
    assertEquals(status, r.statusCode(), () -> "body: " + r.bodyAsString());
    assertTrue(r.getHeader("content-type").startsWith("application/json"), r.getHeader("content-type"));
    JsonObject body = r.bodyAsJsonObject();
    assertEquals(error, body.getString("error"), body::encode);
    assertNotNull(body.getString("message"), body::encode);
    return body;
  }

  /** Sends raw bytes on a new connection and returns everything the server sends until it closes it. */
  private String raw(String request) {
    return RawConnection.exchange(vertx, port, request);
  }

  private static String rawBody(String response) {
    return response.substring(response.indexOf("\r\n\r\n") + 4);
  }

  // ------------------------------------------------------------------ GET

  @Test
  void getAnswersRawValueWithVersionAsEtag(Vertx vertx) {
    start(vertx);
    put("k", "hello");
    HttpResponse<Buffer> r = get("k");
    assertEquals(200, r.statusCode());
    assertEquals("hello", r.bodyAsString());
    assertEquals("\"1\"", r.getHeader("ETag"));
  }

  @Test
  void getOfAbsentKeyIs404JsonCarryingItsVersion(Vertx vertx) {
    start(vertx);
    JsonObject never = assertError(get("never"), 404, "not_found");
    assertEquals(0L, never.getLong("version"));

    put("gone", "x");
    call(HttpMethod.DELETE, "/v1/kv/gone", null);
    HttpResponse<Buffer> r = get("gone");
    assertEquals(2L, assertError(r, 404, "not_found").getLong("version"));
    assertEquals("\"2\"", r.getHeader("ETag"));
  }

  // ------------------------------------------------------------------ PUT

  @Test
  void putAnswersVersionAndEachAppliedPutAddsOne(Vertx vertx) {
    start(vertx);
    HttpResponse<Buffer> first = put("k", "a");
    assertEquals(new JsonObject().put("version", 1), first.bodyAsJsonObject());
    assertEquals("\"1\"", first.getHeader("ETag"));
    assertEquals(new JsonObject().put("version", 2), put("k", "b").bodyAsJsonObject());
    assertEquals("b", get("k").bodyAsString());
  }

  @Test
  void putWithIfMatchIsCompareAndSetOnTheVersion(Vertx vertx) {
    start(vertx);
    put("k", "a");
    HttpResponse<Buffer> quoted = put("k", "b", "If-Match", "\"1\"");
    assertEquals(200, quoted.statusCode(), quoted.bodyAsString());
    assertEquals(2L, quoted.bodyAsJsonObject().getLong("version"));
    HttpResponse<Buffer> bare = put("k", "c", "If-Match", "2");
    assertEquals(3L, bare.bodyAsJsonObject().getLong("version"));
    assertEquals("cas", kv.requests.get(kv.requests.size() - 1).getString("op"));
    assertEquals("c", get("k").bodyAsString());
  }

  @Test
  void putWithStaleIfMatchIs412WithCurrentVersionAndChangesNothing(Vertx vertx) {
    start(vertx);
    put("k", "a");
    put("k", "b");
    JsonObject body = assertError(put("k", "c", "If-Match", "\"1\""), 412, "version_mismatch");
    assertEquals(2L, body.getLong("version"));
    assertEquals(RegisterState.of("b", 2), kv.state("k"));
  }

  @Test
  void putWithIfNoneMatchStarCreatesOnlyWhenAbsent(Vertx vertx) {
    start(vertx);
    HttpResponse<Buffer> first = put("k", "first", "If-None-Match", "*");
    assertEquals(200, first.statusCode(), first.bodyAsString());
    assertEquals(1L, first.bodyAsJsonObject().getLong("version"));
    JsonObject second = assertError(put("k", "second", "If-None-Match", "*"), 412, "version_mismatch");
    assertEquals(1L, second.getLong("version"));
    assertEquals("first", get("k").bodyAsString());
  }

  @Test
  void emptyBodyIsAnEmptyValue(Vertx vertx) {
    start(vertx);
    assertEquals(200, call(HttpMethod.PUT, "/v1/kv/k", null).statusCode());
    HttpResponse<Buffer> r = get("k");
    assertEquals(200, r.statusCode());
    assertTrue(r.body() == null || r.body().length() == 0);
    assertArrayEquals(new byte[0], kv.state("k").value());
  }

  @Test
  void formEncodedBodyIsStoredRaw(Vertx vertx) {
    start(vertx);
    String form = "a=1&b=%zz&c&=%";
    HttpResponse<Buffer> r = call(HttpMethod.PUT, "/v1/kv/k", Buffer.buffer(form),
        "Content-Type", "application/x-www-form-urlencoded");
    assertEquals(200, r.statusCode(), r.bodyAsString());
    assertEquals(form, get("k").bodyAsString());
  }

  @Test
  void binaryBodyIsStoredByteForByte(Vertx vertx) {
    start(vertx);
    byte[] value = new byte[LIMIT];
    new Random(42).nextBytes(value);
    value[0] = 0;
    value[1] = (byte) 0xff;
    HttpResponse<Buffer> r = call(HttpMethod.PUT, "/v1/kv/bin", Buffer.buffer(value),
        "Content-Type", "multipart/form-data; boundary=x");
    assertEquals(200, r.statusCode(), r.bodyAsString());
    assertArrayEquals(value, get("bin").body().getBytes());
  }

  // ------------------------------------------------------------------ DELETE, POST add

  @Test
  void deleteAnswersVersionAndLeavesTombstone(Vertx vertx) {
    start(vertx);
    put("k", "a");
    HttpResponse<Buffer> r = call(HttpMethod.DELETE, "/v1/kv/k", null);
    assertEquals(new JsonObject().put("version", 2), r.bodyAsJsonObject());
    assertEquals(RegisterState.of(null, 2), kv.state("k"));
  }

  @Test
  void deleteWithIfMatchIsConditional(Vertx vertx) {
    start(vertx);
    put("k", "a");
    put("k", "b");
    JsonObject stale = assertError(call(HttpMethod.DELETE, "/v1/kv/k", null, "If-Match", "\"1\""), 412,
        "version_mismatch");
    assertEquals(2L, stale.getLong("version"));
    assertEquals(RegisterState.of("b", 2), kv.state("k"));
    HttpResponse<Buffer> ok = call(HttpMethod.DELETE, "/v1/kv/k", null, "If-Match", "\"2\"");
    assertEquals(3L, ok.bodyAsJsonObject().getLong("version"));
  }

  @Test
  void addAnswersSumAsDecimalStringAndAbsentCountsAsZero(Vertx vertx) {
    start(vertx);
    HttpResponse<Buffer> first = call(HttpMethod.POST, "/v1/kv/n?op=add&delta=5", null);
    assertEquals(new JsonObject().put("value", "5").put("version", 1), first.bodyAsJsonObject());
    HttpResponse<Buffer> second = call(HttpMethod.POST, "/v1/kv/n?op=add&delta=-7", null);
    assertEquals(new JsonObject().put("value", "-2").put("version", 2), second.bodyAsJsonObject());
    assertEquals("-2", get("n").bodyAsString());
  }

  @Test
  void addOnNonIntegerValueIs409(Vertx vertx) {
    start(vertx);
    put("k", "abc");
    assertError(call(HttpMethod.POST, "/v1/kv/k?op=add&delta=1", null), 409, "not_integer");
    assertEquals(RegisterState.of("abc", 1), kv.state("k"));
  }

  // ------------------------------------------------------------------ keys

  /**
   * The key is the percent-decoded raw remainder, so {@code a%2Fb} and {@code a/b} spell the same key "a/b" (as in
   * Consul and etcd); the literal three characters "%2F" are spelled {@code %252F}. Either way the key is exactly
   * what the client encoded, never what a path normalizer made of it.
   */
  @Test
  void percentDecodingIsExactSoEncodedSlashIsTheSlashByteAndEncodedPercentIsLiteral(Vertx vertx) {
    start(vertx);
    put("a%2Fb", "encoded");
    assertEquals(RegisterState.of("encoded", 1), kv.state("a/b"));
    put("a/b", "slash");
    assertEquals(RegisterState.of("slash", 2), kv.state("a/b"));
    put("a%252Fb", "literal");
    assertEquals(RegisterState.of("literal", 1), kv.state("a%2Fb"));
    assertEquals(2, kv.registers.size());
    assertEquals("slash", get("a%2Fb").bodyAsString());
    assertEquals("literal", get("a%252Fb").bodyAsString());
  }

  @Test
  void dotSegmentsArePartOfTheKey(Vertx vertx) {
    start(vertx);
    String inside = raw("PUT /v1/kv/a/%2e%2e/b HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nConnection: close\r\n\r\n1");
    assertTrue(inside.startsWith("HTTP/1.1 200"), inside);
    String climbing = raw("PUT /v1/kv/../../health HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\n"
        + "Connection: close\r\n\r\n2");
    assertTrue(climbing.startsWith("HTTP/1.1 200"), climbing);
    String read = raw("GET /v1/kv/../../health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    assertEquals("2", rawBody(read));
    assertEquals(RegisterState.of("1", 1), kv.state("a/../b"));
    assertEquals(RegisterState.of("2", 1), kv.state("../../health"));
    assertNull(kv.registers.get("b"));
  }

  @Test
  void keyIsPercentDecodedAsUtf8(Vertx vertx) {
    start(vertx);
    put("caf%C3%A9%20au%2Blait+", "x");
    assertEquals(RegisterState.of("x", 1), kv.state("café au+lait+"));
  }

  @Test
  void emptyKeyIs400(Vertx vertx) {
    start(vertx);
    assertTrue(assertError(put("", "x"), 400, "bad_request").getString("message").contains("empty"));
    assertError(get(""), 400, "bad_request");
  }

  @Test
  void keyOver512BytesIs400(Vertx vertx) {
    start(vertx);
    assertEquals(200, put("a".repeat(512), "x").statusCode());
    // 171 three-byte characters = 513 bytes of UTF-8
    String over = "%E2%82%AC".repeat(171);
    assertTrue(assertError(put(over, "x"), 400, "bad_request").getString("message").contains("512"));
    assertEquals(1, kv.registers.size());
  }

  @Test
  void keyThatIsNotUtf8Is400(Vertx vertx) {
    start(vertx);
    assertTrue(assertError(get("%ff"), 400, "bad_request").getString("message").contains("UTF-8"));
    assertError(put("a%C3", "x"), 400, "bad_request");
    assertTrue(kv.requests.isEmpty());
  }

  @Test
  void invalidPercentEncodingIs400Json(Vertx vertx) {
    start(vertx);
    String r = raw("GET /v1/kv/%zz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    assertTrue(r.startsWith("HTTP/1.1 400"), r);
    JsonObject body = new JsonObject(rawBody(r));
    assertEquals("bad_request", body.getString("error"));
    assertTrue(body.getString("message").contains("%zz"), body.encode());
  }

  // ------------------------------------------------------------------ bad headers and parameters

  @Test
  void malformedIfMatchIs400(Vertx vertx) {
    start(vertx);
    for (String bad : new String[] {"\"abc\"", "W/\"1\"", "\"1\", \"2\"", "*", "-1", "99999999999999999999"}) {
      JsonObject body = assertError(put("k", "x", "If-Match", bad), 400, "bad_request");
      assertTrue(body.getString("message").contains("If-Match"), body.encode());
    }
    assertTrue(kv.requests.isEmpty());
  }

  @Test
  void ifNoneMatchOtherThanStarOrCombinedWithIfMatchIs400(Vertx vertx) {
    start(vertx);
    assertError(put("k", "x", "If-None-Match", "\"1\""), 400, "bad_request");
    assertError(put("k", "x", "If-None-Match", "*", "If-Match", "1"), 400, "bad_request");
    assertError(call(HttpMethod.DELETE, "/v1/kv/k", null, "If-None-Match", "*"), 400, "bad_request");
    assertTrue(kv.requests.isEmpty());
  }

  @Test
  void nonIntegerDeltaIs400(Vertx vertx) {
    start(vertx);
    for (String delta : new String[] {"abc", "1.5", "", "99999999999999999999"}) {
      JsonObject body = assertError(call(HttpMethod.POST, "/v1/kv/n?op=add&delta=" + delta, null), 400,
          "bad_request");
      assertTrue(body.getString("message").contains("delta"), body.encode());
    }
    assertError(call(HttpMethod.POST, "/v1/kv/n?op=add", null), 400, "bad_request");
  }

  @Test
  void unknownOrMissingOpIs400(Vertx vertx) {
    start(vertx);
    assertTrue(assertError(call(HttpMethod.POST, "/v1/kv/n?op=mul&delta=2", null), 400, "bad_request")
        .getString("message").contains("op"));
    assertTrue(assertError(call(HttpMethod.POST, "/v1/kv/n?delta=2", null), 400, "bad_request")
        .getString("message").contains("op"));
    assertTrue(kv.requests.isEmpty());
  }

  // ------------------------------------------------------------------ limits

  // ------------------------------------------------------------------ Idempotency-Key

  private JsonObject lastRequest() {
    return kv.requests.get(kv.requests.size() - 1);
  }

  @Test
  void idempotencyKeyBecomesTheRequestIdWithTheFirstSightAsItsStamp(Vertx vertx) {
    start(vertx);
    long before = System.currentTimeMillis();
    assertEquals(200, put("k", "a", "Idempotency-Key", "order-17").statusCode());
    JsonObject first = lastRequest();
    assertEquals("order-17", first.getString("requestId"));
    long stamp = first.getLong("requestStamp");
    assertTrue(stamp >= before && stamp <= System.currentTimeMillis(), "stamp " + stamp);
    assertFalse(first.containsKey("fresh"), "only the router marks a request fresh");

    put("k", "a", "Idempotency-Key", "order-17");
    assertEquals(stamp, lastRequest().getLong("requestStamp"), "a repeat carries the first sight's stamp");
    call(HttpMethod.DELETE, "/v1/kv/k", null, "Idempotency-Key", "del 1");
    assertEquals("del 1", lastRequest().getString("requestId"));
    call(HttpMethod.POST, "/v1/kv/n?op=add&delta=2", null, "Idempotency-Key", "~!x");
    assertEquals("~!x", lastRequest().getString("requestId"));
    put("other", "a", "Idempotency-Key", "order-17");
    assertEquals("order-17", lastRequest().getString("requestId"), "the same id on another key is its own");
  }

  @Test
  void changeWithoutIdempotencyKeyCarriesNoRequestId(Vertx vertx) {
    start(vertx);
    put("k", "a");
    assertFalse(lastRequest().containsKey("requestId"));
    assertFalse(lastRequest().containsKey("requestStamp"));
  }

  @Test
  void malformedIdempotencyKeyIs400NamingTheHeader(Vertx vertx) {
    start(vertx);
    String tooLong = "x".repeat(129);
    for (String bad : new String[] {"", tooLong, "tab\there", "caf\u00e9"}) {
      int before = kv.requests.size();
      JsonObject body = assertError(put("k", "a", "Idempotency-Key", bad), 400, "bad_request");
      assertTrue(body.getString("message").contains("Idempotency-Key"), body::encode);
      assertEquals(before, kv.requests.size(), "refused before it reached the node");
    }
    String del = raw("PUT /v1/kv/k HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nConnection: close\r\n"
        + "Idempotency-Key: del\u007f\r\n\r\na");
    assertTrue(del.startsWith("HTTP/1.1 400"), del); // Netty refuses a control character in any header itself
    assertError(call(HttpMethod.DELETE, "/v1/kv/k", null, "Idempotency-Key", ""), 400, "bad_request");
    assertError(call(HttpMethod.POST, "/v1/kv/n?op=add&delta=1", null, "Idempotency-Key", tooLong), 400,
        "bad_request");
    assertEquals(200, put("k", "a", "Idempotency-Key", "x".repeat(128)).statusCode());
    assertEquals(200, put("k", "a", "Idempotency-Key", " ~").statusCode(), "spaces inside are printable");
  }

  @Test
  void repeatedIdempotencyKeyHeaderIs400(Vertx vertx) {
    start(vertx);
    String r = raw("PUT /v1/kv/k HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nConnection: close\r\n"
        + "Idempotency-Key: one\r\nIdempotency-Key: two\r\n\r\na");
    assertTrue(r.startsWith("HTTP/1.1 400") && rawBody(r).contains("at most once"), r);
  }

  @Test
  void getIgnoresIdempotencyKey(Vertx vertx) {
    start(vertx);
    put("k", "a");
    HttpResponse<Buffer> r = call(HttpMethod.GET, "/v1/kv/k", null, "Idempotency-Key", "");
    assertEquals(200, r.statusCode(), r.bodyAsString());
    assertFalse(lastRequest().containsKey("requestId"));
  }

  @Test
  void firstSightsAreRememberedPerKeyAndBounded() {
    long[] now = {1_000};
    IdempotencyKeys keys = new IdempotencyKeys(2, () -> now[0]);
    assertEquals(1_000, keys.stamp("a", "1"));
    now[0] = 2_000;
    assertEquals(1_000, keys.stamp("a", "1"));
    assertEquals(2_000, keys.stamp("b", "1"));
    assertEquals(2_000, keys.stamp("c", "1")); // evicts ("a","1")? no: ("a","1") was used before ("b","1")
    now[0] = 3_000;
    assertEquals(3_000, keys.stamp("a", "1"), "the least recently used pair was forgotten: stamped anew");
    assertEquals(2, keys.size());
  }

  @Test
  void valueOverTheLimitIs413(Vertx vertx) {
    start(vertx);
    assertEquals(200, call(HttpMethod.PUT, "/v1/kv/k", Buffer.buffer(new byte[LIMIT])).statusCode());
    HttpResponse<Buffer> r = call(HttpMethod.PUT, "/v1/kv/k", Buffer.buffer(new byte[LIMIT + 1]));
    assertTrue(assertError(r, 413, "value_too_large").getString("message").contains(Integer.toString(LIMIT)));
    assertEquals(1L, kv.state("k").version());
  }

  @Test
  void hugeContentLengthIs413AtOnceWithoutReadingTheBodyAndTheConnectionIsClosed(Vertx vertx) {
    start(vertx);
    // a terabyte announced, three bytes sent: the answer and the close come without the rest
    String r = raw("PUT /v1/kv/k HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000000000\r\n\r\nabc");
    assertTrue(r.startsWith("HTTP/1.1 413"), r);
    assertEquals("value_too_large", new JsonObject(rawBody(r)).getString("error"));
    assertTrue(kv.requests.isEmpty());
  }

  @Test
  void chunkedBodyOverTheLimitIs413AndTheConnectionIsClosed(Vertx vertx) {
    start(vertx);
    String chunk = Integer.toHexString(LIMIT) + "\r\n" + "x".repeat(LIMIT) + "\r\n";
    String r = raw("PUT /v1/kv/k HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n" + chunk + "1\r\ny\r\n");
    assertTrue(r.startsWith("HTTP/1.1 413"), r);
    assertTrue(kv.requests.isEmpty());
  }

  @Test
  void expectContinueIsAnsweredForAValueUnderTheLimit(Vertx vertx) {
    start(vertx);
    try (RawConnection connection = RawConnection.open(vertx, port)) {
      connection.write("PUT /v1/kv/k HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nExpect: 100-continue\r\n"
          + "Connection: close\r\n\r\n");
      connection.awaitReceived("100 Continue");
      connection.write("ok");
      String received = connection.untilClosed();
      assertTrue(received.contains("HTTP/1.1 200"), received);
    }
    assertEquals(RegisterState.of("ok", 1), kv.state("k"));
  }

  // ------------------------------------------------------------------ routing errors

  @Test
  void wrongMethodOnAKnownPathIs405Json(Vertx vertx) {
    start(vertx);
    HttpResponse<Buffer> kvPath = call(HttpMethod.PATCH, "/v1/kv/k", Buffer.buffer("x"));
    assertError(kvPath, 405, "method_not_allowed");
    assertEquals("GET, PUT, DELETE, POST", kvPath.getHeader("Allow"));
    assertError(call(HttpMethod.POST, "/health", null), 405, "method_not_allowed");
    assertTrue(kv.requests.isEmpty());
  }

  @Test
  void unknownPathIs404Json(Vertx vertx) {
    start(vertx);
    assertError(call(HttpMethod.GET, "/v2/kv/k", null), 404, "not_found");
    assertError(call(HttpMethod.GET, "/v1/kvs", null), 404, "not_found");
  }

  @Test
  void listForwardsItsParametersAndAnswersAPageOfKeys(Vertx vertx) {
    start(vertx);
    for (String k : List.of("a/1", "a/2", "a/3", "b/1")) put(k, "v-" + k);
    HttpResponse<Buffer> r = call(HttpMethod.GET, "/v1/kv?prefix=a%2F&after=a%2F1&limit=1&values=true", null);
    assertEquals(200, r.statusCode(), r.bodyAsString());
    assertTrue(r.getHeader("content-type").startsWith("application/json"));
    JsonObject sent = kv.requests.get(kv.requests.size() - 1);
    assertEquals(new JsonObject().put("op", "list").put("prefix", "a/").put("after", "a/1").put("limit", 1)
        .put("values", true), sent);
    JsonObject page = r.bodyAsJsonObject();
    assertEquals("a/2", page.getJsonArray("keys").getJsonObject(0).getString("key"));
    assertEquals("v-a/2", new String(java.util.Base64.getDecoder().decode(
        page.getJsonArray("keys").getJsonObject(0).getString("value")), StandardCharsets.UTF_8));
    assertEquals("a/2", page.getString("next"));
    JsonObject bare = call(HttpMethod.GET, "/v1/kv", null).bodyAsJsonObject();
    assertEquals(4, bare.getJsonArray("keys").size());
    assertNull(bare.getValue("next"));
    assertEquals(new JsonObject().put("op", "list"), kv.requests.get(kv.requests.size() - 1), "defaults: the node's");
  }

  @Test
  void badListParametersAre400BadParameterAndNeverReachTheNode(Vertx vertx) {
    start(vertx);
    for (String q : List.of("limit=0", "limit=1001", "limit=", "limit=1e3", "values=1", "prefix=%00x")) {
      int before = kv.requests.size();
      JsonObject body = assertError(call(HttpMethod.GET, "/v1/kv?" + q, null), 400, "bad_parameter");
      assertTrue(body.getString("message").startsWith(q.substring(0, q.indexOf('='))), body.encode());
      assertEquals(before, kv.requests.size(), q);
    }
  }

  @Test
  void putWithTtlSendsTtlMsAndReadsCarryTheExpiry(Vertx vertx) {
    start(vertx); // the fake applies changes at time 0: the expiry is the ttl itself
    HttpResponse<Buffer> r = put("lease?ttl=30s", "holder");
    assertEquals(200, r.statusCode(), r.bodyAsString());
    assertEquals(30_000L, kv.requests.get(kv.requests.size() - 1).getLong("ttlMs"));
    assertEquals(30_000L, r.bodyAsJsonObject().getLong("expiresAt"));
    assertEquals("30000", r.getHeader("X-Kshaka-Expires"));
    HttpResponse<Buffer> read = get("lease");
    assertEquals("holder", read.bodyAsString());
    assertEquals("30000", read.getHeader("X-Kshaka-Expires"));
    HttpResponse<Buffer> cas = put("lease?ttl=1h", "holder", "If-Match", "\"1\"");
    assertEquals("cas", kv.requests.get(kv.requests.size() - 1).getString("op"));
    assertEquals(3_600_000L, cas.bodyAsJsonObject().getLong("expiresAt"));
    HttpResponse<Buffer> created = put("other?ttl=500ms", "x", "If-None-Match", "*");
    assertError(created, 400, "bad_parameter");
    HttpResponse<Buffer> plain = put("lease", "forever");
    assertNull(plain.bodyAsJsonObject().getValue("expiresAt"));
    assertNull(get("lease").getHeader("X-Kshaka-Expires"), "a PUT without ttl clears it");
    for (String ttl : List.of("0s", "31d", "721h", "10", "1.5s", "s")) {
      int before = kv.requests.size();
      assertError(put("k?ttl=" + ttl, "v"), 400, "bad_parameter");
      assertEquals(before, kv.requests.size(), ttl);
    }
  }

  @Test
  void hostileRequestsAreRefusedAndTheNodeKeepsServing(Vertx vertx) {
    start(vertx);
    String longLine = raw("GET /v1/kv/" + "a".repeat(HttpVerticle.MAX_INITIAL_LINE_LENGTH) + " HTTP/1.1\r\n"
        + "Host: x\r\nConnection: close\r\n\r\n");
    assertTrue(longLine.matches("(?s)HTTP/1\\.[01] 414.*"), longLine);
    String hugeHeader = raw("GET /health HTTP/1.1\r\nHost: x\r\nX-Big: " + "b".repeat(20_000)
        + "\r\nConnection: close\r\n\r\n");
    assertTrue(hugeHeader.matches("(?s)HTTP/1\\.[01] 431.*"), hugeHeader);
    String oddMethod = raw("BREW /v1/kv/k HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    assertTrue(oddMethod.startsWith("HTTP/1.1 405"), oddMethod);
    String garbage = raw("\u0001\u0002 not http at all\r\n\r\n");
    assertTrue(garbage.isEmpty() || garbage.matches("(?s)HTTP/1\\.[01] 400.*"), garbage);
    assertEquals(200, call(HttpMethod.GET, "/health", null).statusCode());
    assertTrue(kv.requests.isEmpty());
  }

  // ------------------------------------------------------------------ node failures

  @Test
  void noQuorumIs503NotApplied(Vertx vertx) {
    start(vertx);
    kv.failNext(Wire.failure(KvError.NO_QUORUM, "only 1 of 3 acceptors answer", null));
    JsonObject body = assertError(put("k", "x"), 503, "no_quorum");
    assertEquals("not_applied", body.getString("outcome"));
  }

  @Test
  void unknownOutcomeIs504Unknown(Vertx vertx) {
    start(vertx);
    kv.failNext(Wire.failure(KvError.OUTCOME_UNKNOWN, "accept sent, no quorum confirmed", null));
    JsonObject body = assertError(put("k", "x"), 504, "outcome_unknown");
    assertEquals("unknown", body.getString("outcome"));
  }

  @Test
  void transportFailuresMapToTheirOutcome(Vertx vertx) {
    start(vertx);
    kv.failNext(new ReplyException(ReplyFailure.NO_HANDLERS, "no handlers for kshaka.kv"));
    assertEquals("not_applied", assertError(get("k"), 503, "no_quorum").getString("outcome"));
    kv.failNext(new ReplyException(ReplyFailure.TIMEOUT, "timed out"));
    assertEquals("unknown", assertError(put("k", "x"), 504, "outcome_unknown").getString("outcome"));
    kv.failNext(new IllegalStateException("boom"));
    assertEquals("unknown", assertError(put("k", "x"), 504, "outcome_unknown").getString("outcome"));
  }

  @Test
  void nodeSilentPastRequestTimeoutPlusMarginIs504OutcomeUnknown(Vertx vertx) {
    start(vertx, 50);
    kv.hangNext();
    long t0 = System.nanoTime();
    JsonObject body = assertError(put("k", "x"), 504, "outcome_unknown");
    long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
    assertEquals("unknown", body.getString("outcome"));
    assertTrue(ms >= 50 + HttpVerticle.DEADLINE_MARGIN_MS - 20, "answered after " + ms + " ms");
    assertEquals(200, put("k", "y").statusCode()); // the node keeps serving
  }

  @Test
  void answersCompletedOnTheNodesOwnEventLoopAreServed(Vertx vertx) {
    start(vertx);
    io.vertx.core.Context proposerLoop = vertx.getOrCreateContext();
    kv.answerFrom(proposerLoop);
    assertEquals(1L, put("k", "x").bodyAsJsonObject().getLong("version"));
    assertEquals("x", get("k").bodyAsString());
    kv.failNext(Wire.failure(KvError.NO_QUORUM, "no quorum", null));
    assertError(put("k", "y"), 503, "no_quorum");
  }

  // ------------------------------------------------------------------ operations

  @Test
  void healthIsUp(Vertx vertx) {
    start(vertx);
    HttpResponse<Buffer> r = call(HttpMethod.GET, "/health", null);
    assertEquals(200, r.statusCode());
    assertEquals(new JsonObject().put("status", "up"), r.bodyAsJsonObject());
  }

  @Test
  void readyFollowsTheNodeStatus(Vertx vertx) {
    start(vertx);
    assertEquals(200, call(HttpMethod.GET, "/ready", null).statusCode());
    kv.ready(false);
    HttpResponse<Buffer> r = call(HttpMethod.GET, "/ready", null);
    assertEquals(503, r.statusCode());
    assertEquals("not_ready", r.bodyAsJsonObject().getString("status"));
    kv.ready(true).failStatus(true);
    assertEquals(503, call(HttpMethod.GET, "/ready", null).statusCode());
  }

  @Test
  void clusterShowsTheNodeStatus(Vertx vertx) {
    start(vertx);
    HttpResponse<Buffer> r = call(HttpMethod.GET, "/v1/cluster", null);
    assertEquals(200, r.statusCode());
    assertEquals(kv.status().await(), r.bodyAsJsonObject());
  }

  @Test
  void metricsExposeTheHttpTimerByRouteMethodAndStatusNeverTheKey(Vertx vertx) {
    start(vertx);
    put("secret-key-name", "x");
    put("secret-key-name", "y", "If-Match", "\"7\"");
    call(HttpMethod.GET, "/health", null);
    raw("GET /v1/kv/%zz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    call(HttpMethod.PUT, "/v1/kv/k", Buffer.buffer(new byte[LIMIT + 1]));
    HttpResponse<Buffer> r = call(HttpMethod.GET, "/metrics", null);
    assertEquals(200, r.statusCode());
    assertTrue(r.getHeader("content-type").startsWith("text/plain; version=0.0.4"), r.getHeader("content-type"));
    String text = r.bodyAsString();
    assertTrue(text.contains("kshaka_http_requests_seconds_bucket{"), text);
    assertTrue(text.contains("kshaka_http_requests_seconds_count{method=\"PUT\",route=\"kv\",status=\"200\"} 1"),
        text);
    assertTrue(text.contains("kshaka_http_requests_seconds_count{method=\"PUT\",route=\"kv\",status=\"412\"} 1"),
        text);
    assertTrue(text.contains("route=\"health\""), text);
    assertTrue(text.contains("method=\"GET\",route=\"kv\",status=\"400\""), text);
    assertTrue(text.contains("method=\"PUT\",route=\"kv\",status=\"413\""), text);
    assertFalse(text.contains("secret-key-name"), text);
  }
}
