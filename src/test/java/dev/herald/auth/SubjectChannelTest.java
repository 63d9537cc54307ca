package dev.herald.auth;

import java.net.http.HttpClient;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;

import dev.herald.SseClient;
import dev.herald.TestPod;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Identity-provider subjects such as {@code auth0|5f7c8ec} have a user channel that their token may read, and
 * their exports report there (issue 12, item 6; the escaping is in docs/channels.md).
 */
class SubjectChannelTest {
    private static final Duration WAIT = Duration.ofSeconds(15);
    private static final HttpClient.Version H1 = HttpClient.Version.HTTP_1_1;

    @Test
    void aPipeInTheSub_hasItsOwnEscapedChannel_readableOnlyByItself_andExportsReportThere() {
        try (TestPod pod = TestPod.start()) {
            JsonNode minted = TestPod.json(pod.post(H1, "/dev/token", null, "{\"userId\":\"auth0|5f7c8ec\"}").body());
            assertEquals("auth0|5f7c8ec", minted.get("userId").asText());
            assertEquals("user:auth0~7C5f7c8ec", minted.get("channel").asText());
            String token = minted.get("token").asText();
            // a sub that already reads like an escape gets a channel of its own: no collision
            String lookalike = pod.token("auth0~7C5f7c8ec");
            assertEquals(403, pod.get(H1, TestPod.eventsPath("user:auth0~7C5f7c8ec"), lookalike).statusCode());
            assertEquals(403, pod.get(H1, TestPod.eventsPath("user:auth0~7E7C5f7c8ec"), token).statusCode());
            try (SseClient own = pod.subscribe(H1, token, "user:auth0~7C5f7c8ec");
                 SseClient other = pod.subscribe(H1, lookalike, "user:auth0~7E7C5f7c8ec")) {
                own.awaitCursor(WAIT);
                other.awaitCursor(WAIT);
                pod.publish("channel:lobby", "note", "\"n\":1");
                HttpResponse<String> export = pod.post(H1, "/api/jobs/export", token, "{\"channel\":\"channel:lobby\"}");
                assertEquals(202, export.statusCode(), export.body());
                String jobId = TestPod.json(export.body()).get("jobId").asText();
                JsonNode done = own.awaitEvents("generation_complete", 1, WAIT).get(0);
                assertEquals(jobId, done.get("jobId").asText());
                assertEquals("user:auth0~7C5f7c8ec", done.get("channel").asText());
                assertEquals(200, pod.get(H1, "/api/jobs/" + jobId + "/result", token).statusCode());
                assertEquals(0, other.events("generation_complete").size(), "the look-alike sees nothing");
            }
        }
    }

    @Test
    void emailsAndUnicodeSubs_readTheirChannels_andASubTooLongForOne_getsAClear401() {
        try (TestPod pod = TestPod.start()) {
            for (Map.Entry<String, String> sub : Map.of("a@b.c", "user:a@b.c", "José", "user:Jos~C3~A9",
                                                        "用户", "user:~E7~94~A8~E6~88~B7",
                                                        "a".repeat(128), "user:" + "a".repeat(128)).entrySet()) {
                try (SseClient stream = pod.subscribe(H1, pod.token(sub.getKey()), sub.getValue())) {
                    stream.awaitCursor(WAIT);
                }
            }
            HttpResponse<String> refused = pod.get(H1, "/api/channels/channel:lobby/presence", pod.token("a".repeat(129)));
            assertEquals(401, refused.statusCode());
            JsonNode error = TestPod.json(refused.body());
            assertEquals("unauthorized", error.get("error").asText());
            assertTrue(error.get("message").asText().contains("too long for its channel: at most 128 characters"),
                       refused.body());
        }
    }
}
