package io.kshaka.security;

import java.io.PrintWriter;
import java.security.SecureRandom;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code kshaka token --role R --name N}: makes a new random bearer token. Prints the token once (line 1 of
 * stdout) and the entry to add to the tokens file (line 2); the token itself is stored nowhere.
 */
@Command(name = "token", mixinStandardHelpOptions = true, version = "kshaka token 0.1",
    description = "Make a new bearer token for the HTTP and event-bus APIs (auth.tokensFile).",
    footer = {"", "Prints the token (line 1, shown only this once) and the line to add to the \"tokens\" array of "
        + "the tokens file (line 2).", "Example: ./run.sh token --role write --name app-1"})
public final class TokenCommand implements Callable<Integer> {
  @Option(names = "--role", required = true, paramLabel = "ROLE",
      description = "read (GET), write (changes too) or admin (/v1/admin too).")
  String role;

  @Option(names = "--name", required = true, paramLabel = "NAME",
      description = "A name for the token (who holds it); it shows in 403 messages, never the token.")
  String name;

  PrintWriter out = new PrintWriter(System.out, true);
  PrintWriter err = new PrintWriter(System.err, true);

  @Override
  public Integer call() {
    Role r = Role.parse(role);
    if (r == null) {
      err.println("token: --role must be read, write or admin, not '" + role + "'");
      return 2;
    }
    if (name.isBlank()) {
      err.println("token: --name must not be blank");
      return 2;
    }
    String token = Tokens.newToken(new SecureRandom());
    out.println(token);
    out.println(Tokens.entry(name, token, r).encode());
    err.println("The first line is the token: give it to its holder now, it is not stored anywhere. Add the second "
        + "line to the \"tokens\" array of the tokens file on every node: the nodes take it within "
        + "auth.tokensReloadMs (2 s by default), without a restart.");
    return 0;
  }

  /** Entry point from {@code Main}: returns the exit code. */
  public static int run(String[] args) {
    return run(args, new TokenCommand());
  }

  static int run(String[] args, TokenCommand command) {
    CommandLine cl = new CommandLine(command);
    cl.setParameterExceptionHandler((ex, a) -> {
      command.err.println(ex.getMessage());
      ex.getCommandLine().usage(command.err);
      return 2;
    });
    return cl.execute(args);
  }
}
