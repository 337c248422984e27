package dev.dbsync.elastic;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.dbsync.spi.Column;
import dev.dbsync.spi.LogicalType;
import java.math.BigDecimal;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Document ids, versions, index names and declared value ranges, without a server. */
class DocsTest {

    private static final ElasticSettings DEFAULTS = ElasticSettings.of(ElasticSettings.SINK.parse(Map.of("url", "http://localhost:9200")));

    @Test
    void versionsKeepTheirOrderInElasticsearchsNonNegativeRange() {
        long[] versions = {Long.MIN_VALUE, -(1L << 62) - 1, -(1L << 62), -123_456_789L, -2, -1, 1, 2, 1_700_000_000_000_000L,
                (1L << 62) - 1, 1L << 62, Long.MAX_VALUE};
        long prev = -1;
        for (long v : versions) {
            long es = Docs.esVersion(v);
            assertTrue(es >= 0, "non-negative: " + v + " -> " + es);
            assertTrue(es >= prev, "order kept: " + v + " -> " + es);
            prev = es;
        }
        // one to one across [-2^62, 2^62): neighbours stay distinct, so an older change never ties a newer one
        assertEquals(Docs.esVersion(41) + 1, Docs.esVersion(42));
        assertEquals(Docs.esVersion(-42) + 1, Docs.esVersion(-41));
        assertTrue(Docs.esVersion(-1) < Docs.esVersion(1));
    }

    @Test
    void compositeKeysNeverShareAnId() {
        List<List<Object>> keys = List.of(List.of("a:1", 2L), List.of("a", 12L), List.of("a|1", 2L), List.of("a", "1|2"),
                List.of("a\\", "|b"), List.of("a\\|", "b"), List.of("", "x"), Arrays.asList(null, "x"), List.of("\\0", "x"),
                List.of("\\N", "x"), List.of("a", "b", "c"), List.of("a|b", "c"));
        Set<String> ids = new HashSet<>();
        for (List<Object> k : keys) {
            assertTrue(ids.add(Docs.docId(k)), "unique id for " + k + ": " + Docs.docId(k));
        }
        assertEquals("42", Docs.docId(List.of(42L)), "a plain key is its own text");
        assertEquals("a|1", Docs.docId(List.of("a", 1)));
        assertEquals(Docs.docId(List.of(new BigDecimal("1.50"))), Docs.docId(List.of(new BigDecimal("1.5"))),
                "numerically equal decimals are one key");
    }

    @Test
    void indexNamesAreValidAndDistinct() {
        assertEquals("public.orders", Docs.indexName("", "public.orders"));
        assertEquals("shop_orders", Docs.indexName("shop_", "orders"));
        String odd = Docs.indexName("", "Odd Tab\"le-ü; DROP TABLE x");
        assertTrue(odd.matches("[^A-Z \"\\\\/*?<>|,#:]+"), odd);
        assertNotEquals(Docs.indexName("", "Orders"), Docs.indexName("", "orders"), "case-only differences stay distinct");
        assertTrue(!Docs.indexName("", "_hidden").startsWith("_"));
        List<String> many = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            many.add(Docs.indexName("", "T" + i));
        }
        assertEquals(50, new HashSet<>(many).size());
    }

    @Test
    void declaredRangesFollowTheMapping() {
        Column micros = new Column("ts", LogicalType.TIMESTAMP_TZ, true, 6, 0, null, null);
        Column millis = new Column("ts", LogicalType.TIMESTAMP_TZ, true, 3, 0, null, null);
        assertNotNull(Docs.refuses(micros, micros.type(), Instant.parse("1969-12-31T23:59:59Z"), DEFAULTS), "date_nanos starts in 1970");
        assertNotNull(Docs.refuses(micros, micros.type(), Instant.parse("2300-01-01T00:00:00Z"), DEFAULTS), "and ends in 2262");
        assertNull(Docs.refuses(micros, micros.type(), Instant.parse("2024-01-01T00:00:00.123456Z"), DEFAULTS));
        assertNull(Docs.refuses(millis, millis.type(), Instant.parse("1900-01-01T00:00:00Z"), DEFAULTS), "date holds old times");
        Column local = new Column("ts", LogicalType.TIMESTAMP, true, 6, 0, null, null);
        assertNotNull(Docs.refuses(local, local.type(), LocalDateTime.of(1, 1, 1, 0, 0), DEFAULTS));
        Column day = Column.of("d", LogicalType.DATE);
        assertNull(Docs.refuses(day, day.type(), LocalDate.of(1, 1, 1), DEFAULTS));
        assertNotNull(Docs.refuses(day, day.type(), LocalDate.of(10_000, 1, 1), DEFAULTS));
        Column j = Column.of("j", LogicalType.JSON);
        assertNull(Docs.refuses(j, j.type(), Map.of("a", List.of(1, Map.of("b", 2))), DEFAULTS));
        assertNull(Docs.refuses(j, j.type(), List.of(Map.of("a", 1)), DEFAULTS), "arrays of objects fit flattened");
        assertNotNull(Docs.refuses(j, j.type(), List.of("a", "b"), DEFAULTS), "flattened refuses arrays of scalars");
        assertNotNull(Docs.refuses(j, j.type(), "text", DEFAULTS));
        ElasticSettings disabled = ElasticSettings.of(ElasticSettings.SINK.parse(Map.of("url", "http://h:9200", "json.mapping", "disabled")));
        assertNull(Docs.refuses(j, j.type(), 42, disabled), "a disabled object keeps any JSON");
        Column f = Column.of("f", LogicalType.FLOAT64);
        assertNotNull(Docs.refuses(f, f.type(), Double.NaN, DEFAULTS));
        assertNull(Docs.refuses(f, f.type(), Double.MAX_VALUE, DEFAULTS));
    }

    @Test
    void secretsNeverShowInSettings() {
        ElasticSettings s = ElasticSettings.of(ElasticSettings.SINK.parse(Map.of("url", "http://h:9200", "user", "u", "password", "hunter2")));
        assertTrue(!s.toString().contains("hunter2"), s.toString());
        assertTrue(ElasticSettings.SINK.key("password").secret());
        assertTrue(ElasticSettings.SINK.key("api.key").secret());
    }
}
