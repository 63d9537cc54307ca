package dev.herald;

import java.util.OptionalInt;

/**
 * How many sockets the pod's listener may hold under the process's open-files limit, and whether the SSE cap fits
 * under that. Every accepted connection is one file; when {@code accept()} fails for want of a file, Helidon 4.5's
 * listener closes its server socket and every connection on it, and never accepts again. Bounding the listener
 * ({@code server.max-tcp-connections}) keeps that from happening: at the bound Helidon waits instead of accepting,
 * and new connections wait in the kernel's backlog. Pure: {@link Herald#start} reads the limit and the files open
 * at start ({@link OpenFiles}) and hands them in.
 *
 * @param limit             the open-files limit, or -1 when unknown (no bound then, nothing checked)
 * @param reserved          files kept for everything but accepted connections
 * @param maxTcpConnections the listener's bound, or -1 for none
 */
public record FileBudget(long limit, long reserved, int maxTcpConnections) {
    /**
     * Files that appear after the count at start, beyond the parts counted one by one: jars opened when a class is
     * first loaded from them (the count at start already holds the ~100 that starting needs), a JWKS fetch (socket
     * plus the HTTP client's selector), Redis reconnects (a new socket while the old one closes), /proc reads of the
     * system meters, log rotation, the keystore, the listener watch's probe socket. 64 leaves room for twice that.
     */
    static final int SPARE = 64;
    /**
     * Connections kept between the SSE cap and the listener's bound, so that API requests, probes and the 503s of a
     * full pod still get through when every stream slot is taken. More simply wait in the backlog.
     */
    static final int API_CONNECTIONS = 32;
    /** Of those, sockets accepted beyond {@code herald.http.max-connections} only to be answered 503 and closed. */
    static final int REFUSALS = 16;

    /** What holds files besides accepted connections: counted at start, or known from the configuration. */
    public record Parts(long openAtStart, int redisConnections, int observeConnections) {
    }

    /**
     * Files kept for everything but the main listener's connections: what is open at start (jars, the JDK's
     * modules file, standard streams, log files), the main server socket, Redis' command pool and pub/sub
     * connection (clustered mode), the observe listener's server socket and connections, and {@link #SPARE}.
     */
    static long reserve(Parts parts) {
        long observe = parts.observeConnections() > 0 ? 1 + parts.observeConnections() : 0;
        return parts.openAtStart() + 1 + parts.redisConnections() + observe + SPARE;
    }

    /**
     * The budget for a pod, or why it cannot start.
     *
     * @param limit       the open-files limit; -1 when the platform does not tell (nothing is bounded then)
     * @param parts       what holds files besides accepted connections
     * @param sseCap      {@code herald.sse.max-connections}
     * @param explicitTcp {@code server.max-tcp-connections} when the operator set it (-1: no bound), else empty
     * @throws StartupException naming the setting and the limit, when the setting cannot fit
     */
    public static FileBudget plan(long limit, Parts parts, int sseCap, OptionalInt explicitTcp) {
        if (limit < 0) {
            return new FileBudget(-1, 0, explicitTcp.orElse(-1));
        }
        long reserved = reserve(parts);
        long fit = Math.min(Integer.MAX_VALUE, limit - reserved);
        String why = limit + " - " + reserved + " files kept for jars, logs, Redis and probes";
        if ((long) sseCap + API_CONNECTIONS > fit) {
            throw new StartupException("herald.sse.max-connections (" + sseCap + ") does not fit under the open-files "
                                       + "limit of " + limit + ": at most " + Math.max(0, fit - API_CONNECTIONS)
                                       + " streams fit (" + why + " - " + API_CONNECTIONS + " connections for API "
                                       + "requests); raise the limit (ulimit -n, LimitNOFILE) or lower "
                                       + "herald.sse.max-connections");
        }
        if (explicitTcp.isEmpty()) {
            return new FileBudget(limit, reserved, (int) fit);
        }
        int tcp = explicitTcp.getAsInt();
        if (tcp > fit) {
            throw new StartupException("server.max-tcp-connections (" + tcp + ") does not fit under the "
                                       + "open-files limit of " + limit + ": at most " + fit + " connections fit ("
                                       + why + "); lower it, raise the limit, or leave it unset");
        }
        if (tcp != -1 && (long) sseCap + API_CONNECTIONS > tcp) {
            throw new StartupException("herald.sse.max-connections (" + sseCap + ") must stay at least "
                                       + API_CONNECTIONS + " below server.max-tcp-connections (" + tcp
                                       + "), so that API requests get through when every stream slot is taken");
        }
        return new FileBudget(limit, reserved, tcp);
    }

    /** Whether the listener is bounded; false when the limit is unknown or the operator turned the bound off. */
    public boolean bounded() {
        return maxTcpConnections > 0;
    }

    /**
     * Connections a pod serves at once ({@code herald.http.max-connections}); the next one is answered 503 and closed.
     * Derived (0): the listener's bound minus {@link #REFUSALS}, the sockets kept to tell the next clients so; no cap
     * when the listener is unbounded. Set: it must leave room for the streams and fit under the bound.
     *
     * @throws StartupException naming the settings, when the value cannot work
     */
    public static int connectionCap(FileBudget budget, int configured, int sseCap) {
        if (configured == 0) {
            return budget.bounded() ? budget.maxTcpConnections() - REFUSALS : Integer.MAX_VALUE;
        }
        if ((long) sseCap + REFUSALS > configured) {
            throw new StartupException("herald.http.max-connections (" + configured + ") must be at least "
                                       + REFUSALS + " above herald.sse.max-connections (" + sseCap + ")");
        }
        if (budget.bounded() && configured > budget.maxTcpConnections() - REFUSALS) {
            throw new StartupException("herald.http.max-connections (" + configured + ") must stay at least "
                                       + REFUSALS + " below the listener's bound of " + budget.maxTcpConnections()
                                       + " (server.max-tcp-connections, or what the open-files limit allows)");
        }
        return configured;
    }
}
