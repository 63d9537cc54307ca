package dev.herald;

import java.util.OptionalInt;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The listener's bound and the SSE cap against the open-files limit, case by case. */
@Tag("unit")
class FileBudgetTest {
    private static final FileBudget.Parts EMBEDDED = new FileBudget.Parts(100, 0, 0);
    private static final FileBudget.Parts CLUSTERED = new FileBudget.Parts(100, 129, 16);

    @Test
    void reserve_isWhatIsOpen_theServerSocket_redis_theObserveListener_andTheSpare() {
        assertEquals(100 + 1 + 64, FileBudget.reserve(EMBEDDED));
        assertEquals(100 + 1 + 129 + (1 + 16) + 64, FileBudget.reserve(CLUSTERED));
    }

    @Test
    void noExplicitBound_theListenerIsBoundedToTheLimitMinusTheReserve() {
        FileBudget budget = FileBudget.plan(1024, EMBEDDED, 700, OptionalInt.empty());
        assertEquals(1024 - 165, budget.maxTcpConnections());
        assertEquals(165, budget.reserved());
        assertTrue(budget.bounded());
    }

    @Test
    void theStreamCapMayReachTheBoundMinusTheApiConnections_notOneMore() {
        int largest = 1024 - 165 - FileBudget.API_CONNECTIONS;
        FileBudget.plan(1024, EMBEDDED, largest, OptionalInt.empty());
        StartupException e = assertThrows(StartupException.class,
                                          () -> FileBudget.plan(1024, EMBEDDED, largest + 1, OptionalInt.empty()));
        assertEquals("herald.sse.max-connections (828) does not fit under the open-files limit of 1024: at most 827 "
                     + "streams fit (1024 - 165 files kept for jars, logs, Redis and probes - 32 connections for API "
                     + "requests); raise the limit (ulimit -n, LimitNOFILE) or lower herald.sse.max-connections",
                     e.getMessage());
    }

    @Test
    void clusteredMode_keepsRedisConnectionsOutOfTheBudget() {
        assertThrows(StartupException.class, () -> FileBudget.plan(1024, CLUSTERED, 700, OptionalInt.empty()));
        assertEquals(1024 - 311, FileBudget.plan(1024, CLUSTERED, 600, OptionalInt.empty()).maxTcpConnections());
    }

    @Test
    void aLimitBelowTheReserve_refusesAnyCap_andSaysNoStreamFits() {
        StartupException e = assertThrows(StartupException.class,
                                          () -> FileBudget.plan(128, EMBEDDED, 1, OptionalInt.empty()));
        assertTrue(e.getMessage().contains("limit of 128: at most 0 streams fit"), e.getMessage());
    }

    @Test
    void anExplicitBoundThatFits_wins() {
        assertEquals(800, FileBudget.plan(1024, EMBEDDED, 700, OptionalInt.of(800)).maxTcpConnections());
        assertEquals(859, FileBudget.plan(1024, EMBEDDED, 700, OptionalInt.of(859)).maxTcpConnections());
    }

    @Test
    void anExplicitBoundAboveTheLimitMinusTheReserve_isRefused_namingItAndTheLimit() {
        StartupException e = assertThrows(StartupException.class,
                                          () -> FileBudget.plan(1024, EMBEDDED, 700, OptionalInt.of(860)));
        assertEquals("server.max-tcp-connections (860) does not fit under the open-files limit of 1024: at most 859 "
                     + "connections fit (1024 - 165 files kept for jars, logs, Redis and probes); lower it, raise the "
                     + "limit, or leave it unset", e.getMessage());
    }

    @Test
    void anExplicitBoundWithoutRoomForApiRequestsAboveTheCap_isRefused() {
        FileBudget.plan(1024, EMBEDDED, 700, OptionalInt.of(732));
        StartupException e = assertThrows(StartupException.class,
                                          () -> FileBudget.plan(1024, EMBEDDED, 700, OptionalInt.of(731)));
        assertTrue(e.getMessage().startsWith("herald.sse.max-connections (700) must stay at least 32 below "
                                             + "server.max-tcp-connections (731)"), e.getMessage());
    }

    @Test
    void anExplicitMinusOne_turnsTheBoundOff_butTheCapMustStillFit() {
        FileBudget off = FileBudget.plan(1024, EMBEDDED, 700, OptionalInt.of(-1));
        assertEquals(-1, off.maxTcpConnections());
        assertFalse(off.bounded());
        assertThrows(StartupException.class, () -> FileBudget.plan(1024, EMBEDDED, 900, OptionalInt.of(-1)));
    }

    @Test
    void anUnknownLimit_boundsNothing_andChecksNothing() {
        FileBudget unknown = FileBudget.plan(-1, EMBEDDED, 10_000_000, OptionalInt.empty());
        assertFalse(unknown.bounded());
        assertEquals(500, FileBudget.plan(-1, EMBEDDED, 10_000_000, OptionalInt.of(500)).maxTcpConnections());
    }

    @Test
    void aHugeLimit_isClampedToTheLargestBoundHelidonTakes() {
        assertEquals(Integer.MAX_VALUE, FileBudget.plan(Long.MAX_VALUE, EMBEDDED, 10_000, OptionalInt.empty())
                .maxTcpConnections());
    }

    @Test
    void theConnectionCap_isTheBoundMinusTheRefusals_orWhatIsSetWithinIt() {
        FileBudget budget = FileBudget.plan(1024, EMBEDDED, 700, OptionalInt.empty());
        assertEquals(859 - 16, FileBudget.connectionCap(budget, 0, 700), "derived: 16 sockets kept to refuse");
        assertEquals(716, FileBudget.connectionCap(budget, 716, 700));
        assertEquals(843, FileBudget.connectionCap(budget, 843, 700));
        assertThrows(StartupException.class, () -> FileBudget.connectionCap(budget, 715, 700), "no room above streams");
        StartupException over = assertThrows(StartupException.class, () -> FileBudget.connectionCap(budget, 844, 700));
        assertTrue(over.getMessage().startsWith("herald.http.max-connections (844) must stay at least 16 below"),
                   over.getMessage());
        FileBudget unbounded = FileBudget.plan(-1, EMBEDDED, 700, OptionalInt.empty());
        assertEquals(Integer.MAX_VALUE, FileBudget.connectionCap(unbounded, 0, 700), "no bound, no derived cap");
        assertEquals(5000, FileBudget.connectionCap(unbounded, 5000, 700));
    }
}
