package dev.dbsync.neo4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.dbsync.config.Config;
import dev.dbsync.spi.CheckpointStoreFactory;
import dev.dbsync.spi.ConfigException;
import dev.dbsync.spi.ForeignKey;
import dev.dbsync.spi.SinkFactory;
import dev.dbsync.spi.SourceFactory;
import dev.dbsync.spi.SyncException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import org.junit.jupiter.api.Test;

/** Without a server: discovery, settings and their defaults, names derived from tables and columns. */
class TestNeo4jPlugin {

    @Test
    void theFactoriesAreFoundByName() {
        assertTrue(ServiceLoader.load(SinkFactory.class).stream().anyMatch(p -> p.get().name().equals("neo4j")));
        assertTrue(ServiceLoader.load(SourceFactory.class).stream().anyMatch(p -> p.get().name().equals("neo4j")));
        assertTrue(ServiceLoader.load(CheckpointStoreFactory.class).stream().anyMatch(p -> p.get().name().equals("neo4j")));
    }

    @Test
    void defaultsAndTheSecretPassword() {
        Config c = new Neo4jSinkFactory().configDef().parse(Map.of("url", "bolt://db:7687", "password", "s3cret"));
        assertEquals("neo4j", c.getString("user"));
        assertEquals("_dbsync_version", c.getString("version.property"));
        assertEquals("_dbsync_placeholder", c.getString("placeholder.property"));
        assertEquals(Boolean.TRUE, c.getBoolean("relationships"));
        assertEquals(Boolean.FALSE, c.getBoolean("checkpoint.store"));
        assertEquals(Duration.ofSeconds(6), c.getDuration("lease.ttl"));
        assertFalse(c.toString().contains("s3cret"), c.toString());
        assertTrue(new Neo4jSinkFactory().configDef().key("password").secret());
        Config src = new Neo4jSourceFactory().configDef().parse(Map.of("url", "neo4j+s://db"));
        assertEquals(Duration.ZERO, src.getDuration("incremental.lag"));
        assertEquals(1000, src.getInt("sample.size"));
    }

    @Test
    void badSettingsAreNamed() {
        ConfigException url = assertThrows(ConfigException.class,
                () -> new Neo4jSinkFactory().configDef().parse(Map.of("url", "http://db:7474")));
        assertEquals("url", url.key());
        ConfigException ttl = assertThrows(ConfigException.class,
                () -> new Neo4jCheckpointStoreFactory().configDef().parse(Map.of("url", "bolt://db", "lease.ttl", "10ms")));
        assertEquals("lease.ttl", ttl.key());
        ConfigException types = assertThrows(ConfigException.class, () -> new Neo4jSinkFactory().create(new Neo4jSinkFactory()
                .configDef().parse(Map.of("url", "bolt://db", "relationship.types", "customer_id=PLACED_BY"))));
        assertEquals("relationship.types", types.key());
        ConfigException same = assertThrows(ConfigException.class, () -> new Neo4jSinkFactory().create(new Neo4jSinkFactory()
                .configDef().parse(Map.of("url", "bolt://db", "version.property", "v", "placeholder.property", "v"))));
        assertEquals("placeholder.property", same.key());
    }

    @Test
    void anUnreachableServerIsNamedWithoutItsPassword() {
        SyncException e = assertThrows(SyncException.class, () -> new Neo4jSinkFactory().create(new Neo4jSinkFactory().configDef()
                .parse(Map.of("url", "bolt://127.0.0.1:1", "password", "s3cret"))));
        assertTrue(e.getMessage().contains("bolt://127.0.0.1:1"), e.getMessage());
        assertFalse(e.getMessage().contains("s3cret"), e.getMessage());
    }

    @Test
    void labelsAndRelationshipTypes() {
        GraphMapping m = GraphMapping.of(new Neo4jSinkFactory().configDef().parse(Map.of("url", "bolt://db",
                "labels", List.of("public.customers=Customer"), "relationship.types", List.of("orders.customer_id=PLACED_BY"),
                "join.tables", List.of("order_items=CONTAINS", "public.tags"))));
        assertEquals("Customer", m.label("public.customers"));
        assertEquals("orders", m.label("public.orders"));
        ForeignKey customer = new ForeignKey("fk1", List.of("customer_id"), "public.customers", List.of("id"));
        assertEquals("PLACED_BY", m.foreignKeyType("orders", customer));
        assertEquals("PLACED_BY", m.foreignKeyType("public.orders", customer));
        assertEquals("CUSTOMER", m.foreignKeyType("invoices", customer));
        assertEquals("PARENT", m.foreignKeyType("categories", new ForeignKey("fk", List.of("parentId"), "categories", List.of("id"))));
        assertEquals("WAREHOUSES", m.foreignKeyType("stock", new ForeignKey("fk", List.of("wh", "region"), "inv.warehouses",
                List.of("id", "region"))), "a key of several columns is named after the referenced table");
        assertEquals("ACCOUNTS", m.foreignKeyType("t", new ForeignKey("fk", List.of("id"), "accounts", List.of("id"))));
        assertTrue(m.isJoinTable("order_items"));
        assertTrue(m.isJoinTable("tags"));
        assertEquals("CONTAINS", m.joinType("order_items"));
        assertEquals("TAGS", m.joinType("public.tags"));
        assertFalse(m.isJoinTable("orders"));
    }

    @Test
    void identifiersAndSchemaNames() {
        assertEquals("`a``b`", Cypher.id("a`b"));
        String a = Cypher.schemaName("key", "Odd Lab`el", "id");
        String b = Cypher.schemaName("key", "odd_lab_el", "id");
        assertTrue(a.matches("[a-z0-9_]+"), a);
        assertFalse(a.equals(b), "distinct labels never share a constraint name");
        assertEquals("ORDER_ITEMS", Cypher.relationshipType("order items"));
    }
}
