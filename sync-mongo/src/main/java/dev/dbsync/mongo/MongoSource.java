package dev.dbsync.mongo;

import com.mongodb.MongoCommandException;
import com.mongodb.MongoException;
import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoCollection;
import com.mongodb.client.MongoCursor;
import com.mongodb.client.MongoDatabase;
import com.mongodb.client.model.Filters;
import com.mongodb.client.model.Sorts;
import dev.dbsync.config.Config;
import dev.dbsync.spi.ChangeEvent;
import dev.dbsync.spi.ChangeStream;
import dev.dbsync.spi.Chunk;
import dev.dbsync.spi.Column;
import dev.dbsync.spi.ConfigException;
import dev.dbsync.spi.ErrorType;
import dev.dbsync.spi.LogicalType;
import dev.dbsync.spi.Position;
import dev.dbsync.spi.Source;
import dev.dbsync.spi.StreamingSource;
import dev.dbsync.spi.SyncException;
import dev.dbsync.spi.TableSchema;
import dev.dbsync.spi.TableSpec;
import dev.dbsync.spi.WriteResult;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.ConcurrentHashMap;
import org.bson.BsonDateTime;
import org.bson.BsonDocument;
import org.bson.BsonInt32;
import org.bson.BsonValue;
import org.bson.Document;
import org.bson.conversions.Bson;

/**
 * Reads collections of one MongoDB database: keyset snapshots on {@code _id}, incremental reads by a cursor field
 * tie-broken by {@code _id} below a safe bound, and change streams ({@link MongoChangeStream}).
 *
 * <p>Thread-safe: the driver's client is shared; every read uses its own cursor.
 */
final class MongoSource implements Source, StreamingSource {

    private final MongoClient client;
    private final MongoDatabase db;
    private final String database;
    private final boolean documentMode;
    private final int sampleSize;
    private final Duration lag;
    private final boolean allowUnsafeCursor;
    private final String streamScope;
    private final boolean splitLargeEvents;
    private final Duration maxAwait;
    private final String registry;
    /** Per collection: the layout of the schema it was last described with, and its cursor field's column. */
    private final Map<String, DocumentLayout> layouts = new ConcurrentHashMap<>();
    private final Map<String, Column> cursors = new ConcurrentHashMap<>();

    MongoSource(Config config) {
        this.database = config.getString(MongoSettings.DATABASE);
        this.documentMode = "document".equalsIgnoreCase(config.getString(MongoSettings.MODE));
        this.sampleSize = config.getInt(MongoSettings.SCHEMA_SAMPLE_SIZE);
        this.lag = config.getDuration(MongoSettings.INCREMENTAL_LAG);
        this.allowUnsafeCursor = config.getBoolean(MongoSettings.INCREMENTAL_ALLOW_UNSAFE_CURSOR);
        this.streamScope = config.getString(MongoSettings.STREAM_SCOPE).toLowerCase(java.util.Locale.ROOT);
        this.splitLargeEvents = config.getBoolean(MongoSettings.STREAM_SPLIT_LARGE_EVENTS);
        this.maxAwait = config.getDuration(MongoSettings.STREAM_MAX_AWAIT);
        this.registry = config.getString(MongoSettings.SCHEMA_COLLECTION);
        this.client = MongoConnections.open(config);
        this.db = MongoConnections.database(client, config);
        try {
            db.runCommand(new Document("ping", 1));
        } catch (MongoException e) {
            client.close();
            throw new SyncException(ErrorType.EXTERNAL, "cannot reach MongoDB at setting '" + MongoSettings.URL + "' (database '"
                    + database + "'): " + MongoConnections.describe(e), e);
        }
    }

    MongoDatabase database() {
        return db;
    }

    MongoClient client() {
        return client;
    }

    @Override
    public List<String> listTables() {
        try {
            List<String> out = new ArrayList<>();
            for (String n : db.listCollectionNames()) {
                if (!n.startsWith("system.") && !n.equals(registry)) {
                    out.add(n);
                }
            }
            out.sort(null);
            return out;
        } catch (MongoException e) {
            throw MongoConnections.wrap("database '" + database + "': listing collections", e);
        }
    }

