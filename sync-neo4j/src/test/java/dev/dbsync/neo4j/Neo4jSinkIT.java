package dev.dbsync.neo4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.dbsync.spi.Batch;
import dev.dbsync.spi.Column;
import dev.dbsync.spi.ConfigException;
import dev.dbsync.spi.ForeignKey;
import dev.dbsync.spi.LogicalType;
import dev.dbsync.spi.Sink;
import dev.dbsync.spi.TableSchema;
import dev.dbsync.spi.TableWriter;
import dev.dbsync.spi.WriteResult;
import java.math.BigDecimal;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalTime;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.neo4j.driver.Record;

/** The graph the sink makes: nodes, versions, relationships from foreign keys, join tables, deletes, truncation. */
class Neo4jSinkIT extends GraphTestSupport {

    private static TableSchema customers(String name) {
        return new TableSchema(name, List.of(Column.required("id", LogicalType.INT64), Column.of("name", LogicalType.STRING)),
                List.of("id"));
    }

    private static TableSchema orders(String name, String customers) {
        return new TableSchema(name, List.of(Column.required("id", LogicalType.INT64), Column.of("customer_id", LogicalType.INT64),
                Column.decimal("total", 12, 2)), List.of("id"),
                List.of(new ForeignKey("orders_customer_id_fkey", List.of("customer_id"), "public." + customers, List.of("id"))));
    }

    private static WriteResult write(TableWriter w, TableSchema s, dev.dbsync.spi.ChangeEvent... events) {
        WriteResult r = w.write(Batch.of(s, List.of(events)));
        w.flush();
        return r;
    }

    @Test
    void rowsBecomeNodesWithAKeyConstraintAndAnUpsertReplacesEveryProperty() {
        Sink sink = sink();
        TableSchema s = customers(unique("customers"));
        TableWriter w = sink.open(s);
        assertEquals(1, count("SHOW CONSTRAINTS YIELD labelsOrTypes, properties, type WHERE labelsOrTypes = [$l] "
                + "AND properties = ['id'] RETURN count(*)", "l", s.name()), "a uniqueness constraint on the key");
        WriteResult r = write(w, s, up(s, 1L, "Ada"), up(s, 2L, "Bob"));
        assertEquals(2, r.upserted());
        write(w, s, up(s, 1L, null));
        List<Record> rows = query("MATCH (n:" + Cypher.id(s.name()) + ") RETURN n.id AS id, n.name AS name, keys(n) AS k ORDER BY id");
        assertEquals(2, rows.size());
        assertTrue(rows.get(0).get("name").isNull(), "a null column removes the property");
        assertFalse(rows.get(0).get("k").asList().contains("name"));
        assertEquals("Bob", rows.get(1).get("name").asString());
        write(w, s, up(s, 1L, "Ada"), up(s, 2L, "Bob"));
        write(w, s, up(s, 1L, "Ada"), up(s, 2L, "Bob"));
        assertEquals(2, count("MATCH (n:" + Cypher.id(s.name()) + ") RETURN count(n)"), "replays never duplicate nodes");
    }

    @Test
    void anOlderVersionIsSkippedForUpsertsAndDeletesAndCountedSo() {
        Sink sink = sink();
        TableSchema s = customers(unique("versions"));
        TableWriter w = sink.open(s);
        write(w, s, upAt(s, 500L, 1L, "newer"));
        WriteResult stale = write(w, s, upAt(s, 400L, 1L, "older"));
        assertEquals(0, stale.upserted());
        assertEquals(1, stale.skipped());
        WriteResult staleDelete = write(w, s, delAt(s, 450L, 1L));
        assertEquals(0, staleDelete.deleted());
        assertEquals(1, staleDelete.skipped());
        assertEquals("newer", query("MATCH (n:" + Cypher.id(s.name()) + " {id: 1}) RETURN n.name").get(0).get(0).asString());
        assertEquals(500L, query("MATCH (n:" + Cypher.id(s.name()) + " {id: 1}) RETURN n._dbsync_version").get(0).get(0).asLong());
        WriteResult newerDelete = write(w, s, delAt(s, 600L, 1L));
        assertEquals(1, newerDelete.deleted());
        assertEquals(0, count("MATCH (n:" + Cypher.id(s.name()) + ") RETURN count(n)"));
    }

