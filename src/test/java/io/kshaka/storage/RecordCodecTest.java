package io.kshaka.storage;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kshaka.core.AcceptorState;
import io.kshaka.core.Ballot;
import io.kshaka.core.RegisterState;
import io.kshaka.core.RequestId;
import io.kshaka.core.RequestLog;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.Test;

class RecordCodecTest {
  private final CRC32C crc = new CRC32C();

  private record Decoded(String key, int keyBytes, AcceptorState state) {}

  private List<Decoded> decodeAll(ByteSink sink) {
    List<Decoded> out = new ArrayList<>();
    byte[] a = sink.array();
    int p = 0;
    while (p < sink.size()) {
      int len = ByteSink.getInt(a, p);
      assertEquals(ByteSink.getInt(a, p + 4), RecordCodec.crc(crc, a, p, 4), "header crc");
      assertEquals(ByteSink.getInt(a, p + 8), RecordCodec.crc(crc, a, p + 12, len), "body crc");
      RecordCodec.decode(a, p + 12, len, (k, kb, s) -> out.add(new Decoded(k, kb, s)));
      p += 12 + len;
    }
    return out;
  }

  /** States that exercise every field of a PUT record (extremes, absent and empty values, request logs). */
  private static final List<AcceptorState> STATES = List.of(
      AcceptorState.INITIAL,
      new AcceptorState(new Ballot(7, 3), Ballot.ZERO, RegisterState.EMPTY),
      new AcceptorState(new Ballot(9, 2), new Ballot(9, 2), RegisterState.of("hello", 4)),
      new AcceptorState(new Ballot(Long.MAX_VALUE, Integer.MAX_VALUE), new Ballot(Long.MAX_VALUE, Integer.MIN_VALUE),
          new RegisterState(new byte[] {0, -1, 127, -128}, Long.MAX_VALUE)),
      new AcceptorState(new Ballot(5, -1), new Ballot(4, 1), new RegisterState(null, 12)),
      new AcceptorState(new Ballot(5, 1), new Ballot(4, 1), new RegisterState(new byte[0], 1)),
      new AcceptorState(new Ballot(8, 1), new Ballot(8, 1), new RegisterState("7".getBytes(StandardCharsets.UTF_8), 9,
          RequestLog.EMPTY.with(new RequestId(-5, 0), 8, Long.MIN_VALUE, 4)
              .with(new RequestId(Long.MAX_VALUE, 1_764_547_200_000L), 9, 7, 4))),
      new AcceptorState(new Ballot(8, 1), new Ballot(8, 1), new RegisterState(null, 3,
          RequestLog.EMPTY.with(new RequestId(1, 10), 1, 0, 1).with(new RequestId(2, 20), 2, 0, 1)
              .with(new RequestId(3, 5), 3, -1, 1))));

  @Test
  void putRecordRoundTripsEveryField() {
    List<AcceptorState> states = STATES;
    String[] keys = {"", "a", "clé/ünïcödé/🔑", "x".repeat(512), "k", "empty-value", "with-ids", "forgot-some"};
    ByteSink sink = new ByteSink(16);
    for (int i = 0; i < states.size(); i++) {
      byte[] k = keys[i].getBytes(StandardCharsets.UTF_8);
      int before = sink.size();
      int size = RecordCodec.appendPut(sink, k, states.get(i), crc);
      assertEquals(sink.size() - before, size);
      assertEquals(RecordCodec.putSize(k.length, states.get(i)), size, "putSize of record " + i);
    }
    List<Decoded> decoded = decodeAll(sink);
    assertEquals(states.size(), decoded.size());
    for (int i = 0; i < states.size(); i++) {
      assertEquals(keys[i], decoded.get(i).key());
      assertEquals(states.get(i), decoded.get(i).state());
    }
    assertNull(decoded.get(4).state().state().value(), "absent stays absent");
    assertEquals(0, decoded.get(5).state().state().value().length, "an empty value is not absent");
  }

  @Test
  void expiringValueRoundTripsAndOldRecordsHaveNoExpiry() {
    List<AcceptorState> states = List.of(
        new AcceptorState(new Ballot(3, 1), new Ballot(3, 1), new RegisterState("lease".getBytes(StandardCharsets.UTF_8),
            2, RequestLog.EMPTY, 1_764_547_200_000L)),
        new AcceptorState(new Ballot(4, 2), new Ballot(4, 2), new RegisterState(new byte[0], 5,
            RequestLog.EMPTY.with(new RequestId(7, 70), 5, 0, 4), Long.MAX_VALUE)),
        new AcceptorState(new Ballot(5, 2), new Ballot(5, 2), RegisterState.of("plain", 1)));
    ByteSink sink = new ByteSink(16);
    for (AcceptorState st : states) {
      int size = RecordCodec.appendPut(sink, "k".getBytes(StandardCharsets.UTF_8), st, crc);
      assertEquals(RecordCodec.putSize(1, st), size);
    }
    List<Decoded> decoded = decodeAll(sink);
    for (int i = 0; i < states.size(); i++) assertEquals(states.get(i), decoded.get(i).state());
    assertEquals(1_764_547_200_000L, decoded.get(0).state().state().expiresAt());
    assertEquals(RegisterState.NO_EXPIRY, decoded.get(2).state().state().expiresAt(), "a PUT record has no expiry");
  }

