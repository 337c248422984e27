package dev.dbsync.clickhouse;

import dev.dbsync.engine.Connectors;
import dev.dbsync.engine.Strategy;
import dev.dbsync.engine.SyncEngine;
import dev.dbsync.engine.SyncReport;
import dev.dbsync.engine.TableSync;
import dev.dbsync.spi.Source;
import dev.dbsync.spi.TableSpec;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

/**
 * The process {@link ClickHouseKillSuiteIT} kills: PostgreSQL {@code orders} → ClickHouse with one strategy,
 * checkpoints in ClickHouse, continuously, until it is killed. Also used in-process for the final run.
 */
public final class ClickHouseKillChild {

    private ClickHouseKillChild() {
    }

    /**
     * Arguments: strategy, PostgreSQL URL, user ("-" = none), password ("-"), ClickHouse HTTP URL, user, password
     * ("-"), database, target table, slot name.
     */
    public static void main(String[] args) throws Exception {
        try (ClickHouseSink sink = sink(args); Source source = source(args);
             SyncEngine engine = engine(args, source, sink, Duration.ofMillis(150))) {
            engine.start();
            Thread.sleep(Long.MAX_VALUE);
        }
    }

    /** One run to the end, for the final, clean run. */
    static SyncReport runOnce(String[] args) {
        try (ClickHouseSink sink = sink(args); Source source = source(args);
             SyncEngine engine = engine(args, source, sink, Duration.ofSeconds(1))) {
            return engine.runOnce();
        }
    }

    private static String orNull(String s) {
        return "-".equals(s) ? null : s;
    }

    private static Source source(String[] a) {
        Map<String, Object> config = new HashMap<>();
        config.put("url", a[1]);
        config.put("user", orNull(a[2]));
        config.put("password", orNull(a[3]));
        config.put("slot.name", a[9]);
        config.put("publication.name", a[9]);
        config.values().removeIf(v -> v == null);
        return Connectors.load().createSource("postgres", config);
    }

    private static ClickHouseSink sink(String[] a) {
        Map<String, Object> config = new HashMap<>();
        config.put(ClickHouseSettings.URL, a[4]);
        config.put(ClickHouseSettings.USER, orNull(a[5]));
        config.put(ClickHouseSettings.PASSWORD, orNull(a[6]));
        config.put(ClickHouseSettings.DATABASE, a[7]);
        config.values().removeIf(v -> v == null);
        return new ClickHouseSink(ClickHouseSettings.of(ClickHouseSettings.SINK.parse(config)));
    }

    private static SyncEngine engine(String[] a, Source source, ClickHouseSink sink, Duration poll) {
        Strategy strategy = Strategy.valueOf(a[0]);
        TableSpec spec = TableSpec.of("public.orders").withCursor("updated_at").withSoftDelete("is_deleted");
        TableSync table = (strategy == Strategy.FULL ? TableSync.full(TableSpec.of("public.orders").withSoftDelete("is_deleted"))
                : strategy == Strategy.INCREMENTAL ? TableSync.incremental(spec) : TableSync.cdc(spec)).withTarget(a[8]);
        return SyncEngine.builder().pipeline("chkill_" + a[8]).source(source).sink(sink)
                .checkpointStore(sink.checkpointStore().orElseThrow()).table(table)
                .batchRows(500).pollInterval(poll).streamIdle(Duration.ofMillis(500)).build();
    }
}
