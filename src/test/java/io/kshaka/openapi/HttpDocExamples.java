package io.kshaka.openapi;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The request and answer examples of docs/http.md: every {@code $ curl ...} line of a fenced block with the lines
 * that follow it (status line, headers, body), and every bare JSON error line of a block without curl.
 */
final class HttpDocExamples {
  /** One example: where it is, the exchange, whether the answer shows a status line, and bare error bodies. */
  record Example(int line, String text, OpenApi.Exchange exchange, boolean hasStatus) {}

  private static final Pattern STATUS = Pattern.compile("^HTTP/1\\.[01] (\\d{3})\\b.*");
  private static final Pattern HEADER = Pattern.compile("^([A-Za-z][A-Za-z0-9-]*): ?(.*)$");

  private HttpDocExamples() {}

  static List<Example> parse(String markdown) {
    List<Example> out = new ArrayList<>();
    String[] lines = markdown.split("\n", -1);
    boolean inBlock = false;
    List<Integer> blockLines = new ArrayList<>();
    for (int i = 0; i < lines.length; i++) {
      if (lines[i].startsWith("```")) {
        if (inBlock) {
          block(lines, blockLines, out);
          blockLines.clear();
        }
        inBlock = !inBlock;
        continue;
      }
      if (inBlock) blockLines.add(i);
    }
    return out;
  }

  private static void block(String[] lines, List<Integer> idx, List<Example> out) {
    boolean anyCurl = idx.stream().anyMatch(i -> isCommand(lines[i]) && lines[i].contains("curl "));
    if (!anyCurl) {
      for (int i : idx) { // a bare error body line: {"error":...}
        String l = lines[i].strip();
        if (l.startsWith("{\"error\"")) {
          out.add(new Example(i + 1, l, null, false));
        }
      }
      return;
    }
    for (int k = 0; k < idx.size(); k++) {
      String line = lines[idx.get(k)];
      if (!isCommand(line) || !line.contains("curl ")) continue;
      List<String> answer = new ArrayList<>();
      int j = k + 1;
      while (j < idx.size() && !isCommand(lines[idx.get(j)])) answer.add(lines[idx.get(j++)]);
      out.add(example(idx.get(k) + 1, line, answer));
    }
  }

  private static boolean isCommand(String line) {
    return line.startsWith("$ ");
  }

  private static Example example(int lineNo, String command, List<String> answer) {
    List<String> words = words(command.substring(command.indexOf("curl ")));
    String method = null;
    String url = null;
    boolean data = false;
    Map<String, String> headers = new LinkedHashMap<>();
    for (int i = 1; i < words.size(); i++) {
      String w = words.get(i);
      if (w.equals("|") || w.equals("#")) break;
      if (w.equals("-X") || w.equals("--request")) {
        method = words.get(++i);
      } else if (w.startsWith("-X") && w.length() > 2) {
        method = w.substring(2);
      } else if (w.equals("-H") || w.equals("--header")) {
        String h = words.get(++i);
        int colon = h.indexOf(':');
        headers.put(h.substring(0, colon).trim().toLowerCase(Locale.ROOT), h.substring(colon + 1).trim());
      } else if (w.equals("-d") || w.equals("--data") || w.equals("--data-binary")) {
        data = true;
        i++;
      } else if (w.startsWith("http://") || w.startsWith("https://")) {
        url = w;
      }
    }
    if (url == null) throw new IllegalArgumentException("line " + lineNo + ": no URL in " + command);
    if (method == null) method = data ? "POST" : "GET";
    String target = url.replaceFirst("^https?://[^/]+", "");
    // the answer: optional status line, headers, then the body
    int status = 200;
    boolean hasStatus = false;
    Map<String, String> responseHeaders = new LinkedHashMap<>();
    StringBuilder body = new StringBuilder();
    int a = 0;
    while (a < answer.size() && answer.get(a).isBlank()) a++;
    if (a < answer.size()) {
      Matcher m = STATUS.matcher(answer.get(a));
      if (m.matches()) {
        status = Integer.parseInt(m.group(1));
        hasStatus = true;
        a++;
        while (a < answer.size()) {
          Matcher h = HEADER.matcher(answer.get(a));
          if (!h.matches()) break;
          responseHeaders.put(h.group(1).toLowerCase(Locale.ROOT), h.group(2).trim());
          a++;
        }
      }
    }
    for (; a < answer.size(); a++) body.append(answer.get(a)).append('\n');
    if (answer.stream().allMatch(String::isBlank)) status = -1; // no answer shown: the request alone is checked
    String b = body.toString().strip();
    byte[] bytes = b.isEmpty() ? null : b.getBytes(StandardCharsets.UTF_8);
    return new Example(lineNo, command, new OpenApi.Exchange(method, target, headers, status, responseHeaders, bytes),
        hasStatus);
  }

  /** Shell words: single and double quotes, backslash escapes inside double quotes; '|' and '#' end a command. */
  static List<String> words(String s) {
    List<String> out = new ArrayList<>();
    StringBuilder w = new StringBuilder();
    boolean in = false;
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '\'') {
        int end = s.indexOf('\'', i + 1);
        w.append(s, i + 1, end);
        i = end;
        in = true;
      } else if (c == '"') {
        i++;
        while (s.charAt(i) != '"') {
          if (s.charAt(i) == '\\') i++;
          w.append(s.charAt(i++));
        }
        in = true;
      } else if (Character.isWhitespace(c)) {
        if (in) out.add(w.toString());
        w.setLength(0);
        in = false;
      } else if ((c == '|' || c == '#') && !in) {
        out.add(String.valueOf(c));
        break;
      } else {
        w.append(c);
        in = true;
      }
    }
    if (in) out.add(w.toString());
    return out;
  }
}
