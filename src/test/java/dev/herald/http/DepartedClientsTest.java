package dev.herald.http;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import dev.herald.Await;
import dev.herald.TestPod;
import dev.herald.redis.RedisProcess;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Clients that leave (a page reloaded, a tab closed) are noticed when it matters, not a heartbeat or three later: a
 * user at the per-user cap on any pod, or a pod at its cap, gets its stream because the streams of clients that left
 * are made to write, fail and end. The heartbeat here is the default 15 s: only the probes can explain a quick end.
 */
class DepartedClientsTest {
    private static final Duration WAIT = Duration.ofSeconds(10);

    @Test
    void aPageReloaded25TimesInARow_getsItsStreamEveryTime_notA429() throws IOException {
        try (TestPod pod = TestPod.start(Map.of("herald.sse.max-connections-per-user", "5"))) {
            String path = TestPod.eventsPath("channel:lobby") + "&access_token=" + pod.token("rita");
            Socket page = null;
            for (int reload = 1; reload <= 25; reload++) {
                Socket next = open(pod.port(), path);
                assertEquals(200, status(next), "reload " + reload);
                if (page != null) {
                    page.close();
                }
                page = next;
            }
            page.close();
            // the streams of the pages closed since the last probe end at the next heartbeat's probe (nothing needs
            // their slots now); none was refused
            assertEquals(0.0, pod.metric("sse_connections_rejected_total", "reason=\"user_full\""));
        }
    }

    @Test
    void userAtTheCapOnAnotherPod_thatPodNoticesItsClientsLeft_andTheStreamIsAdmitted() throws Exception {
        try (RedisProcess redis = RedisProcess.start(false)) {
            Map<String, String> config = Map.of("herald.redis.url", redis.url(),
                                                "herald.sse.max-connections-per-user", "3");
            try (TestPod a = TestPod.start(config); TestPod b = TestPod.start(config)) {
                String path = TestPod.eventsPath("channel:lobby") + "&access_token=" + a.token("sam");
                List<Socket> onA = new ArrayList<>();
                for (int i = 0; i < 3; i++) {
                    onA.add(open(a.port(), path));
                    assertEquals(200, status(onA.get(i)));
                }
                for (Socket left : onA) {
                    left.close();
                }
                try (Socket onB = open(b.port(), path)) {
                    assertEquals(200, status(onB), "pod A was asked to probe sam's streams and they ended");
                    Await.until("pod A to count them gone", WAIT, () -> a.metric("sse_connections_total", null) == 0);
                }
            }
        }
    }

    @Test
    void podAtItsCap_streamsOfClientsThatLeftAreNoticed_andTheNewStreamIsAdmitted() throws IOException {
        try (TestPod pod = TestPod.start(Map.of("herald.sse.max-connections", "10"))) {
            List<Socket> clients = new ArrayList<>();
            for (int i = 0; i < 10; i++) {
                Socket client = open(pod.port(), TestPod.eventsPath("channel:hall") + "&access_token="
                                                  + pod.token("user" + i));
                assertEquals(200, status(client));
                clients.add(client);
            }
            for (Socket left : clients.subList(1, 10)) {
                left.close();
            }
            try (Socket late = open(pod.port(), TestPod.eventsPath("channel:hall") + "&access_token="
                                                 + pod.token("latecomer"))) {
                assertEquals(200, status(late), "not 503: nine of the ten streams belonged to clients that left");
                Await.until("the streams of the nine to end", WAIT, () -> pod.metric("sse_connections_total", null) == 2);
            } finally {
                clients.get(0).close();
            }
        }
    }

    /** An SSE request on its own connection, as a browser page opens it. */
    private static Socket open(int port, String path) throws IOException {
        Socket socket = new Socket(InetAddress.getLoopbackAddress(), port);
        socket.setSoTimeout((int) WAIT.toMillis());
        socket.getOutputStream().write(("GET " + path + " HTTP/1.1\r\nHost: localhost\r\nAccept: text/event-stream\r\n\r\n")
                                               .getBytes(StandardCharsets.US_ASCII));
        return socket;
    }

    /**
     * The status code of the response on the socket; for a 200, once the stream is live (its first {@code id:} frame
     * arrived), so that closing it afterwards is a client leaving an open stream, not one still starting.
     */
    private static int status(Socket socket) throws IOException {
        InputStream in = socket.getInputStream();
        String statusLine = line(in);
        String[] parts = statusLine.split(" ", 3);
        int status = parts.length > 1 ? Integer.parseInt(parts[1]) : -1;
        if (status == 200) {
            String line;
            do {
                line = line(in);
            } while (!line.startsWith("id: ") && !line.contains("\nid: ") && !line.endsWith("EOF"));
        }
        return status;
    }

    private static String line(InputStream in) throws IOException {
        StringBuilder line = new StringBuilder();
        int c;
        while ((c = in.read()) != '\n') {
            if (c < 0) {
                return line + "EOF";
            }
            line.append((char) c);
        }
        return line.toString();
    }
}
