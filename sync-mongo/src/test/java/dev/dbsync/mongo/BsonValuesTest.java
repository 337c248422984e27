package dev.dbsync.mongo;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.dbsync.spi.Column;
import dev.dbsync.spi.DataException;
import dev.dbsync.spi.LogicalType;
import java.math.BigDecimal;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.bson.BsonArray;
import org.bson.BsonBinary;
import org.bson.BsonDateTime;
import org.bson.BsonDecimal128;
import org.bson.BsonDocument;
import org.bson.BsonDouble;
import org.bson.BsonInt32;
import org.bson.BsonInt64;
import org.bson.BsonNull;
import org.bson.BsonObjectId;
import org.bson.BsonString;
import org.bson.BsonTimestamp;
import org.bson.BsonType;
import org.bson.BsonValue;
import org.bson.UuidRepresentation;
import org.bson.types.Decimal128;
import org.bson.types.ObjectId;
import org.junit.jupiter.api.Test;

/** Type inference and the conversions between BSON and the logical types, without a server. */
class BsonValuesTest {

    private static Column infer(BsonValue... values) {
        BsonValues.FieldTypes t = new BsonValues.FieldTypes();
        for (BsonValue v : values) {
            t.add(v);
        }
        return t.column("f", false);
    }

    @Test
    void inferenceMapsEveryBsonTypeWithoutLoss() {
        assertEquals(LogicalType.STRING, infer(new BsonString("a")).type());
        Column oid = infer(new BsonObjectId(new ObjectId()));
        assertEquals(LogicalType.STRING, oid.type());
        assertEquals(BsonValues.OBJECT_ID, oid.sourceType());
        assertEquals(LogicalType.INT32, infer(new BsonInt32(1)).type());
        assertEquals(LogicalType.INT64, infer(new BsonInt32(1), new BsonInt64(1L << 40)).type(), "int and long widen to INT64");
        assertEquals(LogicalType.FLOAT64, infer(new BsonInt32(1), new BsonDouble(1.5)).type());
        assertEquals(LogicalType.DECIMAL, infer(new BsonInt64(Long.MAX_VALUE), new BsonDouble(1.5)).type(),
                "a double beside 64-bit integers needs a decimal to hold both exactly");
        Column dec = infer(new BsonDecimal128(Decimal128.parse("1.10")), new BsonDecimal128(Decimal128.parse("123456")));
        assertEquals(LogicalType.DECIMAL, dec.type());
        assertEquals(0, dec.precision(), "Decimal128 values carry their own scale: the column is unbounded, never rounded to one scale");
        assertEquals(0, dec.scale());
        assertEquals(LogicalType.TIMESTAMP_TZ, infer(new BsonDateTime(0)).type());
        assertEquals(LogicalType.UUID, infer(new BsonBinary(UUID.randomUUID(), UuidRepresentation.STANDARD)).type());
        assertEquals(LogicalType.BYTES, infer(new BsonBinary(new byte[] {1})).type());
        Column legacy = infer(new BsonBinary(UUID.randomUUID(), UuidRepresentation.JAVA_LEGACY));
        assertEquals(LogicalType.BYTES, legacy.type(), "a legacy (subtype 3) UUID's byte order is driver-specific: kept as bytes");
        assertEquals("binary:3", legacy.sourceType());
        assertEquals(LogicalType.JSON, infer(new BsonDocument("a", new BsonInt32(1))).type());
        Column arr = infer(new BsonArray(List.of(new BsonString("a"), new BsonString("b"))));
        assertEquals(LogicalType.ARRAY, arr.type());
        assertEquals(LogicalType.STRING, arr.elementType());
        assertEquals(LogicalType.JSON, infer(new BsonArray(List.of(new BsonDocument()))).type(), "arrays of documents are JSON");
        assertEquals(LogicalType.JSON, infer(new BsonString("a"), new BsonInt32(1)).type(), "mixed types are JSON");
        assertEquals(BsonValues.MIXED, infer(new BsonString("a"), new BsonInt32(1)).sourceType());
        assertEquals(LogicalType.INT64, infer(new BsonTimestamp(5, 6)).type());
    }

