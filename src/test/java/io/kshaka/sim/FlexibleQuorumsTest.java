package io.kshaka.sim;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kshaka.core.QuorumSpec;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Separate prepare and accept quorums (README, "How it works"): any prepare quorum meets any accept quorum. Shapes include the
 * intermediate configuration of growing 3 acceptors to 4 (accept on all four with quorum 3, still prepare on the
 * old three with quorum 2) and the grown one.
 */
class FlexibleQuorumsTest {
  static final int SEEDS = 150;

  static Stream<QuorumSpec> shapes() {
    Set<Integer> three = Set.of(1, 2, 3);
    Set<Integer> four = Set.of(1, 2, 3, 4);
    return Stream.of(
        new QuorumSpec(four, 2, four, 3),
        new QuorumSpec(four, 3, four, 2),
        new QuorumSpec(three, 2, four, 3),
        new QuorumSpec(four, 3, four, 3),
        new QuorumSpec(Set.of(1, 2, 3, 4, 5), 2, Set.of(1, 2, 3, 4, 5), 4));
  }

  @ParameterizedTest
  @MethodSource("shapes")
  void flexibleQuorumsStayLinearizable(QuorumSpec quorums) {
    int acceptors = quorums.allNodes().size();
    SimConfig config = SimConfig.of(acceptors).withQuorums(quorums);
    SimRunner.Campaign c = SimRunner.campaign(config, SimRunner.seeds(SEEDS), System.out::println);
    System.out.println(c.summary());
    assertTrue(c.failures.isEmpty(), () -> "seed " + c.failures.get(0).seed() + ": " + c.failures.get(0).failure());
  }
}