  /** What the store keeps per key: a PUT body, read back with decodeState and tombstone, rewritten by appendBody. */
  @Test
  void aPutBodyAloneGivesItsStateItsTombstoneFlagAndTheSameRecord() {
    List<AcceptorState> states = new ArrayList<>(STATES);
    states.add(new AcceptorState(new Ballot(Long.MAX_VALUE, 2), new Ballot(3, 2), new RegisterState(null,
        Long.MAX_VALUE, RequestLog.EMPTY.with(new RequestId(-5, 0), 8, Long.MIN_VALUE, 4))));
    states.add(new AcceptorState(new Ballot(4, 2), new Ballot(4, 2), new RegisterState(new byte[300], 5,
        RequestLog.EMPTY.with(new RequestId(7, 70), 5, 0, 4), Long.MAX_VALUE)));
    for (int i = 0; i < states.size(); i++) {
      AcceptorState st = states.get(i);
      byte[] key = ("clé-" + i).getBytes(StandardCharsets.UTF_8);
      ByteSink sink = new ByteSink(16);
      int size = RecordCodec.appendPut(sink, key, st, crc);
      byte[] body = Arrays.copyOfRange(sink.array(), RecordCodec.HEADER_BYTES, size);
      assertEquals(st, RecordCodec.decodeState(body), "state " + i);
      assertEquals(FileAcceptorStore.tombstone(st), RecordCodec.tombstone(body), "tombstone flag of state " + i);
      ByteSink again = new ByteSink(16);
      assertEquals(size, RecordCodec.appendBody(again, body, crc));
      assertArrayEquals(Arrays.copyOf(sink.array(), size), Arrays.copyOf(again.array(), again.size()), "record " + i);
    }
    assertTrue(RecordCodec.tombstone(bodyOf(new RegisterState(null, 1))));
    assertFalse(RecordCodec.tombstone(bodyOf(new RegisterState(null, 0))));
    assertFalse(RecordCodec.tombstone(bodyOf(new RegisterState(new byte[0], 1))));
    ByteSink sink = new ByteSink(16);
    int size = RecordCodec.appendRemove(sink, "k".getBytes(StandardCharsets.UTF_8), new Ballot(1, 1), crc);
    byte[] remove = Arrays.copyOfRange(sink.array(), RecordCodec.HEADER_BYTES, size);
    assertThrows(RecordCodec.MalformedRecordException.class, () -> RecordCodec.decodeState(remove),
        "a REMOVE body is not a state");
  }

  private byte[] bodyOf(RegisterState rs) {
    ByteSink sink = new ByteSink(16);
    int size = RecordCodec.appendPut(sink, "k".getBytes(StandardCharsets.UTF_8),
        new AcceptorState(new Ballot(2, 1), new Ballot(2, 1), rs), crc);
    return Arrays.copyOfRange(sink.array(), RecordCodec.HEADER_BYTES, size);
  }

  @Test
  void recordIsCompact() {
    byte[] key = "key-0000001".getBytes(StandardCharsets.UTF_8);
    AcceptorState s = new AcceptorState(new Ballot(123456, 2), new Ballot(123456, 2),
        new RegisterState(new byte[100], 42));
    // 12 header + 1 type + 1+11 key + 2*(3+1) ballots + 1 version + 1+100 value
    assertEquals(12 + 1 + 12 + 8 + 1 + 101, RecordCodec.putSize(key.length, s));
  }

  @Test
  void unknownRecordTypeIsMalformed() {
    byte[] body = {9, 1, 2};
    assertThrows(RecordCodec.MalformedRecordException.class, () -> RecordCodec.decode(body, 0, body.length, (k, kb, s) -> {}));
  }

  @Test
  void bodyWithTrailingBytesIsMalformed() {
    ByteSink sink = new ByteSink(16);
    RecordCodec.appendPut(sink, "k".getBytes(StandardCharsets.UTF_8), AcceptorState.INITIAL, crc);
    byte[] body = new byte[sink.size() - 12 + 1];
    System.arraycopy(sink.array(), 12, body, 0, body.length - 1);
    assertThrows(RecordCodec.MalformedRecordException.class, () -> RecordCodec.decode(body, 0, body.length, (k, kb, s) -> {}));
  }

  @Test
  void lengthHasItsOwnChecksum() {
    ByteSink sink = new ByteSink(16);
    RecordCodec.appendPut(sink, "k".getBytes(StandardCharsets.UTF_8), AcceptorState.INITIAL, crc);
    byte[] a = sink.array();
    int stored = ByteSink.getInt(a, 4);
    a[0] ^= 0x10;
    assertNotEquals(stored, RecordCodec.crc(crc, a, 0, 4));
  }

