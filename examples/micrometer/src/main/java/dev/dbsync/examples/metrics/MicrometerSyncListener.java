package dev.dbsync.examples.metrics;

import static java.util.Objects.requireNonNull;

import dev.dbsync.engine.SyncListener;
import dev.dbsync.engine.SyncReport;
import dev.dbsync.engine.TableReport;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Publishes the engine's figures as Micrometer meters, tagged with {@code pipeline} and {@code table}:
 * <ul>
 *   <li>{@code dbsync.rows.read}, {@code dbsync.rows.written}, {@code dbsync.rows.failed} — counters;</li>
 *   <li>{@code dbsync.rows.per.second} — a gauge of the current run's read rate;</li>
 *   <li>{@code dbsync.table.runs} — a timer of table runs, tagged {@code outcome} = {@code ok} or {@code failed}.</li>
 * </ul>
 * Register it with {@code SyncEngine.builder().listener(new MicrometerSyncListener(registry))}. The engine
 * reports running totals per run; this listener turns them into counter increments.
 */
public final class MicrometerSyncListener implements SyncListener {

    private final MeterRegistry registry;
    private final Map<String, long[]> lastSeen = new ConcurrentHashMap<>();
    private final Map<String, AtomicLong> rates = new ConcurrentHashMap<>();

    public MicrometerSyncListener(MeterRegistry registry) {
        this.registry = requireNonNull(registry, "registry is null");
    }

    @Override
    public void onProgress(Progress p) {
        String id = p.pipeline() + '\u0000' + p.table();
        long[] last = lastSeen.computeIfAbsent(id, k -> new long[3]);
        long[] now = {p.rowsRead(), p.rowsWritten(), p.failed()};
        synchronized (last) {
            // a new run starts its totals at zero again
            if (now[0] < last[0] || now[1] < last[1] || now[2] < last[2]) {
                last[0] = 0;
                last[1] = 0;
                last[2] = 0;
            }
            counter("dbsync.rows.read", p.pipeline(), p.table()).increment(now[0] - last[0]);
            counter("dbsync.rows.written", p.pipeline(), p.table()).increment(now[1] - last[1]);
            counter("dbsync.rows.failed", p.pipeline(), p.table()).increment(now[2] - last[2]);
            System.arraycopy(now, 0, last, 0, 3);
        }
        rates.computeIfAbsent(id, k -> registry.gauge("dbsync.rows.per.second",
                io.micrometer.core.instrument.Tags.of("pipeline", p.pipeline(), "table", p.table()), new AtomicLong()))
                .set(Math.round(p.rowsPerSecond()));
    }

    @Override
    public void onTableFinished(String pipeline, TableReport report) {
        Timer.builder("dbsync.table.runs").tag("pipeline", pipeline).tag("table", report.table())
                .tag("outcome", report.succeeded() ? "ok" : "failed").register(registry).record(report.duration());
        lastSeen.remove(pipeline + '\u0000' + report.table());
    }

    @Override
    public void onRunFinished(SyncReport report) {
        // per-table meters carry everything; nothing to add per run
    }

    private Counter counter(String name, String pipeline, String table) {
        return Counter.builder(name).tag("pipeline", pipeline).tag("table", table).register(registry);
    }
}
