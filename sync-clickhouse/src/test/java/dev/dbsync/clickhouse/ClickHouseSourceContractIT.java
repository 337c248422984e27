package dev.dbsync.clickhouse;

import dev.dbsync.spi.Batch;
import dev.dbsync.spi.ChangeEvent;
import dev.dbsync.spi.Position;
import dev.dbsync.spi.Source;
import dev.dbsync.spi.TableSchema;
import dev.dbsync.spi.TableWriter;
import dev.dbsync.testkit.SourceContractTest;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;

/**
 * The source contract against the test kit's ClickHouse. Tables are created and changed through the ClickHouse
 * sink (ReplacingMergeTree with versions), the way a pipeline that starts in ClickHouse finds them; hard deletes
 * are ClickHouse's lightweight {@code DELETE FROM}.
 */
class ClickHouseSourceContractIT extends SourceContractTest {

    private static ClickHouseSink writer;

    private static synchronized ClickHouseSink writer() {
        if (writer == null) {
            writer = ClickHouseTestSupport.sink();
        }
        return writer;
    }

    @AfterAll
    static void closeWriter() {
        if (writer != null) {
            writer.close();
            writer = null;
        }
    }

    @Override
    protected Source newSource() {
        return new ClickHouseSource(ClickHouseSettings.of(ClickHouseSettings.SOURCE.parse(ClickHouseTestSupport.config(
                ClickHouseSettings.INCREMENTAL_LAG, "300ms"))));
    }

    @Override
    protected Duration safeBoundLag() {
        return Duration.ofMillis(400);
    }

    @Override
    protected String createTable(String baseName, TableSchema schema) {
        writer().open(schema.withName(baseName)).close();
        return baseName;
    }

    @Override
    protected void upsertRows(String table, TableSchema schema, List<List<Object>> rows) {
        try (TableWriter w = writer().open(schema.withName(table))) {
            w.write(events(table, schema, rows));
        }
    }

    /**
     * Rows that reach ClickHouse late, as an asynchronous insert's do: buffered in a writer (their cursor values
     * taken now) and inserted at commit.
     */
    @Override
    protected LateWrite beginLateWrite(String table, TableSchema schema, List<List<Object>> rows) {
        TableWriter w = writer().open(schema.withName(table));
        w.write(events(table, schema, rows));
        return w::close;
    }

    private static Batch events(String table, TableSchema schema, List<List<Object>> rows) {
        TableSchema s = schema.withName(table);
        // a version above any earlier one, as a source's cursor or LSN would give
        long version = Instant.now().truncatedTo(ChronoUnit.MICROS).toEpochMilli() * 1000 + System.nanoTime() % 1000;
        List<ChangeEvent> events = new ArrayList<>();
        int[] k = s.keyIndexes();
        for (List<Object> row : rows) {
            Object[] key = new Object[k.length];
            for (int i = 0; i < k.length; i++) {
                key[i] = row.get(k[i]);
            }
            events.add(ChangeEvent.upsert(table, key, row.toArray(), version, Position.of(key)));
        }
        return Batch.of(s, events);
    }

    @Override
    protected void deleteRows(String table, TableSchema schema, List<List<Object>> keys) {
        try (ChConnection c = ClickHouseTestSupport.connection()) {
            for (List<Object> key : keys) {
                c.execute("DELETE FROM " + Sql.table(c.settings().database, table) + " WHERE id = " + key.get(0), table);
            }
        }
    }
}
