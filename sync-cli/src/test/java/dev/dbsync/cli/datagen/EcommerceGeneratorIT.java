package dev.dbsync.cli.datagen;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.sql.SQLException;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class EcommerceGeneratorIT {

    private static final long ORDERS = 30_000;
    private static Db db;
    private static EcommerceGenerator generator;
    private static GenerationReport report;

    @BeforeAll
    static void generate() throws SQLException {
        db = new Db("ecommerce");
        System.out.println("PostgreSQL: " + db.server.kind());
        generator = EcommerceGenerator.builder().scale(ORDERS).seed(7).parallelism(2).build();
        report = generator.generate(db.source());
        System.out.print(report);
    }

    private static Map<String, String> checksums(Db target) throws SQLException {
        Map<String, String> sums = new LinkedHashMap<>();
        for (EcommerceTable table : EcommerceTable.values()) {
            sums.put(table.tableName(), target.checksum(table.tableName()));
        }
        return sums;
    }

    @Test
    void sameSeedGivesSameTablesWhateverTheParallelism() throws SQLException {
        Db serial = new Db("ecommerce_serial");
        EcommerceGenerator.builder().scale(ORDERS).seed(7).parallelism(1).build().generate(serial.source());
        assertEquals(checksums(db), checksums(serial));

        Db otherSeed = new Db("ecommerce_seed");
        EcommerceGenerator.builder().scale(ORDERS).seed(8).parallelism(2).build().generate(otherSeed.source());
        assertNotEquals(checksums(db).get("customers"), checksums(otherSeed).get("customers"));
    }

    @Test
    void writesTheRequestedRowCounts() throws SQLException {
        assertEquals(ORDERS, db.number("SELECT count(*) FROM orders"));
        assertEquals(ORDERS / 5, db.number("SELECT count(*) FROM customers"));
        assertEquals(ORDERS / 20, db.number("SELECT count(*) FROM products"));
        assertEquals(15, db.number("SELECT count(*) FROM categories"));
        long items = db.number("SELECT count(*) FROM order_items");
        assertEquals(generator.rowCount(EcommerceTable.ORDER_ITEMS), items);
        assertEquals(items, report.table("order_items").rows());
        assertEquals(items, db.number("SELECT max(id) FROM order_items"), "item ids are dense");
        assertTrue(items > ORDERS * 2 && items < ORDERS * 3, "about 2.45 items per order: " + items);
        for (EcommerceTable table : EcommerceTable.values()) {
            assertEquals(db.number("SELECT count(*) FROM " + table.tableName()), report.table(table.tableName()).rows());
        }
    }

    @Test
    void isReferentiallyConsistent() throws SQLException {
        assertEquals(0, db.number("SELECT count(*) FROM order_items i LEFT JOIN orders o ON o.id = i.order_id "
                + "WHERE o.id IS NULL"));
        assertEquals(0, db.number("SELECT count(*) FROM order_items i LEFT JOIN products p ON p.id = i.product_id "
                + "WHERE p.id IS NULL"));
        assertEquals(0, db.number("SELECT count(*) FROM orders o LEFT JOIN customers c ON c.id = o.customer_id "
                + "WHERE c.id IS NULL"));
        assertEquals(0, db.number("SELECT count(*) FROM products p LEFT JOIN categories c ON c.id = p.category_id "
                + "WHERE c.id IS NULL"));
        assertEquals(5, db.number("SELECT count(*) FROM pg_constraint WHERE contype = 'f'"));
        // derived values agree across tables
        assertEquals(0, db.number("SELECT count(*) FROM orders o JOIN (SELECT order_id, count(*) n, sum(line_total) s "
                + "FROM order_items GROUP BY order_id) i ON i.order_id = o.id "
                + "WHERE i.n <> o.item_count OR i.s <> o.subtotal OR o.total <> o.subtotal + o.shipping"));
        assertEquals(0, db.number("SELECT count(*) FROM order_items i JOIN products p ON p.id = i.product_id "
                + "WHERE i.unit_price <> p.price"));
        assertEquals(0, db.number("SELECT count(*) FROM orders o JOIN customers c ON c.id = o.customer_id "
                + "WHERE o.ship_street <> c.street OR o.created_at < c.created_at - interval '30 days'"));
        assertEquals(0, db.number("SELECT count(*) FROM (SELECT order_id, product_id FROM order_items "
                + "GROUP BY 1, 2 HAVING count(*) > 1) d"));
    }

    @Test
    void hasRealisticValuesTypesAndIndexes() throws SQLException {
        assertEquals(db.number("SELECT count(*) FROM customers"),
                db.number("SELECT count(DISTINCT email) FROM customers WHERE email ~ '^[a-z0-9]+\\.[a-z0-9]+\\.[0-9A-Z]+@[a-z0-9.-]+$'"));
        assertEquals(0, db.number("SELECT count(*) FROM products WHERE price <= 0 OR attributes->>'brand' IS NULL "
                + "OR jsonb_typeof(attributes->'tags') <> 'array'"));
        assertEquals("uuid", db.string("SELECT pg_typeof(external_id)::text FROM customers LIMIT 1"));
        assertEquals(0, db.number("SELECT count(*) FROM orders WHERE updated_at <> created_at OR is_deleted "
                + "OR created_at < '2022-01-01' OR created_at >= '2025-01-01'"));
        assertTrue(db.number("SELECT count(DISTINCT country_code) FROM customers") >= 4);
        for (EcommerceTable table : EcommerceTable.values()) {
            String name = table.tableName();
            assertEquals(1, db.number("SELECT count(*) FROM pg_indexes WHERE tablename = '" + name
                    + "' AND indexdef LIKE '%(updated_at, id)'"), name);
        }
        String plan = db.text("EXPLAIN SELECT * FROM orders WHERE (updated_at, id) > ('2024-12-30', 0) "
                + "ORDER BY updated_at, id LIMIT 100");
        assertTrue(plan.contains("orders_updated_at_id_idx"), plan);
    }

    @Test
    void generatesFasterThanItLoads() throws SQLException {
        GenerationReport dry = EcommerceGenerator.builder().scale(ORDERS).seed(7).parallelism(2).build().dryRun();
        assertEquals(report.totalRows(), dry.totalRows());
        assertEquals(report.totalBytes(), dry.totalBytes());
        System.out.print(dry);
    }
}
