package dev.herald.http;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Random;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** One batch of SSE frames: bytes and base-36 numbers appended in order, growing as needed, written at once. */
@Tag("unit")
class FrameBufferTest {
    private static String written(FrameBuffer buffer) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        buffer.writeTo(out);
        return out.toString(StandardCharsets.ISO_8859_1);
    }

    private static String base36(long value) throws IOException {
        FrameBuffer buffer = new FrameBuffer(0);
        buffer.putBase36(value);
        return written(buffer);
    }

    @ParameterizedTest
    @ValueSource(longs = {0, 1, 9, 10, 35, 36, 37, 1295, 1296, 46655, 46656, 1L << 32, Long.MAX_VALUE - 1,
                          Long.MAX_VALUE})
    void putBase36_matchesLongToString(long value) throws IOException {
        assertEquals(Long.toString(value, 36), base36(value));
    }

    @Test
    void putBase36_zeroAndMax_haveTheirExactSpelling() throws IOException {
        assertEquals("0", base36(0));
        assertEquals("1y2p0ij32e8e7", base36(Long.MAX_VALUE), "13 digits: the most putBase36 reserves");
    }

    @Test
    void putBase36_randomValues_matchLongToString() throws IOException {
        Random random = new Random(36);
        FrameBuffer buffer = new FrameBuffer(0);
        StringBuilder expected = new StringBuilder();
        for (int i = 0; i < 2_000; i++) {
            long value = random.nextLong() & Long.MAX_VALUE;
            buffer.putBase36(value);
            buffer.put((byte) ' ');
            expected.append(Long.toString(value, 36)).append(' ');
        }
        assertEquals(expected.toString(), written(buffer));
    }

    @Test
    void putBase36_atTheEndOfAFullBuffer_growsWithoutLosingBytes() throws IOException {
        for (int fill = 50; fill <= 64; fill++) {
            FrameBuffer buffer = new FrameBuffer(64);
            String prefix = "x".repeat(fill);
            buffer.put(prefix.getBytes(StandardCharsets.US_ASCII));
            buffer.putBase36(Long.MAX_VALUE);
            buffer.putBase36(0);
            assertEquals(prefix + "1y2p0ij32e8e7" + "0", written(buffer), "after " + fill + " bytes");
        }
    }

    @Test
    void put_bytesAndSingleBytes_growPastInitialCapacityInOrder() throws IOException {
        FrameBuffer buffer = new FrameBuffer(0);
        StringBuilder expected = new StringBuilder();
        for (int i = 0; i < 500; i++) {
            String chunk = "id: " + i + "\n";
            buffer.put(chunk.getBytes(StandardCharsets.US_ASCII));
            buffer.put((byte) '#');
            expected.append(chunk).append('#');
        }
        assertEquals(expected.toString(), written(buffer));
    }

    @Test
    void put_singleLargeArray_largerThanDoubleCapacity_fitsWhole() throws IOException {
        byte[] big = new byte[100_000];
        new Random(1).nextBytes(big);
        FrameBuffer buffer = new FrameBuffer(10);
        buffer.put((byte) 'a');
        buffer.put(big);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        buffer.writeTo(out);
        byte[] bytes = out.toByteArray();
        assertEquals(100_001, bytes.length);
        assertEquals('a', bytes[0]);
        assertArrayEquals(big, java.util.Arrays.copyOfRange(bytes, 1, bytes.length));
    }

    @Test
    void put_copiesTheSource_soLaterChangesDoNotLeakIn() throws IOException {
        byte[] source = "data: 1\n".getBytes(StandardCharsets.US_ASCII);
        FrameBuffer buffer = new FrameBuffer(64);
        buffer.put(source);
        source[6] = '9';
        assertEquals("data: 1\n", written(buffer));
    }

    @Test
    void isEmpty_untilSomethingIsPut_andWriteToOfEmptyWritesNothing() throws IOException {
        FrameBuffer buffer = new FrameBuffer(0);
        assertTrue(buffer.isEmpty());
        assertEquals("", written(buffer));
        buffer.put(new byte[0]);
        assertTrue(buffer.isEmpty());
        buffer.putBase36(0);
        assertFalse(buffer.isEmpty());
    }

    @Test
    void writeTo_calledTwice_writesTheSameBytesAgain() throws IOException {
        FrameBuffer buffer = new FrameBuffer(0);
        buffer.put(": ping\n\n".getBytes(StandardCharsets.US_ASCII));
        assertEquals(": ping\n\n", written(buffer));
        assertEquals(": ping\n\n", written(buffer));
    }
}
