package dev.herald.http;

import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.util.function.BooleanSupplier;
import java.util.logging.Logger;

import io.helidon.webserver.http.ServerResponse;

/**
 * Tells whether the client has reset an HTTP/2 stream. Helidon 4.5 keeps writing DATA frames for a stream the
 * client cancelled (RST_STREAM) without an error, so an SSE writer would never learn that its client left: it
 * would hold its connection slot forever and, once the stream's flow-control window is spent, block. Helidon
 * exposes no public API for the stream state, so this reads it reflectively; where that fails it answers
 * "open" and logs once. HTTP/1.1 needs no probe: a write to a closed socket fails.
 */
final class ClosedStreamProbe {
    private static final Logger LOG = Logger.getLogger(ClosedStreamProbe.class.getName());
    private static final String HTTP2_RESPONSE = "io.helidon.webserver.http2.Http2ServerResponse";
    private static volatile boolean warned;

    private ClosedStreamProbe() {
    }

    static BooleanSupplier of(ServerResponse res) {
        if (!res.getClass().getName().equals(HTTP2_RESPONSE)) {
            return () -> false;
        }
        try {
            Field field = res.getClass().getDeclaredField("stream");
            field.setAccessible(true);
            Object stream = field.get(res);
            Method state = stream.getClass().getMethod("streamState");
            state.setAccessible(true);
            return () -> {
                try {
                    return "CLOSED".equals(String.valueOf(state.invoke(stream)));
                } catch (ReflectiveOperationException e) {
                    return false;
                }
            };
        } catch (ReflectiveOperationException | RuntimeException e) {
            if (!warned) {
                warned = true;
                LOG.warning("Cannot see HTTP/2 stream state (" + e + "): cancelled HTTP/2 SSE streams are "
                            + "noticed only when their connection closes");
            }
            return () -> false;
        }
    }
}
