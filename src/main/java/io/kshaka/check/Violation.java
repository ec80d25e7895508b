package io.kshaka.check;

import java.util.List;

/**
 * A reason, found by a {@link Model} without search, why one partition of a history cannot be linearized.
 *
 * @param reason what is impossible, in words
 * @param operations the operations involved, in the order the reason names them
 */
public record Violation(String reason, List<Op<?, ?>> operations) {
  public Violation {
    operations = List.copyOf(operations);
  }
}
