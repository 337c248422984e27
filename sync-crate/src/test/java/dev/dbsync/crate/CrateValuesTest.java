package dev.dbsync.crate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.dbsync.spi.Column;
import dev.dbsync.spi.LogicalType;
import java.math.BigDecimal;
import java.sql.Timestamp;
import java.sql.Types;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

class CrateValuesTest {

    private static final CrateSettings S = CrateSettings.sink(Map.of("url", "crate://h"));

    @Test
    void objectColumnsTakeJsonObjectsOnly() throws Exception {
        Column j = Column.of("doc", LogicalType.JSON);
        Map<String, Object> doc = new java.util.LinkedHashMap<>();
        doc.put("a", 1);
        doc.put("b", List.of("x"));
        assertEquals("{\"a\":1,\"b\":[\"x\"]}", CrateValues.objectJson(j, doc));
        CrateValues.BadValueException list = assertThrows(CrateValues.BadValueException.class,
                () -> CrateValues.objectJson(j, List.of(1, 2)));
        assertTrue(list.getMessage().contains("'doc'") && list.getMessage().contains("JSON array"), list.getMessage());
        CrateValues.BadValueException scalar = assertThrows(CrateValues.BadValueException.class,
                () -> CrateValues.objectJson(j, "text"));
        assertTrue(scalar.getMessage().contains("scalar"), scalar.getMessage());
    }

    /** CrateDB's BIGINT refuses the two extremes of a Java long; they are refused per row with the range. */
    @Test
    void bigintExtremesAreRefusedWithTheRange() throws Exception {
        Column c = Column.of("big", LogicalType.INT64);
        assertEquals(Long.MAX_VALUE - 1, CrateValues.checkBigint(c, Long.MAX_VALUE - 1, null));
        assertEquals(Long.MIN_VALUE + 1, CrateValues.checkBigint(c, Long.MIN_VALUE + 1, null));
        for (long v : new long[] {Long.MAX_VALUE, Long.MIN_VALUE}) {
            CrateValues.BadValueException e = assertThrows(CrateValues.BadValueException.class,
                    () -> CrateValues.checkBigint(c, v, null));
            assertTrue(e.getMessage().contains("'big'") && e.getMessage().contains(Long.toString(v))
                    && e.getMessage().contains("BIGINT range"), e.getMessage());
        }
        CrateValues.BadValueException el = assertThrows(CrateValues.BadValueException.class,
                () -> CrateValues.checkBigint(c, Long.MAX_VALUE, 3));
        assertTrue(el.getMessage().contains("element 3"), el.getMessage());
    }

    @Test
    void timestampsAreSentInUtcAtMillisecondPrecision() {
        OffsetDateTime o = CrateValues.toOffset(Instant.parse("2024-02-29T23:59:59.999999Z"));
        assertEquals(OffsetDateTime.of(2024, 2, 29, 23, 59, 59, 999_000_000, ZoneOffset.UTC), o);
        assertEquals(Instant.parse("2024-01-01T09:00:00Z"),
                CrateValues.toOffset(OffsetDateTime.of(2024, 1, 1, 10, 0, 0, 0, ZoneOffset.ofHours(1))).toInstant());
    }

    @Test
    void arrayElementsWithoutAPostgresArrayTypeTravelAsText() {
        assertEquals("text", CrateValues.arrayTypeName(LogicalType.STRING));
        assertEquals("int4", CrateValues.arrayTypeName(LogicalType.INT32));
        assertEquals("int8", CrateValues.arrayTypeName(LogicalType.INT64));
        assertEquals("float8", CrateValues.arrayTypeName(LogicalType.FLOAT64));
        assertEquals("bool", CrateValues.arrayTypeName(LogicalType.BOOLEAN));
        assertEquals("text", CrateValues.arrayTypeName(LogicalType.TIMESTAMP_TZ));
        assertEquals("2024-01-02T03:04:05.678Z",
                CrateValues.arrayElement(LogicalType.TIMESTAMP_TZ, Instant.parse("2024-01-02T03:04:05.678912Z")));
        assertEquals("2024-01-02T03:04:05.678",
                CrateValues.arrayElement(LogicalType.TIMESTAMP, LocalDateTime.of(2024, 1, 2, 3, 4, 5, 678_900_000)));
        assertEquals("2024-01-02T00:00:00", CrateValues.arrayElement(LogicalType.DATE, LocalDate.of(2024, 1, 2)));
        assertEquals("AAH/", CrateValues.arrayElement(LogicalType.BYTES, new byte[] {0, 1, (byte) 0xff}));
        assertEquals("0.0001", CrateValues.arrayElement(LogicalType.DECIMAL, new BigDecimal("1E-4")));
        assertEquals("00000000-0000-0000-0000-000000000001", CrateValues.arrayElement(LogicalType.UUID, new UUID(0, 1)));
    }