    @Test
    void keysOfSeveralTypesKeepTheirExactBson() {
        BsonValues.FieldTypes t = new BsonValues.FieldTypes();
        t.add(new BsonString("a"));
        t.add(new BsonInt32(1));
        Column key = t.column("_id", true);
        assertEquals(LogicalType.STRING, key.type());
        assertEquals(BsonValues.BSON, key.sourceType());
        Object j = BsonValues.toJava(new BsonInt64(7), key, "test");
        assertEquals(new BsonInt64(7), BsonValues.toBson(j, key), "the key goes back to the same BSON value and type");
        BsonDocument embedded = new BsonDocument("b", new BsonInt32(2)).append("a", new BsonInt32(1));
        assertEquals(embedded, BsonValues.toBson(BsonValues.toJava(embedded, key, "test"), key), "field order is kept");
    }

    @Test
    void valuesRoundTripThroughTheirColumns() {
        UUID u = UUID.randomUUID();
        ObjectId oid = new ObjectId();
        Object[][] cases = {
            {new BsonString("x"), new Column("c", LogicalType.STRING, true, 0, 0, null, "string"), "x"},
            {new BsonObjectId(oid), new Column("c", LogicalType.STRING, true, 24, 0, null, BsonValues.OBJECT_ID), oid.toHexString()},
            {new BsonInt32(Integer.MIN_VALUE), Column.of("c", LogicalType.INT32), Integer.MIN_VALUE},
            {new BsonInt64(Long.MAX_VALUE), Column.of("c", LogicalType.INT64), Long.MAX_VALUE},
            {new BsonDouble(-0.1), Column.of("c", LogicalType.FLOAT64), -0.1},
            {new BsonDecimal128(Decimal128.parse("-1234567890123456789012345678901.234")), Column.decimal("c", 34, 3),
                new BigDecimal("-1234567890123456789012345678901.234")},
            {new BsonBinary(u, UuidRepresentation.STANDARD), Column.of("c", LogicalType.UUID), u},
            {new BsonDateTime(-86_400_000L * 365 * 3000), Column.of("c", LogicalType.TIMESTAMP_TZ), Instant.ofEpochMilli(-86_400_000L * 365 * 3000)},
            {new BsonTimestamp(1_700_000_000, 9), new Column("c", LogicalType.INT64, true, 0, 0, null, BsonValues.TIMESTAMP),
                new BsonTimestamp(1_700_000_000, 9).getValue()},
        };
        for (Object[] c : cases) {
            BsonValue v = (BsonValue) c[0];
            Column col = (Column) c[1];
            Object java = BsonValues.toJava(v, col, "test");
            assertEquals(c[2], java, col + " from " + v);
            assertEquals(v, BsonValues.toBson(java, col), col + " back to BSON");
        }
        byte[] bytes = {0, 1, (byte) 0xff};
        Column bin = new Column("c", LogicalType.BYTES, true, 0, 0, null, "binary:128");
        BsonBinary custom = new BsonBinary((byte) 0x80, bytes);
        assertArrayEquals(bytes, (byte[]) BsonValues.toJava(custom, bin, "test"));
        assertEquals(custom, BsonValues.toBson(bytes, bin), "a user-defined binary subtype is kept");
    }

    @Test
    void negativeZeroDecimalIsReadAsZero() {
        Object v = BsonValues.toJava(new BsonDecimal128(Decimal128.NEGATIVE_ZERO), Column.decimal("c", 34, 0), "test");
        assertEquals(0, ((BigDecimal) v).signum());
    }

