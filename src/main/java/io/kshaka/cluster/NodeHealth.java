package io.kshaka.cluster;

import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;

/**
 * What this node knows of the other nodes, for routing only (never quorums or safety): the {@link FailureDetector}
 * (which node is suspect), fed with every answer this node's proposer gets from an acceptor, and what the
 * {@link RegistrationJanitor} found wrong with this node's own handlers. Thread-safe.
 */
public final class NodeHealth {
  private final FailureDetector detector;
  private volatile String registrationProblem;

  public NodeHealth(FailureDetector detector) {
    this.detector = detector;
  }

  public FailureDetector detector() {
    return detector;
  }

  /** An answer from the node: a sign of life. */
  public void success(int node) {
    detector.alive(node);
  }

  /**
   * A request to the node got no answer in time. Not suspicion by itself (a busy node answers late): the detector
   * suspects a node once it has been silent for its {@code suspectAfterMs}.
   */
  public void failure(int node) {
    // silence is what the detector measures; nothing to record
  }

  /** A request to the node failed: no handler is immediate suspicion; anything else is {@link #failure(int)}. */
  public void failure(int node, Throwable cause) {
    if (cause instanceof ReplyException re && re.failureType() == ReplyFailure.NO_HANDLERS) {
      lost(node);
    } else {
      failure(node);
    }
  }

  /** The node has no handler in the cluster (a send found none): suspect at once. */
  public void lost(int node) {
    detector.lost(node);
  }

  /** True if the node answered something within the last {@code millis} and is not suspect. */
  public boolean answeredWithin(int node, long millis) {
    return detector.heardWithin(node, millis);
  }

  public boolean suspect(int node) {
    return detector.suspect(node);
  }

  /** See {@link FailureDetector#settled}. */
  public boolean routable(int node) {
    return detector.settled(node);
  }

  /** See {@link FailureDetector#steady}. */
  public boolean steady(int node, long windowMs) {
    return detector.steady(node, windowMs);
  }

  /** See {@link FailureDetector#watches}. */
  public boolean watches(int node) {
    return detector.watches(node);
  }

  /** What is wrong with this node's event-bus handlers as the cluster lists them, or null when nothing is. */
  public void registrationProblem(String problem) {
    registrationProblem = problem;
  }

  public String registrationProblem() {
    return registrationProblem;
  }
}
