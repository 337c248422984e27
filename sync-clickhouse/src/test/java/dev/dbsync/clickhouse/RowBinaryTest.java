package dev.dbsync.clickhouse;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.dbsync.spi.LogicalType;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.math.BigDecimal;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** The RowBinary encoding: exact bytes of a few values, and write → read round trips of every supported type. */
class RowBinaryTest {

    private static byte[] bytes(RowBinary.Buffer b) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        b.writeTo(out);
        return out.toByteArray();
    }

    @Test
    void knownEncodings() throws Exception {
        RowBinary.Buffer b = new RowBinary.Buffer();
        RowBinary.writer(ChType.parse("Int32"), LogicalType.INT32, null).write(b, 1);
        RowBinary.writer(ChType.parse("Nullable(String)"), LogicalType.STRING, null).write(b, null);
        RowBinary.writer(ChType.parse("String"), LogicalType.STRING, null).write(b, "é");
        RowBinary.writer(ChType.parse("Decimal(5, 2)"), LogicalType.DECIMAL, null).write(b, new BigDecimal("-1.5"));
        RowBinary.writer(ChType.parse("Date32"), LogicalType.DATE, null).write(b, LocalDate.of(1969, 12, 31));
        assertArrayEquals(new byte[] {1, 0, 0, 0, 1, 2, (byte) 0xc3, (byte) 0xa9, (byte) 0x6a, (byte) 0xff, (byte) 0xff, (byte) 0xff,
                (byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff}, bytes(b));
    }

    @Test
    void everyTypeRoundTrips() throws Exception {
        Object[][] cases = {
                {"Int64", LogicalType.INT64, Long.MIN_VALUE},
                {"Int32", LogicalType.INT32, Integer.MAX_VALUE},
                {"Decimal(9, 3)", LogicalType.DECIMAL, new BigDecimal("-123456.789")},
                {"Decimal(18, 4)", LogicalType.DECIMAL, new BigDecimal("12345678901234.5678")},
                {"Decimal(38, 18)", LogicalType.DECIMAL, new BigDecimal("-12345678901234567890.123456789012345678")},
                {"Decimal(76, 10)", LogicalType.DECIMAL, new BigDecimal("1" + "0".repeat(60) + ".5000000001")},
                {"Float64", LogicalType.FLOAT64, -1.5e-300},
                {"Bool", LogicalType.BOOLEAN, true},
                {"String", LogicalType.STRING, "x".repeat(300) + "日本"},
                {"String", LogicalType.BYTES, new byte[] {0, (byte) 0xff, 10}},
                {"UUID", LogicalType.UUID, UUID.fromString("123e4567-e89b-12d3-a456-426614174000")},
                {"Date32", LogicalType.DATE, LocalDate.of(1900, 1, 1)},
                {"DateTime64(6, 'UTC')", LogicalType.TIMESTAMP_TZ, Instant.parse("1960-02-29T23:59:59.999999Z")},
                {"DateTime64(6, 'UTC')", LogicalType.TIMESTAMP, LocalDateTime.of(2024, 2, 29, 23, 59, 59, 123_456_000)},
                {"Nullable(String)", LogicalType.JSON, Map.of("a", List.of(1, "b"), "n", Map.of("ok", true))},
                {"Array(Nullable(String))", LogicalType.ARRAY, Arrays.asList("x", null, "ü")},
                {"Nullable(Int64)", LogicalType.INT64, null},
        };
        RowBinary.Buffer b = new RowBinary.Buffer();
        for (Object[] c : cases) {
            ChType t = ChType.parse((String) c[0]);
            RowBinary.writer(t, (LogicalType) c[1], c[1] == LogicalType.ARRAY ? LogicalType.STRING : null).write(b, c[2]);
        }
        RowBinary.Input in = new RowBinary.Input(new ByteArrayInputStream(bytes(b)));
        for (Object[] c : cases) {
            Object v = RowBinary.reader(ChType.parse((String) c[0]), (LogicalType) c[1]).read(in);
            if (c[2] instanceof byte[]) {
                assertArrayEquals((byte[]) c[2], (byte[]) v);
            } else if (c[2] instanceof BigDecimal) {
                assertEquals(0, ((BigDecimal) c[2]).compareTo((BigDecimal) v), c[0] + ": " + v);
            } else {
                assertEquals(c[2], v, (String) c[0]);
            }
        }
        assertTrue(!in.hasMore());
    }

    @Test
    void valuesThatDoNotFitAreRefusedWithTheReason() {
        RowBinary.Buffer b = new RowBinary.Buffer();
        IllegalArgumentException scale = assertThrows(IllegalArgumentException.class, () ->
                RowBinary.writer(ChType.parse("Decimal(12, 2)"), LogicalType.DECIMAL, null).write(b, new BigDecimal("1.234")));
        assertTrue(scale.getMessage().contains("Decimal(12, 2)"), scale.getMessage());
        assertThrows(IllegalArgumentException.class, () ->
                RowBinary.writer(ChType.parse("Decimal(4, 2)"), LogicalType.DECIMAL, null).write(b, new BigDecimal("100.00")));
        assertThrows(IllegalArgumentException.class, () ->
                RowBinary.writer(ChType.parse("Int64"), LogicalType.INT64, null).write(b, null));
        assertThrows(IllegalArgumentException.class, () ->
                RowBinary.writer(ChType.parse("Date32"), LogicalType.DATE, null).write(b, "2024-01-01"));
    }

    @Test
    void aFailedRowIsTakenBackAcrossChunks() throws Exception {
        RowBinary.Buffer b = new RowBinary.Buffer();
        List<byte[]> expected = new ArrayList<>();
        byte[] big = new byte[700_000];
        Arrays.fill(big, (byte) 7);
        b.bytes(big, 0, big.length);
        long mark = b.mark();
        b.bytes(big, 0, big.length);
        b.bytes(big, 0, big.length);
        b.reset(mark);
        b.u8(9);
        expected.add(big);
        byte[] all = bytes(b);
        assertEquals(700_001, all.length);
        assertEquals(9, all[700_000]);
    }
}
