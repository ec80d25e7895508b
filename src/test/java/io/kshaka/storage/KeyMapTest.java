package io.kshaka.storage;

import static io.kshaka.storage.KeyIndexTest.body;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

class KeyMapTest {
  private static byte[] utf8(String key) {
    return key.getBytes(StandardCharsets.UTF_8);
  }

  @Test
  void findsEachKeysLatestBodyByTheKeyItBeginsWith() {
    KeyMap map = new KeyMap(0);
    byte[] a1 = body("a");
    byte[] a2 = body("a");
    assertNull(map.put(a1));
    assertSame(a1, map.put(a2), "the body it replaces");
    assertSame(a2, map.get(utf8("a")));
    assertNull(map.get(utf8("b")));
    assertNull(map.get(utf8("")));
    assertEquals(1, map.size());
    assertSame(a2, map.remove(utf8("a")));
    assertNull(map.remove(utf8("a")));
    assertNull(map.get(utf8("a")));
    assertEquals(0, map.size());
    assertArrayEquals(utf8("\u00E9t\u00E9"), KeyMap.key(body("\u00E9t\u00E9")));
  }

  @Test
  void aKeyLongerThanOneVarintByteIsFound() {
    String longKey = "x".repeat(300); // its length takes two varint bytes
    byte[] k = utf8(longKey);
    byte[] b = new byte[3 + k.length];
    b[0] = RecordCodec.PUT;
    b[1] = (byte) (0x80 | (k.length & 0x7F));
    b[2] = (byte) (k.length >>> 7);
    System.arraycopy(k, 0, b, 3, k.length);
    KeyMap map = new KeyMap(0);
    map.put(b);
    assertSame(b, map.get(k));
    assertArrayEquals(k, KeyMap.key(b));
    assertNull(map.get(utf8("x".repeat(299))));
  }

  /** Random puts and removals against a HashMap, through many growths and removed slots; the seed is printed. */
  @Test
  void behavesLikeAHashMap() {
    long seed = System.nanoTime();
    System.out.println("KeyMapTest seed " + seed);
    Random random = new Random(seed);
    KeyMap map = new KeyMap(random.nextInt(100));
    Map<String, byte[]> model = new HashMap<>();
    for (int step = 0; step < 200_000; step++) {
      String k = "k" + random.nextInt(step < 100_000 ? 20_000 : 500); // grow, then churn a few keys
      if (random.nextInt(3) > 0) {
        byte[] b = body(k);
        assertSame(model.put(k, b), map.put(b), "seed " + seed + " step " + step);
      } else {
        assertSame(model.remove(k), map.remove(utf8(k)), "seed " + seed + " step " + step);
      }
      assertEquals(model.size(), map.size(), "seed " + seed);
      String probe = "k" + random.nextInt(20_000);
      assertSame(model.get(probe), map.get(utf8(probe)), "seed " + seed + " step " + step);
    }
    for (Map.Entry<String, byte[]> e : model.entrySet()) assertSame(e.getValue(), map.get(utf8(e.getKey())));
  }

  /**
   * Readers on other threads while the one writer grows the map, replaces bodies and removes and puts back other
   * keys: a key that is never removed is always found, and every body found begins with the key asked for.
   */
  @Test
  void readersOnOtherThreadsAlwaysFindTheKeysThatStay() throws Exception {
    KeyMap map = new KeyMap(0);
    int stable = 200;
    for (int i = 0; i < stable; i++) map.put(body("stable-" + i));
    AtomicBoolean done = new AtomicBoolean();
    AtomicReference<String> problem = new AtomicReference<>();
    Thread[] readers = new Thread[2];
    for (int r = 0; r < readers.length; r++) {
      int seed = r;
      readers[r] = new Thread(() -> {
        Random random = new Random(seed);
        while (!done.get() && problem.get() == null) {
          String k = random.nextBoolean() ? "stable-" + random.nextInt(stable) : "churn-" + random.nextInt(5_000);
          byte[] b = map.get(utf8(k));
          if (b == null && k.startsWith("stable")) problem.compareAndSet(null, k + " not found");
          if (b != null && !new String(KeyMap.key(b), StandardCharsets.UTF_8).equals(k)) {
            problem.compareAndSet(null, "asked for " + k + ", found a body of another key");
          }
        }
      });
      readers[r].start();
    }
    Random random = new Random(42);
    for (int step = 0; step < 300_000 && problem.get() == null; step++) {
      String k = "churn-" + random.nextInt(step < 150_000 ? 100_000 : 5_000);
      if (random.nextInt(3) > 0) map.put(body(k));
      else map.remove(utf8(k));
      if (step % 7 == 0) map.put(body("stable-" + random.nextInt(stable))); // replaced, never removed
    }
    done.set(true);
    for (Thread t : readers) t.join(60_000);
    assertNull(problem.get());
    for (int i = 0; i < stable; i++) assertTrue(map.containsKey(utf8("stable-" + i)));
  }
}
