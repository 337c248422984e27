package dev.dbsync.clickhouse;

import dev.dbsync.engine.CheckpointStores;
import dev.dbsync.engine.Connectors;
import dev.dbsync.engine.SinkLagPolicy;
import dev.dbsync.engine.SyncEngine;
import dev.dbsync.engine.SyncReport;
import dev.dbsync.engine.TableSync;
import dev.dbsync.spi.Batch;
import dev.dbsync.spi.RetriableException;
import dev.dbsync.spi.Sink;
import dev.dbsync.spi.SinkCapability;
import dev.dbsync.spi.Source;
import dev.dbsync.spi.TableSchema;
import dev.dbsync.spi.TableSpec;
import dev.dbsync.spi.TableWriter;
import dev.dbsync.spi.WriteResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;

/**
 * The process {@link FanOutKillSuiteIT} kills: PostgreSQL {@code orders} by CDC into three sinks from one read —
 * ClickHouse ({@code ch}), a PostgreSQL database ({@code pg}) and a second ClickHouse table ({@code ch2}) that is
 * "down" (every call fails as an unreachable server does) while a marker file exists. Checkpoints in files.
 */
public final class FanOutKillChild {

    private FanOutKillChild() {
    }

    /**
     * Arguments: PostgreSQL URL, user ("-" = none), password ("-"), ClickHouse HTTP URL, user, password ("-"),
     * database, ClickHouse target table, slot name, checkpoint directory, PostgreSQL target URL, marker file.
     */
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

    private static String orNull(String s) {
        return "-".equals(s) ? null : s;
    }

    private static SyncEngine engine(String[] a, Duration poll) {
        Map<String, Object> src = new HashMap<>();
        src.put("url", a[0]);
        src.put("user", orNull(a[1]));
        src.put("password", orNull(a[2]));
        src.put("slot.name", a[8]);
        src.put("publication.name", a[8]);
        src.values().removeIf(v -> v == null);
        Connectors connectors = Connectors.load();
        Source source = connectors.createSource("postgres", src);
        Map<String, Object> pg = new HashMap<>(src);
        pg.remove("slot.name");
        pg.remove("publication.name");
        pg.put("url", a[10]);
        Sink pgSink = connectors.createSink("postgres", pg);
        Path marker = Path.of(a[11]);
        TableSpec spec = TableSpec.of("public.orders").withCursor("updated_at").withSoftDelete("is_deleted");
        return SyncEngine.builder().pipeline("fankill_" + a[7]).source(source)
                .sink("ch", clickHouse(a))
                .sink("pg", pgSink)
                .sink("ch2", new Stoppable(clickHouse(a), marker), Map.of(a[7], a[7] + "_2"))
                .sinkLagPolicy(SinkLagPolicy.DETACH).sinkMaxLag(Duration.ofSeconds(1))
                .checkpointStore(CheckpointStores.file(Path.of(a[9])))
                .table(TableSync.cdc(spec).withTarget(a[7]))
                .batchRows(500).pollInterval(poll).streamIdle(Duration.ofMillis(500)).leaseWait(Duration.ofSeconds(30)).build();
    }

    private static ClickHouseSink clickHouse(String[] a) {
        Map<String, Object> config = new HashMap<>();
        config.put(ClickHouseSettings.URL, a[3]);
        config.put(ClickHouseSettings.USER, orNull(a[4]));
        config.put(ClickHouseSettings.PASSWORD, orNull(a[5]));
        config.put(ClickHouseSettings.DATABASE, a[6]);
        config.values().removeIf(v -> v == null);
        return new ClickHouseSink(ClickHouseSettings.of(ClickHouseSettings.SINK.parse(config)));
    }

    /** A sink that is unreachable while the marker file exists. */
    static final class Stoppable implements Sink {
        private final Sink delegate;
        private final Path marker;

        Stoppable(Sink delegate, Path marker) {
            this.delegate = delegate;
            this.marker = marker;
        }

        private void check() {
            if (Files.exists(marker)) {
                throw new RetriableException("connection refused (sink ch2 is stopped by the test)");
            }
        }

        @Override
        public Set<SinkCapability> capabilities() {
            return delegate.capabilities();
        }

        @Override
        public TableWriter open(TableSchema schema) {
            check();
            TableWriter w = delegate.open(schema);
            return new TableWriter() {
                @Override
                public WriteResult write(Batch batch) {
                    check();
                    return w.write(batch);
                }

                @Override
                public void flush() {
                    check();
                    w.flush();
                }

                @Override
                public void truncate() {
                    check();
                    w.truncate();
                }

                @Override
                public void beginReplacement() {
                    check();
                    w.beginReplacement();
                }

                @Override
                public boolean resumeReplacement() {
                    check();
                    return w.resumeReplacement();
                }

                @Override
                public void commitReplacement() {
                    check();
                    w.commitReplacement();
                }

                @Override
                public void close() {
                    w.close();
                }
            };
        }

        @Override
        public Object storedForm(dev.dbsync.spi.Column column, Object value) {
            return delegate.storedForm(column, value);
        }

        @Override
        public void close() {
            delegate.close();
        }
    }
}
