package io.kshaka.sim;

/**
 * Prints the trace hash of seeds, one {@code seed hash} line each, for {@link DeterminismTest} to compare across
 * JVMs. Arguments: acceptors (suffix m: a membership run), variant, oneRtt, then seeds.
 */
public final class TraceHashMain {
  private TraceHashMain() {}

  public static void main(String[] args) {
    boolean membership = args[0].endsWith("m");
    int acceptors = Integer.parseInt(membership ? args[0].substring(0, args[0].length() - 1) : args[0]);
    SimConfig config = (membership ? SimConfig.membership(acceptors) : SimConfig.of(acceptors))
        .withVariant(Variant.valueOf(args[1])).withOneRtt(Boolean.parseBoolean(args[2]));
    StringBuilder out = new StringBuilder();
    for (int i = 3; i < args.length; i++) {
      long seed = Long.parseLong(args[i]);
      long hash = Simulation.runUnchecked(config, seed).traceHash();
      out.append(seed).append(' ').append(Long.toHexString(hash)).append('\n');
    }
    System.out.print(out);
    System.out.flush();
  }
}
