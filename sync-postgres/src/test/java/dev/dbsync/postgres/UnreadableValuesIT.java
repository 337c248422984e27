package dev.dbsync.postgres;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.dbsync.engine.CheckpointStores;
import dev.dbsync.engine.DeadLetter;
import dev.dbsync.engine.SyncEngine;
import dev.dbsync.engine.SyncReport;
import dev.dbsync.engine.TableSync;
import dev.dbsync.spi.TableSpec;
import dev.dbsync.testkit.memory.MemorySink;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A value PostgreSQL holds that has no form in its logical type (numeric NaN, time 24:00) fails its row alone:
 * counted, handed to the dead-letter handler with the column named, and the rest of the table syncs; with the
 * default handler the table fails naming table, key and column.
 */
class UnreadableValuesIT {

    private static final PgTestDb DB = PgTestDb.create("unreadable");

    @Test
    void aValueWithoutAJavaFormFailsItsRowAloneAndIsDeadLettered() {
        DB.exec("CREATE TABLE prices (id bigint PRIMARY KEY, amount numeric, at time, updated_at timestamptz DEFAULT now())",
                "INSERT INTO prices (id, amount, at) SELECT g, g * 1.5, '12:00' FROM generate_series(1, 300) g",
                "UPDATE prices SET amount = 'NaN' WHERE id = 17",
                "UPDATE prices SET at = '24:00:00' WHERE id = 200");
        List<DeadLetter> dead = Collections.synchronizedList(new ArrayList<>());
        MemorySink sink = new MemorySink();
        try (SyncEngine engine = SyncEngine.builder().pipeline("unreadable").source(new PostgresSource(DB.factory()))
                .sink(sink).checkpointStore(CheckpointStores.memory()).batchRows(64)
                .table(TableSync.incremental(TableSpec.of("public.prices").withCursor("updated_at")))
                .deadLetterHandler(dead::add).build()) {
            SyncReport r = engine.runOnce();
            assertTrue(r.succeeded(), r.toText());
            assertEquals(2, r.failed(), r.toText());
            assertEquals(298, sink.rows("prices").size());
        }
        List<String> reasons = new ArrayList<>();
        dead.forEach(d -> reasons.add(d.reason()));
        assertEquals(2, dead.size(), reasons.toString());
        assertTrue(reasons.stream().anyMatch(x -> x.contains("[17]") && x.contains("column 'amount'") && x.contains("NaN")), reasons.toString());
        assertTrue(reasons.stream().anyMatch(x -> x.contains("[200]") && x.contains("column 'at'") && x.contains("24:00")), reasons.toString());
        // by default the table fails, naming table, key and column
        try (SyncEngine engine = SyncEngine.builder().pipeline("unreadable_strict").source(new PostgresSource(DB.factory()))
                .sink(new MemorySink()).checkpointStore(CheckpointStores.memory())
                .table(TableSync.full(TableSpec.of("public.prices"))).build()) {
            SyncReport r = engine.runOnce();
            assertFalse(r.succeeded());
            String error = r.tables().get(0).error();
            assertTrue(error.contains("public.prices") && error.contains("[17]") && error.contains("amount"), error);
        }
    }
}
