package dev.dbsync.redis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.dbsync.spi.Column;
import dev.dbsync.spi.LogicalType;
import java.math.BigDecimal;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Key escaping and value texts, without a server. */
class KeyLayoutAndCodecTest {

    @Test
    void escapedKeysNeverCollideAndParseBack() {
        for (String sep : List.of(":", "::", "/", "|")) {
            KeyLayout l = new KeyLayout("p", sep);
            List<List<String>> keys = List.of(List.of("a" + sep + "b", "c"), List.of("a", "b" + sep + "c"), List.of("a%3Ab", "c"),
                    List.of("~ver", ""), List.of("", "~"), Arrays.asList(null, "x"), List.of("%!", "x"), List.of("ü✓", "日本"),
                    List.of("a" + sep, "b"), List.of("a", sep + "b"));
            Set<String> texts = new HashSet<>();
            for (List<String> k : keys) {
                String text = l.keyText(k);
                assertTrue(texts.add(text), "two keys gave " + text + " with separator " + sep);
                assertTrue(!text.startsWith("~"), text);
                assertEquals(k, l.parts(text, 2), "round trip of " + text);
            }
        }
    }

    @Test
    void tableNamesAreEscapedToo() {
        KeyLayout l = new KeyLayout("cache", ":");
        assertEquals("cache:shop.orders:", l.tablePrefix("shop.orders"));
        assertEquals("cache:a%3Ab:", l.tablePrefix("a:b"));
        assertNotEquals(l.tablePrefix("a:b") + l.keyText(List.of("c")), l.tablePrefix("a") + l.keyText(List.of("b:c")));
        assertEquals("t:", new KeyLayout("", ":").tablePrefix("t"), "an empty prefix adds no separator");
        assertEquals("a\\*b\\?\\[x\\]*", KeyLayout.globPrefix("a*b?[x]"));
    }

    @Test
    void decimalKeysAreNormalisedAndTimesAreUtcInstants() {
        Column dec = Column.decimal("d", 10, 2);
        assertEquals(Codec.keyText(new BigDecimal("1.50"), dec), Codec.keyText(new BigDecimal("1.5"), dec));
        assertEquals("0", Codec.keyText(new BigDecimal("0.00"), dec));
        Column ts = Column.of("t", LogicalType.TIMESTAMP_TZ);
        assertEquals("2024-01-02T01:04:05Z", Codec.text(OffsetDateTime.of(2024, 1, 2, 3, 4, 5, 0, ZoneOffset.ofHours(2)), ts));
        assertEquals(Instant.parse("2024-01-02T01:04:05Z"), Codec.parse("2024-01-02T01:04:05Z", ts));
    }

    @Test
    void arraysAndJsonRoundTripWithTheirElementTypes() {
        Column arr = Column.array("a", LogicalType.INT64);
        List<Object> v = new ArrayList<>(List.of(1L, -2L, 3_000_000_000L));
        v.add(null);
        assertEquals(v, Codec.parse(Codec.text(v, arr), arr));
        Column dec = Column.decimal("d", 30, 10);
        BigDecimal big = new BigDecimal("12345678901234567890.0123456789");
        assertEquals(big, Codec.fromJson(Codec.json(big, dec), dec));
        assertTrue(Codec.json(big, dec).isTextual(), "decimals stay exact as JSON strings");
        assertEquals("\"NaN\"", Codec.json(Double.NaN, Column.of("f", LogicalType.FLOAT64)).toString());
    }
}