    @Override
    public OptionalLong estimateRows(TableSpec spec) {
        try {
            return OptionalLong.of(db.getCollection(spec.table()).estimatedDocumentCount());
        } catch (MongoException e) {
            return OptionalLong.empty();
        }
    }

    // ---------------------------------------------------------------------------------------------------------
    // schema

    @Override
    public TableSchema describe(TableSpec spec) {
        String coll = spec.table();
        try {
            Document info = null;
            for (Document d : db.listCollections().filter(new Document("name", coll))) {
                if (coll.equals(d.getString("name"))) {
                    info = d;
                }
            }
            if (info == null) {
                throw new SyncException(ErrorType.CONFIG, "collection '" + coll + "' does not exist in database '" + database + "'");
            }
            TableSchema registered = registered(spec);
            if (registered != null) {
                return registered;
            }
            List<String> keyFields = spec.keyColumns().isEmpty() || spec.keyColumns().equals(List.of("_id"))
                    ? List.of("_id") : spec.keyColumns();
            boolean composite = !keyFields.equals(List.of("_id"));
            if (keyFields.contains("_id") && composite) {
                throw new ConfigException("key", "collection '" + coll + "': a composite key names the fields of an embedded _id"
                        + " document, so it cannot contain '_id' itself");
            }
            Map<String, Column> declared = SchemaSpec.fromValidator(info, composite ? keyFields : List.of());
            Map<String, BsonValues.FieldTypes> seen = new LinkedHashMap<>();
            Map<String, BsonValues.FieldTypes> keySeen = new LinkedHashMap<>();
            for (String k : keyFields) {
                keySeen.put(k, new BsonValues.FieldTypes());
            }
            int sampled = 0;
            for (BsonDocument doc : sample(coll)) {
                sampled++;
                BsonValue id = doc.get("_id");
                if (composite) {
                    for (String k : keyFields) {
                        keySeen.get(k).add(id != null && id.isDocument() ? id.asDocument().get(k) : null);
                    }
                } else {
                    keySeen.get("_id").add(id);
                }
                for (Map.Entry<String, BsonValue> e : doc.entrySet()) {
                    if (!e.getKey().equals("_id")) {
                        seen.computeIfAbsent(e.getKey(), k -> new BsonValues.FieldTypes()).add(e.getValue());
                    }
                }
            }
            List<Column> columns = new ArrayList<>();
            for (String k : keyFields) {
                Column c = declared.get(k);
                BsonValues.FieldTypes t = keySeen.get(k);
                columns.add(c != null ? c.withNullable(false) : t.types.isEmpty()
                        // an unknown key type: keep exact BSON, so keyset positions compare like the stored _id
                        ? new Column(k, LogicalType.STRING, false, 0, 0, null, BsonValues.BSON) : t.column(k, true));
            }
            Map<String, Column> fields = new LinkedHashMap<>();
            for (Map.Entry<String, Column> e : declared.entrySet()) {
                if (!keyFields.contains(e.getKey()) && !e.getKey().equals("_id")) {
                    fields.put(e.getKey(), e.getValue());
                }
            }
            for (Map.Entry<String, BsonValues.FieldTypes> e : seen.entrySet()) {
                if (!keyFields.contains(e.getKey()) && !fields.containsKey(e.getKey())) {
                    fields.put(e.getKey(), e.getValue().column(e.getKey(), false));
                }
            }
            for (String c : spec.cursorColumns()) {
                if (!fields.containsKey(c)) {
                    throw new ConfigException("cursor", "collection '" + coll + "': cursor field '" + c + "' is neither declared"
                            + " in a $jsonSchema validator nor present in the " + sampled + " sampled documents");
                }
            }
            if (spec.softDeleteColumn() != null && !fields.containsKey(spec.softDeleteColumn())) {
                throw new ConfigException("softDelete", "collection '" + coll + "': soft-delete field '" + spec.softDeleteColumn()
                        + "' is neither declared in a $jsonSchema validator nor present in the " + sampled + " sampled documents");
            }
            if (spec.cursorColumns().size() > 1) {
                throw new ConfigException("cursor", "collection '" + coll + "': a cursor of several fields is not supported by the"
                        + " MongoDB source (its COALESCE could use no index); give one field");
            }
            if (spec.hasCursor()) {
                cursors.put(coll, fields.get(spec.cursorColumns().get(0)));
            }
            if (documentMode) {
                columns.add(Column.of(MongoSettings.DOCUMENT_COLUMN, LogicalType.JSON));
            } else {
                columns.addAll(fields.values());
            }
            TableSchema schema = new TableSchema(coll, columns, keyFields);
            layouts.put(coll, DocumentLayout.forSource(coll, schema, documentMode));
            return schema;
        } catch (MongoException e) {
            throw MongoConnections.wrap("collection '" + coll + "': describing", e);
        }
    }

