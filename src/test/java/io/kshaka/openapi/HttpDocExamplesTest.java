package io.kshaka.openapi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.Json;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Every request and answer shown in docs/http.md conforms to openapi.json (so neither drifts from the other). */
class HttpDocExamplesTest {
  @Test
  void everyExampleOfTheHttpDocConformsToTheOpenApiDocument() throws Exception {
    OpenApi api = OpenApi.load();
    List<HttpDocExamples.Example> examples = HttpDocExamples.parse(Files.readString(Path.of("docs/http.md")));
    assertTrue(examples.size() >= 30, "too few examples found in docs/http.md: " + examples.size());
    List<String> problems = new ArrayList<>();
    int withBody = 0;
    for (HttpDocExamples.Example e : examples) {
      String where = "docs/http.md:" + e.line() + " ";
      if (e.exchange() == null) { // a bare error body: the shared error schema
        List<String> p = new ArrayList<>();
        api.validate(where, new JsonObject().put("$ref", "#/components/schemas/Error"), Json.decodeValue(e.text()), "$", p);
        problems.addAll(p);
        withBody++;
        continue;
      }
      OpenApi.Exchange x = e.exchange();
      byte[] body = x.body();
      String type = x.responseHeaders().get("content-type");
      if (body != null && type == null && looksLikeJson(body)) type = "application/json"; // curl -s shows no headers
      if (body != null && !looksLikeJson(body)) {
        body = null; // raw values, Prometheus text, or an answer left out ("...")
        type = type == null ? null : type;
      } else if (body != null) {
        body = elided(body);
        withBody++;
      }
      java.util.Map<String, String> headers = new java.util.LinkedHashMap<>(x.responseHeaders());
      if (type != null && body != null) headers.put("content-type", type);
      OpenApi.Exchange checked = new OpenApi.Exchange(x.method(), x.target(), x.requestHeaders(), x.status(),
          headers, body);
      for (String p : api.validate(checked)) problems.add(where + p);
    }
    assertEquals(List.of(), problems, "examples of docs/http.md that disagree with openapi.json");
    assertTrue(withBody >= 25, "too few JSON bodies checked: " + withBody);
  }

  @Test
  void theParserReadsMethodHeadersStatusAndBody() {
    String md = "```\n$ curl -i -X PUT -H 'If-Match: \"1\"' --data-binary 'x y' http://127.0.0.1:8081/v1/kv/k # c\n"
        + "HTTP/1.1 412 Precondition Failed\netag: \"2\"\n\n{\"error\":\"version_mismatch\",\"message\":\"m\",\"version\":2}\n```\n";
    List<HttpDocExamples.Example> ex = HttpDocExamples.parse(md);
    assertEquals(1, ex.size());
    OpenApi.Exchange x = ex.get(0).exchange();
    assertEquals("PUT", x.method());
    assertEquals("/v1/kv/k", x.target());
    assertEquals("\"1\"", x.requestHeaders().get("if-match"));
    assertEquals(412, x.status());
    assertEquals("\"2\"", x.responseHeaders().get("etag"));
    java.util.Map<String, String> headers = new java.util.LinkedHashMap<>(x.responseHeaders());
    headers.put("content-type", "application/json"); // curl -i examples leave it out
    assertEquals(List.of(), OpenApi.load().validate(new OpenApi.Exchange(x.method(), x.target(), x.requestHeaders(),
        x.status(), headers, x.body())));
  }

  @Test
  void aDriftingExampleIsCaught() {
    OpenApi api = OpenApi.load();
    OpenApi.Exchange undeclaredStatus = new OpenApi.Exchange("DELETE", "/v1/kv/k", java.util.Map.of(), 201,
        java.util.Map.of(), null);
    assertTrue(!api.validate(undeclaredStatus).isEmpty());
    OpenApi.Exchange wrongBody = new OpenApi.Exchange("PUT", "/v1/kv/k", java.util.Map.of(), 200,
        java.util.Map.of("content-type", "application/json"), "{\"version\":\"1\"}".getBytes(StandardCharsets.UTF_8));
    assertTrue(!api.validate(wrongBody).isEmpty());
    OpenApi.Exchange undeclaredHeader = new OpenApi.Exchange("GET", "/v1/kv/k", java.util.Map.of("if-none-match", "*"),
        200, java.util.Map.of(), null);
    assertTrue(!api.validate(undeclaredHeader).isEmpty());
    OpenApi.Exchange unknownQuery = new OpenApi.Exchange("GET", "/v1/kv?bogus=1", java.util.Map.of(), 200,
        java.util.Map.of("content-type", "application/json"), "{\"keys\":[],\"next\":null}".getBytes(StandardCharsets.UTF_8));
    assertTrue(!api.validate(unknownQuery).isEmpty());
  }

  private static boolean looksLikeJson(byte[] body) {
    String s = new String(body, StandardCharsets.UTF_8).strip();
    return s.startsWith("{") || s.startsWith("[");
  }

  /** Values the doc leaves out: {@code "x":…} becomes {@code "x":0}; {@code "…"} stays a string. */
  private static byte[] elided(byte[] body) {
    String s = new String(body, StandardCharsets.UTF_8).replaceAll(":\\s*…", ":0");
    return s.getBytes(StandardCharsets.UTF_8);
  }
}
