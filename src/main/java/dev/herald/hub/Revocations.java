package dev.herald.hub;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Users whose tokens issued before an instant are refused ({@code POST /api/users/{userId}/disconnect} with
 * {@code revokeTokensIssuedBefore}), as this pod knows them: applied here when this pod revokes, from the broker's
 * control message when another pod does, and reloaded from the broker's store whenever its control channel is
 * (re)subscribed. Entries only ever grow (the later instant and the later end win), so a reload that races a message
 * cannot undo it. Thread-safe: one concurrent map; owned by the {@link Hub}.
 */
public final class Revocations {
    /**
     * One user's revocation.
     *
     * @param before tokens with an {@code iat} before this (epoch ms, whole seconds) are refused
     * @param until  when the revocation is forgotten (epoch ms): tokens issued before {@code before} have expired
     */
    public record Revocation(long before, long until) {
        /** Both revocations in one: the later instant, the later end. */
        Revocation merge(Revocation other) {
            return new Revocation(Math.max(before, other.before), Math.max(until, other.until));
        }
    }

    /** Expired entries are swept when the map grows past a multiple of this. */
    private static final int SWEEP_EVERY = 4096;

    private final Map<String, Revocation> byUser = new ConcurrentHashMap<>();

    /** Records a revocation (merged with what is known of the user). */
    public void apply(String userId, Revocation revocation) {
        byUser.merge(userId, revocation, Revocation::merge);
        if (byUser.size() % SWEEP_EVERY == 0) {
            long now = System.currentTimeMillis();
            byUser.values().removeIf(r -> r.until() <= now);
        }
    }

    /** Records every revocation of a reload. */
    public void applyAll(Map<String, Revocation> revocations) {
        revocations.forEach(this::apply);
    }

    /**
     * The revocation of this user in force, or null: a token of the user with an {@code iat} before its
     * {@link Revocation#before} is refused (a token without {@code iat} counts as older than any).
     */
    public Revocation of(String userId) {
        Revocation revocation = byUser.get(userId);
        if (revocation != null && revocation.until() <= System.currentTimeMillis()) {
            byUser.remove(userId, revocation);
            return null;
        }
        return revocation;
    }

    /**
     * The revocations in force here that {@code stored} lacks or holds shorter (to store again after the store lost
     * them).
     */
    public Map<String, Revocation> beyond(Map<String, Revocation> stored) {
        Map<String, Revocation> missing = new java.util.HashMap<>();
        long now = System.currentTimeMillis();
        byUser.forEach((user, revocation) -> {
            Revocation there = stored.get(user);
            if (revocation.until() > now && (there == null || !there.merge(revocation).equals(there))) {
                missing.put(user, revocation);
            }
        });
        return missing;
    }

    /** How many users have a revocation held (a gauge). */
    public int size() {
        return byUser.size();
    }
}
