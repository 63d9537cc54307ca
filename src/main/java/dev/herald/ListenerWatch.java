package dev.herald;

import java.io.IOException;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ScheduledExecutorService;
import java.util.logging.Logger;

import dev.herald.hub.Daemons;

/**
 * Notices when one of the pod's listeners has stopped accepting for good, so that liveness can go down and an
 * orchestrator restart the pod. When {@code accept()} fails with anything but a {@code SocketException} (such as
 * "Too many open files"), Helidon 4.5's listener logs SEVERE "... this server socket is terminating now", closes its
 * server socket and every connection on it, and its thread then blocks for ever joining its own close future.
 *
 * <p>Why a bind probe: the listener thread never ends (so its end is no signal), {@code WebServer.isRunning()}
 * stays true, Helidon has no public listener state, and the log line is Helidon's wording, which may change. The
 * property that matters is whether anything still listens on the port, and the kernel answers that directly: a
 * bind to the address fails with {@code EADDRINUSE} while a listening socket holds it (even with
 * {@code SO_REUSEADDR}, which lets the probe ignore connections lingering in TIME_WAIT), and succeeds once it is
 * gone. The probe opens no connection, so a live listener sees nothing (no TLS handshake, no connection slot).
 *
 * <p>Threads: {@code herald-listener-watch} looks every second; health checks read {@link #listening} from request
 * threads (volatile).
 */
final class ListenerWatch implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(ListenerWatch.class.getName());
    private static final Duration PERIOD = Duration.ofSeconds(1);

    /** One listening address. */
    record Address(String host, int port) {
    }

    private final List<Address> addresses;
    private volatile boolean listening = true;
    private volatile boolean closed;
    private volatile ScheduledExecutorService timer;

    ListenerWatch(List<Address> addresses) {
        this.addresses = List.copyOf(addresses);
    }

    void start() {
        timer = Daemons.every("herald-listener-watch", PERIOD, this::look);
    }

    /** False once a listener was found gone; it never comes back. */
    boolean listening() {
        return listening;
    }

    /** Checks every address once; package-private so tests need not wait for the timer. */
    void look() {
        for (Address address : addresses) {
            if (!listening) {
                return;
            }
            if (gone(address) && !closed) {
                // read after the probe: the pod sets closed before it stops its server, so a stop is never a death
                listening = false;
                LOG.severe("Nothing listens on " + address.host() + ":" + address.port() + " any more: the web "
                           + "server's listener has stopped accepting connections for good (Helidon closes it when "
                           + "accept() fails, e.g. at the open-files limit). Liveness is DOWN: restart the pod.");
            }
        }
    }

    private static boolean gone(Address address) {
        try (ServerSocket probe = new ServerSocket()) {
            probe.setReuseAddress(true);
            probe.bind(new InetSocketAddress(address.host(), address.port()), 1);
            return true;
        } catch (BindException e) {
            return false; // still held: the listener is there
        } catch (IOException e) {
            return false; // cannot tell now (no file left for the probe, say): look again next time
        }
    }

    /** Stops looking; called before the server stops, so that a stop is not taken for a death. */
    @Override
    public void close() {
        closed = true;
        ScheduledExecutorService running = timer;
        if (running != null) {
            running.shutdownNow();
        }
    }
}