    /**
     * The schema the sink recorded for the collection, with the spec's cursor and soft-delete fields checked;
     * null when the collection was not written by the sink (or the spec names another key).
     */
    private TableSchema registered(TableSpec spec) {
        if (documentMode) {
            return null;
        }
        TableRegistry.Entry entry = TableRegistry.lookup(db, registry, spec.table());
        TableSchema s = entry == null ? null : entry.schema();
        if (s == null || (!spec.keyColumns().isEmpty() && !spec.keyColumns().equals(s.primaryKey()))) {
            return null;
        }
        for (String c : spec.cursorColumns()) {
            if (s.indexOf(c) < 0) {
                throw new ConfigException("cursor", "collection '" + spec.table() + "': cursor column '" + c + "' is not a column of"
                        + " its recorded schema " + s.columnNames());
            }
        }
        if (spec.softDeleteColumn() != null && s.indexOf(spec.softDeleteColumn()) < 0) {
            throw new ConfigException("softDelete", "collection '" + spec.table() + "': soft-delete column '" + spec.softDeleteColumn()
                    + "' is not a column of its recorded schema " + s.columnNames());
        }
        if (spec.cursorColumns().size() > 1) {
            throw new ConfigException("cursor", "collection '" + spec.table() + "': a cursor of several fields is not supported by the"
                    + " MongoDB source (its COALESCE could use no index); give one field");
        }
        if (spec.hasCursor()) {
            cursors.put(spec.table(), s.column(spec.cursorColumns().get(0)));
        }
        layouts.put(spec.table(), DocumentLayout.forSinkWritten(s, entry.versionField()));
        return s;
    }

    private List<BsonDocument> sample(String coll) {
        MongoCollection<BsonDocument> c = db.getCollection(coll, BsonDocument.class);
        try {
            return c.aggregate(List.of(new Document("$sample", new Document("size", sampleSize)))).into(new ArrayList<>());
        } catch (MongoCommandException e) {
            // servers without $sample: the first documents in natural order
            return c.find().limit(sampleSize).into(new ArrayList<>());
        }
    }

    DocumentLayout layout(TableSchema schema) {
        DocumentLayout l = layouts.get(schema.name());
        if (l == null || !l.schema.equals(schema)) {
            TableRegistry.Entry recorded = TableRegistry.lookup(db, registry, schema.name());
            l = recorded != null && schema.equals(recorded.schema()) ? DocumentLayout.forSinkWritten(schema, recorded.versionField())
                    : DocumentLayout.forSource(schema.name(), schema, documentMode);
            layouts.put(schema.name(), l);
        }
        return l;
    }

    // ---------------------------------------------------------------------------------------------------------
    // snapshot

    @Override
    public Chunk readSnapshot(TableSpec spec, TableSchema schema, Position after, int maxRows) {
        DocumentLayout layout = layout(schema);
        Bson filter = after == null ? new BsonDocument() : Filters.gt("_id", layout.id(after.values()));
        List<ChangeEvent> events = new ArrayList<>(Math.min(maxRows, 10_000));
        List<WriteResult.FailedEvent> failed = new ArrayList<>(0);
        List<String> problems = new ArrayList<>(0);
        Position next = after;
        int rows = 0;
        try (MongoCursor<BsonDocument> cur = db.getCollection(spec.table(), BsonDocument.class).find(filter)
                .sort(new BsonDocument("_id", new BsonInt32(1))).limit(maxRows).batchSize(Math.min(maxRows, 10_000)).iterator()) {
            while (cur.hasNext()) {
                BsonDocument doc = cur.next();
                rows++;
                Object[] key = layout.key(doc.get("_id"));
                Object[] values = layout.values(doc, key, problems);
                Position pos = Position.ofOwned(key);
                next = pos;
                ChangeEvent e = softDeleted(spec, doc)
                        ? ChangeEvent.delete(spec.table(), key, values, 0, pos)
                        : ChangeEvent.read(spec.table(), key, values, 0, pos);
                add(e, doc, layout, problems, events, failed);
            }
        } catch (MongoException e) {
            throw MongoConnections.wrap("collection '" + spec.table() + "': snapshot read after " + after, e);
        }
        return new Chunk(events, next, rows < maxRows, failed);
    }

