package dev.dbsync.mongo;

import dev.dbsync.spi.Column;
import dev.dbsync.spi.LogicalType;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.bson.Document;

/**
 * Columns declared by a collection's {@code $jsonSchema} validator: the schema a collection states for itself,
 * preferred over sampling. Fields the validator does not declare are still sampled.
 */
final class SchemaSpec {

    private SchemaSpec() {
    }

    /**
     * The declared columns of a {@code listCollections} entry, by field; for a composite key the fields of the
     * embedded {@code _id} are declared under {@code properties._id.properties}. Empty when there is no validator.
     */
    static Map<String, Column> fromValidator(Document collectionInfo, List<String> compositeKey) {
        Map<String, Column> out = new LinkedHashMap<>();
        Document options = collectionInfo.get("options", Document.class);
        Document validator = options == null ? null : options.get("validator", Document.class);
        Document schema = validator == null ? null : validator.get("$jsonSchema", Document.class);
        if (schema == null) {
            return out;
        }
        Document props = schema.get("properties", Document.class);
        if (props == null) {
            return out;
        }
        for (Map.Entry<String, Object> e : props.entrySet()) {
            if (e.getKey().equals("_id") && !compositeKey.isEmpty() && e.getValue() instanceof Document) {
                Document idProps = ((Document) e.getValue()).get("properties", Document.class);
                if (idProps != null) {
                    for (String k : compositeKey) {
                        if (idProps.get(k) instanceof Document) {
                            out.put(k, column(k, (Document) idProps.get(k)));
                        }
                    }
                }
                continue;
            }
            if (e.getValue() instanceof Document) {
                out.put(e.getKey(), column(e.getKey(), (Document) e.getValue()));
            }
        }
        return out;
    }

    static Column column(String name, Document property) {
        List<String> types = bsonTypes(property);
        if (types.size() != 1) {
            return new Column(name, LogicalType.JSON, true, 0, 0, null, types.isEmpty() ? "any" : BsonValues.MIXED);
        }
        switch (types.get(0)) {
            case "string":
                return new Column(name, LogicalType.STRING, true, intOf(property.get("maxLength")), 0, null, "string");
            case "objectId":
                return new Column(name, LogicalType.STRING, true, 24, 0, null, BsonValues.OBJECT_ID);
            case "int":
                return new Column(name, LogicalType.INT32, true, 0, 0, null, "int");
            case "long":
                return new Column(name, LogicalType.INT64, true, 0, 0, null, "long");
            case "double":
                return new Column(name, LogicalType.FLOAT64, true, 0, 0, null, "double");
            case "decimal":
                return new Column(name, LogicalType.DECIMAL, true, 0, 0, null, "decimal");
            case "number":
                return new Column(name, LogicalType.DECIMAL, true, 0, 0, null, "number");
            case "bool":
                return new Column(name, LogicalType.BOOLEAN, true, 0, 0, null, "bool");
            case "date":
                return new Column(name, LogicalType.TIMESTAMP_TZ, true, 3, 0, null, "date");
            case "timestamp":
                return new Column(name, LogicalType.INT64, true, 0, 0, null, BsonValues.TIMESTAMP);
            case "binData":
                return new Column(name, LogicalType.BYTES, true, 0, 0, null, "binary:0");
            case "array":
                if (property.get("items") instanceof Document) {
                    Column e = column(name, (Document) property.get("items"));
                    if (e.type() != LogicalType.JSON && e.type() != LogicalType.ARRAY && !BsonValues.OBJECT_ID.equals(e.sourceType())
                            && !BsonValues.TIMESTAMP.equals(e.sourceType()) && e.type() != LogicalType.BYTES) {
                        return new Column(name, LogicalType.ARRAY, true, 0, 0, e.type(), "array");
                    }
                }
                return new Column(name, LogicalType.JSON, true, 0, 0, null, "array");
            default:
                return new Column(name, LogicalType.JSON, true, 0, 0, null, types.get(0));
        }
    }

    private static List<String> bsonTypes(Document property) {
        List<String> out = new ArrayList<>();
        Object t = property.get("bsonType");
        if (t instanceof String) {
            out.add((String) t);
        } else if (t instanceof List) {
            for (Object o : (List<?>) t) {
                if (!"null".equals(o)) {
                    out.add(String.valueOf(o));
                }
            }
        }
        return out;
    }

    private static int intOf(Object o) {
        return o instanceof Number ? Math.max(0, ((Number) o).intValue()) : 0;
    }
}
