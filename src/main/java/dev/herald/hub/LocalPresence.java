package dev.herald.hub;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/** Presence of embedded mode, in memory. Thread-safe: concurrent maps updated with atomic compute. */
public final class LocalPresence implements Presence {
    private record Entry(Member member, int connections) {
    }

    /** Channel → user id → that user's connection count; empty maps are removed. */
    private final Map<String, Map<String, Entry>> channels = new ConcurrentHashMap<>();

    @Override
    public boolean join(String channel, String userId, String userName) {
        boolean[] first = {false};
        channels.compute(channel, (c, users) -> {
            Map<String, Entry> map = users == null ? new ConcurrentHashMap<>() : users;
            map.compute(userId, (u, entry) -> {
                if (entry == null) {
                    first[0] = true;
                    return new Entry(new Member(userId, userName, EventJson.timestamp(Instant.now())), 1);
                }
                return new Entry(entry.member(), entry.connections() + 1);
            });
            return map;
        });
        return first[0];
    }

    @Override
    public boolean leave(String channel, String userId) {
        boolean[] last = {false};
        channels.computeIfPresent(channel, (c, users) -> {
            users.computeIfPresent(userId, (u, entry) -> {
                if (entry.connections() <= 1) {
                    last[0] = true;
                    return null;
                }
                return new Entry(entry.member(), entry.connections() - 1);
            });
            return users.isEmpty() ? null : users;
        });
        return last[0];
    }

    @Override
    public List<Member> members(String channel) {
        Map<String, Entry> users = channels.get(channel);
        List<Member> out = new ArrayList<>();
        if (users != null) {
            users.values().forEach(e -> out.add(e.member()));
        }
        out.sort(Comparator.comparing(Member::since).thenComparing(Member::userId));
        return out;
    }
}
