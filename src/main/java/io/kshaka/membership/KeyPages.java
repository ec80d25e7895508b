package io.kshaka.membership;

import io.kshaka.storage.AcceptorStore;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * The pure part of the rescan: merging one page of keys from each acceptor into one page of the union, with a
 * cursor that never skips a key. Each acceptor lists up to {@code limit} keys after the cursor, in code point order.
 * An acceptor whose page was full may hold more keys after its last one, so the merged page ends at the smallest
 * last key among full pages; every key at or below it that any answering acceptor holds is in some page.
 */
public final class KeyPages {
  private KeyPages() {}

  /** Code point order (= UTF-8 byte order), the order acceptors list their keys in. */
  public static final Comparator<String> ORDER = AcceptorStore.KEY_ORDER;

  /** One acceptor's answer: its keys after the cursor, whether the page was full, and how many keys it holds. */
  public record Page(int node, List<String> keys, boolean full, long total) {
    public Page {
      keys = List.copyOf(keys);
    }

    String last() {
      return keys.isEmpty() ? null : keys.get(keys.size() - 1);
    }
  }

  /**
   * The keys to touch now, in order; {@code cursor} = the last key covered (the next page starts after it), or null
   * when {@code finished} (no acceptor has more); {@code total} = the largest key count an acceptor reported.
   */
  public record Merged(List<String> keys, String cursor, boolean finished, long total) {}

  /**
   * Whether a page is complete: at least {@code needed} acceptors of {@code fromAccept} answered. Any value chosen
   * under the previous configuration sits on an accept quorum of it, which meets every such set of answers.
   */
  public static boolean enough(Collection<Page> answered, Set<Integer> fromAccept, int needed) {
    int n = 0;
    for (Page p : answered) {
      if (fromAccept.contains(p.node())) n++;
    }
    return n >= needed;
  }

  /** Merges the pages of the acceptors that answered. */
  public static Merged merge(Collection<Page> pages) {
    String bound = null;
    long total = 0;
    for (Page p : pages) {
      total = Math.max(total, p.total());
      if (p.full() && p.last() != null && (bound == null || ORDER.compare(p.last(), bound) < 0)) bound = p.last();
    }
    TreeSet<String> union = new TreeSet<>(ORDER);
    for (Page p : pages) {
      for (String k : p.keys()) {
        if (bound == null || ORDER.compare(k, bound) <= 0) union.add(k);
      }
    }
    return new Merged(new ArrayList<>(union), bound, bound == null, total);
  }
}