    @Test
    void foreignKeysBecomeRelationshipsToPlaceholdersThatTheParentsSyncCompletes() {
        Sink sink = sink();
        String c = unique("customers");
        TableSchema cs = customers(c);
        TableSchema os = orders(unique("orders"), c);
        TableWriter ow = sink.open(os);
        // orders arrive before their customers
        write(ow, os, up(os, 10L, 1L, new BigDecimal("9.50")), up(os, 11L, 1L, new BigDecimal("1.00")), up(os, 12L, null, null));
        assertEquals(1, count("MATCH (p:" + Cypher.id(c) + ") WHERE p._dbsync_placeholder RETURN count(p)"),
                "one placeholder for customer 1, none for a null reference");
        assertEquals(2, count("MATCH (:" + Cypher.id(os.name()) + ")-[r:CUSTOMER]->(:" + Cypher.id(c) + " {id: 1}) RETURN count(r)"));
        TableWriter cw = sink.open(cs);
        write(cw, cs, up(cs, 1L, "Ada"), up(cs, 2L, "Bob"));
        List<Record> ada = query("MATCH (p:" + Cypher.id(c) + " {id: 1}) RETURN p.name, p._dbsync_placeholder");
        assertEquals("Ada", ada.get(0).get(0).asString());
        assertTrue(ada.get(0).get(1).isNull(), "the parent's sync completes its placeholder");
        assertEquals(2, count("MATCH (:" + Cypher.id(os.name()) + ")-[r:CUSTOMER]->(:" + Cypher.id(c) + " {id: 1}) RETURN count(r)"));
        // an order moves to another customer: the old relationship goes, the new one comes; replays change nothing
        for (int i = 0; i < 2; i++) {
            write(ow, os, up(os, 10L, 2L, new BigDecimal("9.50")));
        }
        assertEquals(List.of(2L), query("MATCH (:" + Cypher.id(os.name()) + " {id: 10})-[:CUSTOMER]->(p) RETURN p.id")
                .stream().map(r -> r.get(0).asLong()).toList());
        // a stale replay of the old reference neither moves it back
        write(ow, os, upAt(os, 1L, 10L, 1L, new BigDecimal("9.50")));
        assertEquals(List.of(2L), query("MATCH (:" + Cypher.id(os.name()) + " {id: 10})-[:CUSTOMER]->(p) RETURN p.id")
                .stream().map(r -> r.get(0).asLong()).toList());
        // the reference set to null removes it
        write(ow, os, up(os, 11L, null, new BigDecimal("1.00")));
        assertEquals(0, count("MATCH (:" + Cypher.id(os.name()) + " {id: 11})-[r:CUSTOMER]->() RETURN count(r)"));
        // deleting the customer detaches its orders
        write(cw, cs, del(cs, 2L));
        assertEquals(0, count("MATCH (:" + Cypher.id(os.name()) + ")-[r:CUSTOMER]->() RETURN count(r)"));
        assertEquals(3, count("MATCH (n:" + Cypher.id(os.name()) + ") RETURN count(n)"));
    }

