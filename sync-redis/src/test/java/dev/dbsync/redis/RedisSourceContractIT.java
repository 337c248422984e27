package dev.dbsync.redis;

import dev.dbsync.spi.Batch;
import dev.dbsync.spi.ChangeEvent;
import dev.dbsync.spi.Position;
import dev.dbsync.spi.Source;
import dev.dbsync.spi.TableSchema;
import dev.dbsync.spi.WriteResult;
import dev.dbsync.testkit.SourceContractTest;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;

/**
 * The source contract. Tables are written by the Redis sink (the source reads what the sink wrote). A late
 * writer is a batch queued in a {@code MULTI} and executed later: nothing of it is visible or numbered before
 * EXEC, so its rows get change numbers above everything read before, and nothing is skipped without any lag.
 */
class RedisSourceContractIT extends SourceContractTest {

    private final String prefix = Fixtures.uniquePrefix("srcct");
    private final AtomicLong version = new AtomicLong();
    private RedisSink sink;
    private final Map<String, RedisTableWriter> writers = new HashMap<>();

    private RedisTableWriter writer(String table, TableSchema schema) {
        if (sink == null) {
            sink = Fixtures.sink(prefix, "change.index", "true");
        }
        return writers.computeIfAbsent(table, t -> (RedisTableWriter) sink.open(schema.withName(t)));
    }

    @AfterEach
    void closeSink() {
        writers.values().forEach(RedisTableWriter::close);
        writers.clear();
        if (sink != null) {
            sink.close();
            sink = null;
        }
    }

    @Override
    protected Source newSource() {
        return Fixtures.source(prefix);
    }

    @Override
    protected String createTable(String baseName, TableSchema schema) {
        writer(baseName, schema);
        return baseName;
    }

    private List<ChangeEvent> upserts(String table, TableSchema schema, List<List<Object>> rows) {
        List<ChangeEvent> events = new ArrayList<>();
        int[] k = schema.keyIndexes();
        for (List<Object> row : rows) {
            Object[] key = new Object[k.length];
            for (int i = 0; i < k.length; i++) {
                key[i] = row.get(k[i]);
            }
            events.add(ChangeEvent.upsert(table, key, row.toArray(), version.incrementAndGet(), Position.of(key)));
        }
        return events;
    }

    private void write(String table, TableSchema schema, List<ChangeEvent> events) {
        RedisTableWriter w = writer(table, schema);
        WriteResult r = w.write(Batch.of(schema.withName(table), events));
        if (!r.failed().isEmpty()) {
            throw new AssertionError("test rows refused: " + r.failed());
        }
    }

    @Override
    protected void upsertRows(String table, TableSchema schema, List<List<Object>> rows) {
        write(table, schema, upserts(table, schema, rows));
    }

    /**
     * Deletes the keys with {@code DEL}, as another program (or a user) deleting for good would. The suite's
     * engine case expects such a hard delete to be invisible to incremental reads, and for keys deleted outside
     * dbsync that is what this source does; deletes that come through the sink leave a tombstone in the change index
     * and are read as DELETE events (tested in {@code RedisSourceIT}).
     */
    @Override
    protected void deleteRows(String table, TableSchema schema, List<List<Object>> keys) {
        RedisTableWriter w = writer(table, schema);
        try (redis.clients.jedis.Jedis j = RedisTestServer.get().jedis()) {
            for (List<Object> key : keys) {
                String k = RedisTestServer.get().rowKey(prefix, table, w.keyText(key));
                if (j.del(k) != 1) {
                    throw new AssertionError("no key " + k + " to delete");
                }
            }
        }
    }

    @Override
    protected LateWrite beginLateWrite(String table, TableSchema schema, List<List<Object>> rows) {
        Runnable exec = writer(table, schema).beginTransaction(upserts(table, schema, rows));
        return exec::run;
    }
}
