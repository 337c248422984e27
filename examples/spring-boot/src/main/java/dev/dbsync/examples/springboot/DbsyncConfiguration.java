package dev.dbsync.examples.springboot;

import dev.dbsync.engine.CheckpointStores;
import dev.dbsync.engine.Connectors;
import dev.dbsync.engine.DeadLetterHandler;
import dev.dbsync.engine.SyncEngine;
import dev.dbsync.engine.TableSync;
import dev.dbsync.examples.metrics.MicrometerSyncListener;
import dev.dbsync.spi.TableSpec;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.springframework.context.SmartLifecycle;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * Wires the library into the application: the engine built from {@link DbsyncProperties}, reporting to the
 * application's {@link MeterRegistry}, started and stopped with the application context.
 */
@Configuration(proxyBeanMethods = false)
public class DbsyncConfiguration {

    /** Every connector on the class path (here sync-postgres), found with ServiceLoader. */
    @Bean
    Connectors dbsyncConnectors() {
        return Connectors.load();
    }

    /**
     * The engine; invalid settings fail the application's start with an error naming the key. Closing it (when
     * the context closes) closes the source, the sink and the checkpoint store.
     */
    @Bean(destroyMethod = "close")
    SyncEngine syncEngine(DbsyncProperties properties, Connectors connectors, MeterRegistry registry) {
        SyncEngine.Builder builder = SyncEngine.builder()
                .pipeline(properties.pipeline())
                .source(connectors.createSource(properties.source().type(), settings(properties.source())))
                .sink(connectors.createSink(properties.sink().type(), settings(properties.sink())))
                .checkpointStore(CheckpointStores.file(properties.checkpointDir()))
                .pollInterval(properties.pollInterval())
                .deadLetterHandler(DeadLetterHandler.logAndSkip(1_000))
                .listener(new MicrometerSyncListener(registry));
        for (DbsyncProperties.Table t : properties.tables()) {
            builder.table(tableSync(t));
        }
        return builder.build();
    }

    /** Runs the engine in continuous mode while the application runs; stopping finishes the batch in hand. */
    @Bean
    SmartLifecycle syncEngineLifecycle(SyncEngine engine) {
        return new SmartLifecycle() {
            @Override
            public void start() {
                engine.start();
            }

            @Override
            public void stop() {
                engine.stop();
            }

            @Override
            public boolean isRunning() {
                return engine.isRunning();
            }
        };
    }

    static TableSync tableSync(DbsyncProperties.Table t) {
        TableSpec spec = TableSpec.of(t.table());
        List<String> cursor = t.cursor() == null ? List.of() : t.cursor();
        if (!cursor.isEmpty()) {
            spec = spec.withCursor(cursor.toArray(String[]::new));
        }
        if (t.softDelete() != null) {
            spec = spec.withSoftDelete(t.softDelete());
        }
        return switch (t.strategy()) {
            case FULL -> TableSync.full(spec);
            case INCREMENTAL -> TableSync.incremental(spec);
            case CDC -> TableSync.cdc(spec);
        };
    }

    static Map<String, Object> settings(DbsyncProperties.Connector c) {
        return c.settings() == null ? Map.of() : new LinkedHashMap<>(c.settings());
    }
}
