package dev.herald.http;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;

import dev.herald.TestPod;

import org.junit.jupiter.api.Test;

/** The warm-up runs every writer through events, heartbeats and its end, and leaves no trace in a pod's figures. */
class StreamWarmupTest {
    @Test
    void everyWriterWritesItsOpeningFrame_eachEventRound_andEndsWhenItsQueueCloses() throws Exception {
        int streams = 20;
        int rounds = 9;
        long frames = StreamWarmup.run(streams, rounds);
        // per writer: its opening writes (the head too, for direct ones), then each round woke it at least once (a
        // round of an event and a heartbeat may take two wake-ups; no writer took several rounds in one batch), then
        // a last heartbeat and end for those whose client stayed
        assertTrue(frames >= streams * (1L + rounds) && frames <= streams * (3L + rounds + rounds / 3),
                   "writes: " + frames);
    }

    @Test
    void aPodThatWarmedUp_countsNoStreamNoEventNoChannel() throws Exception {
        try (TestPod pod = TestPod.start(Map.of("herald.sse.warm-up", "true"))) {
            for (String metric : new String[] {"sse_connections_total", "sse_events_sent_total", "herald_channels_held"}) {
                double value = pod.metric(metric, null);
                assertTrue(Double.isNaN(value) || value == 0.0, metric + " = " + value);
            }
        }
    }
}
