package dev.herald.http;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.List;

import dev.herald.auth.Principal;
import dev.herald.hub.ChannelName;

import io.helidon.http.HeaderNames;
import io.helidon.webserver.http.HttpRouting;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import io.helidon.webserver.staticcontent.StaticContentService;

/**
 * The admin dashboard ({@code web/admin/}): a page that draws every pod's {@code pod_stats} ({@code
 * metrics.PodStats}) live from one SSE stream of {@link ChannelName#ADMIN}. On the public port the page, whose stream
 * is {@code GET /api/events?channel=channel:__herald-admin} with a service token; on the management port ({@code
 * herald.management.port}, internal by design) the page and a stream that needs no token, {@code GET /admin/stream}.
 */
public final class AdminRoutes {
    /** Who a management port's dashboard stream is: a service, so the reserved channel is allowed. */
    private static final Principal DASHBOARD = new Principal("herald-admin", "herald admin", true, List.of());
    private static final byte[] PAGE = read("web/admin/index.html");

    private AdminRoutes() {
    }

    /**
     * The public port: the page at {@code GET /admin} (and {@code /admin/}); its script and style are static content
     * under {@code /admin/}.
     */
    static void register(HttpRouting.Builder routing) {
        routing.get("/admin", AdminRoutes::page).get("/admin/", AdminRoutes::page);
    }

    /**
     * Registers the management port's routes on {@code routing}: the page and its tokenless stream. With {@code
     * /observe} (added by the observe feature) the only routes there.
     */
    // StaticContentService: see Routes
    @SuppressWarnings("removal")
    public static HttpRouting.Builder management(HttpRouting.Builder routing, Routes.Parts parts) {
        EventsService events = new EventsService(parts.hub(), parts.presence(), parts.limits(), parts.metrics(),
                                                 parts.settings().sse(), parts.draining(), parts.jobs().store());
        routing.get("/admin", AdminRoutes::page)
                .get("/admin/", AdminRoutes::page)
                .get("/admin/stream", (req, res) -> events.serve(req, res, DASHBOARD, List.of(ChannelName.ADMIN)))
                .register("/admin", StaticContentService.builder("web/admin").build());
        Errors.register(routing);
        return routing;
    }

    /** The page, read from the jar once: static content finds no welcome file in a jar's folder. */
    private static void page(ServerRequest req, ServerResponse res) {
        res.header(HeaderNames.CONTENT_TYPE, "text/html; charset=utf-8");
        res.header(HeaderNames.CACHE_CONTROL, "no-cache");
        res.send(PAGE);
    }

    private static byte[] read(String resource) {
        try (InputStream in = AdminRoutes.class.getClassLoader().getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalStateException(resource + " is missing from the jar");
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