    /** An event, or a failed row (with what could be read) when some of its fields had no form in their columns. */
    private static void add(ChangeEvent e, BsonDocument doc, DocumentLayout layout, List<String> problems, List<ChangeEvent> events,
                            List<WriteResult.FailedEvent> failed) {
        if (problems.isEmpty()) {
            events.add(e);
            return;
        }
        failed.add(new WriteResult.FailedEvent(e, layout.where(doc.get("_id")) + ": " + String.join("; ", problems), null));
        problems.clear();
    }

    private static boolean softDeleted(TableSpec spec, BsonDocument doc) {
        if (spec.softDeleteColumn() == null) {
            return false;
        }
        BsonValue v = doc.get(spec.softDeleteColumn());
        if (v == null || v.isNull()) {
            return false;
        }
        Object j = BsonValues.toJson(v);
        return String.valueOf(j).equalsIgnoreCase(spec.softDeleteValue());
    }

    // ---------------------------------------------------------------------------------------------------------
    // incremental

    private Column cursorColumn(TableSpec spec) {
        if (!spec.hasCursor()) {
            throw new ConfigException("cursor", "collection '" + spec.table() + "': incremental reads need a cursor field");
        }
        Column c = cursors.get(spec.table());
        if (c == null) {
            describe(spec);
            c = cursors.get(spec.table());
        }
        if (!isTime(c) && !allowUnsafeCursor) {
            throw new ConfigException(MongoSettings.INCREMENTAL_ALLOW_UNSAFE_CURSOR, "collection '" + spec.table() + "': cursor field '"
                    + c.name() + "' holds " + c.sourceType() + " values, not dates: a value taken before a slow write lands"
                    + " can be overtaken and skipped; use a date field, or allow it with "
                    + MongoSettings.INCREMENTAL_ALLOW_UNSAFE_CURSOR + ": true");
        }
        return c;
    }

    /** Cursors the sink stores as BSON dates: bounded by the server's clock. */
    private static boolean isTime(Column c) {
        return c.type() == LogicalType.TIMESTAMP_TZ || c.type() == LogicalType.TIMESTAMP || c.type() == LogicalType.DATE;
    }

    @Override
    public Position changesStart(TableSpec spec, TableSchema schema) {
        Column c = cursorColumn(spec);
        try {
            if (isTime(c)) {
                Instant start = MongoConnections.serverTime(db).minus(lag);
                Object v = c.type() == LogicalType.TIMESTAMP_TZ ? start
                        : c.type() == LogicalType.TIMESTAMP ? java.time.LocalDateTime.ofInstant(start, java.time.ZoneOffset.UTC)
                        : java.time.LocalDate.ofInstant(start, java.time.ZoneOffset.UTC);
                return Position.of(v, null);
            }
            // a non-time cursor (explicitly allowed): from its largest value now, that value included
            BsonDocument top = db.getCollection(spec.table(), BsonDocument.class).find(Filters.exists(c.name()))
                    .sort(Sorts.descending(c.name())).limit(1).first();
            Object v = top == null ? null : BsonValues.toJava(top.get(c.name()), c, "collection '" + spec.table() + "'");
            return Position.of(v, null);
        } catch (MongoException e) {
            throw MongoConnections.wrap("collection '" + spec.table() + "': taking the incremental start", e);
        }
    }

