package io.kshaka.bench;

import java.util.Locale;

/** What the fault mode of the bench does to the faulted node(s), and how it undoes it. */
enum FaultKind {
  /** kill -9, then a restart of the same node (same config and data directory) after {@code --fault-for}. */
  KILL("kill -9 of %s", "restart of %s"),
  /** SIGSTOP, then SIGCONT after {@code --fault-for}. */
  PAUSE("SIGSTOP to %s", "SIGCONT to %s"),
  /** The node cut off from the other nodes (not from the clients) for {@code --fault-for}, then healed. */
  PARTITION("%s cut off from the other nodes", "partition of %s healed");

  /** What the fault does, with %s for the node(s). */
  final String doing;
  /** What undoing it does, with %s for the node(s). */
  final String undoing;

  FaultKind(String doing, String undoing) {
    this.doing = doing;
    this.undoing = undoing;
  }

  String wireName() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** The kind named {@code text} (case-insensitive), or null. */
  static FaultKind byName(String text) {
    for (FaultKind k : values()) {
      if (k.wireName().equalsIgnoreCase(text == null ? "" : text.trim())) return k;
    }
    return null;
  }
}
