package dev.herald;

import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The watch tells a listening socket from a closed one, and a stop from a death. */
class ListenerWatchTest {

    @Test
    void aListenerThatCloses_isSeenGone_andStaysGone() throws Exception {
        ServerSocket listener = new ServerSocket();
        listener.setReuseAddress(true);
        listener.bind(new InetSocketAddress("127.0.0.1", 0));
        int port = listener.getLocalPort();
        try (Socket lingering = new Socket("127.0.0.1", port); Socket accepted = listener.accept()) {
            ListenerWatch watch = new ListenerWatch(List.of(new ListenerWatch.Address("127.0.0.1", port)));
            watch.look();
            assertTrue(watch.listening(), "a bound listener");
            listener.close();
            watch.look();
            assertFalse(watch.listening(), "closed, though one of its connections is still open");
            try (ServerSocket again = new ServerSocket()) {
                again.setReuseAddress(true);
                again.bind(new InetSocketAddress("127.0.0.1", port));
                watch.look();
                assertFalse(watch.listening(), "a death is not undone");
            }
        }
    }

    @Test
    void aClosedWatch_neverReportsAStoppedServerAsDead() throws Exception {
        int port;
        try (ServerSocket listener = new ServerSocket(0)) {
            port = listener.getLocalPort();
        }
        ListenerWatch watch = new ListenerWatch(List.of(new ListenerWatch.Address("127.0.0.1", port)));
        watch.close();
        watch.look();
        assertTrue(watch.listening());
    }
}
