package dev.herald.bench;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * Many SSE subscribers on one selector thread: non-blocking sockets bound to 127.0.0.x source addresses (so more
 * than one address's ephemeral ports), HTTP/1.1 GET, then a byte-level scan of {@code data:} lines for the
 * publisher's {@code "seq":N} and {@code "sent":M} (monotonic microseconds, comparable across processes here).
 * One thread owns every connection; counters are atomic for the reporting thread.
 */
final class SseLoad implements AutoCloseable {
    /** What each connection has seen. */
    static final class Conn {
        SocketChannel channel;
        final byte[] request;
        final InetSocketAddress source;
        final InetSocketAddress target;
        /** When a rejected connection tries again (ns), while it waits. */
        long retryAt;
        final ByteBuffer in = ByteBuffer.allocate(16 * 1024);
        boolean headersDone;
        boolean chunked;
        /** Chunked decoding: bytes left in the current chunk; -1 while reading a size line; -2 after a chunk. */
        long chunkLeft = -1;
        StringBuilder sizeLine = new StringBuilder(16);
        int status;
        long received;
        long lastSeq = -1;
        long outOfOrder;
        StringBuilder line = new StringBuilder(256);

        Conn(SocketChannel channel, byte[] request, InetSocketAddress source, InetSocketAddress target) {
            this.channel = channel;
            this.request = request;
            this.source = source;
            this.target = target;
        }

        /** Back to a fresh connection's state, for a retry. */
        void reset(SocketChannel fresh) {
            channel = fresh;
            headersDone = false;
            chunked = false;
            chunkLeft = -1;
            sizeLine.setLength(0);
            status = 0;
            line.setLength(0);
        }
    }

    private final Selector selector;
    private final List<Conn> conns = new ArrayList<>();
    private final Latency latency;
    final LongAdder deliveries = new LongAdder();
    final LongAdder open = new LongAdder();
    final LongAdder failed = new LongAdder();
    /** Responses other than 200 (a server shedding a connect storm answers 503): each retried after ~1 s. */
    final LongAdder rejected = new LongAdder();
    /** Rejected connections waiting for their retry; selector thread only. */
    private final java.util.PriorityQueue<Conn> retries =
            new java.util.PriorityQueue<>(java.util.Comparator.comparingLong((Conn c) -> c.retryAt));
    final AtomicLong firstOpenMicros = new AtomicLong();
    private volatile boolean running = true;
    private Thread thread;

    SseLoad(Latency latency) throws IOException {
        this.selector = Selector.open();
        this.latency = latency;
    }

    /** Opens {@code count} subscriptions to the URLs (round robin), from source addresses 127.0.0.2 and up. */
    void open(List<String> urls, int count, Map<String, String> headers, int perSourceAddress) throws IOException {
        open(urls, count, headers, perSourceAddress, 2);
    }

    /** As {@link #open(List, int, Map, int)}, from 127.0.0.{@code firstSource} and up. */
    void open(List<String> urls, int count, Map<String, String> headers, int perSourceAddress, int firstSource)
            throws IOException {
        for (int i = 0; i < count; i++) {
            URI uri = URI.create(urls.get(i % urls.size()).replace("{i}", Integer.toString(i)).replace("{room}", "0"));
            InetSocketAddress source = new InetSocketAddress("127.0.0." + (firstSource + i / perSourceAddress), 0);
            SocketChannel channel = socket(source);
            StringBuilder request = new StringBuilder("GET ").append(uri.getRawPath());
            if (uri.getRawQuery() != null) {
                request.append('?').append(uri.getRawQuery());
            }
            request.append(" HTTP/1.1\r\nHost: ").append(uri.getHost()).append(':').append(uri.getPort())
                    .append("\r\nAccept: text/event-stream\r\n");
            headers.forEach((k, v) -> request.append(k).append(": ").append(v.replace("{i}", "" + 0)).append("\r\n"));
            request.append("\r\n");
            InetSocketAddress target = new InetSocketAddress(uri.getHost(), uri.getPort());
            Conn conn = new Conn(channel, request.toString().getBytes(StandardCharsets.US_ASCII), source, target);
            conns.add(conn);
            channel.connect(target);
            channel.register(selector, SelectionKey.OP_CONNECT, conn);
            if (thread == null) {
                thread = Thread.ofPlatform().name("sse-load").daemon().start(this::loop);
            }
            selector.wakeup();
        }
    }

    private static SocketChannel socket(InetSocketAddress source) throws IOException {
        SocketChannel channel = SocketChannel.open();
        channel.configureBlocking(false);
        channel.setOption(StandardSocketOptions.SO_REUSEADDR, true);
        channel.setOption(StandardSocketOptions.SO_RCVBUF, 16 * 1024);
        channel.bind(source);
        return channel;
    }

    /** Reconnects the rejected connections whose time has come (selector thread). */
    private void retryDue() {
        long now = System.nanoTime();
        while (!retries.isEmpty() && retries.peek().retryAt <= now) {
            Conn conn = retries.poll();
            try {
                conn.reset(socket(conn.source));
                conn.channel.connect(conn.target);
                conn.channel.register(selector, SelectionKey.OP_CONNECT, conn);
            } catch (IOException e) {
                failed.increment();
            }
        }
    }

    long received() {
        return deliveries.sum();
    }

    List<Conn> conns() {
        return conns;
    }

    private void loop() {
        try {
            while (running) {
                selector.select(retries.isEmpty() ? 200 : 20);
                retryDue();
                Iterator<SelectionKey> keys = selector.selectedKeys().iterator();
                while (keys.hasNext()) {
                    SelectionKey key = keys.next();
                    keys.remove();
                    Conn conn = (Conn) key.attachment();
                    if (!key.isValid()) {
                        continue;
                    }
                    try {
                        if (key.isConnectable()) {
                            conn.channel.finishConnect();
                            conn.channel.write(ByteBuffer.wrap(conn.request));
                            key.interestOps(SelectionKey.OP_READ);
                        } else if (key.isReadable()) {
                            read(conn, key);
                        }
                    } catch (IOException | java.nio.channels.CancelledKeyException e) {
                        failed.increment();
                        key.cancel();
                        closeQuietly(conn);
                    }
                }
            }
        } catch (java.nio.channels.ClosedSelectorException e) {
            if (running) {
                throw e;
            }
            // closed by close() while selecting: the end
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private void read(Conn conn, SelectionKey key) throws IOException {
        conn.in.clear();
        int n = conn.channel.read(conn.in);
        if (n < 0) {
            key.cancel();
            closeQuietly(conn);
            if (conn.headersDone) {
                open.decrement();
            }
            failed.increment();
            return;
        }
        long now = System.nanoTime() / 1000;
        byte[] bytes = conn.in.array();
        for (int i = 0; i < n; i++) {
            char c = (char) (bytes[i] & 0xff);
            if (conn.headersDone && conn.chunked) {
                if (conn.chunkLeft == -1) {
                    if (c == '\n') {
                        String size = conn.sizeLine.toString().trim();
                        int semicolon = size.indexOf(';');
                        conn.chunkLeft = Long.parseLong(semicolon < 0 ? size : size.substring(0, semicolon), 16);
                        conn.sizeLine.setLength(0);
                        if (conn.chunkLeft == 0) {
                            conn.chunkLeft = -2;
                        }
                    } else if (c != '\r') {
                        conn.sizeLine.append(c);
                    }
                    continue;
                }
                if (conn.chunkLeft == -2) {
                    if (c == '\n') {
                        conn.chunkLeft = -1;
                    }
                    continue;
                }
                conn.chunkLeft--;
                if (conn.chunkLeft == 0) {
                    conn.chunkLeft = -2;
                }
            }
            if (c == '\n') {
                line(conn, now);
                conn.line.setLength(0);
                if (!conn.channel.isOpen()) {
                    return; // rejected: the rest is its error body
                }
            } else if (c != '\r' && conn.line.length() < 64 * 1024) {
                conn.line.append(c);
            }
        }
    }

    private void line(Conn conn, long now) {
        StringBuilder line = conn.line;
        if (!conn.headersDone) {
            if (conn.status == 0 && line.length() > 12 && line.indexOf("HTTP/1.1 ") == 0) {
                conn.status = Integer.parseInt(line.substring(9, 12));
            } else if (line.toString().toLowerCase(java.util.Locale.ROOT).startsWith("transfer-encoding:")
                       && line.toString().toLowerCase(java.util.Locale.ROOT).contains("chunked")) {
                conn.chunked = true;
            } else if (line.isEmpty()) {
                conn.headersDone = true;
                if (conn.status == 200) {
                    open.increment();
                    firstOpenMicros.compareAndSet(0, now);
                } else {
                    rejected.increment();
                    closeQuietly(conn);
                    conn.retryAt = System.nanoTime() + 1_000_000_000L
                                   + java.util.concurrent.ThreadLocalRandom.current().nextLong(500_000_000L);
                    retries.add(conn);
                }
            }
            return;
        }
        if (line.length() < 6 || line.charAt(0) != 'd' || line.indexOf("data:") != 0) {
            return;
        }
        long seq = number(line, "\"seq\":");
        long sent = number(line, "\"sent\":");
        if (seq < 0) {
            return;
        }
        conn.received++;
        if (seq <= conn.lastSeq) {
            conn.outOfOrder++;
        }
        conn.lastSeq = seq;
        deliveries.increment();
        if (sent > 0) {
            latency.record(now - sent);
        }
    }

    /** The non-negative integer after {@code key}, or -1. (Chunk-size lines of chunked encoding are skipped.) */
    private static long number(StringBuilder line, String key) {
        int at = line.indexOf(key);
        if (at < 0) {
            return -1;
        }
        long value = 0;
        int i = at + key.length();
        boolean any = false;
        while (i < line.length() && Character.isDigit(line.charAt(i))) {
            value = value * 10 + (line.charAt(i++) - '0');
            any = true;
        }
        return any ? value : -1;
    }

    private static void closeQuietly(Conn conn) {
        try {
            conn.channel.close();
        } catch (IOException ignored) {
            // closing
        }
    }

    @Override
    public void close() {
        running = false;
        selector.wakeup();
        for (Conn conn : conns) {
            closeQuietly(conn);
        }
        try {
            selector.close();
        } catch (IOException ignored) {
            // closing
        }
    }
}