  @Test
  void removeRecordRoundTripsKeyAndBallotAndIsRefusedWhereOnlyPutsBelong() {
    ByteSink sink = new ByteSink(16);
    byte[] key = "clé/🔑".getBytes(StandardCharsets.UTF_8);
    Ballot bt = new Ballot(Long.MAX_VALUE, -7);
    int size = RecordCodec.appendRemove(sink, key, bt, crc);
    assertEquals(sink.size(), size);
    assertEquals(RecordCodec.removeSize(key.length, bt), size);
    List<String> removed = new ArrayList<>();
    RecordCodec.Visitor visitor = new RecordCodec.Visitor() {
      @Override
      public void put(String k, int keyBytes, AcceptorState s) {
        throw new AssertionError("not a put");
      }

      @Override
      public void remove(String k, int keyBytes, Ballot b) {
        assertEquals(key.length, keyBytes);
        assertEquals(bt, b);
        removed.add(k);
      }
    };
    byte[] a = sink.array();
    RecordCodec.decode(a, 12, size - 12, visitor);
    assertEquals(List.of("clé/🔑"), removed);
    // a visitor that does not expect removals (a snapshot's) rejects the record as malformed
    assertThrows(RecordCodec.MalformedRecordException.class, () -> RecordCodec.decode(a, 12, size - 12, (k, kb, s) -> {}));
  }

  /**
   * A store's recovery only checks each PUT body (its visitor keeps the encoding): it must refuse exactly the bodies
   * a full decode refuses. Every valid body is mutated byte by byte (and cut short, and extended), and both ways
   * must agree on each; the mutations reach the checks the constructors make (ballot order, request log entries).
   */
  @Test
  void checkingABodyRefusesExactlyWhatDecodingItRefuses() {
    List<AcceptorState> states = new ArrayList<>(STATES);
    states.add(new AcceptorState(new Ballot(4, 2), new Ballot(4, 2), new RegisterState(new byte[3], 5,
        RequestLog.EMPTY.with(new RequestId(7, 70), 5, 0, 4), Long.MAX_VALUE)));
    List<String> refusals = new ArrayList<>();
    int agreed = 0;
    for (int n = 0; n < states.size(); n++) {
      byte[] body = bodyOf("k" + n, states.get(n));
      List<byte[]> variants = new ArrayList<>();
      for (int i = 0; i < body.length; i++) {
        for (int v : new int[] {0x00, 0x01, 0x02, 0x7F, 0x80, 0xFF, (body[i] ^ 0x01) & 0xFF, (body[i] ^ 0x40) & 0xFF}) {
          byte[] m = body.clone();
          m[i] = (byte) v;
          variants.add(m);
        }
      }
      for (int cut = 1; cut <= Math.min(4, body.length); cut++) variants.add(Arrays.copyOf(body, body.length - cut));
      variants.add(Arrays.copyOf(body, body.length + 1));
      for (byte[] m : variants) {
        String built = outcome(m, false);
        String checked = outcome(m, true);
        assertEquals(built, checked, "state " + n + ", body " + Arrays.toString(m));
        if (built.startsWith("refused")) refusals.add(built);
        agreed++;
      }
    }
    assertTrue(agreed > 1000, agreed + " bodies");
    assertTrue(refusals.stream().anyMatch(r -> r.contains("above promised")), "no mutation broke the ballot order");
    assertTrue(refusals.stream().anyMatch(r -> r.contains("invalid request log")), "no mutation broke a request log");
    assertTrue(refusals.stream().anyMatch(r -> r.contains("expiry")), "no mutation broke an expiry");
  }

  private static byte[] bodyOf(String key, AcceptorState st) {
    ByteSink sink = new ByteSink(16);
    int size = RecordCodec.appendPut(sink, key.getBytes(StandardCharsets.UTF_8), st, new CRC32C());
    return Arrays.copyOfRange(sink.array(), RecordCodec.HEADER_BYTES, size);
  }

  /** "refused: <kind>" or "key <k>" (and whether a state was built), decoding fully or only checking. */
  private static String outcome(byte[] body, boolean checkOnly) {
    String[] seen = new String[1];
    RecordCodec.Visitor visitor = new RecordCodec.Visitor() {
      @Override
      public void put(String key, int keyBytes, AcceptorState state) {
        throw new AssertionError("the body form is called");
      }

      @Override
      public void put(String key, int keyBytes, AcceptorState state, byte[] a, int off, int len) {
        assertEquals(checkOnly, state == null, "a state is built unless only checked");
        assertEquals(checkOnly, key == null, "a key is decoded unless only checked");
        String k = key != null ? key
            : new String(KeyMap.key(java.util.Arrays.copyOfRange(a, off, off + len)), StandardCharsets.UTF_8);
        seen[0] = "key " + k + " of " + keyBytes + " bytes, body " + off + "+" + len;
      }

      @Override
      public boolean keepsEncoding() {
        return checkOnly;
      }
    };
    try {
      RecordCodec.decode(body, 0, body.length, visitor);
      return seen[0];
    } catch (RecordCodec.MalformedRecordException e) {
      String m = e.getMessage();
      return "refused: " + (m.contains("above promised") ? "above promised" : m.contains("invalid request log")
          ? "invalid request log" : m.replaceAll("[0-9-]+", "N"));
    }
  }
}
