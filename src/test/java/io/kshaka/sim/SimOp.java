package io.kshaka.sim;

import io.kshaka.core.Change;
import io.kshaka.core.ChangeResult;
import io.kshaka.core.Outcome;
import java.nio.charset.StandardCharsets;

/** One client operation of a simulated run: what was asked, when, of which proposer, and what came back. */
final class SimOp {
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
  Status status = Status.PENDING;
  Long ret;
  ChangeResult result;
  String reason;

  SimOp(long id, int client, String key, Kind kind, String value, Long expectedVersion, long delta, long call,
      int proposer, boolean liveness) {
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
    return "op" + id + " c" + client + " P" + proposer + " [" + call + ".." + (ret == null ? "?" : ret) + "] "
        + describeCall() + " -> " + out;
  }
}
