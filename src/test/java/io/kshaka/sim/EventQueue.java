package io.kshaka.sim;

import java.util.PriorityQueue;

/**
 * The virtual clock: events ordered by time, ties broken by the order in which they were scheduled. Nothing here
 * reads the wall clock.
 */
final class EventQueue {
  private record Event(long time, long seq, Runnable action) implements Comparable<Event> {
    @Override
    public int compareTo(Event o) {
      int c = Long.compare(time, o.time);
      return c != 0 ? c : Long.compare(seq, o.seq);
    }
  }

  private final PriorityQueue<Event> events = new PriorityQueue<>();
  private long seq;
  private long now;

  long now() {
    return now;
  }

  /** Runs {@code action} at {@code time} (never before now). */
  void at(long time, Runnable action) {
    events.add(new Event(Math.max(time, now), seq++, action));
  }

  void after(long delay, Runnable action) {
    at(now + delay, action);
  }

  boolean isEmpty() {
    return events.isEmpty();
  }

  /** Advances the clock to the next event and runs it. */
  void runNext() {
    Event e = events.poll();
    now = e.time;
    e.action.run();
  }
}
