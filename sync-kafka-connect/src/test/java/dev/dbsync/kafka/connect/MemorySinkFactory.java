package dev.dbsync.kafka.connect;

import dev.dbsync.config.Config;
import dev.dbsync.config.ConfigDef;
import dev.dbsync.config.ConfigType;
import dev.dbsync.spi.Sink;
import dev.dbsync.spi.SinkFactory;
import dev.dbsync.testkit.memory.MemorySink;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/** The test kit's in-memory reference sink under the name {@code memory}, one instance per {@code id} setting. */
public final class MemorySinkFactory implements SinkFactory {

    static final Map<String, MemorySink> SINKS = new ConcurrentHashMap<>();

    @Override
    public String name() {
        return "memory";
    }

    @Override
    public ConfigDef configDef() {
        return ConfigDef.builder().optional("id", ConfigType.STRING, "default", "which shared instance").build();
    }

    @Override
    public Sink create(Config config) {
        MemorySink s = SINKS.get(config.getString("id"));
        if (s == null) {
            throw new IllegalStateException("no memory sink '" + config.getString("id") + "' registered by the test");
        }
        return new Sink() {
            @Override
            public java.util.Set<dev.dbsync.spi.SinkCapability> capabilities() {
                return s.capabilities();
            }

            @Override
            public dev.dbsync.spi.TableWriter open(dev.dbsync.spi.TableSchema schema) {
                return s.open(schema);
            }

            @Override
            public void close() {
                // the test reads the rows after the task stopped
            }
        };
    }
}
