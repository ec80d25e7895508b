package io.kshaka.check;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The obviously correct, exponential checker that {@link LinearizabilityChecker} is tested against: for every key,
 * for every subset of the unknown-outcome operations to keep (the others never took effect), try every order of the
 * kept operations that respects real time ({@code a.ret < b.call} puts a first), stepping the model along it. No
 * memoisation, no pruning beyond the model rejecting a step. Only for small histories.
 */
final class BruteForceChecker {

  private static final int MAX_OPS_PER_KEY = 16;

  private BruteForceChecker() {}

  static <S, I, O> boolean linearizable(Model<S, I, O> model, List<? extends Op<I, O>> history) {
    Map<String, List<Op<I, O>>> byKey = new LinkedHashMap<>();
    for (Op<I, O> op : history) byKey.computeIfAbsent(op.key(), k -> new ArrayList<>()).add(op);
    for (List<Op<I, O>> ops : byKey.values()) {
      if (!keyLinearizable(model, ops)) return false;
    }
    return true;
  }

  private static <S, I, O> boolean keyLinearizable(Model<S, I, O> model, List<Op<I, O>> ops) {
    int n = ops.size();
    if (n > MAX_OPS_PER_KEY) throw new IllegalArgumentException("too many operations for brute force: " + n);
    int unknownMask = 0;
    for (int i = 0; i < n; i++) {
      if (ops.get(i).ret() == null) unknownMask |= 1 << i;
    }
    int definite = ((1 << n) - 1) & ~unknownMask;
    // Enumerate the subsets of unknown operations that took effect.
    for (int sub = unknownMask; ; sub = (sub - 1) & unknownMask) {
      if (orders(model, ops, definite | sub, 0, model.init())) return true;
      if (sub == 0) break;
    }
    return false;
  }

  /** True if the operations in {@code kept} but not in {@code placed} can follow in some real-time order. */
  private static <S, I, O> boolean orders(Model<S, I, O> model, List<Op<I, O>> ops, int kept, int placed, S state) {
    if (placed == kept) return true;
    for (int i = 0; i < ops.size(); i++) {
      int bit = 1 << i;
      if ((kept & bit) == 0 || (placed & bit) != 0) continue;
      Op<I, O> op = ops.get(i);
      if (!mayGoNext(ops, kept, placed, op)) continue;
      S next = model.step(state, op.input(), op.ret() == null ? null : op.output());
      if (next != null && orders(model, ops, kept, placed | bit, next)) return true;
    }
    return false;
  }

  /** No other kept, unplaced operation returned before {@code op} was called. */
  private static <I, O> boolean mayGoNext(List<Op<I, O>> ops, int kept, int placed, Op<I, O> op) {
    for (int j = 0; j < ops.size(); j++) {
      int bit = 1 << j;
      if ((kept & bit) == 0 || (placed & bit) != 0) continue;
      Long ret = ops.get(j).ret();
      if (ret != null && ret < op.call()) return false;
    }
    return true;
  }
}
