package io.kshaka.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Usage errors of the fault mode: exit code 2 and a message naming the option, before any process starts. */
class FaultOptionsTest {

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "--fault crash                                    | --fault must be kill, pause or partition",
      "--fault kill --fault-node 4                      | node 4 is not one of 1..3",
      "--fault kill --fault-node 2,3                    | leaves no majority",
      "--fault kill --nodes 5 --fault-node 4,4          | given twice",
      "--fault kill --nodes 5 --fault-node 3,4,5        | leaves no majority",
      "--fault pause --fault-at 0.5                     | --fault-at must be >= 1 s",
      "--fault pause --fault-for 0                      | --fault-for must be >= 1 s",
      "--fault pause --duration 10                      | at least 1 s after the return",
      "--fault kill --clients 2                         | --clients must be >= --nodes",
      "--fault kill --event-bus                         | --event-bus does not apply with --fault",
      "--fault kill --endpoints http://127.0.0.1:1      | --endpoints does not apply with --fault",
      "--fault kill --suite                             | --suite does not apply with --fault",
      "--fault kill --network tun                       | --network must be auto, loopback or netns",
      "--fault kill --node-jar /nonexistent/x.jar       | --node-jar: no such file",
      "--fault kill --node-conf [1]                     | --node-conf must be a JSON object",
      "--nodes 5                                        | --nodes only applies with --fault",
      "--fault-node 2                                   | --fault-node only applies with --fault",
      "--node-jar /tmp/x.jar                            | --node-jar only applies with --fault"})
  void badFaultOptionsAreUsageErrors(String args, String message) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    String all = args.contains("--duration") ? args : args + " --duration 20"; // room for the default fault times
    int code = BenchCommand.run(new PrintWriter(out, true), new PrintWriter(err, true), all.trim().split("\\s+"));
    assertEquals(2, code, err.toString());
    assertTrue(err.toString().contains(message), err.toString());
  }
}
