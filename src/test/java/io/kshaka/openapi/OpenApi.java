package io.kshaka.openapi;

import io.vertx.core.json.Json;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.InputStream;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A small validator of HTTP exchanges against src/main/resources/openapi.json: path and method, declared query
 * parameters and headers (their schemas when the answer is 2xx), status, response headers and content type, and
 * JSON bodies against a subset of JSON Schema 2020-12 (type, properties, required, additionalProperties, items,
 * enum, const, minimum, maximum, minLength, maxLength, pattern, minProperties, allOf, anyOf, oneOf, local $ref).
 * Path parameters marked {@code x-kshaka-greedy} match any rest of the path, slashes included.
 */
public final class OpenApi {
  /** Response headers the API defines: one present in an answer must be declared there. */
  static final Set<String> API_HEADERS = Set.of("etag", "x-kshaka-version", "x-kshaka-expires", "allow", "location",
      "www-authenticate");
  /** Request headers the API defines: one sent must be declared for the operation. */
  static final Set<String> API_REQUEST_HEADERS = Set.of("if-match", "if-none-match", "idempotency-key");

  /** One request and its answer; headers with lower-case names; body null when not known. */
  public record Exchange(String method, String target, Map<String, String> requestHeaders, int status,
      Map<String, String> responseHeaders, byte[] body) {
    public String path() {
      int q = target.indexOf('?');
      return q < 0 ? target : target.substring(0, q);
    }

    public Map<String, String> query() {
      Map<String, String> out = new LinkedHashMap<>();
      int q = target.indexOf('?');
      if (q < 0) return out;
      for (String part : target.substring(q + 1).split("&")) {
        if (part.isEmpty()) continue;
        int eq = part.indexOf('=');
        String name = eq < 0 ? part : part.substring(0, eq);
        String value = eq < 0 ? "" : part.substring(eq + 1);
        out.put(URLDecoder.decode(name, StandardCharsets.UTF_8), URLDecoder.decode(value, StandardCharsets.UTF_8));
      }
      return out;
    }

    public JsonObject toJson() {
      JsonObject o = new JsonObject().put("method", method).put("target", target)
          .put("requestHeaders", new JsonObject(new LinkedHashMap<>(requestHeaders))).put("status", status)
          .put("responseHeaders", new JsonObject(new LinkedHashMap<>(responseHeaders)));
      if (body != null) o.put("body", new String(body, StandardCharsets.UTF_8));
      return o;
    }
  }

  private final JsonObject doc;
  private final List<Template> templates = new ArrayList<>();

  private record Template(String path, Pattern regex, int literalLength) {}

  public OpenApi(JsonObject doc) {
    this.doc = doc;
    for (String path : doc.getJsonObject("paths").fieldNames()) {
      StringBuilder regex = new StringBuilder("^");
      Matcher m = Pattern.compile("\\{([^}]+)}").matcher(path);
      int at = 0;
      int literal = 0;
      while (m.find()) {
        regex.append(Pattern.quote(path.substring(at, m.start())));
        literal += m.start() - at;
        JsonObject p = pathParameter(path, m.group(1));
        boolean greedy = p != null && p.getBoolean("x-kshaka-greedy", false);
        regex.append(greedy ? "(.*)" : "([^/]+)");
        at = m.end();
      }
      regex.append(Pattern.quote(path.substring(at))).append('$');
      literal += path.length() - at;
      templates.add(new Template(path, Pattern.compile(regex.toString(), Pattern.DOTALL), literal));
    }
    templates.sort(Comparator.comparingInt(Template::literalLength).reversed());
  }

