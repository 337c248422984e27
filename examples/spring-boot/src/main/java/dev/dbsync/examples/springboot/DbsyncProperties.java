package dev.dbsync.examples.springboot;

import dev.dbsync.engine.Strategy;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * The pipeline as the service's configuration ({@code dbsync.*} in {@code application.yaml}, environment variables
 * such as {@code DBSYNC_SOURCE_SETTINGS_PASSWORD}, or any other Spring property source).
 *
 * @param pipeline       the pipeline's name (checkpoints are kept under it)
 * @param source         the source connector: its type (e.g. {@code postgres}) and settings
 * @param sink           the sink connector: its type and settings
 * @param checkpointDir  where checkpoints are kept
 * @param tables         the tables to sync
 * @param pollInterval   time between incremental polls
 * @param verifyInterval time between verifications of source and target
 */
@ConfigurationProperties("dbsync")
public record DbsyncProperties(@DefaultValue("service") String pipeline, Connector source, Connector sink,
                               @DefaultValue("dbsync-state") Path checkpointDir, List<Table> tables,
                               @DefaultValue("30s") Duration pollInterval,
                               @DefaultValue("1h") Duration verifyInterval) {

    /**
     * A connector.
     *
     * @param type     its name, as {@code dbsync connectors} lists it
     * @param settings its settings (values as text, converted and validated by the connector's declaration)
     */
    public record Connector(String type, Map<String, String> settings) {
    }

    /**
     * A table.
     *
     * @param table      the source table, e.g. {@code public.orders}
     * @param strategy   FULL, INCREMENTAL or CDC
     * @param cursor     the cursor columns of an incremental table
     * @param softDelete the column whose {@code true} means deleted, or null
     */
    public record Table(String table, @DefaultValue("INCREMENTAL") Strategy strategy, List<String> cursor,
                        String softDelete) {
    }
}
