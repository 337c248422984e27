package dev.dbsync.postgres;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.dbsync.spi.Column;
import dev.dbsync.spi.LogicalType;
import java.math.BigDecimal;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Names, literals, the catalog mapping and the DDL whitelist, without a database. */
class PgTypesTest {

    @Test
    void namesAreParsedAndQuoted() {
        assertEquals(new PgName("public", "orders"), PgName.parse("orders", "public"));
        assertEquals(new PgName("sales", "Orders"), PgName.parse("sales.Orders", "public"));
        assertEquals(new PgName("my.schema", "odd\"name"), PgName.parse("\"my.schema\".\"odd\"\"name\"", "public"));
        assertEquals("\"x\"\"; DROP TABLE t; --\"", PgName.quote("x\"; DROP TABLE t; --"));
        assertEquals("\"a.b\".\"c\"", new PgName("a.b", "c").sql());
        assertThrows(IllegalArgumentException.class, () -> PgName.parse("a.b.c", "public"));
        assertThrows(IllegalArgumentException.class, () -> PgName.parse("a.", "public"));
        assertThrows(IllegalArgumentException.class, () -> PgName.quote("a\0b"));
    }

    @Test
    void literalsCannotEscapeTheirQuotes() {
        Column text = Column.of("t", LogicalType.STRING);
        assertEquals("'it''s \\ ok'::text", PgTypes.literal(text, "it's \\ ok"));
        assertEquals("'''); DROP TABLE x; --'::text", PgTypes.literal(text, "'); DROP TABLE x; --"));
        assertEquals("'2024-05-06 07:08:09.123456+00'::timestamptz",
                PgTypes.literal(Column.of("u", LogicalType.TIMESTAMP_TZ), Instant.parse("2024-05-06T07:08:09.123456Z")));
        assertEquals("'42'::int8", PgTypes.literal(Column.of("i", LogicalType.INT64), 42L));
        assertEquals("NULL::int4", PgTypes.literal(Column.of("i", LogicalType.INT32), null));
    }

    @Test
    void catalogTypesMapToLogicalTypes() {
        Column n = PgTypes.column("amount", true, "numeric", null, ((12 << 16) | 2) + 4, "numeric(12,2)");
        assertEquals(LogicalType.DECIMAL, n.type());
        assertEquals(12, n.precision());
        assertEquals(2, n.scale());
        assertEquals(false, n.nullable());
        Column a = PgTypes.column("tags", false, "_text", "text", -1, "text[]");
        assertEquals(LogicalType.ARRAY, a.type());
        assertEquals(LogicalType.STRING, a.elementType());
        assertEquals(LogicalType.STRING, PgTypes.column("mood", false, "mood_enum", null, -1, "mood_enum").type());
        assertEquals(LogicalType.JSON, PgTypes.column("j", false, "jsonb", null, -1, "jsonb").type());
        assertEquals(LogicalType.INT32, PgTypes.column("s", false, "int2", null, -1, "smallint").type());
        assertEquals(LogicalType.TIMESTAMP_TZ, PgTypes.column("t", false, "timestamptz", null, -1, "timestamp with time zone").type());
    }

    @Test
    void ddlKeepsOnlyBuiltInSourceTypes() {
        assertEquals("numeric(12,2)", PgTypes.ddlType(new Column("a", LogicalType.DECIMAL, true, 12, 2, null, "numeric(12,2)")));
        assertEquals("character varying(20)", PgTypes.ddlType(new Column("a", LogicalType.STRING, true, 20, 0, null, "character varying(20)")));
        assertEquals("smallint[]", PgTypes.ddlType(new Column("a", LogicalType.ARRAY, true, 0, 0, LogicalType.INT32, "smallint[]")));
        // anything else falls back to the logical mapping, so a source type never reaches DDL unchecked
        assertEquals("text", PgTypes.ddlType(new Column("a", LogicalType.STRING, true, 0, 0, null, "text); DROP TABLE x; --")));
        assertEquals("bigint", PgTypes.ddlType(new Column("a", LogicalType.INT64, true, 0, 0, null, "integer")));
        assertEquals("text", PgTypes.ddlType(new Column("a", LogicalType.STRING, true, 0, 0, null, "mood_enum")));
        assertEquals("jsonb", PgTypes.ddlType(Column.of("j", LogicalType.JSON)));
        assertEquals("timestamptz", PgTypes.ddlType(Column.of("t", LogicalType.TIMESTAMP_TZ)));
    }

    @Test
    void binaryNumericAndTimestampDecode() {
        // 12345.678 = digits [1, 2345, 6780], weight 1, positive, dscale 3
        byte[] num = {0, 3, 0, 1, 0, 0, 0, 3, 0, 1, 0x09, 0x29, 0x1a, (byte) 0x7c};
        assertEquals(new BigDecimal("12345.678"), PgTypes.decodeBinary(LogicalType.DECIMAL, num, 0, num.length));
        byte[] neg = {0, 1, 0, 0, 0x40, 0, 0, 2, 0, 5};
        assertEquals(new BigDecimal("-5.00"), PgTypes.decodeBinary(LogicalType.DECIMAL, neg, 0, neg.length));
        byte[] epoch = new byte[8];
        assertEquals(Instant.parse("2000-01-01T00:00:00Z"), PgTypes.decodeBinary(LogicalType.TIMESTAMP_TZ, epoch, 0, 8));
        byte[] minusOne = {-1, -1, -1, -1, -1, -1, -1, -1};
        assertEquals(Instant.parse("1999-12-31T23:59:59.999999Z"), PgTypes.decodeBinary(LogicalType.TIMESTAMP_TZ, minusOne, 0, 8));
    }

    @Test
    void textRenderingForCopy() {
        StringBuilder sb = new StringBuilder();
        PgTypes.appendText(sb, LogicalType.ARRAY, LogicalType.STRING, List.of("a", "b,c", "q\"uote"));
        assertEquals("{\"a\",\"b,c\",\"q\\\"uote\"}", sb.toString());
        sb.setLength(0);
        PgTypes.appendText(sb, LogicalType.BYTES, null, new byte[] {0, 15, (byte) 255});
        assertEquals("\\x000fff", sb.toString());
        sb.setLength(0);
        PgTypes.appendText(sb, LogicalType.JSON, null, Map.of("k", List.of(1, 2)));
        assertEquals("{\"k\":[1,2]}", sb.toString());
        assertArrayEquals(new byte[] {1, 2}, (byte[]) PgTypes.decodeBinary(LogicalType.BYTES, new byte[] {9, 1, 2}, 1, 2));
    }

    @Test
    void aPasswordInTheUrlIsMaskedInMessages() {
        org.junit.jupiter.api.Assertions.assertEquals("jdbc:postgresql://h/db?user=u&password=****&ssl=true",
                PgConnectionFactory.masked("jdbc:postgresql://h/db?user=u&password=s3cret&ssl=true"));
        org.junit.jupiter.api.Assertions.assertFalse(new PgConnectionFactory("jdbc:postgresql://h/db?password=s3cret", "u", "p")
                .toString().contains("s3cret"));
    }
}
