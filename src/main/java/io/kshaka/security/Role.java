package io.kshaka.security;

import java.util.Locale;

/**
 * What a bearer token may do, ordered: {@code read < write < admin}; a role allows everything a lower one does.
 * read: GET of registers and {@code /v1/cluster} ({@code get} on the event bus); write: changes (PUT, DELETE,
 * POST; {@code put, cas, create, delete, add} and change functions); admin: {@code /v1/admin/*}.
 */
public enum Role {
  READ, WRITE, ADMIN;

  /** True when a token with this role may do what {@code needed} guards. */
  public boolean allows(Role needed) {
    return compareTo(needed) >= 0;
  }

  /** The name in the tokens file and in messages: {@code read}, {@code write}, {@code admin}. */
  public String label() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** The role named {@code text} ({@code read|write|admin}), or null when there is none by that name. */
  public static Role parse(String text) {
    if (text == null) return null;
    for (Role r : values()) {
      if (r.label().equals(text)) return r;
    }
    return null;
  }

  /**
   * The role an event-bus request needs: {@code get} and {@code watch} read; every other op (a change, or an
   * unknown op) writes.
   */
  public static Role forOp(Object op) {
    return "get".equals(op) || "watch".equals(op) || "list".equals(op) ? READ : WRITE;
  }
}