    @Override
    public Chunk readChanges(TableSpec spec, TableSchema schema, Position after, int maxRows) {
        DocumentLayout layout = layout(schema);
        Column c = cursorColumn(spec);
        String f = c.name();
        try {
            List<Bson> and = new ArrayList<>();
            if (isTime(c)) {
                Instant bound = MongoConnections.serverTime(db).minus(lag);
                and.add(Filters.lt(f, new BsonDateTime(bound.toEpochMilli())));
            } else {
                and.add(Filters.exists(f));
                and.add(Filters.ne(f, null));
            }
            if (after != null && after.get(0) != null) {
                BsonValue v = BsonValues.toBson(after.get(0), c);
                if (after.size() < 2 || after.get(1) == null) {
                    and.add(Filters.gte(f, v));
                } else {
                    BsonValue id = layout.id(after.values().subList(1, after.size()));
                    and.add(Filters.or(Filters.gt(f, v), Filters.and(Filters.eq(f, v), Filters.gt("_id", id))));
                }
            }
            List<ChangeEvent> events = new ArrayList<>(Math.min(maxRows, 10_000));
            List<WriteResult.FailedEvent> failed = new ArrayList<>(0);
            List<String> problems = new ArrayList<>(0);
            Position next = after;
            int rows = 0;
            try (MongoCursor<BsonDocument> cur = db.getCollection(spec.table(), BsonDocument.class).find(Filters.and(and))
                    .sort(Sorts.ascending(f, "_id")).limit(maxRows).batchSize(Math.min(maxRows, 10_000)).iterator()) {
                while (cur.hasNext()) {
                    BsonDocument doc = cur.next();
                    rows++;
                    Object[] key = layout.key(doc.get("_id"));
                    Object[] values = layout.values(doc, key, problems);
                    Object cursorValue = BsonValues.toJava(doc.get(f), c, layout.where(doc.get("_id")));
                    Object[] pos = new Object[key.length + 1];
                    pos[0] = cursorValue;
                    System.arraycopy(key, 0, pos, 1, key.length);
                    long version = version(cursorValue);
                    Position p = Position.ofOwned(pos);
                    next = p;
                    add(softDeleted(spec, doc)
                            ? ChangeEvent.delete(spec.table(), key, values, version, p)
                            : ChangeEvent.upsert(spec.table(), key, values, version, p), doc, layout, problems, events, failed);
                }
            }
            return new Chunk(events, next, rows < maxRows, failed);
        } catch (MongoException e) {
            throw MongoConnections.wrap("collection '" + spec.table() + "': incremental read after " + after, e);
        }
    }

    /** The cursor as a version: microseconds of a date, the value of an integer cursor; 0 otherwise. */
    private static long version(Object cursorValue) {
        if (cursorValue instanceof Instant) {
            Instant i = (Instant) cursorValue;
            return i.getEpochSecond() * 1_000_000L + i.getNano() / 1_000;
        }
        if (cursorValue instanceof java.time.LocalDateTime) {
            return version(((java.time.LocalDateTime) cursorValue).toInstant(java.time.ZoneOffset.UTC));
        }
        if (cursorValue instanceof java.time.LocalDate) {
            return version(((java.time.LocalDate) cursorValue).atStartOfDay(java.time.ZoneOffset.UTC).toInstant());
        }
        if (cursorValue instanceof Long || cursorValue instanceof Integer) {
            return ((Number) cursorValue).longValue();
        }
        return 0;
    }

    // ---------------------------------------------------------------------------------------------------------
    // change streams

    @Override
    public Position streamStart(List<TableSpec> tables) {
        List<String> names = new ArrayList<>();
        tables.forEach(t -> names.add(t.table()));
        return MongoChangeStream.start(this, names);
    }

    @Override
    public ChangeStream openStream(List<TableSchema> tables, List<TableSpec> specs, Position from) {
        List<DocumentLayout> ls = new ArrayList<>();
        for (TableSchema t : tables) {
            ls.add(layout(t));
        }
        return MongoChangeStream.open(this, ls, from);
    }

    boolean collectionScope(int tables) {
        if ("collection".equals(streamScope) && tables != 1) {
            throw new ConfigException(MongoSettings.STREAM_SCOPE, "a collection-level change stream watches one collection; "
                    + tables + " tables are configured: use database or auto");
        }
        return "collection".equals(streamScope) || ("auto".equals(streamScope) && tables == 1);
    }

    boolean splitLargeEvents() {
        return splitLargeEvents;
    }

    Duration maxAwait() {
        return maxAwait;
    }

    String databaseName() {
        return database;
    }

    @Override
    public void close() {
        client.close();
    }
}
