package io.kshaka.check;

import java.util.Objects;

/**
 * What a client asked of one Kshaka key: the input of an {@link Operation}. {@link #f()} is the name used in the
 * JSON lines format ({@code "f"}).
 */
public sealed interface Input {

  /** The operation name in the history format: get, put, cas, delete, add or create. */
  String f();

  static Input get() {
    return Get.INSTANCE;
  }

  static Input put(String value) {
    return new Put(value);
  }

  static Input cas(long expectedVersion, String value) {
    return new Cas(expectedVersion, value);
  }

  /** An unconditional delete. */
  static Input delete() {
    return Delete.UNCONDITIONAL;
  }

  /** A delete that applies only if the current version is {@code expectedVersion}. */
  static Input delete(long expectedVersion) {
    return new Delete(expectedVersion);
  }

  static Input add(long delta) {
    return new Add(delta);
  }

  /** A put that applies only if the key is absent (never written, or deleted). */
  static Input create(String value) {
    return new Create(value);
  }

  /** Read the value and version. Output: {@link Output.Value}. */
  record Get() implements Input {
    static final Get INSTANCE = new Get();

    @Override
    public String f() {
      return "get";
    }
  }

  /** Unconditional write. Output: {@link Output.Written} with the new version. */
  record Put(String value) implements Input {
    public Put {
      Objects.requireNonNull(value, "value");
    }

    @Override
    public String f() {
      return "put";
    }
  }

  /**
   * Write if the version is {@code expectedVersion}. Output: {@link Output.CasResult}, ok with the new version, or
   * not ok with the version seen.
   */
  record Cas(long expectedVersion, String value) implements Input {
    public Cas {
      Objects.requireNonNull(value, "value");
    }

    @Override
    public String f() {
      return "cas";
    }
  }

  /**
   * Delete; conditional on the version if {@code expectedVersion} is not null. Output: {@link Output.Written} (the
   * new version, or the current one if the key was already absent), or {@link Output.Refused} with
   * {@code version_mismatch} and the version seen.
   */
  record Delete(Long expectedVersion) implements Input {
    static final Delete UNCONDITIONAL = new Delete(null);

    @Override
    public String f() {
      return "delete";
    }
  }

  /**
   * Add {@code delta} to the value read as a decimal long (absent = 0). Output: {@link Output.Value} with the sum, or
   * {@link Output.Refused} with {@code not_integer} (value not a decimal long, or overflow) and the version seen.
   */
  record Add(long delta) implements Input {
    @Override
    public String f() {
      return "add";
    }
  }

  /**
   * Write only if the key is absent. Output: {@link Output.Written} with the new version, or {@link Output.Refused}
   * with {@code version_mismatch} and the version seen. (An extension of the format, for the event bus's
   * {@code create} and HTTP's {@code If-None-Match: *}.)
   */
  record Create(String value) implements Input {
    public Create {
      Objects.requireNonNull(value, "value");
    }

    @Override
    public String f() {
      return "create";
    }
  }
}
