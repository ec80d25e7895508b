package io.kshaka.storage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** {@link AcceptorStore#KEY_ORDER} is Unicode code point order, which is the order of the keys' UTF-8 bytes. */
class KeyOrderTest {

  private static int utf8Compare(String a, String b) {
    return Arrays.compareUnsigned(a.getBytes(StandardCharsets.UTF_8), b.getBytes(StandardCharsets.UTF_8));
  }

  @Test
  void supplementaryCharactersSortAfterTheTopOfTheBasicPlaneUnlikeStringCompareTo() {
    String privateUse = "\uE000";
    String replacement = "\uFFFD";
    String emoji = "\uD83D\uDE00"; // U+1F600
    assertTrue(emoji.compareTo(replacement) < 0, "String.compareTo orders UTF-16 code units");
    assertTrue(AcceptorStore.KEY_ORDER.compare(replacement, emoji) < 0);
    assertTrue(AcceptorStore.KEY_ORDER.compare(privateUse, emoji) < 0);
    assertTrue(AcceptorStore.KEY_ORDER.compare("a", "a" + emoji) < 0, "a prefix comes first");
    assertEquals(0, AcceptorStore.KEY_ORDER.compare(emoji, "\uD83D\uDE00"));
  }

  @Test
  void keyOrderAgreesWithUtf8ByteOrderOnRandomKeys() {
    long seed = System.nanoTime();
    System.out.println("KeyOrderTest seed " + seed);
    Random random = new Random(seed);
    int[][] ranges = {{0x20, 0x7F}, {0x80, 0x7FF}, {0x800, 0xD7FF}, {0xE000, 0xFFFF}, {0x10000, 0x10FFFF}};
    List<String> keys = new ArrayList<>();
    for (int i = 0; i < 2000; i++) {
      StringBuilder sb = new StringBuilder();
      int n = 1 + random.nextInt(4);
      for (int j = 0; j < n; j++) {
        int[] r = ranges[random.nextInt(ranges.length)];
        sb.appendCodePoint(r[0] + random.nextInt(r[1] - r[0] + 1));
      }
      keys.add(sb.toString());
    }
    for (int i = 0; i + 1 < keys.size(); i += 2) {
      String a = keys.get(i);
      String b = keys.get(i + 1);
      assertEquals(Integer.signum(utf8Compare(a, b)), Integer.signum(AcceptorStore.KEY_ORDER.compare(a, b)),
          "seed " + seed + ": " + a + " vs " + b);
    }
    List<String> byOrder = new ArrayList<>(keys);
    byOrder.sort(AcceptorStore.KEY_ORDER);
    List<String> byBytes = new ArrayList<>(keys);
    byBytes.sort(KeyOrderTest::utf8Compare);
    assertEquals(byBytes, byOrder, "seed " + seed);
  }
}
