package dev.herald.client;

import java.time.Instant;
import java.util.Optional;

/**
 * The answer to a disconnect: the user's streams on the pod that took the call are ended; the other pods end theirs
 * as the message reaches them.
 *
 * @param userId the user whose streams end
 * @param reason the reason sent in each stream's last {@code disconnect} event
 * @param endedOnThisPod streams ended on the pod that took the call (the other pods' are not counted)
 * @param revokedBefore when a revocation was asked: the instant (whole seconds) before which the user's tokens are
 *                      refused from now on
 */
public record DisconnectResult(String userId, String reason, int endedOnThisPod, Optional<Instant> revokedBefore) {
}
