package io.kshaka.bench;

import java.util.Locale;

/** What the fault mode of the bench does to the faulted node(s), and how it undoes it. */
enum FaultKind {
  /** kill -9, then a restart of the same node (same config and data directory) after {@code --fault-for}. */
  KILL("kill -9", "restart"),
  /** SIGSTOP, then SIGCONT after {@code --fault-for}. */
  PAUSE("SIGSTOP", "SIGCONT"),
  /** The node cut off from the other nodes (not from the clients) for {@code --fault-for}, then healed. */
  PARTITION("cut off from the other nodes", "healed");

  final String doing;
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
