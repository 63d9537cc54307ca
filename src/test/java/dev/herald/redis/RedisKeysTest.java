package dev.herald.redis;

import java.util.List;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.util.JedisClusterCRC16;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

/** The slot rule of a Redis Cluster: every name one publish or one presence step touches is in the channel's slot. */
@Tag("unit")
class RedisKeysTest {
    private final RedisKeys sharded = new RedisKeys("realtime", true);

    @Test
    void onACluster_everyKeyOfAChannel_itsEpochAndItsShardChannel_shareTheChannelsSlot() {
        for (String channel : List.of("channel:general", "user:alice", "user:~E2~80~A8x", "channel:a.b_c-d@e")) {
            int slot = JedisClusterCRC16.getSlot(sharded.sequence(channel));
            assertEquals(RedisKeys.slot(channel), slot, channel);
            for (String name : List.of(sharded.history(channel), sharded.epoch(channel), sharded.pubsub(channel),
                                       sharded.rate("channel", channel), sharded.idempotency(channel, "k"),
                                       sharded.presenceUser(channel, "bob"), sharded.presenceUsers(channel))) {
                assertEquals(slot, JedisClusterCRC16.getSlot(name), name);
            }
            assertEquals(channel, sharded.channelOf(sharded.pubsub(channel)));
        }
    }

    @Test
    void onACluster_eachSlotHasItsEpochAndKeepAliveChannel_inThatSlot() {
        for (int slot = 0; slot < RedisKeys.SLOTS; slot++) {
            assertEquals(slot, JedisClusterCRC16.getSlot(sharded.slotEpoch(slot)));
            assertEquals(slot, JedisClusterCRC16.getSlot(sharded.keepAlive(slot)));
        }
        assertNull(sharded.channelOf(sharded.keepAlive(7)), "a keep-alive channel is no Herald channel");
    }

    @Test
    void onOneRedis_namesAreAsBefore() {
        RedisKeys single = new RedisKeys("realtime");
        assertEquals("realtime:channel:general", single.pubsub("channel:general"));
        assertEquals("realtime:epoch", single.epoch("channel:general"));
        assertNotEquals(single.pubsub("channel:general"), sharded.pubsub("channel:general"));
    }
}
