package dev.dbsync.elastic;

import dev.dbsync.spi.ChangeEvent;
import dev.dbsync.spi.Chunk;
import dev.dbsync.spi.Position;
import dev.dbsync.spi.Sink;
import dev.dbsync.spi.TableSchema;
import dev.dbsync.spi.TableSpec;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Connectors against the test server, and the target read back through the connector's own source. */
final class ElasticTesting {

    private ElasticTesting() {
    }

    static Map<String, Object> config(Map<String, ?> extra) {
        Map<String, Object> m = new HashMap<>(ElasticServer.get().config());
        m.put("index.replicas", "0");
        m.putAll(extra);
        return m;
    }

    static ElasticSink sink(Map<String, ?> extra) {
        ElasticSinkFactory f = new ElasticSinkFactory();
        return (ElasticSink) f.create(f.configDef().parse(config(extra)));
    }

    static ElasticSource source(Map<String, ?> extra) {
        Map<String, Object> m = new HashMap<>(ElasticServer.get().config());
        m.putAll(extra);
        ElasticSourceFactory f = new ElasticSourceFactory();
        return (ElasticSource) f.create(f.configDef().parse(m));
    }

    static ElasticCheckpointStore store(Map<String, ?> extra) {
        Map<String, Object> m = new HashMap<>(ElasticServer.get().config());
        m.putAll(extra);
        ElasticCheckpointStoreFactory f = new ElasticCheckpointStoreFactory();
        return (ElasticCheckpointStore) f.create(f.configDef().parse(m));
    }

    /** Every document of the table's index, read with a full read of the source, as column → value. */
    static List<Map<String, Object>> read(String table) {
        try (ElasticSource source = source(Map.of())) {
            TableSpec spec = TableSpec.of(table);
            TableSchema schema = source.describe(spec);
            List<Map<String, Object>> rows = new ArrayList<>();
            Position after = null;
            while (true) {
                Chunk c = source.readSnapshot(spec, schema, after, 5000);
                for (ChangeEvent e : c.events()) {
                    Map<String, Object> row = new LinkedHashMap<>();
                    for (int i = 0; i < schema.columns().size(); i++) {
                        row.put(schema.columns().get(i).name(), e.values().get(i));
                    }
                    rows.add(row);
                }
                after = c.next() == null ? after : c.next();
                if (c.last()) {
                    return rows;
                }
            }
        }
    }
}
