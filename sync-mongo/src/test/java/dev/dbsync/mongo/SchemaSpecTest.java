package dev.dbsync.mongo;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.dbsync.spi.Column;
import dev.dbsync.spi.LogicalType;
import java.util.List;
import java.util.Map;
import org.bson.Document;
import org.junit.jupiter.api.Test;

/**
 * Columns from a {@code $jsonSchema} validator, read from a {@code listCollections} entry as MongoDB returns it.
 * Unit-tested: mongo-java-server does not keep validators, so no test server here can return one.
 */
class SchemaSpecTest {

    @Test
    void validatorPropertiesBecomeColumns() {
        Document info = Document.parse("{name: 'orders', options: {validator: {$jsonSchema: {bsonType: 'object', properties: {"
                + "_id: {bsonType: 'object', properties: {tenant: {bsonType: 'string'}, id: {bsonType: 'long'}}},"
                + "total: {bsonType: 'decimal'}, note: {bsonType: ['string', 'null'], maxLength: 200},"
                + "tags: {bsonType: 'array', items: {bsonType: 'string'}}, at: {bsonType: 'date'}, any: {bsonType: ['int', 'string']}}}}}}");
        Map<String, Column> cols = SchemaSpec.fromValidator(info, List.of("tenant", "id"));
        assertEquals(List.of("tenant", "id", "total", "note", "tags", "at", "any"), List.copyOf(cols.keySet()));
        assertEquals(LogicalType.STRING, cols.get("tenant").type());
        assertEquals(LogicalType.INT64, cols.get("id").type());
        assertEquals(LogicalType.DECIMAL, cols.get("total").type());
        assertEquals(200, cols.get("note").precision(), "a nullable string keeps its maxLength");
        assertEquals(LogicalType.ARRAY, cols.get("tags").type());
        assertEquals(LogicalType.STRING, cols.get("tags").elementType());
        assertEquals(LogicalType.TIMESTAMP_TZ, cols.get("at").type());
        assertEquals(LogicalType.JSON, cols.get("any").type(), "several types are JSON");
    }

    @Test
    void noValidatorDeclaresNothing() {
        assertEquals(Map.of(), SchemaSpec.fromValidator(Document.parse("{name: 'x', options: {}}"), List.of()));
    }
}