    @Test
    void joinTablesBecomeRelationshipsWithPropertiesThatMoveAndGo() {
        String o = unique("orders");
        String p = unique("products");
        String items = unique("order_items");
        Sink sink = sink("join.tables", items + "=CONTAINS", "labels", List.of(o + "=Order" + o.substring(6), p + "=Product" + p.substring(8)));
        String orderLabel = "Order" + o.substring(6);
        String productLabel = "Product" + p.substring(8);
        TableSchema is = new TableSchema(items, List.of(Column.required("id", LogicalType.INT64),
                Column.of("order_id", LogicalType.INT64), Column.of("product_id", LogicalType.INT64),
                Column.of("quantity", LogicalType.INT32)), List.of("id"), List.of(
                new ForeignKey("fk_product", List.of("product_id"), "public." + p, List.of("id")),
                new ForeignKey("fk_order", List.of("order_id"), "public." + o, List.of("id"))));
        TableWriter w = sink.open(is);
        write(w, is, up(is, 1L, 100L, 7L, 2), up(is, 2L, 100L, 8L, 1), up(is, 3L, 101L, 7L, 5));
        write(w, is, up(is, 1L, 100L, 7L, 2));
        List<Record> rels = query("MATCH (a:" + orderLabel + ")-[r:CONTAINS]->(b:" + productLabel + ") "
                + "RETURN r.id AS id, a.id AS o, b.id AS p, r.quantity AS q ORDER BY id");
        assertEquals(3, rels.size(), "one relationship per row, from order to product (first foreign key column): " + rels);
        assertEquals(List.of(1L, 100L, 7L, 2L), List.of(rels.get(0).get("id").asLong(), rels.get(0).get("o").asLong(),
                rels.get(0).get("p").asLong(), rels.get(0).get("q").asLong()));
        assertEquals(0, count("MATCH (n:" + Cypher.id(items) + ") RETURN count(n)"), "no nodes for a join table");
        // the item moves to another order
        write(w, is, up(is, 1L, 101L, 7L, 3));
        assertEquals(List.of(101L), query("MATCH (a)-[r:CONTAINS {id: 1}]->() RETURN a.id").stream().map(r -> r.get(0).asLong()).toList());
        // a row without one end fails, and its relationship goes (nothing silently stale)
        WriteResult r = write(w, is, up(is, 2L, 100L, null, 1));
        assertEquals(1, r.failed().size());
        assertTrue(r.failed().get(0).reason().contains(items), r.failed().get(0).reason());
        assertEquals(0, count("MATCH ()-[r:CONTAINS {id: 2}]->() RETURN count(r)"));
        // a deleted row removes its relationship; the nodes stay
        write(w, is, del(is, 3L));
        assertEquals(1, count("MATCH ()-[r:CONTAINS]->() WHERE r.id IN [1, 2, 3] RETURN count(r)"));
        assertEquals(2, count("MATCH (n:" + productLabel + ") RETURN count(n)"));
        // emptying the orders (as before a fresh snapshot) keeps the ordered products' relationships
        TableSchema os = new TableSchema(o, List.of(Column.required("id", LogicalType.INT64), Column.of("note", LogicalType.STRING)),
                List.of("id"));
        TableWriter ow = sink.open(os);
        write(ow, os, up(os, 100L, "x"), up(os, 101L, "y"), up(os, 102L, "no items"));
        ow.truncate();
        assertEquals(1, count("MATCH ()-[r:CONTAINS]->() WHERE r.id IN [1, 2, 3] RETURN count(r)"));
        assertEquals(List.of(101L), query("MATCH (n:" + orderLabel + ") RETURN n.id").stream().map(x -> x.get(0).asLong()).toList(),
                "only the order a relationship leaves from stays, as a placeholder");
        w.truncate();
        assertEquals(0, count("MATCH ()-[r:CONTAINS]->() WHERE r.id IN [1, 2, 3] RETURN count(r)"));
    }

    @Test
    void truncatingAParentKeepsWhatChildrenPointAtAsPlaceholders() {
        Sink sink = sink();
        String c = unique("customers");
        TableSchema cs = customers(c);
        TableSchema os = orders(unique("orders"), c);
        TableWriter cw = sink.open(cs);
        TableWriter ow = sink.open(os);
        write(cw, cs, up(cs, 1L, "Ada"), up(cs, 2L, "Bob"));
        write(ow, os, up(os, 10L, 1L, new BigDecimal("1")));
        cw.truncate();
        assertEquals(0, count("MATCH (n:" + Cypher.id(c) + ") WHERE n._dbsync_placeholder IS NULL RETURN count(n)"));
        assertEquals(1, count("MATCH (n:" + Cypher.id(c) + ") RETURN count(n)"), "customer 2 is gone, customer 1 waits as a placeholder");
        write(cw, cs, up(cs, 1L, "Ada again"));
        assertEquals("Ada again", query("MATCH (:" + Cypher.id(os.name()) + " {id: 10})-[:CUSTOMER]->(p) RETURN p.name")
                .get(0).get(0).asString(), "the order's relationship survived the parent's reload");
        ow.truncate();
        assertEquals(0, count("MATCH (n:" + Cypher.id(os.name()) + ") RETURN count(n)"));
    }

