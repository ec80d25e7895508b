package io.kshaka.sim;

import io.kshaka.core.Change;
import io.kshaka.core.ChangeResult;
import io.kshaka.core.Outcome;
import io.kshaka.core.RequestId;
import java.nio.charset.StandardCharsets;

/**
 * One client operation of a simulated run: what was asked, when, of which proposer, and what came back. One
 * operation is one request id: its first attempt (fresh) and every takeover and retry of it (same id, not fresh) are
 * attempts of this one operation, and the first definite answer of any attempt is its answer.
 */
final class SimOp {
  /** Attempts per operation at most (a token is {@code id * MAX_ATTEMPTS + attempt}). */
  static final int MAX_ATTEMPTS = 64;

  enum Kind { GET, PUT, CAS, DELETE, ADD, CREATE }

  enum Status { PENDING, DONE, NOT_APPLIED, UNKNOWN }

  final long id;
  final int client;
  final String key;
  final Kind kind;
  /** The value written by put, cas and create (unique in the run). */
  final String value;
  /** The expected version of cas and of a conditional delete (null: unconditional). */
  final Long expectedVersion;
  final long delta;
  final long call;
  final int proposer;
  final boolean liveness;
  /** The same on every attempt: the hash is unique in the run, the stamp is the call time of the first attempt. */
  final RequestId rid;
  /** The client gives up (UNKNOWN) at this time if no attempt has answered. */
  long deadline;
  /** Attempts submitted so far (attempt 0 is the first, fresh one). */
  int attempts;
  /** Attempts still running in a proposer whose answer the client still waits for. */
  int liveAttempts;
  /** The proposer of the latest attempt. */
  int lastProposer;
  int takeovers;
  int retries;
  /** The attempt whose answer counted (-1: none). */
  int answeredBy = -1;
  Status status = Status.PENDING;
  Long ret;
  ChangeResult result;
  String reason;

  SimOp(long id, int client, String key, Kind kind, String value, Long expectedVersion, long delta, long call,
      int proposer, boolean liveness, RequestId rid) {
    this.id = id;
    this.client = client;
    this.key = key;
    this.kind = kind;
    this.value = value;
    this.expectedVersion = expectedVersion;
    this.delta = delta;
    this.call = call;
    this.proposer = proposer;
    this.liveness = liveness;
    this.rid = rid;
    this.lastProposer = proposer;
  }

  /** The token of attempt {@code attempt} (the proposer hands it back in its Complete effect). */
  long token(int attempt) {
    return id * MAX_ATTEMPTS + attempt;
  }

  Change change() {
    switch (kind) {
      case GET:
        return Change.Read.INSTANCE;
      case PUT:
        return new Change.Put(bytes(value));
      case CAS:
        return new Change.CompareAndSet(expectedVersion, bytes(value));
      case DELETE:
        return new Change.Delete(expectedVersion);
      case ADD:
        return new Change.Add(delta);
      case CREATE:
        return new Change.PutIfAbsent(bytes(value));
      default:
        throw new IllegalStateException("unknown kind " + kind);
    }
  }

  void complete(long now, Outcome outcome, ChangeResult result, String reason) {
    this.reason = reason;
    if (outcome == Outcome.APPLIED) {
      status = Status.DONE;
      ret = now;
      this.result = result;
    } else if (outcome == Outcome.NOT_APPLIED) {
      status = Status.NOT_APPLIED;
    } else {
      status = Status.UNKNOWN;
    }
  }

  void giveUp(String why) {
    status = Status.UNKNOWN;
    reason = why;
  }

  static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  static String text(byte[] b) {
    return b == null ? null : new String(b, StandardCharsets.UTF_8);
  }

  String describeCall() {
    switch (kind) {
      case GET:
        return "get " + key;
      case PUT:
        return "put " + key + " " + value;
      case CAS:
        return "cas " + key + " if v" + expectedVersion + " " + value;
      case DELETE:
        return "delete " + key + (expectedVersion == null ? "" : " if v" + expectedVersion);
      case ADD:
        return "add " + key + " " + delta;
      case CREATE:
        return "create " + key + " " + value;
      default:
        return kind + " " + key;
    }
  }

  @Override
  public String toString() {
    String out = status == Status.DONE
        ? result.status() + " " + result.state() : status + (reason == null ? "" : " (" + reason + ")");
    String via = attempts <= 1 ? "" : " (" + attempts + " attempts, " + takeovers + " takeovers, " + retries
        + " retries, last P" + lastProposer + (answeredBy < 0 ? "" : ", answered by attempt " + answeredBy) + ")";
    return "op" + id + " c" + client + " P" + proposer + via + " id " + rid + " [" + call + ".." + (ret == null ? "?" : ret) + "] "
        + describeCall() + " -> " + out;
  }
}
