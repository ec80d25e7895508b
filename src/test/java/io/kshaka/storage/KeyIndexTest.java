package io.kshaka.storage;

import static io.kshaka.storage.AcceptorStore.KEY_ORDER;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.NavigableSet;
import java.util.Random;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

class KeyIndexTest {
  /** A body as the key map reads it: a PUT type byte, the key length and the key (what follows is not read). */
  static byte[] body(String key) {
    byte[] k = key.getBytes(StandardCharsets.UTF_8);
    byte[] b = new byte[2 + k.length + 3];
    b[0] = RecordCodec.PUT;
    b[1] = (byte) k.length; // keys under 128 bytes here
    System.arraycopy(k, 0, b, 2, k.length);
    return b;
  }

  private static byte[] utf8(String key) {
    return key.getBytes(StandardCharsets.UTF_8);
  }

  /** Puts {@code key} into the map and tells the index, as the store does. */
  private static void put(KeyMap map, KeyIndex index, String key) {
    if (map.put(body(key)) == null) index.added(key, utf8(key));
  }

  private static boolean remove(KeyMap map, KeyIndex index, String key) {
    if (map.remove(utf8(key)) == null) return false;
    index.removed(key);
    return true;
  }

  private static byte[][] sorted(NavigableSet<String> keys) {
    return keys.stream().map(KeyIndexTest::utf8).toArray(byte[][]::new);
  }

  private static List<String> drain(Iterator<String> it) {
    List<String> out = new ArrayList<>();
    it.forEachRemaining(out::add);
    return out;
  }

  @Test
  void listsRecoveredAndAddedKeysInOrderSkippingRemovedOnesAndFindingThemAgainWhenPutBack() {
    KeyMap map = new KeyMap(0);
    for (String k : List.of("b", "d", "f")) map.put(body(k));
    KeyIndex index = new KeyIndex(new byte[][] {utf8("b"), utf8("d"), utf8("f")}, map);
    for (String k : List.of("a", "e", "g")) put(map, index, k);
    assertEquals(List.of("a", "b", "d", "e", "f", "g"), drain(index.iterator()));

    remove(map, index, "d");
    remove(map, index, "e");
    assertEquals(List.of("a", "b", "f", "g"), drain(index.iterator()));

    put(map, index, "d"); // a recovered key put back: listed once, from the array
    assertEquals(List.of("a", "b", "d", "f", "g"), drain(index.iterator()));

    assertEquals(List.of("d", "f", "g"), drain(index.tail("d", true)));
    assertEquals(List.of("f", "g"), drain(index.tail("d", false)));
    assertEquals(List.of("f", "g"), drain(index.tail("e", true)));
    assertEquals(List.of("b", "d", "f", "g"), drain(index.tail("a", false)));
    assertEquals(List.of(), drain(index.tail("g", false)));
  }

  /** Random adds, removals and tails against a sorted set; the seed is printed so a failure can be replayed. */
  @Test
  void behavesLikeASortedSetOfThePresentKeys() {
    long seed = System.nanoTime();
    System.out.println("KeyIndexTest seed " + seed);
    Random random = new Random(seed);
    for (int round = 0; round < 50; round++) {
      KeyMap map = new KeyMap(0);
      NavigableSet<String> model = new TreeSet<>(KEY_ORDER);
      for (int i = 0; i < 40; i++) {
        String k = key(random);
        map.put(body(k));
        model.add(k);
      }
      KeyIndex index = new KeyIndex(sorted(model), map);
      for (int step = 0; step < 200; step++) {
        String k = key(random);
        if (random.nextBoolean()) {
          put(map, index, k);
          model.add(k);
        } else if (remove(map, index, k)) {
          model.remove(k);
        }
        String from = random.nextInt(5) == 0 ? null : key(random);
        boolean inclusive = random.nextBoolean();
        List<String> expected = new ArrayList<>(from == null ? model : model.tailSet(from, inclusive));
        assertEquals(expected, drain(index.tail(from, inclusive)), "seed " + seed + ", round " + round);
      }
      assertEquals(new ArrayList<>(model), drain(index.iterator()), "seed " + seed);
      assertEquals(model.stream().filter(s -> s.startsWith("ka")).toList(),
          FileAcceptorStore.page(index::tail, null, "ka", 1000), "seed " + seed);
      List<String> walked = new ArrayList<>(); // pages of 7, each after the last key of the one before
      for (List<String> page = FileAcceptorStore.page(index::tail, null, 7); !page.isEmpty();
           page = FileAcceptorStore.page(index::tail, page.get(page.size() - 1), 7)) {
        walked.addAll(page);
      }
      assertEquals(new ArrayList<>(model), walked, "seed " + seed);
    }
  }

  /** Keys of one to three code points, ASCII and beyond (UTF-8 byte order must be the key order). */
  private static String key(Random random) {
    String[] parts = {"k", "a", "\u00E9", "\uFFFD", "\uD83D\uDE00", "z", "0"};
    StringBuilder b = new StringBuilder("k");
    for (int i = random.nextInt(3); i >= 0; i--) b.append(parts[random.nextInt(parts.length)]);
    return b.append(random.nextInt(10)).toString();
  }
}
