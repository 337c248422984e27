package dev.dbsync.cli.demo;

import dev.dbsync.cli.datagen.EcommerceTable;
import dev.dbsync.engine.Connectors;
import dev.dbsync.engine.PipelineConfig;
import dev.dbsync.engine.SyncEngine;
import dev.dbsync.engine.SyncListener;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The e-commerce pipeline from the PostgreSQL source into one target, built like a pipeline file. */
public final class Pipelines {

    private Pipelines() {
    }

    /**
     * The pipeline as the map a YAML file would give: every e-commerce table incremental on {@code updated_at}
     * with soft deletes by {@code is_deleted}, checkpoints in files under {@code checkpoints}.
     */
    public static Map<String, Object> ecommerce(String name, Map<String, Object> source, Target target, Path checkpoints,
                                                int parallelism) {
        Map<String, Object> raw = new LinkedHashMap<>();
        raw.put("pipeline", name);
        Map<String, Object> src = new LinkedHashMap<>(source);
        src.put("type", "postgres");
        raw.put("source", src);
        Map<String, Object> sink = new LinkedHashMap<>(target.settings());
        sink.put("type", target.type());
        raw.put("sink", sink);
        raw.put("checkpoints", Map.of("type", "file", "dir", checkpoints.toString()));
        List<Object> tables = new ArrayList<>();
        for (EcommerceTable t : EcommerceTable.values()) {
            tables.add(Map.of("table", "public." + t.tableName(), "strategy", "incremental",
                    "cursor", List.of("updated_at"), "softDelete", "is_deleted"));
        }
        raw.put("tables", tables);
        raw.put("engine", Map.of("parallelism", parallelism, "batch.rows", 10_000, "progress.interval", "1h"));
        return raw;
    }

    /**
     * The same pipeline into several targets from one read: the targets as named sinks (named by their type), so the
     * source is read once and every target receives every change.
     */
    public static Map<String, Object> ecommerce(String name, Map<String, Object> source, List<Target> targets, Path checkpoints,
                                                int parallelism) {
        Map<String, Object> raw = ecommerce(name, source, targets.get(0), checkpoints, parallelism);
        raw.remove("sink");
        Map<String, Object> sinks = new LinkedHashMap<>();
        for (Target target : targets) {
            Map<String, Object> sink = new LinkedHashMap<>(target.settings());
            sink.put("type", target.type());
            sinks.put(target.type(), sink);
        }
        raw.put("sinks", sinks);
        return raw;
    }

    /** Validates the pipeline and builds its engine with {@code listener}. */
    public static SyncEngine engine(Map<String, Object> raw, Connectors connectors, SyncListener listener) {
        PipelineConfig config = PipelineConfig.fromMap(raw);
        config.validate(connectors);
        return config.toEngine(connectors).listener(listener).build();
    }
}
