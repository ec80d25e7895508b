package io.kshaka;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** The training run behind ./run.sh's class-data sharing archive starts a node, drives it and stops cleanly. */
class CdsTrainingTest {
  @Test
  void theTrainingRunServesTheBenchAndSucceeds() throws Exception {
    assertEquals(0, CdsTraining.run(), "the bench against the one-node training cluster failed (see the test output)");
  }
}