    @Test
    void jsonKeepsEveryBsonTypeAsExtendedJsonAndComesBackExactly() {
        BsonDocument doc = new BsonDocument("s", new BsonString("x"))
                .append("i", new BsonInt32(1))
                .append("l", new BsonInt64(1L << 40))
                .append("d", new BsonDouble(2.5))
                .append("dec", new BsonDecimal128(Decimal128.parse("12.50")))
                .append("date", new BsonDateTime(1_700_000_000_123L))
                .append("oid", new BsonObjectId(new ObjectId()))
                .append("uuid", new BsonBinary(UUID.randomUUID(), UuidRepresentation.STANDARD))
                .append("nested", new BsonDocument("z", new BsonInt32(1)).append("a", new BsonArray(List.of(BsonNull.VALUE))));
        Object json = BsonValues.toJson(doc);
        assertTrue(json instanceof Map);
        Map<?, ?> m = (Map<?, ?>) json;
        assertEquals(List.of("s", "i", "l", "d", "dec", "date", "oid", "uuid", "nested"), List.copyOf(m.keySet()), "field order kept");
        assertEquals(new BigDecimal("12.50"), m.get("dec"), "a decimal reads as a JSON number with its scale");
        assertEquals(Map.of("$oid", doc.getObjectId("oid").getValue().toHexString()), m.get("oid"));
        assertEquals(doc, BsonValues.jsonToBson(json), "every value comes back with its BSON type");
        BsonDocument odd = new BsonDocument("nan", new BsonDecimal128(Decimal128.NaN))
                .append("inf", new BsonDecimal128(Decimal128.NEGATIVE_INFINITY))
                .append("negzero", new BsonDecimal128(Decimal128.NEGATIVE_ZERO));
        Map<?, ?> o = (Map<?, ?>) BsonValues.toJson(odd);
        assertEquals(Map.of("$numberDecimal", "NaN"), o.get("nan"), "a decimal no JSON number can hold stays a wrapper");
        assertEquals(Map.of("$numberDecimal", "-Infinity"), o.get("inf"));
        assertEquals(Map.of("$numberDecimal", "-0"), o.get("negzero"));
        assertEquals(odd, BsonValues.jsonToBson(o));
    }

    @Test
    void sinkSideConversionsAndRefusals() {
        assertEquals(new BsonDateTime(LocalDate.of(2024, 2, 29).toEpochDay() * 86_400_000L),
                BsonValues.toBson(LocalDate.of(2024, 2, 29), Column.of("d", LogicalType.DATE)));
        assertEquals(new BsonDateTime(Instant.parse("2024-01-02T03:04:05.678Z").toEpochMilli()),
                BsonValues.toBson(LocalDateTime.parse("2024-01-02T03:04:05.678999"), Column.of("t", LogicalType.TIMESTAMP)),
                "timestamps keep milliseconds: BSON dates have no finer unit");
        assertEquals(new BsonDecimal128(Decimal128.parse("1E+6000")),
                BsonValues.toBson(new BigDecimal("1E+6000"), Column.decimal("c", 0, 0)));
        DataException tooLong = assertThrows(DataException.class,
                () -> BsonValues.toBson(new BigDecimal("1234567890123456789012345678901234567"), Column.decimal("amount", 40, 0)));
        assertTrue(tooLong.getMessage().contains("amount") && tooLong.getMessage().contains("34"), tooLong.getMessage());
        DataException wrongType = assertThrows(DataException.class, () -> BsonValues.toBson("x", Column.of("n", LogicalType.INT64)));
        assertTrue(wrongType.getMessage().contains("'n'"), wrongType.getMessage());
        assertEquals(BsonType.DECIMAL128, BsonValues.jsonToBson(new BigDecimal("0.1")).getBsonType(),
                "a JSON decimal keeps its digits");
        assertEquals(new BsonDocument("$oid", new BsonString("x")), BsonValues.jsonToBson(Map.of("$oid", "x")),
                "a map that only looks like a wrapper stays a document");
    }

    @Test
    void aFieldWhoseTypeChangedIsRefusedNamingCollectionDocumentAndField() {
        DataException e = assertThrows(DataException.class,
                () -> BsonValues.toJava(new BsonString("x"), Column.of("qty", LogicalType.INT32), "collection 'orders', document _id 7"));
        assertTrue(e.getMessage().contains("'orders'") && e.getMessage().contains("_id 7") && e.getMessage().contains("'qty'"), e.getMessage());
    }
}
