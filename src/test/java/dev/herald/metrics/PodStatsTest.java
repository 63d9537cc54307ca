package dev.herald.metrics;

import java.util.Map;

import dev.herald.hub.ChannelName;
import dev.herald.hub.HubMetrics.DropReason;

import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** One {@code pod_stats} sample from two readings of the counters. */
@Tag("unit")
class PodStatsTest {
    @Test
    void sample_givesRatesPerSecondOverTheRealInterval_andTotalsAsTheyAre() {
        HeraldMetrics.Totals before = new HeraldMetrics.Totals(100, 1000, 1, Map.of(DropReason.SLOW_CONSUMER, 10L,
                                                                                   DropReason.SHUTDOWN, 0L,
                                                                                   DropReason.TOKEN_EXPIRED, 2L));
        HeraldMetrics.Totals now = new HeraldMetrics.Totals(150, 3000, 2, Map.of(DropReason.SLOW_CONSUMER, 30L,
                                                                                DropReason.SHUTDOWN, 0L,
                                                                                DropReason.TOKEN_EXPIRED, 2L));
        ObjectNode event = PodStats.event("pod-a", 1_000L, 2_000_000_000L, now, before, 7, 3);
        assertEquals("pod_stats", event.get("type").asText());
        assertEquals(ChannelName.ADMIN, event.get("channel").asText());
        assertEquals("pod-a", event.get("pod").asText());
        assertEquals(2000, event.get("intervalMs").asLong());
        assertEquals(7, event.get("streams").asInt());
        assertEquals(3, event.get("channels").asInt());
        assertEquals(25.0, event.get("eventsInPerSecond").asDouble(), "50 published in 2 s");
        assertEquals(1000.0, event.get("eventsOutPerSecond").asDouble(), "2000 written in 2 s");
        assertEquals(10.0, event.get("droppedPerSecond").asDouble(), "20 dropped in 2 s");
        assertEquals(0.5, event.get("slowConsumersPerSecond").asDouble());
        assertEquals(30, event.get("dropped").get("slow_consumer").asLong());
        assertEquals(2, event.get("dropped").get("token_expired").asLong());
        assertEquals(2, event.get("slowConsumers").asLong());
    }

    @Test
    void countersThatWentBack_giveZeroNotANegativeRate() {
        HeraldMetrics.Totals high = new HeraldMetrics.Totals(10, 10, 0, Map.of());
        HeraldMetrics.Totals low = new HeraldMetrics.Totals(0, 0, 0, Map.of());
        ObjectNode event = PodStats.event("p", 0, 1_000_000_000L, low, high, 0, 0);
        assertEquals(0.0, event.get("eventsInPerSecond").asDouble());
        assertEquals(0, event.get("dropped").get("shutdown").asLong());
    }
}
