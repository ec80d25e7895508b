package io.kshaka.bench;

import java.util.Locale;

/** The operations the bench issues, with the names used by {@code --mix} and the event-bus contract. */
public enum OpKind {
  /** {@code GET /v1/kv/{key}}: a read; 200 and 404 are both answers. */
  GET,
  /** {@code PUT /v1/kv/{key}}: an unconditional write. */
  PUT,
  /** A read, then a {@code PUT} with {@code If-Match} on the version read: 412 is a conflict, not an error. */
  CAS,
  /** {@code POST /v1/kv/{key}?op=add&delta=1} on a counter key. */
  ADD;

  /** The lower-case name: {@code get}, {@code put}, {@code cas}, {@code add}. */
  public String wireName() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** The op called {@code name} (case-insensitive), or null. */
  public static OpKind byName(String name) {
    for (OpKind op : values()) {
      if (op.wireName().equalsIgnoreCase(name)) return op;
    }
    return null;
  }

  static String names() {
    return "get, put, cas, add";
  }
}
