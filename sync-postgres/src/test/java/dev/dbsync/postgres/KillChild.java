package dev.dbsync.postgres;

import dev.dbsync.engine.CheckpointStores;
import dev.dbsync.engine.Strategy;
import dev.dbsync.engine.SyncEngine;
import dev.dbsync.engine.SyncReport;
import dev.dbsync.engine.TableSync;
import dev.dbsync.spi.CheckpointStore;
import dev.dbsync.spi.TableSpec;
import java.nio.file.Path;
import java.time.Duration;

/**
 * The process {@link KillSuiteIT} kills: PostgreSQL → PostgreSQL of table {@code orders} with one strategy,
 * continuously, until it is killed. Also used in-process for the final run.
 */
public final class KillChild {

    private KillChild() {
    }

    /** Arguments: strategy, source URL, target URL, user ("-" = none), password ("-"), checkpoint dir, slot name. */
    public static void main(String[] args) throws Exception {
        try (SyncEngine engine = engine(args, Duration.ofMillis(150))) {
            engine.start();
            Thread.sleep(Long.MAX_VALUE);
        }
    }

    /** One run to the end, for the final, clean run. */
    static SyncReport runOnce(String[] args) {
        try (SyncEngine engine = engine(args, Duration.ofSeconds(1))) {
            return engine.runOnce();
        }
    }

    private static SyncEngine engine(String[] a, Duration poll) {
        Strategy strategy = Strategy.valueOf(a[0]);
        String user = "-".equals(a[3]) ? null : a[3];
        String password = "-".equals(a[4]) ? null : a[4];
        PgConnectionFactory source = new PgConnectionFactory(a[1], user, password);
        PgConnectionFactory target = new PgConnectionFactory(a[2], user, password);
        // checkpoints in files for the table strategies, in the target (same transaction as the rows) for CDC
        boolean inTarget = strategy == Strategy.CDC;
        PostgresSink sink = new PostgresSink(target, "public", true, inTarget ? "dbsync_checkpoint" : null);
        CheckpointStore store = inTarget ? sink.checkpointStore().orElseThrow() : CheckpointStores.file(Path.of(a[5]));
        TableSpec spec = TableSpec.of("public.orders").withCursor("updated_at").withSoftDelete("is_deleted");
        TableSync table = strategy == Strategy.FULL ? TableSync.full(TableSpec.of("public.orders").withSoftDelete("is_deleted"))
                : strategy == Strategy.INCREMENTAL ? TableSync.incremental(spec) : TableSync.cdc(spec);
        return SyncEngine.builder().pipeline("kill_" + a[0].toLowerCase()).source(new PostgresSource(source, "public",
                        Duration.ZERO, a[6], a[6])).sink(sink).checkpointStore(store).table(table)
                .batchRows(500).pollInterval(poll).streamIdle(Duration.ofMillis(500)).build();
    }
}
