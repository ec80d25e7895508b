package io.kshaka.core;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * the architecture rule (README, "How it works"): the core imports the JDK only and does no I/O. The sources are scanned as text, so a fully qualified
 * use without an import is caught too.
 */
class CoreArchitectureTest {
  private static final Path CORE = Path.of("src", "main", "java", "io", "kshaka", "core");
  /** Packages the core must not touch: Vert.x, and the JDK's I/O (java.io, files, network). */
  private static final Pattern FORBIDDEN =
      Pattern.compile("\\b(io\\.vertx|java\\.io|java\\.nio\\.file|java\\.nio\\.channels|java\\.net)\\b");
  /** Only the JDK (and the core itself) may be imported. */
  private static final Pattern IMPORT = Pattern.compile("^\\s*import\\s+(static\\s+)?([\\w.]+)", Pattern.MULTILINE);

  private static List<Path> coreSources() throws IOException {
    assertTrue(Files.isDirectory(CORE), "core sources not found at " + CORE.toAbsolutePath());
    try (Stream<Path> files = Files.walk(CORE)) {
      List<Path> sources = files.filter(p -> p.toString().endsWith(".java")).sorted().toList();
      assertTrue(sources.size() >= 10, "expected the core sources, found " + sources);
      return sources;
    }
  }

  @Test
  void coreDoesNotUseVertxNorDoIo() throws IOException {
    List<String> offences = new ArrayList<>();
    for (Path source : coreSources()) {
      String text = stripComments(Files.readString(source, StandardCharsets.UTF_8));
      Matcher m = FORBIDDEN.matcher(text);
      while (m.find()) offences.add(source.getFileName() + ": " + m.group());
    }
    assertTrue(offences.isEmpty(), "core must not use Vert.x or do I/O: " + offences);
  }

  @Test
  void coreImportsOnlyTheJdkAndItself() throws IOException {
    List<String> offences = new ArrayList<>();
    for (Path source : coreSources()) {
      Matcher m = IMPORT.matcher(Files.readString(source, StandardCharsets.UTF_8));
      while (m.find()) {
        String name = m.group(2);
        if (!(name.startsWith("java.") || name.startsWith("io.kshaka.core."))) {
          offences.add(source.getFileName() + ": import " + name);
        }
      }
    }
    assertTrue(offences.isEmpty(), "core may import the JDK only: " + offences);
  }

  @Test
  void forbiddenPatternCatchesWhatItShould() {
    for (String bad : List.of("import io.vertx.core.Future;", "java.io.File f;", "import java.nio.file.Files;",
        "new java.net.Socket()", "import java.nio.channels.FileChannel;")) {
      assertTrue(FORBIDDEN.matcher(bad).find(), bad);
    }
    for (String ok : List.of("import java.nio.charset.StandardCharsets;", "import java.util.Set;",
        "io.kshaka.core.Ballot")) {
      assertTrue(!FORBIDDEN.matcher(ok).find(), ok);
    }
  }

  private static String stripComments(String java) {
    return java.replaceAll("(?s)/\\*.*?\\*/", " ").replaceAll("//[^\\n]*", " ");
  }
}