    @Test
    void arrayElementsReadBackToTheirLogicalTypes() {
        assertEquals(7, CrateValues.element(LogicalType.INT32, 7L));
        assertEquals(7L, CrateValues.element(LogicalType.INT64, "7"));
        assertEquals(1.5, CrateValues.element(LogicalType.FLOAT64, 1.5f));
        assertEquals(Boolean.TRUE, CrateValues.element(LogicalType.BOOLEAN, "true"));
        assertEquals(new BigDecimal("12.50"), CrateValues.element(LogicalType.DECIMAL, "12.50"));
        assertArrayEquals(new byte[] {0, 1, (byte) 0xff}, (byte[]) CrateValues.element(LogicalType.BYTES, "AAH/"));
        assertEquals(Instant.parse("2024-01-02T03:04:05.678Z"),
                CrateValues.element(LogicalType.TIMESTAMP_TZ, Timestamp.valueOf(LocalDateTime.of(2024, 1, 2, 3, 4, 5, 678_000_000))));
        assertEquals(LocalDate.of(2024, 1, 2), CrateValues.element(LogicalType.DATE, 1_704_153_600_000L));
    }

    @Test
    void crateTimestampTextFormsParse() {
        Instant expected = Instant.parse("2024-01-02T03:04:05.678Z");
        assertEquals(expected, CrateValues.parseTimestampText("2024-01-02 03:04:05.678+00"));
        assertEquals(expected, CrateValues.parseTimestampText("2024-01-02T05:04:05.678+02:00"));
        assertEquals(expected, CrateValues.parseTimestampText("2024-01-02T03:04:05.678Z"));
        assertEquals(expected, CrateValues.parseTimestampText("2024-01-02T03:04:05.678"));
        assertEquals(expected, CrateValues.parseTimestampText("1704164645678"));
    }

    @Test
    void nullsAreBoundWithTheirColumnsSqlType() {
        assertEquals(Types.BIGINT, CrateValues.sqlType(Column.of("a", LogicalType.INT64), S));
        assertEquals(Types.NUMERIC, CrateValues.sqlType(Column.decimal("a", 10, 2), S));
        assertEquals(Types.VARCHAR, CrateValues.sqlType(Column.decimal("a", 0, 0), S), "unbounded decimal stored as text");
        assertEquals(Types.VARCHAR, CrateValues.sqlType(Column.of("a", LogicalType.JSON), S));
        assertEquals(Types.TIMESTAMP, CrateValues.sqlType(Column.of("a", LogicalType.DATE), S));
        assertEquals(Types.TIMESTAMP_WITH_TIMEZONE, CrateValues.sqlType(Column.of("a", LogicalType.TIMESTAMP_TZ), S));
        assertEquals(Types.ARRAY, CrateValues.sqlType(Column.array("a", LogicalType.STRING), S));
        assertEquals(Types.VARCHAR, CrateValues.sqlType(Column.of("a", LogicalType.BYTES), S));
    }

    @Test
    void cursorValuesBecomeMonotoneVersions() {
        assertEquals(1_704_164_645_678_000L, CrateSource.versionOf(Instant.parse("2024-01-02T03:04:05.678Z")));
        assertEquals(1_704_164_645_678_000L, CrateSource.versionOf(LocalDateTime.of(2024, 1, 2, 3, 4, 5, 678_000_000)));
        assertEquals(86_400_000_000L, CrateSource.versionOf(LocalDate.of(1970, 1, 2)));
        assertEquals(42L, CrateSource.versionOf(42));
        assertEquals(0L, CrateSource.versionOf("text"));
    }

    @Test
    void crateTypeNamesMapToLogicalTypes() {
        assertEquals(LogicalType.STRING, CrateSource.column("a", "text", true, 0, 0).type());
        assertEquals(LogicalType.STRING, CrateSource.column("a", "character varying(12)", true, 0, 0).type());
        assertEquals(LogicalType.INT32, CrateSource.column("a", "integer", true, 0, 0).type());
        assertEquals(LogicalType.INT32, CrateSource.column("a", "smallint", true, 0, 0).type());
        assertEquals(LogicalType.INT64, CrateSource.column("a", "bigint", true, 0, 0).type());
        assertEquals(LogicalType.FLOAT64, CrateSource.column("a", "real", true, 0, 0).type());
        assertEquals(LogicalType.FLOAT64, CrateSource.column("a", "double precision", true, 0, 0).type());
        assertEquals(LogicalType.BOOLEAN, CrateSource.column("a", "boolean", true, 0, 0).type());
        assertEquals(LogicalType.TIMESTAMP_TZ, CrateSource.column("a", "timestamp with time zone", true, 0, 0).type());
        assertEquals(LogicalType.TIMESTAMP, CrateSource.column("a", "timestamp without time zone", true, 0, 0).type());
        assertEquals(LogicalType.JSON, CrateSource.column("a", "object", true, 0, 0).type());
        assertEquals(LogicalType.UUID, CrateSource.column("a", "uuid", true, 0, 0).type());
        Column dec = CrateSource.column("a", "numeric", false, 12, 2);
        assertEquals(LogicalType.DECIMAL, dec.type());
        assertEquals(12, dec.precision());
        assertEquals(2, dec.scale());
        assertTrue(!dec.nullable());
        for (String arr : List.of("text_array", "ARRAY(text)", "text[]")) {
            Column c = CrateSource.column("a", arr, true, 0, 0);
            assertEquals(LogicalType.ARRAY, c.type(), arr);
            assertEquals(LogicalType.STRING, c.elementType(), arr);
        }
        assertEquals(LogicalType.INT64, CrateSource.column("a", "bigint_array", true, 0, 0).elementType());
        assertEquals(LogicalType.STRING, CrateSource.column("a", "object_array", true, 0, 0).elementType());
    }
}
