package io.kshaka.cluster;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Predicate;

/**
 * Judges successive scans of the cluster's directory of event-bus handlers (address → node that handles it). Two
 * faults of that directory are seen after members die or a split brain merges (vertx-hazelcast keeps it in a
 * Hazelcast multimap and repairs it only from membership events, which a merge can reorder or lose):
 * <ul>
 *   <li>stale entries: a handler of a node that is no longer a member; the bus still picks it for some sends,
 *       which then time out;</li>
 *   <li>missing entries: a handler of this node that the directory no longer lists; the other nodes cannot reach
 *       it.</li>
 * </ul>
 * A finding counts only when two consecutive scans agree, so a node joining, or a handler being registered, between
 * the reads of one scan is never mistaken for either. Pure: no Vert.x, no Hazelcast; not thread-safe (one scanner).
 */
final class RegistrationAudit {
  /** One directory entry; {@code value} is the stored object, needed to remove exactly that entry. */
  record Entry(String address, String nodeId, Object value) {}

  /** Entries to remove, and addresses of this node missing from the directory; both confirmed by two scans. */
  record Findings(List<Entry> stale, Set<String> missing) {
    boolean clean() {
      return stale.isEmpty() && missing.isEmpty();
    }
  }

  /** The addresses this audit judges (its namespace's); entries of any other address are never findings. */
  private final Predicate<String> scope;
  private Set<Entry> staleBefore = Set.of();
  private Set<String> missingBefore = Set.of();

  /** An audit of every address (tests). */
  RegistrationAudit() {
    this(address -> true);
  }

  /** An audit of the addresses {@code scope} accepts: others are neither stale nor missing, whatever they list. */
  RegistrationAudit(Predicate<String> scope) {
    this.scope = scope;
  }

  /**
   * @param entries the directory as read now
   * @param members the nodes that are members now (read before {@code entries})
   * @param self this node's id
   * @param own the addresses this node handles and should be listed under its id
   */
  Findings scan(Collection<Entry> entries, Set<String> members, String self, Set<String> own) {
    Set<Entry> stale = new HashSet<>();
    Set<String> listed = new HashSet<>();
    for (Entry e : entries) {
      if (!scope.test(e.address())) continue;
      if (e.nodeId().equals(self)) {
        listed.add(e.address());
      } else if (!members.contains(e.nodeId())) {
        stale.add(e);
      }
    }
    Set<String> missing = new TreeSet<>(own);
    missing.removeIf(address -> !scope.test(address));
    missing.removeAll(listed);

    List<Entry> confirmedStale = new ArrayList<>();
    for (Entry e : stale) {
      if (staleBefore.contains(e)) confirmedStale.add(e);
    }
    Set<String> confirmedMissing = new TreeSet<>(missing);
    confirmedMissing.retainAll(missingBefore);
    // what is confirmed now is repaired by the caller: the next scan starts counting it afresh
    stale.removeAll(confirmedStale);
    missing.removeAll(confirmedMissing);
    staleBefore = stale;
    missingBefore = missing;
    return new Findings(confirmedStale, confirmedMissing);
  }
}
