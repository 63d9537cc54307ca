package dev.herald.auth;

import java.util.ArrayList;
import java.util.List;

import dev.herald.hub.ChannelName;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Who may subscribe and post where: see docs/channels.md "who may subscribe and post". */
@Tag("unit")
class ChannelPolicyTest {
    private static Principal user(String id, String... patterns) {
        return new Principal(id, id, false, List.of(patterns));
    }

    private static Principal service(String id, String... patterns) {
        return new Principal(id, id, true, List.of(patterns));
    }

    @ParameterizedTest
    @ValueSource(strings = {"user:bob", "user:backend", "channel:general", "channel:team-a", "anything"})
    void service_mayUseAnyChannel(String channel) {
        assertTrue(ChannelPolicy.allows(service("backend"), channel));
    }

    @Test
    void service_withChannelsClaim_isNotNarrowed() {
        assertTrue(ChannelPolicy.allows(service("backend", "channel:a"), "user:bob"));
        assertTrue(ChannelPolicy.allows(service("backend", "channel:a"), "channel:b"));
    }

    @Test
    void adminChannel_isRefusedToEveryUser_evenWithAMatchingClaim_andAllowedToServices() {
        assertFalse(ChannelPolicy.allows(user("alice"), ChannelName.ADMIN));
        assertFalse(ChannelPolicy.allows(user("alice", "channel:*"), ChannelName.ADMIN));
        assertFalse(ChannelPolicy.allows(user("alice", ChannelName.ADMIN), ChannelName.ADMIN));
        assertTrue(ChannelPolicy.allows(service("backend"), ChannelName.ADMIN));
    }

    @Test
    void user_withoutClaim_mayUseOwnUserChannelAndEverySharedChannel() {
        Principal alice = user("alice");
        assertTrue(ChannelPolicy.allows(alice, "user:alice"));
        assertTrue(ChannelPolicy.allows(alice, "channel:general"));
        assertTrue(ChannelPolicy.allows(alice, "channel:x"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"user:bob", "user:alice2", "user:alic", "user:Alice", "user:ALICE", "user:alice ",
                            "user:alice.x", "user:", "alice", "general", "channel", "users:alice"})
    void user_withoutClaim_mayNotUseAnotherUsersOrUnprefixedChannel(String channel) {
        assertFalse(ChannelPolicy.allows(user("alice"), channel));
    }

    @Test
    void user_withPrefixPattern_mayUseOnlyMatchingSharedChannels() {
        Principal alice = user("alice", "channel:team-*");
        assertTrue(ChannelPolicy.allows(alice, "channel:team-a"));
        assertTrue(ChannelPolicy.allows(alice, "channel:team-"), "the prefix itself matches (docs/channels.md)");
        assertFalse(ChannelPolicy.allows(alice, "channel:team"));
        assertFalse(ChannelPolicy.allows(alice, "channel:teamx"));
        assertFalse(ChannelPolicy.allows(alice, "channel:general"));
    }

    @Test
    void user_withClaim_ownUserChannelMustMatchAPatternToo() {
        assertFalse(ChannelPolicy.allows(user("alice", "channel:team-*"), "user:alice"));
        assertTrue(ChannelPolicy.allows(user("alice", "channel:team-*", "user:alice"), "user:alice"));
        assertTrue(ChannelPolicy.allows(user("alice", "user:*"), "user:alice"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"*", "user:*", "user:b*", "user:bob", "u*"})
    void user_patternNeverGrantsAnotherUsersChannel(String pattern) {
        assertFalse(ChannelPolicy.allows(user("alice", pattern), "user:bob"));
    }

    @Test
    void user_withCatchAllPatterns_getsExactlyTheDefault() {
        Principal alice = user("alice", "*");
        assertTrue(ChannelPolicy.allows(alice, "channel:x"));
        assertTrue(ChannelPolicy.allows(alice, "user:alice"));
        assertFalse(ChannelPolicy.allows(alice, "user:bob"));
        Principal shared = user("alice", "channel:*");
        assertTrue(ChannelPolicy.allows(shared, "channel:x"));
        assertFalse(ChannelPolicy.allows(shared, "user:alice"));
    }

    @Test
    void user_withExactPattern_matchesOnlyThatName() {
        Principal alice = user("alice", "channel:general");
        assertTrue(ChannelPolicy.allows(alice, "channel:general"));
        assertFalse(ChannelPolicy.allows(alice, "channel:general2"));
        assertFalse(ChannelPolicy.allows(alice, "channel:genera"));
        assertFalse(ChannelPolicy.allows(alice, "channel:GENERAL"));
    }

    @Test
    void user_withSeveralPatterns_anyMatchAllows() {
        Principal alice = user("alice", "channel:a", "channel:b-*");
        assertTrue(ChannelPolicy.allows(alice, "channel:a"));
        assertTrue(ChannelPolicy.allows(alice, "channel:b-1"));
        assertFalse(ChannelPolicy.allows(alice, "channel:c"));
    }

    @Test
    void user_withClaimThatNamesNothing_mayUseNothing() {
        // TokenVerifier turns an empty channels claim into this sentinel
        Principal alice = user("alice", "\u0000none");
        assertFalse(ChannelPolicy.allows(alice, "channel:general"));
        assertFalse(ChannelPolicy.allows(alice, "user:alice"));
    }

    @Test
    void matches_starOnlyWorksAsTrailingWildcard() {
        assertTrue(ChannelPolicy.matches("channel:*", "channel:x"));
        assertFalse(ChannelPolicy.matches("channel:*-admin", "channel:x-admin"), "an inner * is literal");
        assertTrue(ChannelPolicy.matches("channel:*-admin", "channel:*-admin"));
        assertFalse(ChannelPolicy.matches("channel:a**", "channel:ab"), "only the last * is a wildcard");
        assertFalse(ChannelPolicy.matches("channel:a", "channel:ab"));
    }

    @Test
    void principal_equality_dependsOnServiceFlagAndPatterns() {
        Principal alice = new Principal("alice", "Alice", false, new ArrayList<>(List.of("channel:a")));
        assertTrue(alice.equals(new Principal("alice", "Alice", false, List.of("channel:a"))));
        assertFalse(alice.equals(new Principal("alice", "Alice", true, List.of("channel:a"))));
        assertFalse(alice.equals(new Principal("alice", "Alice", false, List.of())));
    }
}
