package dev.dbsync.mongo;

import dev.dbsync.spi.Column;
import dev.dbsync.spi.DataException;
import dev.dbsync.spi.LogicalType;
import dev.dbsync.spi.SyncException;
import dev.dbsync.spi.ErrorType;
import dev.dbsync.spi.TableSchema;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.bson.BsonDocument;
import org.bson.BsonValue;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How the documents of one collection map onto a table: the key is {@code _id} itself (one key column named
 * {@code _id}) or the fields of an embedded {@code _id} document in key order (one column per field); the other
 * columns are top-level fields, or in {@code document} mode the whole document as one JSON column.
 */
final class DocumentLayout {

    private static final Logger LOG = LoggerFactory.getLogger(DocumentLayout.class);

    final String collection;
    final TableSchema schema;
    final boolean documentMode;
    /** True when the key columns are the fields of an embedded {@code _id} document. */
    final boolean compositeId;
    final int[] keyIndexes;
    final Column[] keyColumns;
    private final Map<String, Integer> fieldIndex = new HashMap<>();
    private final int documentIndex;
    private final Set<String> unknownWarned = ConcurrentHashMap.newKeySet();

    /**
     * @param embeddedId whether the key columns are the fields of an embedded {@code _id} document; otherwise the
     *                   key has one column whose value is the {@code _id}
     */
    /** The source's layout: the key is {@code _id} itself, or names the fields of an embedded {@code _id}. */
    static DocumentLayout forSource(String collection, TableSchema schema, boolean documentMode) {
        return new DocumentLayout(collection, schema, documentMode, !schema.primaryKey().equals(List.of("_id")));
    }

    /** The sink's layout: a one-column key is the {@code _id}, a composite key an embedded {@code _id} document. */
    static DocumentLayout forSink(TableSchema schema) {
        return new DocumentLayout(schema.name(), schema, false, schema.primaryKey().size() > 1);
    }

    /** The sink's layout read back by the source: the version field is known and not a column. */
    static DocumentLayout forSinkWritten(TableSchema schema, String versionField) {
        DocumentLayout l = forSink(schema);
        if (versionField != null) {
            l.unknownWarned.add(versionField);
        }
        return l;
    }

    DocumentLayout(String collection, TableSchema schema, boolean documentMode, boolean embeddedId) {
        this.collection = collection;
        this.schema = schema;
        this.documentMode = documentMode;
        List<String> key = schema.primaryKey();
        if (!embeddedId && key.size() != 1) {
            throw new IllegalArgumentException("table '" + collection + "': a key of " + key.size() + " columns needs an embedded _id");
        }
        this.compositeId = embeddedId;
        this.keyIndexes = schema.keyIndexes();
        this.keyColumns = new Column[keyIndexes.length];
        for (int i = 0; i < keyIndexes.length; i++) {
            keyColumns[i] = schema.columns().get(keyIndexes[i]);
        }
        int doc = -1;
        for (int i = 0; i < schema.columns().size(); i++) {
            String name = schema.columns().get(i).name();
            if (key.contains(name)) {
                continue;
            }
            if (documentMode && name.equals(MongoSettings.DOCUMENT_COLUMN) && schema.columns().get(i).type() == LogicalType.JSON) {
                doc = i;
            } else {
                fieldIndex.put(name, i);
            }
        }
        if (documentMode && doc < 0) {
            throw new SyncException(ErrorType.CONFIG, "collection '" + collection + "': document mode needs a JSON column '"
                    + MongoSettings.DOCUMENT_COLUMN + "'");
        }
        this.documentIndex = doc;
    }

    /** The key values of a document's {@code _id}, aligned with the primary key. */
    Object[] key(BsonValue id) {
        Object[] key = new Object[keyColumns.length];
        if (!compositeId) {
            key[0] = BsonValues.toJava(id, keyColumns[0], where(id));
            return key;
        }
        if (id == null || !id.isDocument()) {
            throw new SyncException(ErrorType.EXTERNAL, where(id) + ": the key " + schema.primaryKey()
                    + " needs an embedded _id document with those fields");
        }
        BsonDocument d = id.asDocument();
        for (int i = 0; i < key.length; i++) {
            key[i] = BsonValues.toJava(d.get(keyColumns[i].name()), keyColumns[i], where(id));
        }
        return key;
    }

    /** The {@code _id} value for key values (an embedded document in key order for composite keys). */
    BsonValue id(List<Object> key) {
        if (!compositeId) {
            return BsonValues.toBson(key.get(0), keyColumns[0]);
        }
        BsonDocument d = new BsonDocument();
        for (int i = 0; i < keyColumns.length; i++) {
            d.put(keyColumns[i].name(), BsonValues.toBson(key.get(i), keyColumns[i]));
        }
        return d;
    }

    /** The row values of a document, aligned with the columns; {@code key} fills the key columns. */
    Object[] values(BsonDocument doc, Object[] key) {
        try {
            return convert(doc, key, null);
        } catch (DataException e) {
            throw new DataException(where(doc.get("_id")) + ": " + e.getMessage(), e);
        }
    }

    /**
     * The row values of a document; a field whose value has no form in its column's type (a type that changed after
     * the schema was taken, a Decimal128 NaN) is null and its reason is added to {@code problems}.
     */
    Object[] values(BsonDocument doc, Object[] key, List<String> problems) {
        return convert(doc, key, problems);
    }

    private Object[] convert(BsonDocument doc, Object[] key, List<String> problems) {
        Object[] values = new Object[schema.columns().size()];
        for (int i = 0; i < keyIndexes.length; i++) {
            values[keyIndexes[i]] = key[i];
        }
        if (documentMode) {
            BsonDocument rest = new BsonDocument();
            for (Map.Entry<String, BsonValue> e : doc.entrySet()) {
                if (!e.getKey().equals("_id")) {
                    rest.put(e.getKey(), e.getValue());
                }
            }
            values[documentIndex] = BsonValues.toJson(rest);
            return values;
        }
        for (Map.Entry<String, BsonValue> e : doc.entrySet()) {
            String f = e.getKey();
            Integer i = fieldIndex.get(f);
            if (i != null) {
                try {
                    // the location is formatted only for an error: it costs more than the conversion
                    values[i] = BsonValues.toJava(e.getValue(), schema.columns().get(i), null);
                } catch (DataException bad) {
                    if (problems == null) {
                        throw bad;
                    }
                    problems.add(bad.getMessage());
                }
            } else if (!f.equals("_id") && !schema.primaryKey().contains(f) && unknownWarned.add(f)) {
                LOG.warn("collection '{}': field '{}' is not among the columns sampled when the table was described and is"
                        + " not read; use mode: document to carry every field", collection, f);
            }
        }
        return values;
    }

    String where(BsonValue id) {
        return "collection '" + collection + "', document _id " + (id == null ? "(none)" : BsonValues.relaxed(id));
    }
}
