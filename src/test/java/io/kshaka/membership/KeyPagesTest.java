package io.kshaka.membership;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

class KeyPagesTest {
  @Test
  void mergedPageEndsAtTheSmallestLastKeyOfAFullPage() {
    KeyPages.Merged m = KeyPages.merge(List.of(
        new KeyPages.Page(1, List.of("a", "c", "e"), true, 10),
        new KeyPages.Page(2, List.of("b", "d"), false, 2),
        new KeyPages.Page(3, List.of("a", "b", "f"), true, 7)));
    assertEquals(List.of("a", "b", "c", "d", "e"), m.keys(), "f waits: node 1 may hold keys between e and f");
    assertEquals("e", m.cursor());
    assertFalse(m.finished());
    assertEquals(10, m.total());
  }

  @Test
  void noFullPageFinishesTheRescan() {
    KeyPages.Merged m = KeyPages.merge(List.of(new KeyPages.Page(1, List.of("x"), false, 1),
        new KeyPages.Page(2, List.of(), false, 0)));
    assertEquals(List.of("x"), m.keys());
    assertTrue(m.finished());
    assertNull(m.cursor());
  }

  @Test
  void pagingWithUnevenAcceptorsNeverSkipsAKey() {
    long seed = System.nanoTime();
    System.out.println("KeyPagesTest seed " + seed);
    SplittableRandom r = new SplittableRandom(seed);
    List<TreeSet<String>> stores = new ArrayList<>();
    TreeSet<String> all = new TreeSet<>(KeyPages.ORDER);
    for (int n = 0; n < 4; n++) {
      TreeSet<String> s = new TreeSet<>(KeyPages.ORDER);
      int count = r.nextInt(0, 500 * (n + 1));
      for (int i = 0; i < count; i++) s.add(Integer.toString(r.nextInt(3_000), 36));
      stores.add(s);
      all.addAll(s);
    }
    int limit = 1 + r.nextInt(40);
    List<String> seen = new ArrayList<>();
    String cursor = null;
    for (int guard = 0; guard < 100_000; guard++) {
      List<KeyPages.Page> pages = new ArrayList<>();
      for (int n = 0; n < stores.size(); n++) {
        List<String> page = new ArrayList<>();
        for (String k : cursor == null ? stores.get(n) : stores.get(n).tailSet(cursor, false)) {
          if (page.size() == limit) break;
          page.add(k);
        }
        pages.add(new KeyPages.Page(n + 1, page, page.size() == limit, stores.get(n).size()));
      }
      KeyPages.Merged m = KeyPages.merge(pages);
      seen.addAll(m.keys());
      if (m.finished()) break;
      cursor = m.cursor();
    }
    assertEquals(new ArrayList<>(all), seen, "every key once, in order (seed " + seed + ", limit " + limit + ")");
  }

  @Test
  void orderIsUtf8ByteOrder() {
    String[] keys = {"a", "\uFFFD", "\uD83D\uDE00", "\uE000", "z", "\u00e9", "\u0000kshaka/config", "ab"};
    String[] byCodePoint = keys.clone();
    Arrays.sort(byCodePoint, KeyPages.ORDER);
    String[] byBytes = keys.clone();
    Arrays.sort(byBytes, (x, y) -> Arrays.compareUnsigned(x.getBytes(StandardCharsets.UTF_8),
        y.getBytes(StandardCharsets.UTF_8)));
    assertEquals(Arrays.asList(byBytes), Arrays.asList(byCodePoint));
  }

  @Test
  void aPageNeedsAnswersFromEnoughAcceptorsOfThePreviousAcceptSet() {
    Set<Integer> from = Set.of(1, 2, 3);
    KeyPages.Page p1 = new KeyPages.Page(1, List.of(), false, 0);
    KeyPages.Page p4 = new KeyPages.Page(4, List.of(), false, 0);
    KeyPages.Page p2 = new KeyPages.Page(2, List.of(), false, 0);
    assertFalse(KeyPages.enough(List.of(p1, p4), from, 2), "the new acceptor does not count");
    assertTrue(KeyPages.enough(List.of(p1, p2), from, 2));
  }
}
