package dev.dbsync.neo4j;

import dev.dbsync.spi.CheckpointStore;
import dev.dbsync.spi.ConfigException;
import dev.dbsync.spi.LogicalType;
import dev.dbsync.spi.Sink;
import dev.dbsync.spi.SinkCapability;
import dev.dbsync.spi.TableSchema;
import dev.dbsync.spi.TableWriter;
import java.time.Duration;
import java.util.Collections;
import java.util.EnumSet;
import java.util.Optional;
import java.util.Set;
import org.neo4j.driver.Session;

/**
 * Rows as nodes, foreign keys as relationships, join tables as relationships with properties. Each table's writer
 * sends every batch as one transaction; see {@link NodeWriter} and {@link RelationshipWriter}.
 */
final class Neo4jSink implements Sink {

    private static final Set<LogicalType> TYPES;

    static {
        Set<LogicalType> t = EnumSet.copyOf(LogicalType.CORE);
        t.add(LogicalType.TIME); // Neo4j has LocalTime properties
        TYPES = Collections.unmodifiableSet(t);
    }

    private final Neo4jConnection connection;
    private final GraphMapping mapping;
    private final boolean relationships;
    private final String versionProperty;
    private final String placeholderProperty;
    private final Neo4jCheckpointStore store;

    Neo4jSink(Neo4jConnection connection, GraphMapping mapping, boolean relationships, String versionProperty,
              String placeholderProperty, boolean checkpointStore, Duration leaseTtl) {
        this.connection = connection;
        this.mapping = mapping;
        this.relationships = relationships;
        this.versionProperty = versionProperty;
        this.placeholderProperty = placeholderProperty;
        this.store = checkpointStore ? new Neo4jCheckpointStore(connection, leaseTtl, false) : null;
    }

    @Override
    public Set<SinkCapability> capabilities() {
        EnumSet<SinkCapability> c = EnumSet.of(SinkCapability.DELETE, SinkCapability.TRUNCATE, SinkCapability.AUTO_CREATE,
                SinkCapability.TRANSACTIONS, SinkCapability.VERSIONED);
        if (store != null) {
            c.add(SinkCapability.CHECKPOINT_STORE);
        }
        return c;
    }

    @Override
    public Set<LogicalType> supportedTypes() {
        return TYPES;
    }

    @Override
    public TableWriter open(TableSchema schema) {
        for (String reserved : new String[] {versionProperty, placeholderProperty}) {
            if (schema.indexOf(reserved) >= 0) {
                throw new ConfigException(reserved.equals(versionProperty) ? Neo4jSettings.VERSION_PROPERTY
                        : Neo4jSettings.PLACEHOLDER_PROPERTY, "table '" + schema.name() + "' has a column named '"
                        + reserved + "', which the sink keeps for itself; choose another property name");
            }
        }
        if (store != null) {
            store.prepare(); // before any batch transaction wants to save a checkpoint
        }
        if (mapping.isJoinTable(schema.name())) {
            return new RelationshipWriter(this, schema);
        }
        return new NodeWriter(this, schema);
    }

    /** Runs schema statements (constraints, indexes) one by one, each in its own auto-commit transaction. */
    void schemaStatement(String what, String cypher) {
        for (int attempt = 1; ; attempt++) {
            try (Session s = connection.session()) {
                s.run(cypher).consume();
                return;
            } catch (RuntimeException e) {
                // two writers opening at once may race on the same constraint; the second sees it exist on retry
                if (attempt >= 3) {
                    throw Neo4jConnection.map(what, e);
                }
            }
        }
    }

    private volatile boolean describing;

    /** Records the table's columns and key beside its nodes (see {@link TableDescriptions}). */
    void describe(String label, TableSchema schema) {
        if (!describing) {
            schemaStatement("create the constraint of table descriptions", TableDescriptions.constraint());
            describing = true;
        }
        try (Session s = connection.session()) {
            s.executeWrite(tx -> tx.run(TableDescriptions.upsert(), java.util.Map.of("label", label, "table", schema.name(),
                    "schema", TableDescriptions.toJson(schema))).consume());
        } catch (RuntimeException e) {
            throw Neo4jConnection.map("describe table '" + schema.name() + "' in (:DbsyncTable)", e);
        }
    }

    Neo4jConnection connection() {
        return connection;
    }

    GraphMapping mapping() {
        return mapping;
    }

    boolean relationships() {
        return relationships;
    }

    String versionProperty() {
        return versionProperty;
    }

    String placeholderProperty() {
        return placeholderProperty;
    }

    /** The checkpoint store, when enabled; writers write a batch's checkpoint with it only for leases it handed out. */
    Neo4jCheckpointStore store() {
        return store;
    }

    @Override
    public Optional<CheckpointStore> checkpointStore() {
        return Optional.ofNullable(store);
    }

    @Override
    public void close() {
        if (store != null) {
            store.close();
        }
        connection.close();
    }
}
