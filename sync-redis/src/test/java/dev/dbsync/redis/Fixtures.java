package dev.dbsync.redis;

import dev.dbsync.spi.ChangeEvent;
import dev.dbsync.spi.Chunk;
import dev.dbsync.spi.Position;
import dev.dbsync.spi.Source;
import dev.dbsync.spi.TableSchema;
import dev.dbsync.spi.TableSpec;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/** Connectors on the test server, each test with a key prefix of its own. */
final class Fixtures {

    private Fixtures() {
    }

    static String uniquePrefix(String base) {
        return base + "_" + UUID.randomUUID().toString().substring(0, 8);
    }

    static RedisSink sink(String prefix, Object... more) {
        RedisSinkFactory f = new RedisSinkFactory();
        return (RedisSink) f.create(f.configDef().parse(RedisTestServer.get().settings(prefix, more)));
    }

    static RedisSource source(String prefix) {
        RedisSourceFactory f = new RedisSourceFactory();
        return (RedisSource) f.create(f.configDef().parse(RedisTestServer.get().settings(prefix)));
    }

    static RedisCheckpointStore store(String prefix, String leaseTtl) {
        RedisCheckpointStoreFactory f = new RedisCheckpointStoreFactory();
        return (RedisCheckpointStore) f.create(f.configDef().parse(RedisTestServer.get().settings(prefix, "lease.ttl", leaseTtl)));
    }

    /** Every row of the table read back by a full snapshot of the source, in key order, as column → value. */
    static List<Map<String, Object>> readAll(String prefix, TableSchema target) {
        try (Source src = source(prefix)) {
            TableSpec spec = TableSpec.of(target.name());
            TableSchema schema;
            try {
                schema = src.describe(spec);
            } catch (dev.dbsync.spi.SyncException e) {
                return List.of(); // never opened: no rows
            }
            List<Map<String, Object>> out = new ArrayList<>();
            Position after = null;
            while (true) {
                Chunk c = src.readSnapshot(spec, schema, after, 1000);
                for (ChangeEvent e : c.events()) {
                    Map<String, Object> row = new LinkedHashMap<>();
                    for (int i = 0; i < schema.columns().size(); i++) {
                        row.put(schema.columns().get(i).name(), e.values().get(i));
                    }
                    out.add(row);
                }
                after = c.next() == null ? after : c.next();
                if (c.last()) {
                    return out;
                }
            }
        }
    }
}
