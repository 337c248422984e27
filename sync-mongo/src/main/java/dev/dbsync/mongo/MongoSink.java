package dev.dbsync.mongo;

import com.mongodb.MongoCommandException;
import com.mongodb.MongoException;
import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoCollection;
import com.mongodb.client.MongoDatabase;
import com.mongodb.client.model.IndexOptions;
import dev.dbsync.config.Config;
import dev.dbsync.spi.Column;
import dev.dbsync.spi.ErrorType;
import dev.dbsync.spi.ForeignKey;
import dev.dbsync.spi.Sink;
import dev.dbsync.spi.SinkCapability;
import dev.dbsync.spi.SyncException;
import dev.dbsync.spi.TableSchema;
import dev.dbsync.spi.TableWriter;
import java.util.EnumSet;
import java.util.LinkedHashSet;
import java.util.Set;
import org.bson.BsonDocument;
import org.bson.Document;

/**
 * Writes tables into collections of one MongoDB database: one document per row, {@code _id} = the key (an
 * embedded document in key order for composite keys), every column a field, plus the version field. See
 * {@link MongoTableWriter} for how batches are written.
 *
 * <p>Thread-safe: the driver's client is shared by the writers of every table.
 */
final class MongoSink implements Sink {

    private static final Set<SinkCapability> CAPABILITIES = EnumSet.of(SinkCapability.DELETE, SinkCapability.TRUNCATE,
            SinkCapability.AUTO_CREATE, SinkCapability.VERSIONED);

    private final MongoClient client;
    private final MongoDatabase db;
    private final String versionField;
    private final boolean createIndexes;
    private final String registry;

    MongoSink(Config config) {
        this.versionField = config.getString(MongoSettings.VERSION_FIELD);
        this.createIndexes = config.getBoolean(MongoSettings.CREATE_INDEXES);
        this.registry = config.getString(MongoSettings.SCHEMA_COLLECTION);
        this.client = MongoConnections.open(config);
        this.db = MongoConnections.database(client, config);
        try {
            db.runCommand(new Document("ping", 1));
        } catch (MongoException e) {
            client.close();
            throw new SyncException(ErrorType.EXTERNAL, "cannot reach MongoDB at setting '" + MongoSettings.URL + "' (database '"
                    + config.getString(MongoSettings.DATABASE) + "'): " + MongoConnections.describe(e), e);
        }
    }

    @Override
    public Set<SinkCapability> capabilities() {
        return CAPABILITIES;
    }

    /** Timestamps are BSON dates, which keep milliseconds: finer digits are cut (towards the past). */
    @Override
    public Object storedForm(Column column, Object value) {
        if (value instanceof java.time.LocalDateTime) {
            java.time.LocalDateTime t = (java.time.LocalDateTime) value;
            return java.time.LocalDateTime.ofInstant(java.time.Instant.ofEpochMilli(t.toInstant(java.time.ZoneOffset.UTC).toEpochMilli()),
                    java.time.ZoneOffset.UTC);
        }
        if (value instanceof java.time.OffsetDateTime) {
            return java.time.Instant.ofEpochMilli(((java.time.OffsetDateTime) value).toInstant().toEpochMilli());
        }
        if (value instanceof java.time.Instant) {
            return java.time.Instant.ofEpochMilli(((java.time.Instant) value).toEpochMilli());
        }
        return value;
    }

    /** Values BSON cannot hold: decimals beyond Decimal128, dates beyond a 64-bit count of milliseconds. */
    @Override
    public String refuses(Column column, Object value) {
        if (value == null) {
            return null;
        }
        try {
            BsonValues.toBson(value, column);
            return null;
        } catch (dev.dbsync.spi.DataException e) {
            return e.getMessage();
        }
    }

    @Override
    public TableWriter open(TableSchema schema) {
        String name = schema.name();
        if (name.startsWith("system.") || name.contains("$") || name.contains("\u0000") || name.equals(registry)) {
            throw new SyncException(ErrorType.CONFIG, "table '" + name + "' cannot be a MongoDB collection name ('system.' prefix,"
                    + " '$' or NUL)");
        }
        for (Column c : schema.columns()) {
            if (c.name().startsWith("$") || c.name().contains(".") || c.name().equals(versionField)
                    || (c.name().equals("_id") && schema.primaryKey().size() > 1)) {
                throw new SyncException(ErrorType.CONFIG, "table '" + name + "': column '" + c.name() + "' cannot be a field name"
                        + " here (leading '$', '.', the version field '" + versionField + "', or _id beside a composite key)");
            }
        }
        try {
            if (!exists(name)) {
                try {
                    db.createCollection(name);
                } catch (MongoCommandException e) {
                    if (e.getErrorCode() != 48) { // NamespaceExists: another writer created it first
                        throw e;
                    }
                }
            }
            MongoCollection<BsonDocument> coll = db.getCollection(name, BsonDocument.class);
            if (createIndexes) {
                createIndexes(coll, schema);
            }
            TableRegistry.register(db, registry, schema, versionField);
            return new MongoTableWriter(coll, schema, versionField);
        } catch (MongoException e) {
            throw MongoConnections.wrap("table '" + name + "': opening the collection", e);
        }
    }

    private boolean exists(String name) {
        for (String n : db.listCollectionNames().filter(new Document("name", name))) {
            if (n.equals(name)) {
                return true;
            }
        }
        return false;
    }

    /** Composite keys' fields (queried as columns) and every foreign key's columns (joined by $lookup). */
    private static void createIndexes(MongoCollection<BsonDocument> coll, TableSchema schema) {
        Set<java.util.List<String>> wanted = new LinkedHashSet<>();
        if (schema.primaryKey().size() > 1 || !schema.primaryKey().get(0).equals("_id")) {
            wanted.add(schema.primaryKey());
        }
        for (ForeignKey fk : schema.foreignKeys()) {
            wanted.add(fk.columns());
        }
        for (java.util.List<String> fields : wanted) {
            Document keys = new Document();
            fields.forEach(f -> keys.append(f, 1));
            coll.createIndex(keys, new IndexOptions().background(false));
        }
    }

    MongoDatabase database() {
        return db;
    }

    @Override
    public void close() {
        client.close();
    }
}
