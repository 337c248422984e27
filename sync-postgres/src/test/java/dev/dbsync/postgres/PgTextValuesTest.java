package dev.dbsync.postgres;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.dbsync.spi.Column;
import dev.dbsync.spi.LogicalType;
import java.math.BigDecimal;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Text output of PostgreSQL values (as logical decoding sends them) to the documented Java types. */
class PgTextValuesTest {

    private static Object parse(LogicalType type, String text) {
        return PgTextValues.parse(Column.of("c", type), text);
    }

    @Test
    void timestampsWithOffsetsEraAndInfinity() {
        assertEquals(Instant.parse("2024-01-02T01:04:05.5Z"), parse(LogicalType.TIMESTAMP_TZ, "2024-01-02 03:04:05.5+02"));
        assertEquals(Instant.parse("2024-01-02T08:34:05Z"), parse(LogicalType.TIMESTAMP_TZ, "2024-01-02 03:04:05-05:30"));
        assertEquals(Instant.parse("1889-12-31T23:00:00Z"), parse(LogicalType.TIMESTAMP_TZ, "1890-01-01 00:00:01+01:00:01"),
                "local mean time offsets with seconds");
        assertEquals(Instant.MAX, parse(LogicalType.TIMESTAMP_TZ, "infinity"));
        assertEquals(LocalDateTime.of(2024, 2, 29, 23, 59, 59, 999_999_000), parse(LogicalType.TIMESTAMP, "2024-02-29 23:59:59.999999"));
        assertEquals(LocalDateTime.of(-43, 3, 15, 12, 0), parse(LogicalType.TIMESTAMP, "0044-03-15 12:00:00 BC"));
        assertEquals(LocalDate.of(12345, 1, 1), parse(LogicalType.DATE, "12345-01-01"));
        assertEquals(LocalDate.MIN, parse(LogicalType.DATE, "-infinity"));
    }

    @Test
    void numbersBooleansBytesJson() {
        assertEquals(new BigDecimal("-0.000100"), parse(LogicalType.DECIMAL, "-0.000100"));
        assertThrows(NumberFormatException.class, () -> parse(LogicalType.DECIMAL, "NaN"));
        assertEquals(Double.NEGATIVE_INFINITY, parse(LogicalType.FLOAT64, "-Infinity"));
        assertEquals(Boolean.FALSE, parse(LogicalType.BOOLEAN, "f"));
        assertArrayEquals(new byte[] {(byte) 0xde, (byte) 0xad}, (byte[]) parse(LogicalType.BYTES, "\\xdead"));
        assertArrayEquals(new byte[] {'a', '\\', 0}, (byte[]) parse(LogicalType.BYTES, "a\\\\\\000"));
        assertEquals(List.of(1, new BigDecimal("2.50")), parse(LogicalType.JSON, "[1, 2.50]"));
        assertEquals(Long.MIN_VALUE, parse(LogicalType.INT64, "-9223372036854775808"));
    }

    @Test
    void arraysNestedQuotedAndWithBounds() {
        Column ints = Column.array("a", LogicalType.INT32);
        assertEquals(List.of(List.of(1, 2), List.of(3, 4)), PgTextValues.parse(ints, "{{1,2},{3,4}}"));
        assertEquals(List.of(7, 8), PgTextValues.parse(ints, "[0:1]={7,8}"));
        assertEquals(List.of(), PgTextValues.parse(ints, "{}"));
        Column texts = Column.array("t", LogicalType.STRING);
        assertEquals(Arrays.asList("a,b", "NULL", null, "x\\\"y", " sp "),
                PgTextValues.parse(texts, "{\"a,b\",\"NULL\",NULL,\"x\\\\\\\"y\",\" sp \"}"));
        Column real = new Column("r", LogicalType.FLOAT64, true, 0, 0, null, "real");
        assertEquals((double) 0.1f, PgTextValues.parse(real, "0.1"), "real is widened like a snapshot's ::float8 cast");
        Column chars = new Column("c", LogicalType.STRING, true, 4, 0, null, "character(4)");
        assertEquals("ab", PgTextValues.parse(chars, "ab  "), "char(n) loses its padding like a snapshot's ::text cast");
    }
}
