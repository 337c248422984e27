package dev.dbsync.redis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.dbsync.spi.Batch;
import dev.dbsync.spi.ChangeEvent;
import dev.dbsync.spi.CheckpointStore;
import dev.dbsync.spi.CheckpointUpdate;
import dev.dbsync.spi.Column;
import dev.dbsync.spi.ConfigException;
import dev.dbsync.spi.Lease;
import dev.dbsync.spi.LeaseException;
import dev.dbsync.spi.LogicalType;
import dev.dbsync.spi.Position;
import dev.dbsync.spi.SyncException;
import dev.dbsync.spi.TableSchema;
import dev.dbsync.spi.TableSpec;
import dev.dbsync.spi.TableWriter;
import dev.dbsync.spi.WriteResult;
import java.math.BigDecimal;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.Jedis;

/**
 * What the sink does in Redis beyond the contract suite: the key layout and its escaping, hash fields and JSON
 * documents, versions compared exactly, per-row failures, TTLs, secondary indexes, the checkpoint in the batch's
 * transaction, a lost script cache. Cases named after bugs users of other Redis sinks reported: deletes applied
 * before the upserts of the same batch, TTLs missing on hashes, a NULL written as an empty string instead of
 * removed, WRONGTYPE stopping everything.
 */
class RedisSinkIT {

    private final String prefix = Fixtures.uniquePrefix("sink");
    private final List<AutoCloseable> open = new ArrayList<>();
    private final AtomicLong version = new AtomicLong(100);

    @AfterEach
    void close() throws Exception {
        for (int i = open.size() - 1; i >= 0; i--) {
            open.get(i).close();
        }
    }

    private RedisSink sink(Object... settings) {
        RedisSink s = Fixtures.sink(prefix, settings);
        open.add(s);
        return s;
    }

    private TableWriter writer(RedisSink sink, TableSchema schema) {
        TableWriter w = sink.open(schema);
        open.add(0, w);
        return w;
    }

    private static Jedis jedis() {
        return RedisTestServer.get().jedis();
    }

    static TableSchema orders(String name) {
        return new TableSchema(name, List.of(
                Column.required("id", LogicalType.INT64),
                Column.of("customer_id", LogicalType.INT64),
                Column.of("status", LogicalType.STRING),
                Column.decimal("amount", 12, 2),
                Column.of("updated_at", LogicalType.TIMESTAMP_TZ)), List.of("id"));
    }

    static List<Object> order(long id, Long customer, String status, String amount, long second) {
        return Arrays.asList(id, customer, status, amount == null ? null : new BigDecimal(amount),
                Instant.parse("2024-01-01T00:00:00Z").plusSeconds(second));
    }

    private ChangeEvent up(TableSchema s, List<Object> row) {
        return up(s, row, version.incrementAndGet());
    }

    private static ChangeEvent up(TableSchema s, List<Object> row, long v) {
        int[] k = s.keyIndexes();
        Object[] key = new Object[k.length];
        for (int i = 0; i < k.length; i++) {
            key[i] = row.get(k[i]);
        }
        return ChangeEvent.upsert(s.name(), key, row.toArray(), v, Position.of(key));
    }

    private ChangeEvent del(TableSchema s, Object... key) {
        return ChangeEvent.delete(s.name(), key, null, version.incrementAndGet(), Position.of(key));
    }

    private String key(String table, String keyText) {
        return prefix + ":" + table + ":" + keyText;
    }

