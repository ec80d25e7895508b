package io.kshaka.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.EnumMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Option parsing: the mix, usage errors (exit code 2 with a message), endpoints. No server needed. */
class BenchOptionsTest {
  private final StringWriter out = new StringWriter();
  private final StringWriter err = new StringWriter();

  @Test
  void mixParsesPercentagesInAnyOrder() {
    Mix mix = Mix.parse(" put = 70 , get=10,cas=15,add=5 ");
    assertEquals(10, mix.percent(OpKind.GET));
    assertEquals(70, mix.percent(OpKind.PUT));
    assertEquals(15, mix.percent(OpKind.CAS));
    assertEquals(5, mix.percent(OpKind.ADD));
    assertEquals("get=10,put=70,cas=15,add=5", mix.toString());
    assertEquals(mix, Mix.parse("get=10,put=70,cas=15,add=5"));
    assertEquals("put=100", Mix.parse("PUT=100,get=0").toString());
  }

  @Test
  void mixPickGivesEachOpItsShareOfRolls() {
    Mix mix = Mix.parse("get=10,put=70,cas=15,add=5");
    Map<OpKind, Integer> counts = new EnumMap<>(OpKind.class);
    for (int roll = 0; roll < 100; roll++) counts.merge(mix.pick(roll), 1, Integer::sum);
    assertEquals(Map.of(OpKind.GET, 10, OpKind.PUT, 70, OpKind.CAS, 15, OpKind.ADD, 5), counts);
    assertEquals(OpKind.GET, mix.pick(0));
    assertEquals(OpKind.PUT, mix.pick(10));
    assertEquals(OpKind.ADD, mix.pick(99));
    assertThrows(IllegalArgumentException.class, () -> mix.pick(100));
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "put=50              | add up to 100",
      "put=60,get=60       | add up to 100",
      "foo=100             | unknown op 'foo'",
      "put=50,put=50       | given twice",
      "put=abc             | whole number from 0 to 100",
      "put=-5,get=105      | whole number from 0 to 100",
      "put=99.5,get=0.5    | whole number from 0 to 100",
      "put                 | not op=percent",
      "put=100,            | not op=percent",
      "'  '                | empty mix"})
  void badMixIsRejectedWithAMessage(String text, String message) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Mix.parse(text));
    assertTrue(e.getMessage().contains(message), e.getMessage());
  }

  @Test
  void badMixOnTheCommandLineExitsWithTwo() {
    int code = bench("--mix", "put=50,get=40", "--endpoints", "http://127.0.0.1:1");
    assertEquals(2, code);
    assertTrue(err.toString().contains("--mix"), err.toString());
    assertTrue(err.toString().contains("percentages must add up to 100, got 90"), err.toString());
    assertEquals("", out.toString(), "nothing ran");
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "--clients 0                              | --clients must be 1..10000",
      "--duration 0                             | --duration must be > 0",
      "--warmup -1                              | --warmup must be >= 0",
      "--timeout 0                              | --timeout must be > 0",
      "--max-ops -1                             | --max-ops must be >= 0",
      "--keys 0                                 | --keys must be >= 1",
      "--hot-key --keys 5                       | --hot-key means one key",
      "--endpoints ftp://127.0.0.1:1            | must start with http://",
      "--endpoints http://127.0.0.1:1/v1        | without a path",
      "--members 127.0.0.1                      | only applies with --event-bus",
      "--event-bus --members 127.0.0.1          | must be host:port",
      "--event-bus --endpoints http://a:1       | with --event-bus give --members",
      "--namespace blue                         | only applies with --event-bus",
      "--event-bus --namespace a.b              | --namespace must be 1 to 64 characters",
      "--suite --clients 4                      | does not apply with --suite",
      "--suite --suite-ops put,frob             | unknown op 'frob'",
      "--suite-clients 1,2                      | only applies with --suite",
      "--clients many                           | Invalid value for option '--clients'",
      "--no-such-option                         | Unknown option"})
  void badOptionsExitWithTwoAndSayWhy(String args, String message) {
    int code = bench(args.trim().split("\\s+"));
    assertEquals(2, code, () -> "stderr: " + err);
    assertTrue(err.toString().contains(message), err.toString());
  }

  @Test
  void helpExitsWithZeroAndListsTheOptions() {
    int code = bench("--help");
    assertEquals(0, code);
    String help = out.toString();
    for (String option : new String[] {"--endpoints", "--event-bus", "--members", "--cluster-name", "--namespace", "--clients",
        "--keys", "--hot-key", "--mix", "--value-size", "--duration", "--warmup", "--timeout", "--max-ops", "--json",
        "--seed", "--suite"}) {
      assertTrue(help.contains(option), option + " in help:\n" + help);
    }
  }

  @Test
  void endpointsParse() {
    assertEquals(new Endpoint("127.0.0.1", 8081), Endpoint.parse("http://127.0.0.1:8081"));
    assertEquals(new Endpoint("localhost", 80), Endpoint.parse(" http://localhost/ "));
    assertEquals(new Endpoint("10.0.0.5", 5701), Endpoint.parseMember("10.0.0.5:5701"));
  }

  @Test
  void keysArePercentEncodedExceptUnreservedAndSlash() {
    assertEquals("bench-12", HttpTarget.encodePath("bench-12"));
    assertEquals("a/b%20c%25%C3%A9", HttpTarget.encodePath("a/b c%\u00e9"));
  }

  @Test
  void etagsParseToVersions() {
    assertEquals(12, HttpTarget.parseEtag("\"12\""));
    assertEquals(7, HttpTarget.parseEtag("W/\"7\""));
    assertEquals(-1, HttpTarget.parseEtag("\"abc\""));
  }

  @ParameterizedTest
  @CsvSource({"0, 1000", "0.3, 300", "1, 1000", "2, 1000", "2.5, 500", "3, 1000"})
  void progressTicksNeverStraddleTheEndOfWarmup(double warmupSeconds, long firstTickMs) {
    Timeline t = new Timeline(1_000_000_000L, warmupSeconds, 10);
    long first = BenchRun.firstTick(t);
    assertEquals(firstTickMs, (first - t.start) / 1_000_000, "first tick after the start");
    assertEquals(0, Math.floorMod(t.measureStart - first, 1_000_000_000L), "the end of warm-up is a tick");
  }

  private int bench(String... args) {
    return BenchCommand.run(new PrintWriter(out, true), new PrintWriter(err, true), args);
  }
}
