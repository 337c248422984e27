package dev.dbsync.testkit;

import dev.dbsync.spi.Source;
import dev.dbsync.spi.TableSchema;
import dev.dbsync.testkit.memory.MemorySource;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

/** The reference in-memory source passes the whole source contract. */
class MemorySourceContractTest extends SourceContractTest {

    private final MemorySource source = new MemorySource();

    @Override
    protected Source newSource() {
        // Each call stands for a new connection to the same data; closing it must not lose the data.
        return new Source() {
            @Override
            public List<String> listTables() {
                return source.listTables();
            }

            @Override
            public TableSchema describe(dev.dbsync.spi.TableSpec spec) {
                return source.describe(spec);
            }

            @Override
            public java.util.OptionalLong estimateRows(dev.dbsync.spi.TableSpec spec) {
                return source.estimateRows(spec);
            }

            @Override
            public dev.dbsync.spi.Chunk readSnapshot(dev.dbsync.spi.TableSpec spec, TableSchema schema,
                                                      dev.dbsync.spi.Position after, int maxRows) {
                return source.readSnapshot(spec, schema, after, maxRows);
            }

            @Override
            public dev.dbsync.spi.Position changesStart(dev.dbsync.spi.TableSpec spec, TableSchema schema) {
                return source.changesStart(spec, schema);
            }

            @Override
            public dev.dbsync.spi.Chunk readChanges(dev.dbsync.spi.TableSpec spec, TableSchema schema,
                                                     dev.dbsync.spi.Position after, int maxRows) {
                return source.readChanges(spec, schema, after, maxRows);
            }

            @Override
            public void close() {
            }
        };
    }

    @Override
    protected Set<Capability> capabilities() {
        return EnumSet.of(Capability.SNAPSHOT, Capability.INCREMENTAL, Capability.SOFT_DELETE);
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
}