    @Test
    void rowsAreHashesOfTheirNonNullColumnsAtPrefixTableKey() {
        TableSchema s = orders("shop.orders");
        TableWriter w = writer(sink(), s);
        WriteResult r = w.write(Batch.of(s, List.of(up(s, order(1, 42L, "new", "10.50", 1), 7_000_000_000L),
                up(s, order(2, null, "new", null, 2), 0))));
        assertEquals(2, r.upserted());
        try (Jedis j = jedis()) {
            assertEquals(Map.of("id", "1", "customer_id", "42", "status", "new", "amount", "10.50",
                    "updated_at", "2024-01-01T00:00:01Z"), j.hgetAll(key("shop.orders", "1")), "the columns, nothing else");
            assertEquals(Set.of("id", "status", "updated_at"), j.hgetAll(key("shop.orders", "2")).keySet(),
                    "NULL columns are absent fields, never empty strings");
            assertEquals(Map.of("1", "7000000000"), j.hgetAll(prefix + ":shop.orders:~ver"),
                    "the versions of the table's rows, none for a row without version");
            JsonNode meta = Codec.JSON.readTree(j.get(prefix + ":shop.orders:~schema"));
            assertEquals("hash", meta.path("format").asText());
            assertTrue(j.smembers(prefix + ":~dbsync:tables").contains("shop.orders"));
        } catch (java.io.IOException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void aColumnThatBecameNullDoesNotLinger() {
        TableSchema s = orders("t");
        TableWriter w = writer(sink(), s);
        w.write(Batch.of(s, List.of(up(s, order(1, 42L, "new", "10.50", 1)))));
        w.write(Batch.of(s, List.of(up(s, order(1, null, "paid", null, 2)))));
        try (Jedis j = jedis()) {
            Map<String, String> h = j.hgetAll(key("t", "1"));
            assertFalse(h.containsKey("customer_id"), "the old hash is replaced: " + h);
            assertFalse(h.containsKey("amount"), "the old hash is replaced: " + h);
            assertEquals("paid", h.get("status"));
        }
    }

    @Test
    void jsonDocumentsKeepDecimalsExactAndNullsExplicit() throws Exception {
        TableSchema s = orders("t");
        TableWriter w = writer(sink("value.format", "json"), s);
        w.write(Batch.of(s, List.of(up(s, order(1, 9_007_199_254_740_993L, "new", "12345678901234.56", 1)),
                up(s, order(2, null, "x", null, 2)))));
        try (Jedis j = jedis()) {
            assertEquals("string", j.type(key("t", "1")));
            JsonNode doc = Codec.JSON.readTree(j.get(key("t", "1")));
            assertEquals("12345678901234.56", doc.get("amount").textValue(), "DECIMAL as a string: " + doc);
            assertEquals(9_007_199_254_740_993L, doc.get("customer_id").longValue(), "INT64 as an exact JSON number");
            assertTrue(Codec.JSON.readTree(j.get(key("t", "2"))).get("customer_id").isNull());
        }
        List<Map<String, Object>> back = Fixtures.readAll(prefix, s);
        assertEquals(new BigDecimal("12345678901234.56"), back.get(0).get("amount"));
    }

    /** A peer applied every delete of a batch before its upserts; here the order of a key's changes is kept. */
    @Test
    void deletesAndUpsertsOfOneKeyKeepTheirOrderInsideABatch() {
        TableSchema s = orders("t");
        TableWriter w = writer(sink(), s);
        WriteResult r = w.write(Batch.of(s, List.of(up(s, order(1, 1L, "a", "1", 1)), del(s, 1L), up(s, order(1, 1L, "b", "1", 2)),
                up(s, order(2, 1L, "a", "1", 1)), del(s, 2L))));
        assertTrue(r.failed().isEmpty());
        try (Jedis j = jedis()) {
            assertEquals("b", j.hget(key("t", "1"), "status"));
            assertFalse(j.exists(key("t", "2")));
        }
    }

    @Test
    void anOlderReplayIsSkippedEvenAfterADeleteAndVersionsCompareExactlyBeyondDoublePrecision() {
        TableSchema s = orders("t");
        TableWriter w = writer(sink(), s);
        long big = 9_007_199_254_740_993L; // 2^53 + 1: a double cannot tell it from 2^53
        w.write(Batch.of(s, List.of(up(s, order(1, 1L, "newer", "1", 1), big))));
        WriteResult stale = w.write(Batch.of(s, List.of(up(s, order(1, 1L, "older", "1", 1), big - 1))));
        assertEquals(1, stale.skipped());
        assertEquals(0, stale.upserted());
        assertTrue(stale.failed().isEmpty());
        w.write(Batch.of(s, List.of(ChangeEvent.delete("t", new Object[] {1L}, null, big + 10, Position.of(1L)))));
        WriteResult replay = w.write(Batch.of(s, List.of(up(s, order(1, 1L, "resurrected", "1", 1), big + 5))));
        assertEquals(1, replay.skipped(), "the delete's version stays as a tombstone");
        try (Jedis j = jedis()) {
            assertFalse(j.exists(key("t", "1")));
            assertEquals(Long.toString(big + 10), j.hget(prefix + ":t:~ver", "1"));
        }
        w.write(Batch.of(s, List.of(up(s, order(4, 1L, "live", "1", 1), 50))));
        WriteResult staleDelete = w.write(Batch.of(s, List.of(ChangeEvent.delete("t", new Object[] {4L}, null, 40, Position.of(4L)))));
        assertEquals(1, staleDelete.skipped(), "a delete older than the live row is skipped");
        try (Jedis j = jedis()) {
            assertTrue(j.exists(key("t", "4")));
        }
        WriteResult negative = w.write(Batch.of(s, List.of(up(s, order(2, 1L, "-5", "1", 1), -5), up(s, order(3, 1L, "-10", "1", 1), -10))));
        assertEquals(2, negative.upserted());
        assertEquals(1, w.write(Batch.of(s, List.of(up(s, order(2, 1L, "-6", "1", 1), -6)))).skipped(), "-6 < -5");
        assertEquals(1, w.write(Batch.of(s, List.of(up(s, order(3, 1L, "-9", "1", 1), -9)))).upserted(), "-9 > -10");
    }

    /** WRONGTYPE fails that row alone, with a reason naming the key; the rest of the batch is applied. */
    @Test
    void aKeyOfAnotherTypeFailsItsRowAloneNamingTheKey() {
        TableSchema s = orders("t");
        TableWriter w = writer(sink("index.sets", List.of("t=status")), s);
        try (Jedis j = jedis()) {
            j.set(key("t", "2"), "somebody else's string");
            j.set(prefix + ":t:~idx:status:blocked", "not a set");
        }
        List<ChangeEvent> batch = List.of(up(s, order(1, 1L, "a", "1", 1)), up(s, order(2, 1L, "a", "1", 1)),
                up(s, order(3, 1L, "blocked", "1", 1)), up(s, order(4, 1L, "a", "1", 1)));
        WriteResult r = w.write(Batch.of(s, batch));
        assertEquals(2, r.upserted());
        assertEquals(2, r.failed().size());
        assertTrue(r.failed().get(0).reason().contains("WRONGTYPE") && r.failed().get(0).reason().contains(key("t", "2")),
                r.failed().get(0).reason());
        assertTrue(r.failed().get(1).reason().contains("~idx:status:blocked"), r.failed().get(1).reason());
        try (Jedis j = jedis()) {
            assertEquals("somebody else's string", j.get(key("t", "2")), "a refused row changes nothing");
            assertFalse(j.exists(key("t", "3")));
            assertTrue(j.exists(key("t", "1")) && j.exists(key("t", "4")));
        }
    }

    @Test
    void keysWithSeparatorsPercentAndTildeNeverCollide() {
        TableSchema s = new TableSchema("odd:ta%ble~", List.of(Column.required("a", LogicalType.STRING),
                Column.required("b", LogicalType.STRING), Column.of("v", LogicalType.STRING)), List.of("a", "b"));
        TableWriter w = writer(sink(), s);
        List<List<Object>> rows = List.of(Arrays.asList("x:y", "z", "1"), Arrays.asList("x", "y:z", "2"),
                Arrays.asList("x%3Ay", "z", "3"), Arrays.asList("~ver", "", "4"), Arrays.asList("", "", "5"));
        List<ChangeEvent> events = new ArrayList<>();
        rows.forEach(r -> events.add(up(s, r)));
        assertEquals(5, w.write(Batch.of(s, events)).upserted());
        try (Jedis j = jedis()) {
            assertTrue(j.exists(prefix + ":odd%3Ata%25ble%7E:x%3Ay:z"));
            assertTrue(j.exists(prefix + ":odd%3Ata%25ble%7E:x:y%3Az"));
            assertTrue(j.exists(prefix + ":odd%3Ata%25ble%7E:%7Ever:"));
        }
        List<Map<String, Object>> back = Fixtures.readAll(prefix, s);
        assertEquals(5, back.size(), "five distinct keys: " + back);
        for (Map<String, Object> row : back) {
            List<Object> expected = rows.get(Integer.parseInt((String) row.get("v")) - 1);
            assertEquals(expected, List.of(row.get("a"), row.get("b"), row.get("v")));
        }
    }

    /** A peer set no TTL on hashes; here every format gets it, per table, renewed by each write. */
    @Test
    void ttlPerTableOnHashesAndJson() {
        TableSchema cached = orders("sessions");
        TableSchema kept = orders("customers");
        RedisSink sink = sink("ttl.tables", List.of("sessions=1h"));
        writer(sink, cached).write(Batch.of(cached, List.of(up(cached, order(1, 1L, "a", "1", 1)))));
        writer(sink, kept).write(Batch.of(kept, List.of(up(kept, order(1, 1L, "a", "1", 1)))));
        TableSchema json = orders("pages");
        writer(sink("value.format", "json", "ttl", "90s"), json).write(Batch.of(json, List.of(up(json, order(1, 1L, "a", "1", 1)))));
        try (Jedis j = jedis()) {
            long ttl = j.pttl(key("sessions", "1"));
            assertTrue(ttl > 3_500_000 && ttl <= 3_600_000, "hash TTL " + ttl);
            assertEquals(-1, j.pttl(key("customers", "1")), "no TTL where none is configured");
            long jt = j.pttl(key("pages", "1"));
            assertTrue(jt > 80_000 && jt <= 90_000, "JSON TTL " + jt);
        }
    }

    @Test
    void secondaryIndexesFollowUpdatesAndDeletes() {
        TableSchema s = orders("orders");
        TableWriter w = writer(sink("index.sets", List.of("orders=customer_id", "orders=status"),
                "index.sorted", List.of("orders=updated_at")), s);
        w.write(Batch.of(s, List.of(up(s, order(1, 42L, "new", "1", 30)), up(s, order(2, 42L, "new", "1", 10)),
                up(s, order(3, 7L, "paid", "1", 20)))));
        try (Jedis j = jedis()) {
            assertEquals(Set.of("1", "2"), j.smembers(prefix + ":orders:~idx:customer_id:42"));
            assertEquals(List.of("1", "3", "2"), j.zrevrange(prefix + ":orders:~by:updated_at", 0, -1), "latest first");
            w.write(Batch.of(s, List.of(up(s, order(2, 7L, "paid", "1", 40)))));
            assertEquals(Set.of("1"), j.smembers(prefix + ":orders:~idx:customer_id:42"));
            assertEquals(Set.of("2", "3"), j.smembers(prefix + ":orders:~idx:customer_id:7"));
            assertEquals(Set.of("2", "3"), j.smembers(prefix + ":orders:~idx:status:paid"));
            assertEquals(List.of("2", "1", "3"), j.zrevrange(prefix + ":orders:~by:updated_at", 0, -1));
            w.write(Batch.of(s, List.of(del(s, 1L), up(s, order(3, null, null, "1", 50)))));
            assertFalse(j.exists(prefix + ":orders:~idx:customer_id:42"), "empty sets disappear");
            assertEquals(Set.of("2"), j.smembers(prefix + ":orders:~idx:customer_id:7"), "a NULL value leaves the index");
            assertEquals(List.of("3", "2"), j.zrevrange(prefix + ":orders:~by:updated_at", 0, -1));
        }
    }

    @Test
    void badIndexSettingsNameTheSettingTableAndColumn() {
        TableSchema s = orders("orders");
        ConfigException missing = assertThrows(ConfigException.class, () -> sink("index.sets", List.of("orders=nope")).open(s));
        assertTrue(missing.getMessage().contains("index.sets") && missing.getMessage().contains("nope")
                && missing.getMessage().contains("orders"), missing.getMessage());
        ConfigException notScorable = assertThrows(ConfigException.class, () -> sink("index.sorted", List.of("orders=status")).open(s));
        assertTrue(notScorable.getMessage().contains("index.sorted") && notScorable.getMessage().contains("status"),
                notScorable.getMessage());
        ConfigException badTtl = assertThrows(ConfigException.class, () -> sink("ttl.tables", List.of("orders=soon")));
        assertTrue(badTtl.getMessage().contains("ttl.tables") && badTtl.getMessage().contains("soon"), badTtl.getMessage());
    }

    /** Hashes are written in place: the fields a row must not have are removed by name, whatever the history. */
    @Test
    void aHashHoldsExactlyTheColumnsOfItsLastWriteAfterNullsAndSchemaChanges() {
        TableSchema s = orders("t");
        TableWriter w = writer(sink(), s);
        w.write(Batch.of(s, List.of(up(s, order(1, 42L, "new", "10.50", 1)), up(s, order(2, 7L, "new", "1", 1)),
                up(s, order(3, 8L, "new", "2", 1)))));
        // a column NULL in one write is back in the next, another one NULL then
        w.write(Batch.of(s, List.of(up(s, order(1, null, "paid", "10.50", 2)))));
        w.write(Batch.of(s, List.of(up(s, order(1, 43L, "paid", null, 3)))));
        try (Jedis j = jedis()) {
            assertEquals(Map.of("id", "1", "customer_id", "43", "status", "paid", "updated_at", "2024-01-01T00:00:03Z"),
                    j.hgetAll(key("t", "1")));
        }
        // the table loses 'amount' and gains 'note': a rewritten row loses the field, also in a later process
        TableSchema changed = new TableSchema("t", List.of(Column.required("id", LogicalType.INT64),
                Column.of("customer_id", LogicalType.INT64), Column.of("status", LogicalType.STRING),
                Column.of("updated_at", LogicalType.TIMESTAMP_TZ), Column.of("note", LogicalType.STRING)), List.of("id"));
        TableWriter w2 = writer(sink(), changed);
        w2.write(Batch.of(changed, List.of(up(changed, Arrays.asList(2L, 7L, "new", Instant.parse("2024-01-01T00:00:05Z"), "hi")))));
        TableSchema again = changed.withName("t");
        TableWriter w3 = writer(sink(), again);
        w3.write(Batch.of(again, List.of(up(again, Arrays.asList(3L, 8L, "new", Instant.parse("2024-01-01T00:00:06Z"), null)))));
        try (Jedis j = jedis()) {
            assertEquals(Map.of("id", "2", "customer_id", "7", "status", "new", "updated_at", "2024-01-01T00:00:05Z", "note", "hi"),
                    j.hgetAll(key("t", "2")), "the dropped column is gone from the rewritten row");
            assertEquals(Set.of("id", "customer_id", "status", "updated_at"), j.hgetAll(key("t", "3")).keySet(),
                    "a process opened after the change still removes the dropped column");
            assertTrue(Codec.JSON.readTree(j.get(prefix + ":t:~schema")).path("dropped").toString().contains("amount"));
        } catch (java.io.IOException e) {
            throw new AssertionError(e);
        }
        // a column named like a bookkeeping key is an ordinary field
        TableSchema tilde = new TableSchema("tilde", List.of(Column.required("id", LogicalType.INT64), Column.of("~v", LogicalType.STRING)),
                List.of("id"));
        writer(sink(), tilde).write(Batch.of(tilde, List.of(up(tilde, Arrays.asList(1L, "x")))));
        try (Jedis j = jedis()) {
            assertEquals(Map.of("id", "1", "~v", "x"), j.hgetAll(key("tilde", "1")));
        }
    }

    /** A stale write leaves the row, its TTL and its indexes as they were, in a chunk with rows that do apply. */
    @Test
    void aStaleUpsertChangesNothingOfItsRowWithAndWithoutTtl() {
        for (boolean ttl : new boolean[] {false, true}) {
            TableSchema s = orders(ttl ? "with_ttl" : "plain");
            TableWriter w = writer(ttl ? sink("ttl", "1h", "index.sets", List.of(s.name() + "=status")) : sink(), s);
            w.write(Batch.of(s, List.of(up(s, order(1, 1L, "current", "1", 1), 500))));
            long ttlBefore;
            try (Jedis j = jedis()) {
                j.pexpire(key(s.name(), "1"), 60_000);
                ttlBefore = j.pttl(key(s.name(), "1"));
            }
            WriteResult r = w.write(Batch.of(s, List.of(up(s, order(2, 1L, "fresh", "2", 2), 10),
                    up(s, order(1, null, "stale", null, 9), 400), up(s, order(3, 1L, "fresh", "3", 3), 10))));
            assertEquals(1, r.skipped(), s.name());
            assertEquals(2, r.upserted(), s.name());
            try (Jedis j = jedis()) {
                assertEquals(Map.of("id", "1", "customer_id", "1", "status", "current", "amount", "1",
                        "updated_at", "2024-01-01T00:00:01Z"), j.hgetAll(key(s.name(), "1")), s.name());
                long after = j.pttl(key(s.name(), "1"));
                assertTrue(after > 0 && after <= ttlBefore, s.name() + ": the TTL is kept, not renewed: " + after);
                assertEquals("500", j.hget(prefix + ":" + s.name() + ":~ver", "1"));
                assertEquals("fresh", j.hget(key(s.name(), "2"), "status"));
                assertEquals(Set.of(), j.keys(prefix + ":" + s.name() + ":~stage*"), "nothing left aside");
                if (ttl) {
                    assertEquals(Set.of("1"), j.smembers(prefix + ":" + s.name() + ":~idx:status:current"));
                    assertFalse(j.exists(prefix + ":" + s.name() + ":~idx:status:stale"));
                }
            }
        }
    }

    /**
     * Without TTL or indexes Redis itself refuses the row's HSET on a key of another type: the row fails alone, named
     * with the key and its type, and its version is not recorded, so a later write is judged as if it never happened.
     */
    @Test
    void aKeyOfAnotherTypeFailsItsRowAloneWithoutIndexesAndLeavesNoVersion() {
        TableSchema s = orders("t");
        TableWriter w = writer(sink(), s);
        w.write(Batch.of(s, List.of(del(s, 2L))));
        String tombstone;
        try (Jedis j = jedis()) {
            tombstone = j.hget(prefix + ":t:~ver", "2");
            j.set(key("t", "2"), "somebody else's string");
        }
        WriteResult r = w.write(Batch.of(s, List.of(up(s, order(1, 1L, "a", "1", 1)), up(s, order(2, null, "a", "1", 1)),
                up(s, order(3, 1L, "a", "1", 1)))));
        assertEquals(2, r.upserted());
        assertEquals(1, r.failed().size());
        assertTrue(r.failed().get(0).reason().contains("WRONGTYPE key " + key("t", "2") + " holds a string, not a hash"),
                r.failed().get(0).reason());
        try (Jedis j = jedis()) {
            assertEquals("somebody else's string", j.get(key("t", "2")));
            assertEquals(tombstone, j.hget(prefix + ":t:~ver", "2"), "the tombstone is back, not the refused version");
            assertTrue(j.exists(key("t", "1")) && j.exists(key("t", "3")));
        }
    }

    /** The change index is kept only when asked for; turned on late, readers from before are refused, not misled. */
    @Test
    void theChangeIndexIsOptInAndAGapInItIsRefusedToIncrementalReaders() {
        TableSchema s = orders("t");
        TableSpec spec = TableSpec.of("t");
        writer(sink(), s).write(Batch.of(s, List.of(up(s, order(1, 1L, "a", "1", 1)))));
        try (Jedis j = jedis(); RedisSource src = Fixtures.source(prefix)) {
            assertFalse(j.exists(prefix + ":t:~chg"));
            SyncException off = assertThrows(SyncException.class, () -> src.changesStart(spec, s));
            assertTrue(off.getMessage().contains("change.index") && off.getMessage().contains("'t'"), off.getMessage());
        }
        TableWriter on = writer(sink("change.index", "true"), s);
        Position start;
        try (RedisSource src = Fixtures.source(prefix)) {
            start = src.changesStart(spec, s);
            on.write(Batch.of(s, List.of(up(s, order(2, 1L, "a", "1", 1)))));
            assertEquals(1, src.readChanges(spec, s, start, 100).events().size());
        }
        writer(sink(), s).write(Batch.of(s, List.of(up(s, order(3, 1L, "a", "1", 1)))));
        writer(sink("change.index", "true"), s).write(Batch.of(s, List.of(up(s, order(4, 1L, "a", "1", 1)))));
        try (RedisSource src = Fixtures.source(prefix)) {
            SyncException gap = assertThrows(SyncException.class, () -> src.readChanges(spec, s, start, 100));
            assertTrue(gap.getMessage().contains("change.index") && gap.getMessage().contains("snapshot"), gap.getMessage());
            Position fresh = src.changesStart(spec, s);
            writer(sink("change.index", "true"), s).write(Batch.of(s, List.of(up(s, order(5, 1L, "a", "1", 1)))));
            assertEquals(1, src.readChanges(spec, s, fresh, 100).events().size(), "a position taken after the gap reads on");
        }
    }

    @Test
    void aTableWrittenAsHashIsNotMixedWithJson() {
        TableSchema s = orders("t");
        writer(sink(), s).write(Batch.of(s, List.of(up(s, order(1, 1L, "a", "1", 1)))));
        SyncException e = assertThrows(SyncException.class, () -> sink("value.format", "json").open(s));
        assertTrue(e.getMessage().contains("'t'") && e.getMessage().contains("value.format"), e.getMessage());
    }

    @Test
    void theCheckpointIsWrittenInTheBatchTransactionAndAFencedLeaseWritesNothing() {
        TableSchema s = orders("t");
        RedisSink sink = sink("lease.ttl", "2s");
        CheckpointStore store = sink.checkpointStore().orElseThrow();
        TableWriter w = writer(sink, s);
        Lease lease = store.acquire("pipe", "test:1");
        w.write(Batch.of(s, List.of(up(s, order(1, 1L, "a", "1", 1))), CheckpointUpdate.of(lease, "t", "position 1")));
        assertEquals(Optional.of("position 1"), store.load("pipe", "t"));
        try (Jedis j = jedis()) {
            assertTrue(j.exists(key("t", "1")));
            // another process takes the pipeline over (the old lease expired meanwhile)
            j.del(prefix + ":~dbsync:lease:pipe");
        }
        RedisCheckpointStore other = Fixtures.store(prefix, "2s");
        open.add(other);
        Lease newer = other.acquire("pipe", "test:2");
        LeaseException e = assertThrows(LeaseException.class, () -> w.write(Batch.of(s,
                List.of(up(s, order(2, 1L, "a", "1", 1)), up(s, order(1, null, "overwritten", null, 2))),
                CheckpointUpdate.of(lease, "t", "position 2"))));
        assertTrue(e.getMessage().contains("test:2"), "names the holder: " + e.getMessage());
        try (Jedis j = jedis()) {
            assertFalse(j.exists(key("t", "2")), "a fenced-out writer writes no rows");
            assertEquals("a", j.hget(key("t", "1"), "status"), "and changes none");
            assertEquals("1", j.hget(key("t", "1"), "customer_id"));
            assertEquals(Set.of(), j.keys(prefix + ":t:~stage*"), "and leaves no staged value behind");
        }
        assertEquals(Optional.of("position 1"), store.load("pipe", "t"));
        other.release(newer);
    }

    @Test
    void aCheckpointOfAnotherStoresLeaseIsLeftToThatStore() {
        TableSchema s = orders("t");
        TableWriter w = writer(sink(), s);
        Lease foreign = Lease.of("pipe", "file-store", 1);
        WriteResult r = w.write(Batch.of(s, List.of(up(s, order(1, 1L, "a", "1", 1))), CheckpointUpdate.of(foreign, "t", "x")));
        assertEquals(1, r.upserted());
        try (Jedis j = jedis()) {
            assertFalse(j.exists(prefix + ":~dbsync:cp:pipe"));
        }
    }

    @Test
    void aLostScriptCacheIsRefilled() {
        TableSchema s = orders("t");
        TableWriter w = writer(sink(), s);
        w.write(Batch.of(s, List.of(up(s, order(1, 1L, "a", "1", 1)))));
        try (Jedis j = jedis()) {
            j.scriptFlush();
        }
        assertEquals(1, w.write(Batch.of(s, List.of(up(s, order(2, 1L, "a", "1", 1))))).upserted());
        try (Jedis j = jedis()) {
            assertTrue(j.exists(key("t", "2")));
            assertEquals(Set.of(), j.keys(prefix + ":t:~stage*"), "no staged value is left behind");
        }
    }

    @Test
    void truncateRemovesRowsAndIndexesButKeepsTheSchemaAndSequence() {
        TableSchema s = orders("t");
        TableWriter w = writer(sink("index.sets", List.of("t=status"), "change.index", "true"), s);
        w.write(Batch.of(s, List.of(up(s, order(1, 1L, "a", "1", 1)), up(s, order(2, 1L, "a", "1", 1)))));
        w.truncate();
        try (Jedis j = jedis()) {
            assertEquals(Set.of(prefix + ":t:~schema", prefix + ":t:~seq"), j.keys(prefix + ":t:*"));
            assertEquals("2", j.get(prefix + ":t:~seq"));
        }
    }

    @Test
    void secretsAreDeclaredSecretAndNeverInErrors() {
        RedisSinkFactory f = new RedisSinkFactory();
        assertTrue(f.configDef().key("password").secret());
        SyncException e = assertThrows(SyncException.class, () -> f.create(f.configDef().parse(Map.of(
                "url", "redis://someone:hunter2@127.0.0.1:1", "password", "s3cret", "timeout", "500ms"))));
        assertFalse(e.getMessage().contains("hunter2") || e.getMessage().contains("s3cret"), e.getMessage());
        assertTrue(e.getMessage().contains("url"), e.getMessage());
        assertNull(f.configDef().key("no such"));
    }
}
