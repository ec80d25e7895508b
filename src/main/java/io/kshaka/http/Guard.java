package io.kshaka.http;

import io.kshaka.security.AuthSettings;
import io.kshaka.security.Role;
import io.kshaka.security.Tokens;
import io.vertx.core.Handler;
import io.vertx.ext.web.RoutingContext;

/**
 * The bearer-token check in front of the routes. Each guard either passes the request on or fails it with 401 or
 * 403 carrying a {@link Refusal}, which the router's error handlers turn into the JSON reply; a refused request
 * goes no further (its body is never read, nothing reaches the node). With authentication off every guard passes.
 */
final class Guard {
  /** The routing-context key holding the name of the token that was accepted (never the token). */
  static final String TOKEN_NAME = "kshaka.tokenName";

  private final AuthSettings settings;
  private final Tokens tokens;

  /** @param tokens the tokens, or null when {@code settings} has authentication off */
  Guard(AuthSettings settings, Tokens tokens) {
    if (settings.enabled() && tokens == null) throw new IllegalArgumentException("auth is on but no tokens given");
    this.settings = settings;
    this.tokens = tokens;
  }

  /** Needs a token whose role allows {@code role}. */
  Handler<RoutingContext> need(Role role) {
    if (!settings.enabled()) return RoutingContext::next;
    return ctx -> {
      Tokens.Decision d = tokens.check(ctx.request().headers().getAll("Authorization"), role);
      if (d instanceof Tokens.Allowed a) {
        ctx.put(TOKEN_NAME, a.name());
        ctx.next();
      } else if (d instanceof Tokens.Refused r) {
        ctx.fail(r.status(), new Refusal(r));
      }
    };
  }

  /** {@code GET /ready}: open unless {@code auth.readyOpen} is false (then role read). */
  Handler<RoutingContext> ready() {
    return settings.readyNeedsToken() ? need(Role.READ) : RoutingContext::next;
  }

  /** {@code GET /metrics}: role read unless {@code auth.metricsOpen} is true. */
  Handler<RoutingContext> metrics() {
    return settings.metricsNeedsToken() ? need(Role.READ) : RoutingContext::next;
  }

  /** Why a request was refused: status 401 or 403 and the JSON body. */
  static final class Refusal extends RuntimeException {
    final transient Tokens.Refused refused;

    Refusal(Tokens.Refused refused) {
      super(refused.message(), null, false, false);
      this.refused = refused;
    }
  }
}
