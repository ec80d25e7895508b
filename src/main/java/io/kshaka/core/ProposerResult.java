package io.kshaka.core;

/**
 * The answer to one submitted change. With {@link Outcome#APPLIED}, {@code result} is the change's own result (the
 * state after it, and its verdict: a refused change is answered too, it just changed nothing). With
 * {@link Outcome#NOT_APPLIED} or {@link Outcome#UNKNOWN}, {@code result} is null and {@code reason} says why.
 */
public record ProposerResult(Outcome outcome, ChangeResult result, String reason) {
  public static ProposerResult applied(ChangeResult result) {
    return new ProposerResult(Outcome.APPLIED, result, null);
  }

  public static ProposerResult failed(Outcome outcome, String reason) {
    return new ProposerResult(outcome, null, reason);
  }
}
