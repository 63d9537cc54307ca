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

    @ParameterizedTest
    @ValueSource(strings = {"auth0|5f7c8ec", "google-oauth2|1234", "a@b.c", "café", "日本", "\uD83C\uDF89", "a b",
                            "a~b", "auth0~7C5f7c8ec", "~7C", "~", "a/b:c", "%41", "A.Z_0-9@x"})
    void user_anySub_getsAValidChannel_thatDecodesBackToIt(String sub) {
        String channel = ChannelName.user(sub);
        assertTrue(ChannelName.isValid(channel), channel);
        assertEquals(sub, ChannelName.userId(channel), channel);
    }

    @Test
    void user_escapesEachByteOutsideTheGrammar_andTheTildeItself() {
        assertEquals("user:auth0~7C5f7c8ec", ChannelName.user("auth0|5f7c8ec"));
        assertEquals("user:a@b.c", ChannelName.user("a@b.c"));
        assertEquals("user:caf~C3~A9", ChannelName.user("café"));
        assertEquals("user:auth0~7E7C5f7c8ec", ChannelName.user("auth0~7C5f7c8ec"), "no collision with auth0|5f7c8ec");
        assertEquals("user:~F0~9F~8E~89", ChannelName.user("\uD83C\uDF89"));
    }

    @Test
    void user_longestIds_fitIn128Characters_longerOnesHaveNoChannel() {
        assertEquals("user:" + "a".repeat(128), ChannelName.user("a".repeat(128)));
        assertTrue(ChannelName.userChannelProblem("a".repeat(129)).contains("at most 128 characters once escaped"));
        assertTrue(ChannelName.isValid(ChannelName.user("|".repeat(42))), "42 escaped bytes: 126 characters");
        assertTrue(ChannelName.userChannelProblem("|".repeat(43)).contains("too long"), "43 escaped bytes: 129");
        assertTrue(ChannelName.userChannelProblem("a\uD800").contains("unpaired"));
        assertTrue(ChannelName.userChannelProblem("").contains("empty"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"channel:a", "user:a~7c", "user:a~41", "user:a~", "user:a~7", "user:~ZZ", "user:~C3"})
    void userId_ofNoUsersChannel_isNull(String channel) {
        assertEquals(null, ChannelName.userId(channel), channel);
    }
}
