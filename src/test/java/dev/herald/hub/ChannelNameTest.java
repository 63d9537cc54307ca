package dev.herald.hub;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The channel grammar: {@code user:<id>} or {@code channel:<id>}, id of 1–128 of {@code A-Z a-z 0-9 . _ ~ @ -}. */
@Tag("unit")
class ChannelNameTest {

    @ParameterizedTest
    @ValueSource(strings = {"user:", "channel:"})
    void isValid_idOfOneAnd128Characters_passes(String prefix) {
        assertTrue(ChannelName.isValid(prefix + "a"));
        assertTrue(ChannelName.isValid(prefix + "x".repeat(128)));
    }

    @ParameterizedTest
    @ValueSource(strings = {"user:", "channel:"})
    void isValid_idOfZeroOr129Characters_fails(String prefix) {
        assertFalse(ChannelName.isValid(prefix));
        assertFalse(ChannelName.isValid(prefix + "x".repeat(129)));
    }

    @Test
    void isValidId_everyAllowedCharacter_passes() {
        assertTrue(ChannelName.isValidId("ABCDEFGHIJKLMNOPQRSTUVWXYZ"));
        assertTrue(ChannelName.isValidId("abcdefghijklmnopqrstuvwxyz"));
        assertTrue(ChannelName.isValidId("0123456789"));
        for (String punct : new String[] {".", "_", "~", "@", "-"}) {
            assertTrue(ChannelName.isValidId(punct), punct + " alone");
            assertTrue(ChannelName.isValid("channel:a" + punct + "b"), punct + " inside");
        }
        assertTrue(ChannelName.isValid("user:alice.smith_1~x@example-org"));
    }

    @ParameterizedTest
    @ValueSource(strings = {" ", ":", "/", "\r", "\n", "\r\n", "\u0000", "\t", "+", "*", "%", "#", "?", "\\", "\"",
                            "'", "<", ",", "é", "ß", "中", "\uD83D\uDE00", "\u200B", "１", "Ａ", "\u00A0"})
    void isValid_idWithForbiddenCharacter_fails(String bad) {
        assertFalse(ChannelName.isValid("channel:a" + bad + "b"), "inside");
        assertFalse(ChannelName.isValid("channel:ab" + bad), "trailing");
        assertFalse(ChannelName.isValid("user:" + bad + "ab"), "leading");
        assertFalse(ChannelName.isValid("user:" + bad), "alone");
        assertFalse(ChannelName.isValidId("ab" + bad));
    }

    @Test
    void isValid_forbiddenCharacterAfter128AllowedOnes_fails() {
        assertFalse(ChannelName.isValid("channel:" + "a".repeat(127) + "\n"));
        assertFalse(ChannelName.isValid("channel:" + "a".repeat(128) + "\n"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "general", "alice", "User:alice", "USER:alice", "users:alice", "Channel:general",
                            "channels:general", "chan:general", "user", "channel", ":general", "user;alice",
                            " user:alice", "user :alice", "user:alice ", "group:general", "user:user:alice",
                            "channel:channel:a", "user::alice"})
    void isValid_wrongPrefixOrShape_fails(String channel) {
        assertFalse(ChannelName.isValid(channel));
    }

    @Test
    void isValid_null_failsWithoutThrowing() {
        assertFalse(ChannelName.isValid(null));
        assertFalse(ChannelName.isValidId(null));
    }

    @Test
    void userAndKindHelpers_agreeWithTheGrammar() {
        assertEquals("user:alice", ChannelName.user("alice"));
        assertTrue(ChannelName.isUser("user:alice"));
        assertFalse(ChannelName.isShared("user:alice"));
        assertTrue(ChannelName.isShared("channel:general"));
        assertFalse(ChannelName.isUser("channel:general"));
        assertFalse(ChannelName.isUser("users:alice"));
    }
}
