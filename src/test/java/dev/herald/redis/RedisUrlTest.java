package dev.herald.redis;

import java.util.List;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.HostAndPort;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Every form of {@code herald.redis.url}, and what a bad one says (never its password). */
@Tag("unit")
class RedisUrlTest {
    @Test
    void theFilesBudget_countsEverySocketAForm_opens() {
        int one = RedisConnection.MAX_SOCKETS;
        assertEquals(one, RedisConnection.maxSockets("redis://redis"));
        assertEquals(one + 3 + 1, RedisConnection.maxSockets("redis-sentinel://s1,s2,s3/mymaster"),
                     "a listener per sentinel and a master lookup");
        assertEquals(one * 3 + 1, RedisConnection.maxSockets("redis-cluster://n1:7000,n2:7001,n3:7002"),
                     "a pool and a shard connection per seed, and a topology read");
    }

    @Test
    void standalone_withDefaults() {
        RedisUrl.Standalone url = (RedisUrl.Standalone) RedisUrl.parse("redis://redis");
        assertEquals(new RedisUrl.Standalone(new HostAndPort("redis", 6379), null, null, 0, false), url);
    }

    @Test
    void standalone_withUserPasswordDatabaseAndTls() {
        RedisUrl.Standalone url = (RedisUrl.Standalone) RedisUrl.parse("rediss://herald:s3cret@10.0.0.5:6380/2");
        assertEquals(new RedisUrl.Standalone(new HostAndPort("10.0.0.5", 6380), "herald", "s3cret", 2, true), url);
    }

    @Test
    void standalone_passwordOnly_isTheDefaultUser() {
        RedisUrl url = RedisUrl.parse("redis://:pw@127.0.0.1:7000/");
        assertNull(url.user());
        assertEquals("pw", url.password());
    }

    @Test
    void percentEncodedPassword_isDecoded_andAPlusStaysAPlus() {
        RedisUrl url = RedisUrl.parse("redis://app:p%40ss%2Fw%3Ard+x%25@host:1");
        assertEquals("app", url.user());
        assertEquals("p@ss/w:rd+x%", url.password());
    }

    @Test
    void unencodedAtSignInThePassword_theLastAtSeparatesTheHost() {
        RedisUrl.Standalone url = (RedisUrl.Standalone) RedisUrl.parse("redis://:p@ss@host:1");
        assertEquals("p@ss", url.password());
        assertEquals("host", url.address().getHost());
    }

    @Test
    void ipv6_inBrackets() {
        RedisUrl.Standalone url = (RedisUrl.Standalone) RedisUrl.parse("redis://[::1]:6390");
        assertEquals(new HostAndPort("::1", 6390), url.address());
        assertEquals("redis://[::1]:6390", url.toString());
        assertEquals(new HostAndPort("fe80::1", 6379), ((RedisUrl.Standalone) RedisUrl.parse("redis://[fe80::1]")).address());
    }

    @Test
    void sentinel_severalHosts_masterName_andDatabase() {
        RedisUrl.Sentinel url = (RedisUrl.Sentinel) RedisUrl.parse(
                "redis-sentinel://u:pw@s1:26379,s2,[::1]:26381/mymaster/3");
        assertEquals(List.of(new HostAndPort("s1", 26379), new HostAndPort("s2", 26379), new HostAndPort("::1", 26381)),
                     url.sentinels());
        assertEquals("mymaster", url.masterName());
        assertEquals(3, url.database());
        assertEquals("u", url.user());
        assertEquals("pw", url.password());
        assertFalse(url.tls());
        assertTrue(((RedisUrl.Sentinel) RedisUrl.parse("rediss-sentinel://s1/m")).tls());
    }

    @Test
    void cluster_seedNodes() {
        RedisUrl.Cluster url = (RedisUrl.Cluster) RedisUrl.parse("redis-cluster://:pw@n1:7000,n2:7001");
        assertEquals(List.of(new HostAndPort("n1", 7000), new HostAndPort("n2", 7001)), url.seeds());
        assertEquals("pw", url.password());
        assertTrue(RedisUrl.parse("rediss-cluster://n1:7000").tls());
    }

    @Test
    void schemeIsCaseInsensitive() {
        assertTrue(RedisUrl.parse("REDIS://h:1") instanceof RedisUrl.Standalone);
    }

    @Test
    void badForms_sayWhatIsWrong() {
        assertBad("http://example.com", "unknown scheme 'http'");
        assertBad("127.0.0.1:6379", "expected redis://");
        assertBad("redis://", "no host");
        assertBad("redis://:pw@", "no host");
        assertBad("redis://h:0", "port 0 is not in 1-65535");
        assertBad("redis://h:70000", "port 70000");
        assertBad("redis://h:port", "not a port: 'port'");
        assertBad("redis://h:1/x", "the database is a number");
        assertBad("redis://h:1/-1", "the database is a number");
        assertBad("redis://h:1/0/1", "the path is the database number only");
        assertBad("redis://a:1,b:2", "redis:// takes one host");
        assertBad("redis://h:1?timeout=3", "query parameters are not read");
        assertBad("redis://::1:6379", "write an IPv6 address in brackets");
        assertBad("redis://[::1:6379", "closing ]");
        assertBad("redis://h o:1", "not a host name");
        assertBad("redis-sentinel://s1:26379", "the master name is missing");
        assertBad("redis-sentinel://s1:26379/", "the master name is missing");
        assertBad("redis-sentinel:///mymaster", "no host");
        assertBad("redis-sentinel://s1,,s2/mymaster", "an empty host");
        assertBad("redis-sentinel://s1/m/1/2", "the path is /master-name[/db]");
        assertBad("redis-cluster://n1:7000/1", "database 0 only");
        assertBad("redis-cluster://", "no host");
    }

    @Test
    void errorsAndToString_neverShowThePassword() {
        String[] bad = {"redis://u:hunter2@h:0", "redis://:hunter2@h:1/x", "http://u:hunter2@h",
                        "redis-sentinel://:hunter2@s1", "redis://:hunter2%zz@h:1", "redis:hunter2@h",
                        "redis://hunter2@h:1", "redis-cluster://:hunter2@n1/3"};
        for (String url : bad) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> RedisUrl.parse(url), url);
            assertFalse(e.getMessage().contains("hunter2"), e.getMessage());
        }
        assertEquals("redis://u:***@h:1/2", RedisUrl.parse("redis://u:hunter2@h:1/2").toString());
        assertEquals("redis-sentinel://:***@s1:26379/m", RedisUrl.parse("redis-sentinel://:hunter2@s1/m").toString());
        assertEquals("rediss-cluster://:***@n1:7000", RedisUrl.parse("rediss-cluster://:hunter2@n1:7000").toString());
    }

    @Test
    void loginWithoutColon_isRefused_sinceItIsAmbiguous() {
        assertBad("redis://hunter2@h:1", "user:password@");
    }

    @Test
    void badPercentEncoding_isRefused() {
        assertBad("redis://:abc%2@h:1", "two hex digits");
    }

    @Test
    void redact_hidesThePassword_keepsTheUser() {
        assertEquals("redis://app:***@h:1", RedisUrl.redact("redis://app:pw@h:1"));
        assertEquals("redis://:***@h:1", RedisUrl.redact("redis://:p@w@h:1"));
        assertEquals("redis://h:1", RedisUrl.redact("redis://h:1"));
        assertEquals("***@h", RedisUrl.redact("redis:pw@h"));
    }

    private static void assertBad(String url, String reason) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> RedisUrl.parse(url), url);
        assertTrue(e.getMessage().contains(reason), url + " -> " + e.getMessage());
    }
}
