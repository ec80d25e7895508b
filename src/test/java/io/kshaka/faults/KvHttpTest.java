package io.kshaka.faults;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kshaka.check.Input;
import io.kshaka.check.Output;
import java.io.IOException;
import java.net.ConnectException;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpTimeoutException;
import java.util.concurrent.CompletionException;
import org.junit.jupiter.api.Test;

/** The fault tests' reading of HTTP outcomes (docs/http.md): what is a result, what is not applied, what is unknown. */
class KvHttpTest {

  @Test
  void repliesThatSayWhatHappenedAreResults() {
    assertEquals(Output.value("v", 7), ok(KvHttp.interpret(Input.get(), 200, "v", "\"7\"")));
    assertEquals(Output.value(null, 3), ok(KvHttp.interpret(Input.get(), 404, "{\"error\":\"not_found\",\"version\":3}",
        null)));
    assertEquals(Output.written(8), ok(KvHttp.interpret(Input.put("x"), 200, "{\"version\":8}", null)));
    assertEquals(Output.cas(true, 9), ok(KvHttp.interpret(Input.cas(8, "x"), 200, "{\"version\":9}", null)));
    assertEquals(Output.cas(false, 9), ok(KvHttp.interpret(Input.cas(7, "x"), 412,
        "{\"error\":\"version_mismatch\",\"version\":9}", null)));
    assertEquals(Output.refused(Output.VERSION_MISMATCH, 4), ok(KvHttp.interpret(Input.create("x"), 412,
        "{\"error\":\"version_mismatch\",\"version\":4}", null)));
    assertEquals(Output.refused(Output.VERSION_MISMATCH, 4), ok(KvHttp.interpret(Input.delete(3), 412,
        "{\"error\":\"version_mismatch\",\"version\":4}", null)));
    assertEquals(Output.written(5), ok(KvHttp.interpret(Input.delete(), 200, "{\"version\":5}", null)));
    assertEquals(Output.value("12", 6), ok(KvHttp.interpret(Input.add(2), 200, "{\"value\":\"12\",\"version\":6}",
        null)));
    assertEquals(Output.refused(Output.NOT_INTEGER, 6), ok(KvHttp.interpret(Input.add(2), 409,
        "{\"error\":\"not_integer\",\"version\":6}", null)));
  }

  @Test
  void onlyAnExplicitNotAppliedOrARefusedConnectionIsLeftOut() {
    String notApplied = "{\"error\":\"no_quorum\",\"outcome\":\"not_applied\"}";
    assertEquals(KvHttp.Kind.NOT_APPLIED, KvHttp.interpret(Input.put("x"), 503, notApplied, null).kind());
    assertEquals(KvHttp.Kind.NOT_APPLIED, KvHttp.failure(new ConnectException("refused")).kind());
    assertEquals(KvHttp.Kind.NOT_APPLIED,
        KvHttp.failure(new CompletionException(new HttpConnectTimeoutException("connect timed out"))).kind());
    assertEquals(KvHttp.Kind.NOT_APPLIED, KvHttp.interpret(Input.add(1), 409, "{\"error\":\"not_integer\"}", null)
        .kind(), "a refusal without the version it saw tells nothing");
  }

  @Test
  void timeoutsBrokenConnectionsAndUnknownOutcomesAreUnknown() {
    assertEquals(KvHttp.Kind.UNKNOWN, KvHttp.interpret(Input.put("x"), 504,
        "{\"error\":\"outcome_unknown\",\"outcome\":\"unknown\"}", null).kind());
    assertEquals(KvHttp.Kind.UNKNOWN, KvHttp.failure(new HttpTimeoutException("request timed out")).kind());
    assertEquals(KvHttp.Kind.UNKNOWN, KvHttp.failure(new CompletionException(new IOException("reset"))).kind());
  }

  @Test
  void answersOutsideTheContractAreUnknownAndFlagged() {
    assertUnexpected(KvHttp.interpret(Input.put("x"), 503, "{\"error\":\"no_quorum\"}", null));
    assertUnexpected(KvHttp.interpret(Input.put("x"), 500, "{\"error\":\"internal_error\"}", null));
    assertUnexpected(KvHttp.interpret(Input.put("x"), 400, "{\"error\":\"bad_request\"}", null));
    assertUnexpected(KvHttp.interpret(Input.get(), 200, "v", null));
    assertUnexpected(KvHttp.interpret(Input.put("x"), 412, "{\"error\":\"version_mismatch\",\"version\":1}", null));
    assertUnexpected(KvHttp.interpret(Input.put("x"), 200, "{}", null));
  }

  private static Output ok(KvHttp.Result r) {
    assertEquals(KvHttp.Kind.OK, r.kind(), r.detail());
    assertFalse(r.unexpected());
    return r.output();
  }

  private static void assertUnexpected(KvHttp.Result r) {
    assertEquals(KvHttp.Kind.UNKNOWN, r.kind());
    assertTrue(r.unexpected(), r.toString());
  }
}
