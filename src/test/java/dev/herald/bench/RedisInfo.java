package dev.herald.bench;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.TreeMap;

/**
 * Samples one Redis node's counters (commands by name, network bytes, CPU, memory) over its own connection, and
 * knows what its own sampling adds, so a delta between two samples is the work of everyone else.
 */
final class RedisInfo implements AutoCloseable {
    private static final byte[] REQUEST =
            "*5\r\n$4\r\nINFO\r\n$12\r\ncommandstats\r\n$5\r\nstats\r\n$3\r\ncpu\r\n$6\r\nmemory\r\n"
                    .getBytes(StandardCharsets.US_ASCII);

    /** Counters of one node at one moment; {@code replyBytes} is what this sample's own reply added to the output. */
    record Sample(Map<String, Long> calls, long received, long netIn, long netOut, double cpuSeconds, long usedMemory,
                  long replyBytes) {
        /** What happened between {@code before} and this sample, minus the sampling itself. */
        Delta since(Sample before) {
            Map<String, Long> calls = new TreeMap<>();
            this.calls.forEach((name, n) -> {
                long d = n - before.calls.getOrDefault(name, 0L);
                if (d != 0 && !name.equals("info")) {
                    calls.put(name, d);
                }
            });
            // the input counted this sample's request; the output counted the earlier sample's reply
            // total_commands_processed counts commands clients sent, not those a script ran; the earlier INFO is in it
            return new Delta(calls, received - before.received - 1, netIn - before.netIn - REQUEST.length,
                             netOut - before.netOut - before.replyBytes, cpuSeconds - before.cpuSeconds,
                             usedMemory - before.usedMemory);
        }
    }

    record Delta(Map<String, Long> calls, long received, long netIn, long netOut, double cpuSeconds,
                 long usedMemory) {
        Delta plus(Delta other) {
            Map<String, Long> sum = new TreeMap<>(calls);
            other.calls.forEach((name, n) -> sum.merge(name, n, Long::sum));
            return new Delta(sum, received + other.received, netIn + other.netIn, netOut + other.netOut,
                             cpuSeconds + other.cpuSeconds, usedMemory + other.usedMemory);
        }

        static Delta none() {
            return new Delta(new TreeMap<>(), 0, 0, 0, 0, 0);
        }
    }

    private final String address;
    private final Socket socket;

    RedisInfo(String hostPort) throws IOException {
        this.address = hostPort;
        int colon = hostPort.lastIndexOf(':');
        this.socket = new Socket(hostPort.substring(0, colon), Integer.parseInt(hostPort.substring(colon + 1)));
        socket.setSoTimeout(10_000);
    }

    String address() {
        return address;
    }

    Sample sample() throws IOException {
        socket.getOutputStream().write(REQUEST);
        InputStream in = socket.getInputStream();
        String header = line(in);
        if (header.charAt(0) != '$') {
            throw new IOException("INFO answered " + header);
        }
        int length = Integer.parseInt(header.substring(1));
        String text = new String(in.readNBytes(length + 2), 0, length, StandardCharsets.UTF_8);
        Map<String, Long> calls = new TreeMap<>();
        Map<String, String> fields = new TreeMap<>();
        for (String row : text.split("\r\n")) {
            int colon = row.indexOf(':');
            if (colon < 0) {
                continue;
            }
            String key = row.substring(0, colon);
            String value = row.substring(colon + 1);
            if (key.startsWith("cmdstat_")) {
                // cmdstat_evalsha:calls=1000,usec=…  (subcommands are spelled cmdstat_client|setname)
                String n = value.substring("calls=".length(), value.indexOf(','));
                calls.put(key.substring("cmdstat_".length()), Long.parseLong(n));
            } else {
                fields.put(key, value);
            }
        }
        double cpu = Double.parseDouble(fields.get("used_cpu_sys")) + Double.parseDouble(fields.get("used_cpu_user"));
        return new Sample(calls, Long.parseLong(fields.get("total_commands_processed")),
                          Long.parseLong(fields.get("total_net_input_bytes")),
                          Long.parseLong(fields.get("total_net_output_bytes")), cpu,
                          Long.parseLong(fields.get("used_memory")), header.length() + 2L + length + 2L);
    }

    private static String line(InputStream in) throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        int c;
        while ((c = in.read()) != '\r') {
            if (c < 0) {
                throw new IOException("Redis closed the connection");
            }
            line.write(c);
        }
        in.read();
        return line.toString(StandardCharsets.US_ASCII);
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
