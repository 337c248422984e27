package dev.dbsync.kafka;

import dev.dbsync.engine.Connectors;
import dev.dbsync.engine.SyncEngine;
import dev.dbsync.engine.SyncReport;
import dev.dbsync.engine.TableSync;
import dev.dbsync.spi.Batch;
import dev.dbsync.spi.Sink;
import dev.dbsync.spi.Source;
import dev.dbsync.spi.TableSpec;
import dev.dbsync.spi.TableWriter;
import dev.dbsync.spi.WriteResult;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code public.orders} from PostgreSQL into the Kafka sink through the embedded engine, CDC (snapshot, then the
 * replication slot until it is idle for a second) or, without a slot, FULL; the checkpoints in the sink's own
 * store (written in each batch's transaction). Arguments: bootstrap servers, the PostgreSQL URL, user and
 * password ("-" for none), the topic prefix, the checkpoint topic, the slot ("-": FULL), and a pause in
 * milliseconds before each batch is written (so that a killer can catch the run mid-way). Used by
 * {@link KilledSinkPipelineIT} as the process it kills, and by that test to finish the run.
 */
public final class SinkPipelineMain {

    private SinkPipelineMain() {
    }

    public static void main(String[] args) {
        SyncReport r = run(args[0], args[1], args[2].equals("-") ? null : args[2], args[3].equals("-") ? null : args[3], args[4], args[5],
                args[6].equals("-") ? null : args[6], Long.parseLong(args[7]));
        System.out.println(r.succeeded() ? "DONE" : "FAILED " + r.toText());
    }

    static SyncReport run(String bootstrap, String url, String user, String password, String prefix, String checkpoints, String slot,
            long pauseMs) {
        Connectors connectors = Connectors.load();
        Map<String, Object> pg = new HashMap<>();
        pg.put("url", url);
        if (user != null) {
            pg.put("user", user);
        }
        if (password != null) {
            pg.put("password", password);
        }
        if (slot != null) {
            pg.put("slot.name", slot);
            pg.put("publication.name", slot);
        }
        Source source = connectors.createSource("postgres", pg);
        TableSpec orders = TableSpec.of("public.orders");
        Sink sink = connectors.createSink("kafka", Map.of("bootstrap.servers", bootstrap, "topic.prefix", prefix,
                "checkpoint.topic", checkpoints, "topic.partitions", "3", "lease.ttl", "2s"));
        try (SyncEngine engine = SyncEngine.builder().pipeline("killed_sink").source(source).sink(pauseMs > 0 ? new Paused(sink, pauseMs) : sink)
                .tables(List.of(slot == null ? TableSync.full(orders) : TableSync.cdc(orders))).batchRows(200)
                .streamIdle(Duration.ofSeconds(1)).build()) {
            return engine.runOnce();
        }
    }

    /** The Kafka sink, each batch written after a pause; everything else goes straight to it. */
    private static final class Paused extends dev.dbsync.testkit.ForwardingSink {
        private final long pauseMs;

        Paused(Sink sink, long pauseMs) {
            super(sink);
            this.pauseMs = pauseMs;
        }

        @Override
        protected WriteResult write(TableWriter w, Batch batch) {
            try {
                Thread.sleep(pauseMs);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return super.write(w, batch);
        }
    }
}
