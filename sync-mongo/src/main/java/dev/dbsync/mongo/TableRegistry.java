package dev.dbsync.mongo;

import com.mongodb.client.MongoCollection;
import com.mongodb.client.MongoDatabase;
import com.mongodb.client.model.Filters;
import com.mongodb.client.model.ReplaceOptions;
import dev.dbsync.spi.Column;
import dev.dbsync.spi.LogicalType;
import dev.dbsync.spi.TableSchema;
import java.util.ArrayList;
import java.util.List;
import org.bson.Document;

/**
 * The schemas of the tables the sink wrote, kept in one collection ({@code schema.collection}, default
 * {@code dbsync_tables}) as {@code {_id: collection, key: [...], columns: [{name, type, nullable, precision,
 * scale, elementType, sourceType}]}}. The source reads a collection listed there with exactly that schema, so a
 * table passing through MongoDB keeps its key name, its column order and the logical types BSON cannot tell
 * apart (DATE, TIMESTAMP, UUID, DECIMAL precision), even while the collection is empty.
 */
final class TableRegistry {

    private TableRegistry() {
    }

    static void register(MongoDatabase db, String registry, TableSchema schema, String versionField) {
        List<Document> columns = new ArrayList<>();
        for (Column c : schema.columns()) {
            columns.add(new Document("name", c.name()).append("type", c.type().name()).append("nullable", c.nullable())
                    .append("precision", c.precision()).append("scale", c.scale())
                    .append("elementType", c.elementType() == null ? null : c.elementType().name())
                    .append("sourceType", c.sourceType()));
        }
        Document d = new Document("_id", schema.name()).append("key", schema.primaryKey()).append("columns", columns)
                .append("versionField", versionField);
        db.getCollection(registry).replaceOne(Filters.eq("_id", schema.name()), d, new ReplaceOptions().upsert(true));
    }

    /** A recorded table: its schema and the field the sink keeps versions in (not a column). */
    record Entry(TableSchema schema, String versionField) {
    }

    /** The registered schema of {@code collection}, or null when the sink never wrote it. */
    static Entry lookup(MongoDatabase db, String registry, String collection) {
        MongoCollection<Document> c = db.getCollection(registry);
        Document d = c.find(Filters.eq("_id", collection)).first();
        if (d == null) {
            return null;
        }
        List<Column> columns = new ArrayList<>();
        for (Document col : d.getList("columns", Document.class)) {
            String element = col.getString("elementType");
            columns.add(new Column(col.getString("name"), LogicalType.valueOf(col.getString("type")), col.getBoolean("nullable", true),
                    ((Number) col.get("precision")).intValue(), ((Number) col.get("scale")).intValue(),
                    element == null ? null : LogicalType.valueOf(element), col.getString("sourceType")));
        }
        return new Entry(new TableSchema(collection, columns, d.getList("key", String.class)), d.getString("versionField"));
    }
}
