package dev.herald.jobs;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;

import dev.herald.Await;
import dev.herald.hub.Event;
import dev.herald.hub.HubMetrics;
import dev.herald.hub.Ignoring;
import dev.herald.hub.LocalBroker;
import dev.herald.hub.LocalRateLimiter;
import dev.herald.hub.Publishing;
import dev.herald.hub.RateLimitedException;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The embedded job store without HTTP: each transition's checks, state and event (the fast tier). */
@Tag("unit")
class LocalJobStoreTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    private static LocalBroker broker() {
        LocalBroker broker = new LocalBroker(1000, Duration.ofHours(1));
        broker.start(Ignoring.LISTENER);
        return broker;
    }

    private static List<JsonNode> events(LocalBroker broker, String channel) {
        return broker.replay(channel, 0, Long.MAX_VALUE).events().stream().map(LocalJobStoreTest::json).toList();
    }

    private static JsonNode json(Event event) {
        try {
            return JSON.readTree(new String(event.data(), StandardCharsets.UTF_8));
        } catch (java.io.IOException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void transitions_areChecked_versioned_andPublishedWithTheWholeJob() {
        try (LocalBroker broker = broker()) {
            LocalJobStore store = new LocalJobStore(new Publishing(broker, HubMetrics.NONE), null, 0, 0,
                                                    Duration.ofHours(1));
            JobStore.Created created = store.create("auth0|5f7c", "render", Duration.ofMinutes(1), "{\"a\":1}");
            String id = created.job().jobId();
            assertTrue(id.endsWith(".auth0~7C5f7c"), "the id carries the owner's channel id: " + id);
            assertEquals("auth0|5f7c", JobStore.owner(id));
            assertEquals(JobStore.hash(created.workerToken()), created.job().tokenHash());
            assertEquals(2, store.progress(id, JobStore.hash(created.workerToken()), "40", "half").version());
            JobStore.Refused back = assertThrows(JobStore.Refused.class, () -> store.progress(id, null, "39.5", null));
            assertEquals("progress_regressed", back.code());
            assertEquals("forbidden", assertThrows(JobStore.Refused.class,
                                                   () -> store.progress(id, "not-its-hash", "50", null)).code());
            assertEquals("half", store.progress(id, null, "40", null).message(), "no message keeps the last");
            Job done = store.complete(id, null, "{\"url\":\"/v\"}");
            assertEquals(Job.COMPLETE, done.status());
            assertEquals("job_finished", assertThrows(JobStore.Refused.class,
                                                      () -> store.fail(id, null, "x", "y")).code());
            List<JsonNode> events = events(broker, "user:auth0~7C5f7c");
            assertEquals(List.of("generation_started", "generation_progress", "generation_progress",
                                 "generation_complete"), events.stream().map(e -> e.get("type").asText()).toList());
            assertEquals(4, events.get(3).get("version").asLong());
            assertEquals("/v", events.get(3).get("result").get("url").asText());
            assertEquals(1, events.get(0).get("meta").get("a").asInt());
            assertEquals(done.json(), store.get(id).json());
            assertNull(store.get("AAAAAAAAAAAAAAAAAAAA.nobody"));
            assertNull(store.get("../etc"));
            assertEquals("not_found", assertThrows(JobStore.Refused.class,
                                                   () -> store.complete("nope", null, "")).code());
        }
    }

    @Test
    void progressOverTheChannelBudget_changesNothing_butTheEndsAreNeverHeldBack() {
        try (LocalBroker broker = broker()) {
            LocalJobStore store = new LocalJobStore(new Publishing(broker, HubMetrics.NONE), new LocalRateLimiter(),
                                                    0.001, 2, Duration.ofHours(1));
            String id = store.create("bo", "k", Duration.ofMinutes(1), "").job().jobId();
            store.progress(id, null, "10", null);
            store.progress(id, null, "20", null);
            assertThrows(RateLimitedException.class, () -> store.progress(id, null, "30", null));
            assertEquals("20", store.get(id).progress(), "the refused report changed nothing");
            assertEquals(3, store.get(id).version());
            assertEquals(Job.COMPLETE, store.complete(id, null, "").status(), "an end is not budgeted");
        }
    }

    @Test
    void aLapsedLease_isFailedOnce_withWorkerLost_andFinishedJobsLeaveAfterTheRetention() {
        try (LocalBroker broker = broker()) {
            LocalJobStore store = new LocalJobStore(new Publishing(broker, HubMetrics.NONE), null, 0, 0,
                                                    Duration.ofMillis(200));
            String id = store.create("cy", "k", Duration.ofMillis(50), "").job().jobId();
            String kept = store.create("cy", "k", Duration.ofHours(1), "").job().jobId();
            int[] failed = {0};
            Await.until("the lease to lapse and a sweep to fail it", Duration.ofSeconds(5),
                        () -> (failed[0] += store.failExpired()) > 0);
            assertEquals(1, failed[0]);
            assertEquals(0, store.failExpired(), "never twice");
            Job lost = store.get(id);
            assertEquals(JobStore.WORKER_LOST, lost.error());
            assertEquals(Job.FAILED, lost.status());
            Await.until("the failed job gone after the retention", Duration.ofSeconds(5), () -> {
                store.failExpired();
                return store.get(id) == null;
            });
            assertEquals(List.of(kept), store.list("cy", null).stream().map(Job::jobId).toList());
            assertEquals(1, events(broker, "user:cy").stream()
                    .filter(e -> e.get("type").asText().equals("generation_failed")).count());
        }
    }
}
