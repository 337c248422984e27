package dev.dbsync.testkit;

import dev.dbsync.spi.Chunk;
import dev.dbsync.spi.Position;
import dev.dbsync.spi.Source;
import dev.dbsync.spi.TableSchema;
import dev.dbsync.spi.TableSpec;
import dev.dbsync.testkit.memory.MemorySource;
import java.util.List;
import java.util.OptionalLong;

/** The reference in-memory source passes the whole source contract. */
class MemorySourceContractTest extends SourceContractTest {

    private final MemorySource source = createSource();

    /** The source under test; subclasses test variants. */
    protected MemorySource createSource() {
        return new MemorySource();
    }

    @Override
    protected Source newSource() {
        // Each call stands for a new connection to the same data; closing it must not lose the data.
        return new Source() {
            @Override
            public List<String> listTables() {
                return source.listTables();
            }

            @Override
            public TableSchema describe(TableSpec spec) {
                return source.describe(spec);
            }

            @Override
            public OptionalLong estimateRows(TableSpec spec) {
                return source.estimateRows(spec);
            }

            @Override
            public Chunk readSnapshot(TableSpec spec, TableSchema schema, Position after, int maxRows) {
                return source.readSnapshot(spec, schema, after, maxRows);
            }

            @Override
            public Position changesStart(TableSpec spec, TableSchema schema) {
                return source.changesStart(spec, schema);
            }

            @Override
            public Chunk readChanges(TableSpec spec, TableSchema schema, Position after, int maxRows) {
                return source.readChanges(spec, schema, after, maxRows);
            }

            @Override
            public void close() {
            }
        };
    }

    @Override
    protected String createTable(String baseName, TableSchema schema) {
        source.createTable(schema);
        return baseName;
    }

    @Override
    protected void upsertRows(String table, TableSchema schema, List<List<Object>> rows) {
        rows.forEach(r -> source.upsert(table, r.toArray()));
    }

    @Override
    protected void deleteRows(String table, TableSchema schema, List<List<Object>> keys) {
        keys.forEach(k -> source.delete(table, k.toArray()));
    }

    @Override
    protected LateWrite beginLateWrite(String table, TableSchema schema, List<List<Object>> rows) {
        int cursor = schema.indexOf("updated_at");
        Object start = rows.stream().map(r -> r.get(cursor)).min((a, b) -> ((Comparable) a).compareTo(b)).orElseThrow();
        MemorySource.Transaction tx = source.begin(start);
        rows.forEach(r -> tx.upsert(table, r.toArray()));
        return tx::commit;
    }
}