    @Test
    void typesOddNamesAndValuesNeo4jCannotHold() {
        Sink sink = sink();
        String label = unique("Odd `Lab\"el` ü; MATCH (n) DETACH DELETE n //");
        TableSchema s = new TableSchema(label, List.of(Column.required("Order Id", LogicalType.INT64),
                Column.decimal("amount", 30, 10), Column.of("u", LogicalType.UUID), Column.of("j", LogicalType.JSON),
                Column.array("tags", LogicalType.STRING), Column.of("t", LogicalType.TIME),
                Column.of("ts", LogicalType.TIMESTAMP_TZ), Column.of("d", LogicalType.DATE), Column.of("i", LogicalType.INT32)),
                List.of("Order Id"));
        TableWriter w = sink.open(s);
        UUID u = UUID.randomUUID();
        Instant ts = Instant.parse("2024-02-29T23:59:59.123456789Z");
        WriteResult r = write(w, s,
                up(s, 1L, new BigDecimal("12345678901234567890.0123456789"), u, Map.of("a", List.of(1, 2)), List.of("x", "y"),
                        LocalTime.of(13, 45, 30, 123_456_000), ts, LocalDate.of(2024, 2, 29), Integer.MIN_VALUE),
                up(s, 2L, null, null, null, java.util.Arrays.asList("x", null), null, null, null, null));
        assertEquals(1, r.upserted());
        assertEquals(1, r.failed().size(), "a list with a null cannot be a property: that row alone fails");
        assertTrue(r.failed().get(0).reason().contains("tags"), r.failed().get(0).reason());
        Record n = query("MATCH (n:" + Cypher.id(label) + ") RETURN n").get(0);
        Map<String, Object> props = n.get(0).asMap();
        assertEquals("12345678901234567890.0123456789", props.get("amount"));
        assertEquals(u.toString(), props.get("u"));
        assertEquals(Map.of("a", List.of(1L, 2L)), GraphValues.fromGraph(n.get(0).get("j"), LogicalType.JSON, null) instanceof Map<?, ?> m
                ? Map.of("a", ((List<?>) m.get("a")).stream().map(x -> ((Number) x).longValue()).toList()) : null);
        assertEquals(LocalTime.of(13, 45, 30, 123_456_000), props.get("t"));
        assertEquals(ts, n.get(0).get("ts").asZonedDateTime().toInstant());
        assertEquals((long) Integer.MIN_VALUE, props.get("i"));
        assertNull(props.get("_dbsync_placeholder"));
    }

    @Test
    void badMappingsAreRefusedNamingTheSetting() {
        ConfigException e = assertThrows(ConfigException.class, () -> sink("labels", "no-equals-sign"));
        assertEquals(Neo4jSettings.LABELS, e.key());
        Sink sink = sink("join.tables", "lonely");
        TableSchema s = customers("lonely");
        ConfigException j = assertThrows(ConfigException.class, () -> sink.open(s));
        assertTrue(j.getMessage().contains("exactly two"), j.getMessage());
        TableSchema clash = new TableSchema(unique("accounts"), List.of(Column.required("id", LogicalType.INT64),
                Column.of("owner_id", LogicalType.INT64), Column.of("owner_key", LogicalType.INT64)), List.of("id"), List.of(
                new ForeignKey("a", List.of("owner_id"), "people", List.of("id")),
                new ForeignKey("b", List.of("owner_key"), "people", List.of("id"))));
        ConfigException c = assertThrows(ConfigException.class, () -> sink.open(clash));
        assertEquals(Neo4jSettings.RELATIONSHIP_TYPES, c.key());
        ConfigException reserved = assertThrows(ConfigException.class, () -> sink.open(new TableSchema(unique("r"),
                List.of(Column.required("_dbsync_version", LogicalType.INT64)), List.of("_dbsync_version"))));
        assertEquals(Neo4jSettings.VERSION_PROPERTY, reserved.key());
    }
}
