package dev.dbsync.testkit.bench;

import dev.dbsync.engine.CheckpointStores;
import dev.dbsync.engine.SyncEngine;
import dev.dbsync.engine.SyncReport;
import dev.dbsync.engine.TableSync;
import dev.dbsync.spi.Chunk;
import dev.dbsync.spi.Column;
import dev.dbsync.spi.LogicalType;
import dev.dbsync.spi.Position;
import dev.dbsync.spi.Sink;
import dev.dbsync.spi.TableSchema;
import dev.dbsync.spi.TableSpec;
import dev.dbsync.testkit.memory.MemorySource;
import java.math.BigDecimal;
import java.time.Duration;
import java.time.Instant;
import java.util.Locale;

/**
 * What the engine itself costs: reading a table straight from the in-memory source, beside a full sync of the
 * same table through the engine (reader thread, bounded queue, batching, checkpoints) into a sink that only
 * counts. Both sides do the same source work, so the ratio is the engine's share.
 *
 * <pre>
 * mvn -q -pl sync-test-kit test-compile exec:java -Dexec.mainClass=dev.dbsync.testkit.bench.EngineOverheadBenchmark -Dexec.classpathScope=test
 * </pre>
 */
public final class EngineOverheadBenchmark {

    private EngineOverheadBenchmark() {
    }

    public static void main(String[] args) {
        int rows = args.length > 0 ? Integer.parseInt(args[0]) : 1_000_000;
        TableSchema schema = new TableSchema("items", java.util.List.of(Column.required("id", LogicalType.INT64),
                Column.of("name", LogicalType.STRING), Column.decimal("price", 12, 2),
                Column.of("updated_at", LogicalType.TIMESTAMP_TZ)), java.util.List.of("id"));
        MemorySource source = new MemorySource();
        source.createTable(schema);
        Instant t0 = Instant.parse("2024-01-01T00:00:00Z");
        for (long id = 1; id <= rows; id++) {
            source.upsert("items", id, "item " + id, BigDecimal.valueOf(id % 10_000, 2), t0.plusMillis(id));
        }
        double raw = 0;
        double engine = 0;
        for (int round = 0; round < 3; round++) {
            raw = Math.max(raw, rows / rawRead(source, schema));
            engine = Math.max(engine, rows / engineRun(source));
        }
        System.out.printf(Locale.ROOT, "%,d rows, best of 3%n", rows);
        System.out.printf(Locale.ROOT, "read straight from the source (chunks of 10,000)   %,12.0f rows/s%n", raw);
        System.out.printf(Locale.ROOT, "full sync through the engine into a counting sink  %,12.0f rows/s%n", engine);
        System.out.printf(Locale.ROOT, "engine / raw read = %.2f%n", engine / raw);
    }

    private static double rawRead(MemorySource source, TableSchema schema) {
        TableSpec spec = TableSpec.of("items");
        long t = System.nanoTime();
        Position after = null;
        long n = 0;
        while (true) {
            Chunk c = source.readSnapshot(spec, schema, after, 10_000);
            n += c.events().size();
            after = c.next();
            if (c.last()) {
                break;
            }
        }
        if (n == 0) {
            throw new IllegalStateException("nothing read");
        }
        return (System.nanoTime() - t) / 1e9;
    }

    private static double engineRun(MemorySource source) {
        Sink counting = new dev.dbsync.testkit.CountingSink();
        long t = System.nanoTime();
        SyncReport r = SyncEngine.builder().source(source).sink(counting).checkpointStore(CheckpointStores.memory())
                .table(TableSync.full(TableSpec.of("items"))).progressInterval(Duration.ofHours(1)).build().runOnce();
        double secs = (System.nanoTime() - t) / 1e9;
        if (!r.succeeded()) {
            throw new IllegalStateException(r.toText());
        }
        return secs;
    }
}
