package dev.dbsync.kafka.connect;

import java.util.Collection;
import java.util.HashMap;
import java.util.Map;
import org.apache.kafka.common.metrics.PluginMetrics;
import org.apache.kafka.connect.source.SourceTaskContext;
import org.apache.kafka.connect.storage.OffsetStorageReader;

/** A source task's context in process: its settings, the offsets "committed" so far, and optional plugin metrics. */
final class TestTaskContext implements SourceTaskContext {

    private final Map<String, String> props;
    private final Map<? extends Map<String, ?>, Map<String, Object>> committed;
    private final PluginMetrics metrics;

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
