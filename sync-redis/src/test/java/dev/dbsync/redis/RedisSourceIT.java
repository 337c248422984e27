package dev.dbsync.redis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.dbsync.spi.Batch;
import dev.dbsync.spi.ChangeEvent;
import dev.dbsync.spi.Chunk;
import dev.dbsync.spi.Operation;
import dev.dbsync.spi.Position;
import dev.dbsync.spi.SyncException;
import dev.dbsync.spi.TableSchema;
import dev.dbsync.spi.TableSpec;
import dev.dbsync.spi.TableWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.Jedis;

/** What the source reads beyond the contract: deletes through the sink, keys other programs wrote, expired keys. */
class RedisSourceIT {

    private final String prefix = Fixtures.uniquePrefix("src");
    private final AtomicLong version = new AtomicLong();

    private ChangeEvent up(TableSchema s, long id, String status) {
        return ChangeEvent.upsert(s.name(), new Object[] {id}, RedisSinkIT.order(id, 1L, status, "1", id).toArray(),
                version.incrementAndGet(), Position.of(id));
    }

    private static List<ChangeEvent> readChanges(RedisSource src, TableSpec spec, TableSchema s, Position[] from) {
        List<ChangeEvent> out = new ArrayList<>();
        while (true) {
            Chunk c = src.readChanges(spec, s, from[0], 7);
            out.addAll(c.events());
            from[0] = c.next() == null ? from[0] : c.next();
            if (c.last()) {
                return out;
            }
        }
    }

    @Test
    void deletesWrittenThroughTheSinkAreReadIncrementallyButKeysOfOthersOnlyBySnapshots() {
        TableSchema s = RedisSinkIT.orders("orders");
        try (RedisSink sink = Fixtures.sink(prefix, "change.index", "true"); RedisSource src = Fixtures.source(prefix)) {
            TableWriter w = sink.open(s);
            TableSpec spec = TableSpec.of("orders").withCursor("updated_at");
            TableSchema schema = src.describe(spec);
            assertEquals(s.columns(), schema.columns(), "the schema the sink stored");
            Position[] from = {src.changesStart(spec, schema)};
            List<ChangeEvent> batch = new ArrayList<>();
            for (long id = 1; id <= 20; id++) {
                batch.add(up(s, id, "new"));
            }
            w.write(Batch.of(s, batch));
            assertEquals(20, readChanges(src, spec, schema, from).size());
            w.write(Batch.of(s, List.of(ChangeEvent.delete("orders", new Object[] {5L}, null, version.incrementAndGet(),
                    Position.of(5L)), up(s, 6, "paid"))));
            try (Jedis j = RedisTestServer.get().jedis()) {
                // another program writes a row and deletes one: no change number, so no incremental event
                j.hset(prefix + ":orders:999", java.util.Map.of("id", "999", "status", "foreign"));
                j.del(prefix + ":orders:7");
            }
            List<ChangeEvent> changes = readChanges(src, spec, schema, from);
            assertEquals(2, changes.size(), "the sink's delete and update only: " + changes);
            assertEquals(Operation.DELETE, changes.get(0).operation());
            assertEquals(List.of(5L), changes.get(0).key());
            assertEquals("paid", changes.get(1).values().get(2));
            assertTrue(changes.get(1).version() > changes.get(0).version(), "versions are the change numbers");
            List<Long> snapshot = new ArrayList<>();
            Position after = null;
            while (true) {
                Chunk c = src.readSnapshot(spec, schema, after, 6);
                c.events().forEach(e -> snapshot.add((Long) e.key().get(0)));
                after = c.next() == null ? after : c.next();
                if (c.last()) {
                    break;
                }
            }
            List<Long> expected = new ArrayList<>();
            for (long id = 1; id <= 20; id++) {
                if (id != 5 && id != 7) {
                    expected.add(id);
                }
            }
            expected.add(999L);
            assertEquals(expected, snapshot, "a snapshot sees every key, in key order, foreign ones included");
        }
    }

    /** A peer's source failed on keys that expired between listing and reading them; here they are simply gone. */
    @Test
    void keysExpiringDuringASnapshotAreSkipped() throws Exception {
        TableSchema s = RedisSinkIT.orders("sessions");
        try (RedisSink sink = Fixtures.sink(prefix, "ttl", "300ms", "change.index", "true"); RedisSource src = Fixtures.source(prefix)) {
            TableWriter w = sink.open(s);
            List<ChangeEvent> batch = new ArrayList<>();
            for (long id = 1; id <= 30; id++) {
                batch.add(up(s, id, "new"));
            }
            w.write(Batch.of(s, batch));
            TableSpec spec = TableSpec.of("sessions");
            TableSchema schema = src.describe(spec);
            Chunk first = src.readSnapshot(spec, schema, null, 10);
            assertEquals(10, first.events().size());
            Thread.sleep(800);
            Chunk rest = src.readSnapshot(spec, schema, first.next(), 10);
            assertTrue(rest.events().isEmpty() && rest.last(), "expired keys give no rows and no error: " + rest.events());
        }
    }

    /** A field another program wrote that does not parse as its column fails that row alone, naming key and column. */
    @Test
    void aValueThatDoesNotParseFailsItsRowAloneNamingKeyAndColumn() {
        TableSchema s = RedisSinkIT.orders("orders");
        try (RedisSink sink = Fixtures.sink(prefix, "change.index", "true"); RedisSource src = Fixtures.source(prefix)) {
            TableWriter w = sink.open(s);
            TableSpec spec = TableSpec.of("orders").withCursor("updated_at");
            TableSchema schema = src.describe(spec);
            Position start = src.changesStart(spec, schema);
            w.write(Batch.of(s, List.of(up(s, 1, "a"), up(s, 2, "b"), up(s, 3, "c"))));
            try (Jedis j = RedisTestServer.get().jedis()) {
                j.hset(prefix + ":orders:2", "customer_id", "forty-two");
                j.set(prefix + ":orders:9", "somebody's string");
            }
            Chunk snap = src.readSnapshot(spec, schema, null, 10);
            assertEquals(List.of(List.of(1L), List.of(3L)), snap.events().stream().map(ChangeEvent::key).toList());
            assertEquals(2, snap.failed().size());
            String why = snap.failed().get(0).reason();
            assertTrue(why.contains(prefix + ":orders:2") && why.contains("customer_id") && why.contains("forty-two"), why);
            assertEquals(List.of(2L), snap.failed().get(0).event().key());
            String other = snap.failed().get(1).reason();
            assertTrue(other.contains(prefix + ":orders:9") && other.contains("WRONGTYPE"), other);
            Chunk changes = src.readChanges(spec, schema, start, 10);
            assertEquals(2, changes.events().size());
            assertEquals(1, changes.failed().size());
            assertEquals(changes.failed().get(0).event().position(), src.readChanges(spec, schema, start, 2).next(),
                    "the position moves past a failed row too");
        }
    }

    @Test
    void aTableTheSinkNeverWroteIsNamedInTheError() {
        try (RedisSource src = Fixtures.source(prefix)) {
            SyncException e = assertThrows(SyncException.class, () -> src.describe(TableSpec.of("nowhere")));
            assertTrue(e.getMessage().contains("nowhere") && e.getMessage().contains(prefix + ":nowhere:~schema"), e.getMessage());
        }
    }
}
