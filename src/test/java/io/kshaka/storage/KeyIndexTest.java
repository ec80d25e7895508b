package io.kshaka.storage;

import static io.kshaka.storage.AcceptorStore.KEY_ORDER;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.NavigableSet;
import java.util.Random;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.Test;

class KeyIndexTest {
  private static List<String> drain(Iterator<String> it) {
    List<String> out = new ArrayList<>();
    it.forEachRemaining(out::add);
    return out;
  }

  @Test
  void listsRecoveredAndAddedKeysInOrderSkippingRemovedOnesAndFindingThemAgainWhenPutBack() {
    Map<String, Boolean> map = new ConcurrentHashMap<>();
    for (String k : List.of("b", "d", "f")) map.put(k, true);
    KeyIndex index = new KeyIndex(new String[] {"b", "d", "f"}, map);
    for (String k : List.of("a", "e", "g")) {
      map.put(k, true);
      index.added(k);
    }
    assertEquals(List.of("a", "b", "d", "e", "f", "g"), drain(index.iterator()));

    map.remove("d");
    index.removed("d");
    map.remove("e");
    index.removed("e");
    assertEquals(List.of("a", "b", "f", "g"), drain(index.iterator()));

    map.put("d", true); // a recovered key put back: listed once, from the array
    index.added("d");
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
      Map<String, Boolean> map = new ConcurrentHashMap<>();
      NavigableSet<String> model = new TreeSet<>(KEY_ORDER);
      for (int i = 0; i < 40; i++) {
        String k = key(random);
        map.put(k, true);
        model.add(k);
      }
      KeyIndex index = new KeyIndex(model.toArray(new String[0]), map);
      for (int step = 0; step < 200; step++) {
        String k = key(random);
        if (random.nextBoolean()) {
          if (map.put(k, true) == null) index.added(k);
          model.add(k);
        } else if (map.remove(k) != null) {
          index.removed(k);
          model.remove(k);
        }
        String from = random.nextInt(5) == 0 ? null : key(random);
        boolean inclusive = random.nextBoolean();
        List<String> expected = new ArrayList<>(from == null ? model : model.tailSet(from, inclusive));
        assertEquals(expected, drain(index.tail(from, inclusive)), "seed " + seed + ", round " + round);
      }
      assertEquals(new ArrayList<>(model), drain(index.iterator()), "seed " + seed);
      assertEquals(model.stream().filter(s -> s.startsWith("k3")).toList(),
          FileAcceptorStore.page(index::tail, null, "k3", 1000), "seed " + seed);
      List<String> walked = new ArrayList<>(); // pages of 7, each after the last key of the one before
      for (List<String> page = FileAcceptorStore.page(index::tail, null, 7); !page.isEmpty();
           page = FileAcceptorStore.page(index::tail, page.get(page.size() - 1), 7)) {
        walked.addAll(page);
      }
      assertEquals(new ArrayList<>(model), walked, "seed " + seed);
    }
  }

  private static String key(Random random) {
    return "k" + random.nextInt(100);
  }
}
