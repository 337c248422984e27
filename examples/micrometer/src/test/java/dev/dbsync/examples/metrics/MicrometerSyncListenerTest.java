package dev.dbsync.examples.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.dbsync.engine.CheckpointStores;
import dev.dbsync.engine.SyncEngine;
import dev.dbsync.engine.TableSync;
import dev.dbsync.spi.CheckpointStore;
import dev.dbsync.spi.Column;
import dev.dbsync.spi.LogicalType;
import dev.dbsync.spi.TableSchema;
import dev.dbsync.spi.TableSpec;
import dev.dbsync.testkit.memory.MemorySink;
import dev.dbsync.testkit.memory.MemorySource;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.List;
import org.junit.jupiter.api.Test;

class MicrometerSyncListenerTest {

    @Test
    void countersFollowTheEngineAcrossRuns() {
        MemorySource source = new MemorySource();
        source.createTable(new TableSchema("t", List.of(Column.required("id", LogicalType.INT64),
                Column.of("updated_at", LogicalType.INT64)), List.of("id")));
        for (long id = 1; id <= 250; id++) {
            source.upsert("t", id, id);
        }
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        MemorySink sink = new MemorySink().rejecting(e -> ((Number) e.key().get(0)).longValue() == 13);
        CheckpointStore store = CheckpointStores.memory();
        TableSync table = TableSync.incremental(TableSpec.of("t").withCursor("updated_at"));
        SyncEngine.Builder b = SyncEngine.builder().pipeline("p").source(source).sink(sink).checkpointStore(store)
                .table(table).batchRows(40).deadLetterHandler(dev.dbsync.engine.DeadLetterHandler.logAndSkip(5))
                .listener(new MicrometerSyncListener(registry));
        assertTrue(b.build().runOnce().succeeded());
        source.upsert("t", 300L, 300L);
        assertTrue(b.build().runOnce().succeeded());
        // 250 backfilled + 1 re-read at the cursor bound, then 1 new row
        assertEquals(252, registry.get("dbsync.rows.read").tag("table", "t").counter().count());
        assertEquals(251, registry.get("dbsync.rows.written").tag("table", "t").counter().count());
        assertEquals(1, registry.get("dbsync.rows.failed").tag("table", "t").counter().count());
        assertEquals(2, registry.get("dbsync.table.runs").tag("outcome", "ok").timer().count());
    }
}
