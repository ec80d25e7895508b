package io.kshaka.cluster;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * One Micrometer timer per peer node, {@code name{tag="<node id>"}}, made on its first use (a cluster has a handful
 * of nodes). Published as a histogram, like the store's flush timer, so a scraper can compute percentiles; recording
 * costs a map lookup and a bucket increment. Thread-safe.
 */
final class NodeTimers {
  private final MeterRegistry registry;
  private final String name;
  private final String tag;
  private final String description;
  private final Map<Integer, Timer> timers = new ConcurrentHashMap<>();

  NodeTimers(MeterRegistry registry, String name, String tag, String description) {
    this.registry = registry;
    this.name = name;
    this.tag = tag;
    this.description = description;
  }

  void record(int node, long nanos) {
    Timer timer = timers.get(node);
    if (timer == null) {
      timer = timers.computeIfAbsent(node, n -> Timer.builder(name).tag(tag, String.valueOf(n))
          .description(description).publishPercentileHistogram().register(registry));
    }
    timer.record(nanos, TimeUnit.NANOSECONDS);
  }
}
