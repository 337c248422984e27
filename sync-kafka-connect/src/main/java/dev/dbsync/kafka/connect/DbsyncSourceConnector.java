package dev.dbsync.kafka.connect;

import dev.dbsync.spi.Source;
import dev.dbsync.spi.SourceFactory;
import dev.dbsync.spi.StreamingSource;
import dev.dbsync.spi.SyncException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.config.Config;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.connect.connector.Task;
import org.apache.kafka.connect.errors.ConnectException;
import org.apache.kafka.connect.source.ExactlyOnceSupport;
import org.apache.kafka.connect.source.SourceConnector;

/**
 * Any dbsync source as a Kafka Connect source connector. {@code dbsync.connector} names the source; its settings
 * are the keys {@code <name>.<setting>}. Tables ({@code dbsync.tables}) are spread over up to {@code tasks.max}
 * tasks for the {@code full} and {@code incremental} strategies; with {@code cdc} the change feed (a PostgreSQL
 * slot, a MongoDB change stream) is one task that snapshots its tables and then streams. Each table's
 * checkpoint is the Connect source offset of the partition {@code {pipeline, table}} (the feed's of
 * {@code {pipeline, feed}}), so a task resumes where Connect committed, on any worker.
 * <p>Lifecycle (called by the Connect worker): {@link #validate} → {@link #start} → {@link #taskConfigs} →
 * {@link #stop}.
 */
public final class DbsyncSourceConnector extends SourceConnector {

    private Map<String, String> props;

    @Override
    public String version() {
        return "0.1.0";
    }

    @Override
    public void start(Map<String, String> props) {
        this.props = Map.copyOf(props);
        String name = props.get(AdapterConfig.CONNECTOR);
        try {
            AdapterConfig.tolerateAll(props);
            SourceFactory f = AdapterConfig.sourceFactory(name);
            f.configDef().parse(AdapterConfig.settings(name, props));
        } catch (SyncException | org.apache.kafka.common.config.ConfigException e) {
            throw new ConnectException(e.getMessage(), e);
        }
    }

    @Override
    public Class<? extends Task> taskClass() {
        return DbsyncSourceTask.class;
    }

    @Override
    public List<Map<String, String>> taskConfigs(int maxTasks) {
        String name = props.get(AdapterConfig.CONNECTOR);
        List<String> tables = new ArrayList<>();
        String given = props.getOrDefault(AdapterConfig.TABLES, "");
        for (String t : given.split(",")) {
            if (!t.isBlank()) {
                tables.add(t.trim());
            }
        }
        SourceFactory f = AdapterConfig.sourceFactory(name);
        String strategy = props.getOrDefault(AdapterConfig.STRATEGY, "cdc");
        if (tables.isEmpty() || strategy.equals("cdc")) {
            try (Source s = f.create(f.configDef().parse(AdapterConfig.settings(name, props)))) {
                if (strategy.equals("cdc") && !(s instanceof StreamingSource)) {
                    throw new ConnectException("dbsync source '" + name + "' has no change feed; use dbsync.strategy full or incremental");
                }
                if (tables.isEmpty()) {
                    tables.addAll(s.listTables());
                }
            }
        }
        List<Map<String, String>> out = new ArrayList<>();
        if (tables.isEmpty()) {
            return out;
        }
        // a change feed covers all its tables in one stream: one task
        int n = strategy.equals("cdc") ? 1 : Math.min(maxTasks, tables.size());
        List<List<String>> groups = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            groups.add(new ArrayList<>());
        }
        for (int i = 0; i < tables.size(); i++) {
            groups.get(i % n).add(tables.get(i));
        }
        for (List<String> g : groups) {
            Map<String, String> c = new HashMap<>(props);
            c.put(AdapterConfig.TASK_TABLES, String.join(",", g));
            out.add(c);
        }
        return out;
    }

    @Override
    public void stop() {
    }

    @Override
    public ConfigDef config() {
        return AdapterConfig.sourceDef();
    }

    @Override
    public Config validate(Map<String, String> connectorConfigs) {
        Config c = AdapterConfig.validateConnector(super.validate(connectorConfigs), connectorConfigs,
                n -> AdapterConfig.sourceFactory(n).configDef());
        try {
            AdapterConfig.tolerateAll(connectorConfigs);
        } catch (dev.dbsync.spi.ConfigException e) {
            // settings valid alone but not together (a dead-letter topic without tolerance): under the key named
            for (org.apache.kafka.common.config.ConfigValue v : c.configValues()) {
                if (v.name().equals(e.key()) && v.errorMessages().isEmpty()) {
                    v.addErrorMessage(e.getMessage());
                }
            }
        } catch (org.apache.kafka.common.config.ConfigException e) {
            // already reported by the key's own validator
        }
        return c;
    }

    /** Every event's position resumes exactly after it: Connect may commit offsets in the records' transaction. */
    @Override
    public ExactlyOnceSupport exactlyOnceSupport(Map<String, String> connectorConfig) {
        return ExactlyOnceSupport.SUPPORTED;
    }
}
