package dev.herald.hub;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.Map;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** The rules of {@link Revocations}: merges only grow, ended revocations are forgotten. */
@Tag("unit")
class RevocationsTest {
    @Test
    void mergesKeepTheLaterInstantAndTheLaterEnd_soALateOrRepeatedCopyNeverShortensOne() {
        Revocations revocations = new Revocations();
        long now = System.currentTimeMillis();
        revocations.apply("alice", new Revocations.Revocation(now, now + 60_000));
        revocations.apply("alice", new Revocations.Revocation(now - 30_000, now + 10_000));
        assertEquals(new Revocations.Revocation(now, now + 60_000), revocations.of("alice"));
        revocations.applyAll(Map.of("alice", new Revocations.Revocation(now + 1000, now + 5000)));
        assertEquals(new Revocations.Revocation(now + 1000, now + 60_000), revocations.of("alice"));
        assertNull(revocations.of("bob"));
    }

    @Test
    void aRevocationPastItsEnd_isForgotten() {
        Revocations revocations = new Revocations();
        long now = System.currentTimeMillis();
        revocations.apply("alice", new Revocations.Revocation(now, now - 1));
        assertNull(revocations.of("alice"));
        assertEquals(0, revocations.size());
    }

    @Test
    void manyEndedRevocations_areSweptAsTheMapGrows() {
        Revocations revocations = new Revocations();
        long now = System.currentTimeMillis();
        for (int i = 0; i < 10_000; i++) {
            revocations.apply("user" + i, new Revocations.Revocation(now, now - 1));
        }
        assertEquals(true, revocations.size() < 4096, "swept: " + revocations.size());
    }
}