  /** The document kept in the repository (from the class path, as the server serves it). */
  public static OpenApi load() {
    try (InputStream in = OpenApi.class.getClassLoader().getResourceAsStream("openapi.json")) {
      if (in == null) throw new IllegalStateException("openapi.json is not on the class path");
      return new OpenApi(new JsonObject(new String(in.readAllBytes(), StandardCharsets.UTF_8)));
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  public JsonObject document() {
    return doc;
  }

  private JsonObject pathParameter(String path, String name) {
    JsonArray params = doc.getJsonObject("paths").getJsonObject(path).getJsonArray("parameters", new JsonArray());
    for (int i = 0; i < params.size(); i++) {
      JsonObject p = resolve(params.getJsonObject(i));
      if (name.equals(p.getString("name")) && "path".equals(p.getString("in"))) return p;
    }
    return null;
  }

  /** The path template a raw path matches (most literal characters first), or null. */
  public String template(String rawPath) {
    for (Template t : templates) {
      if (t.regex().matcher(rawPath).matches()) return t.path();
    }
    return null;
  }

  /** The operation of this template and method, or null. */
  public JsonObject operation(String template, String method) {
    JsonObject item = doc.getJsonObject("paths").getJsonObject(template);
    return item == null ? null : item.getJsonObject(method.toLowerCase(Locale.ROOT));
  }

  /** Everything about the exchange that disagrees with the document (empty when it conforms). */
  public List<String> validate(Exchange x) {
    List<String> problems = new ArrayList<>();
    String where = x.method() + " " + x.target() + " -> " + x.status();
    String template = template(x.path());
    JsonObject unmatched = doc.getJsonObject("x-kshaka-unmatched");
    if (template == null) {
      if (x.status() < 0) {
        problems.add(where + ": no path of the document matches");
        return problems;
      }
      checkResponse(where, resolve(unmatched.getJsonObject("path")), x, problems);
      if (x.status() != 404) problems.add(where + ": no path of the document matches, and the answer is not 404");
      return problems;
    }
    JsonObject op = operation(template, x.method());
    if (op == null) {
      if (x.status() < 0) {
        problems.add(where + ": " + template + " has no " + x.method());
        return problems;
      }
      if (x.status() != 405) problems.add(where + ": " + template + " has no " + x.method() + ", and the answer is not 405");
      checkResponse(where, resolve(unmatched.getJsonObject("method")), x, problems);
      return problems;
    }
    // request: query parameters and API headers must be declared; their values must fit when the answer is 2xx
    Map<String, JsonObject> params = parameters(template, op);
    boolean success = x.status() >= 200 && x.status() < 300;
    for (Map.Entry<String, String> q : x.query().entrySet()) {
      JsonObject p = params.get("query:" + q.getKey());
      if (p == null) {
        problems.add(where + ": query parameter '" + q.getKey() + "' is not declared");
      } else if (success) {
        validateValue(where + " query " + q.getKey(), p.getJsonObject("schema"), q.getValue(), problems);
      }
    }
    for (Map.Entry<String, String> h : x.requestHeaders().entrySet()) {
      String name = h.getKey().toLowerCase(Locale.ROOT);
      if (!API_REQUEST_HEADERS.contains(name)) continue;
      JsonObject p = params.get("header:" + name);
      if (p == null) {
        problems.add(where + ": request header '" + h.getKey() + "' is not declared for this operation");
      } else if (success) {
        validateValue(where + " header " + name, p.getJsonObject("schema"), h.getValue(), problems);
      }
    }
    if (success) {
      for (JsonObject p : params.values()) {
        if (p.getBoolean("required", false) && "query".equals(p.getString("in"))
            && !x.query().containsKey(p.getString("name"))) {
          problems.add(where + ": required query parameter '" + p.getString("name") + "' missing, yet 2xx");
        }
      }
    }
    if (x.status() < 0) return problems; // a request shown without its answer
    JsonObject responses = op.getJsonObject("responses");
    JsonObject response = responses.getJsonObject(Integer.toString(x.status()));
    if (response == null) response = responses.getJsonObject("default");
    if (response == null) {
      problems.add(where + ": status " + x.status() + " is not declared for " + x.method() + " " + template);
      return problems;
    }
    checkResponse(where, resolve(response), x, problems);
    return problems;
  }

  private Map<String, JsonObject> parameters(String template, JsonObject op) {
    Map<String, JsonObject> out = new LinkedHashMap<>();
    JsonArray all = new JsonArray();
    doc.getJsonObject("paths").getJsonObject(template).getJsonArray("parameters", new JsonArray()).forEach(all::add);
    op.getJsonArray("parameters", new JsonArray()).forEach(all::add);
    for (int i = 0; i < all.size(); i++) {
      JsonObject p = resolve(all.getJsonObject(i));
      String name = p.getString("in").equals("header") ? p.getString("name").toLowerCase(Locale.ROOT) : p.getString("name");
      out.put(p.getString("in") + ":" + name, p);
    }
    return out;
  }

  private void checkResponse(String where, JsonObject response, Exchange x, List<String> problems) {
    JsonObject declared = response.getJsonObject("headers", new JsonObject());
    Map<String, JsonObject> byName = new LinkedHashMap<>();
    for (String n : declared.fieldNames()) byName.put(n.toLowerCase(Locale.ROOT), resolveHeader(declared.getJsonObject(n)));
    for (Map.Entry<String, String> h : x.responseHeaders().entrySet()) {
      String name = h.getKey().toLowerCase(Locale.ROOT);
      JsonObject header = byName.get(name);
      if (header == null) {
        if (API_HEADERS.contains(name)) problems.add(where + ": response header '" + name + "' is not declared");
        continue;
      }
      validateValue(where + " header " + name, header.getJsonObject("schema"), h.getValue(), problems);
    }
    JsonObject content = response.getJsonObject("content");
    String type = x.responseHeaders().get("content-type");
    if (content == null) {
      if (x.body() != null && x.body().length > 0 && type != null) {
        problems.add(where + ": a body (" + type + ") where the document declares none");
      }
      return;
    }
    if (type == null) {
      if (x.body() != null && x.body().length > 0) problems.add(where + ": a body without a content type");
      return;
    }
    JsonObject media = mediaType(content, type);
    if (media == null) {
      problems.add(where + ": content type '" + type + "' is not declared (" + content.fieldNames() + ")");
      return;
    }
    if (x.body() != null && baseType(type).equals("application/json")) {
      Object body;
      try {
        body = Json.decodeValue(new String(x.body(), StandardCharsets.UTF_8));
      } catch (RuntimeException e) {
        problems.add(where + ": the body is not JSON: " + e.getMessage());
        return;
      }
      validate(where + " body", media.getJsonObject("schema", new JsonObject()), body, "$", problems);
    }
  }

  private static String baseType(String type) {
    int semi = type.indexOf(';');
    return (semi < 0 ? type : type.substring(0, semi)).trim().toLowerCase(Locale.ROOT);
  }

  private static JsonObject mediaType(JsonObject content, String type) {
    if (content.containsKey(type)) return content.getJsonObject(type);
    for (String declared : content.fieldNames()) {
      if (baseType(declared).equals(baseType(type)) || declared.equals("*/*")) return content.getJsonObject(declared);
    }
    return null;
  }

  private JsonObject resolveHeader(JsonObject header) {
    return resolve(header);
  }

  /** Follows a local $ref. */
  public JsonObject resolve(JsonObject o) {
    while (o != null && o.containsKey("$ref")) {
      String ref = o.getString("$ref");
      if (!ref.startsWith("#/")) throw new IllegalArgumentException("only local $ref: " + ref);
      Object at = doc;
      for (String part : ref.substring(2).split("/")) at = ((JsonObject) at).getValue(part.replace("~1", "/").replace("~0", "~"));
      if (!(at instanceof JsonObject target)) throw new IllegalArgumentException("dangling $ref " + ref);
      o = target;
    }
    return o;
  }

  /** A header or parameter value: as a string, or as a number/boolean when the schema says so. */
  private void validateValue(String where, JsonObject schema, String value, List<String> problems) {
    JsonObject s = resolve(schema);
    Object v = value;
    Object type = s.getValue("type");
    if ("integer".equals(type) || "number".equals(type)) {
      try {
        v = Long.parseLong(value.trim());
      } catch (NumberFormatException e) {
        problems.add(where + ": '" + value + "' is not an integer");
        return;
      }
    } else if ("boolean".equals(type)) {
      if (!value.equals("true") && !value.equals("false")) {
        problems.add(where + ": '" + value + "' is not a boolean");
        return;
      }
      v = Boolean.parseBoolean(value);
    }
    validate(where, s, v, "$", problems);
  }

  /** JSON Schema (the subset above) validation of {@code value} at {@code at}. */
  public void validate(String where, JsonObject schemaOrRef, Object value, String at, List<String> problems) {
    JsonObject schema = resolve(schemaOrRef);
    String here = where + " " + at;
    if (value instanceof Map<?, ?> m) value = new JsonObject(castMap(m));
    if (value instanceof List<?> l) value = new JsonArray(new ArrayList<>(l));
    if (schema.containsKey("type") && !typeMatches(schema.getValue("type"), value)) {
      problems.add(here + ": " + Json.encode(value) + " is not of type " + schema.getValue("type"));
      return;
    }
    if (schema.containsKey("const") && !equal(schema.getValue("const"), value)) {
      problems.add(here + ": " + Json.encode(value) + " is not " + Json.encode(schema.getValue("const")));
    }
    if (schema.containsKey("enum")) {
      boolean any = false;
      for (Object e : schema.getJsonArray("enum")) any |= equal(e, value);
      if (!any) problems.add(here + ": " + Json.encode(value) + " is not one of " + schema.getJsonArray("enum").encode());
    }
    if (value instanceof Number n) {
      if (schema.containsKey("minimum") && n.doubleValue() < schema.getDouble("minimum")) {
        problems.add(here + ": " + n + " < minimum " + schema.getValue("minimum"));
      }
      if (schema.containsKey("maximum") && n.doubleValue() > schema.getDouble("maximum")) {
        problems.add(here + ": " + n + " > maximum " + schema.getValue("maximum"));
      }
    }
    if (value instanceof String s) {
      int length = s.codePointCount(0, s.length());
      if (schema.containsKey("minLength") && length < schema.getInteger("minLength")) problems.add(here + ": too short");
      if (schema.containsKey("maxLength") && length > schema.getInteger("maxLength")) problems.add(here + ": too long");
      if (schema.containsKey("pattern") && !Pattern.compile(schema.getString("pattern")).matcher(s).find()) {
        problems.add(here + ": '" + s + "' does not match " + schema.getString("pattern"));
      }
    }
    if (value instanceof JsonObject o) {
      for (Object r : schema.getJsonArray("required", new JsonArray())) {
        if (!o.containsKey((String) r)) problems.add(here + ": required property '" + r + "' missing");
      }
      if (schema.containsKey("minProperties") && o.size() < schema.getInteger("minProperties")) {
        problems.add(here + ": fewer than " + schema.getValue("minProperties") + " properties");
      }
      JsonObject props = schema.getJsonObject("properties", new JsonObject());
      Object additional = schema.getValue("additionalProperties");
      for (String name : o.fieldNames()) {
        if (props.containsKey(name)) {
          validate(where, props.getJsonObject(name), o.getValue(name), at + "." + name, problems);
        } else if (Boolean.FALSE.equals(additional)) {
          problems.add(here + ": property '" + name + "' is not allowed");
        } else if (additional instanceof JsonObject a) {
          validate(where, a, o.getValue(name), at + "." + name, problems);
        }
      }
    }
    if (value instanceof JsonArray a && schema.containsKey("items")) {
      for (int i = 0; i < a.size(); i++) validate(where, schema.getJsonObject("items"), a.getValue(i), at + "[" + i + "]", problems);
    }
    if (schema.containsKey("allOf")) {
      for (Object s : schema.getJsonArray("allOf")) validate(where, (JsonObject) s, value, at, problems);
    }
    if (schema.containsKey("anyOf") || schema.containsKey("oneOf")) {
      boolean one = schema.containsKey("oneOf");
      JsonArray options = schema.getJsonArray(one ? "oneOf" : "anyOf");
      int passing = 0;
      List<String> why = new ArrayList<>();
      for (Object s : options) {
        List<String> p = new ArrayList<>();
        validate(where, (JsonObject) s, value, at, p);
        if (p.isEmpty()) passing++;
        else why.addAll(p);
      }
      if (passing == 0 || (one && passing > 1)) {
        problems.add(here + ": " + passing + " of the " + (one ? "oneOf" : "anyOf") + " schemas match " + why);
      }
    }
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> castMap(Map<?, ?> m) {
    return (Map<String, Object>) m;
  }

  private static boolean typeMatches(Object type, Object value) {
    if (type instanceof JsonArray types) {
      for (Object t : types) if (typeMatches(t, value)) return true;
      return false;
    }
    switch ((String) type) {
      case "null":
        return value == null;
      case "string":
        return value instanceof String;
      case "boolean":
        return value instanceof Boolean;
      case "integer":
        return value instanceof Integer || value instanceof Long
            || (value instanceof Number n && n.doubleValue() == Math.rint(n.doubleValue()));
      case "number":
        return value instanceof Number;
      case "object":
        return value instanceof JsonObject;
      case "array":
        return value instanceof JsonArray;
      default:
        throw new IllegalArgumentException("unknown type " + type);
    }
  }

  private static boolean equal(Object a, Object b) {
    if (a instanceof Number x && b instanceof Number y) return x.doubleValue() == y.doubleValue();
    return a == null ? b == null : a.equals(b);
  }
}
