package io.kshaka.bench;

/** A condition that stops the bench with exit code 1 and a one-line message (no stack trace). */
final class BenchFailure extends RuntimeException {
  BenchFailure(String message) {
    super(message);
  }
}
