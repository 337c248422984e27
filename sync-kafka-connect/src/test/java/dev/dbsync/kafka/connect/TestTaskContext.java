package dev.dbsync.kafka.connect;

import java.util.Collection;
import java.util.List;
import java.util.HashMap;
import java.util.Map;
import org.apache.kafka.common.metrics.PluginMetrics;
import org.apache.kafka.connect.source.SourceRecord;
import org.apache.kafka.connect.source.SourceTaskContext;
import org.apache.kafka.connect.storage.OffsetStorageReader;

/** A source task's context in process: its settings, the offsets "committed" so far, and optional plugin metrics. */
final class TestTaskContext implements SourceTaskContext {

    private final Map<String, String> props;
    private final Map<? extends Map<String, ?>, Map<String, Object>> committed;
    private final PluginMetrics metrics;

    /** A step a test runs while a task is polled. */
    interface Step {
        void run() throws Exception;
    }

    /**
     * Starts a task over the given committed offsets and polls it into {@code out} until it holds {@code expected}
     * records and then until a few polls in a row bring nothing more (or 30 s passed); {@code afterFirstQuietPoll},
     * when not null, runs once the task first returned nothing (its snapshot over). What was polled stays in {@code out}
     * even when the task fails.
     */
    static void drain(Map<String, String> props, Map<? extends Map<String, ?>, Map<String, Object>> committed,
                      PluginMetrics metrics, List<SourceRecord> out, int expected, Step afterFirstQuietPoll) throws Exception {
        DbsyncSourceTask task = new DbsyncSourceTask();
        task.initialize(new TestTaskContext(props, committed, metrics));
        long deadline = System.nanoTime() + 30_000_000_000L;
        task.start(props);
        try {
            int quiet = 0;
            while (System.nanoTime() < deadline && (out.size() < expected || quiet < 5)) {
                List<SourceRecord> batch = task.poll();
                if (batch == null || batch.isEmpty()) {
                    quiet++;
                    if (afterFirstQuietPoll != null && quiet == 1) {
                        afterFirstQuietPoll.run();
                        afterFirstQuietPoll = null;
                    }
                } else {
                    quiet = 0;
                    out.addAll(batch);
                }
            }
        } finally {
            task.stop();
        }
    }

    TestTaskContext(Map<String, String> props, Map<? extends Map<String, ?>, Map<String, Object>> committed, PluginMetrics metrics) {
        this.props = props;
        this.committed = committed;
        this.metrics = metrics;
    }

    @Override
    public Map<String, String> configs() {
        return props;
    }

    @Override
    public OffsetStorageReader offsetStorageReader() {
        return new OffsetStorageReader() {
            @Override
            public <T> Map<String, Object> offset(Map<String, T> partition) {
                return committed.get(partition);
            }

            @Override
            public <T> Map<Map<String, T>, Map<String, Object>> offsets(Collection<Map<String, T>> partitions) {
                Map<Map<String, T>, Map<String, Object>> out = new HashMap<>();
                for (Map<String, T> p : partitions) {
                    if (committed.get(p) != null) {
                        out.put(p, committed.get(p));
                    }
                }
                return out;
            }
        };
    }

    @Override
    public PluginMetrics pluginMetrics() {
        return metrics;
    }
}
