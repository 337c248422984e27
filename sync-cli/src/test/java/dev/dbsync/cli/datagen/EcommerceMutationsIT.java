package dev.dbsync.cli.datagen;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class EcommerceMutationsIT {

    /** Generated rows are all older than this; rows changed by mutations are newer. */
    private static final String GENERATED_UNTIL = "'2025-01-01'";

    @Test
    void changeExactlyWhatTheyReport() throws SQLException {
        Db db = new Db("mutations");
        EcommerceGenerator generator = EcommerceGenerator.builder().scale(10_000).seed(11).parallelism(2).build();
        generator.generate(db.source());
        EcommerceMutations mutations = generator.mutations(db.source());
        long ordersBefore = db.number("SELECT count(*) FROM orders");
        long itemsBefore = db.number("SELECT count(*) FROM order_items");

        MutationResult inserted = mutations.insert(EcommerceTable.ORDERS, 25);
        assertEquals(MutationResult.Kind.INSERTED, inserted.kind());
        assertEquals(25, inserted.ids(EcommerceTable.ORDERS).size());
        assertEquals(ordersBefore + 1, inserted.ids(EcommerceTable.ORDERS).get(0));
        assertEquals(inserted.ids(EcommerceTable.ORDERS), changed(db, "orders"));
        assertEquals(inserted.ids(EcommerceTable.ORDER_ITEMS), changed(db, "order_items"));
        assertEquals(itemsBefore + inserted.ids(EcommerceTable.ORDER_ITEMS).size(),
                db.number("SELECT count(*) FROM order_items"));
        assertEquals(0, db.number("SELECT count(*) FROM orders o WHERE o.id > " + ordersBefore
                + " AND (o.created_at <> o.updated_at OR o.status <> 'pending' OR o.subtotal <> "
                + "(SELECT sum(line_total) FROM order_items i WHERE i.order_id = o.id))"));

        MutationResult customers = mutations.insert(EcommerceTable.CUSTOMERS, 3);
        assertEquals(customers.ids(EcommerceTable.CUSTOMERS), changed(db, "customers"));

        MutationResult updated = mutations.update(EcommerceTable.PRODUCTS, 40);
        assertEquals(40, updated.count());
        assertEquals(updated.ids(EcommerceTable.PRODUCTS), changed(db, "products"));

        MutationResult updatedCustomers = mutations.update(EcommerceTable.CUSTOMERS, 10);
        List<Long> expectedCustomers = new ArrayList<>(customers.ids(EcommerceTable.CUSTOMERS));
        updatedCustomers.ids(EcommerceTable.CUSTOMERS).forEach(id -> {
            if (!expectedCustomers.contains(id)) {
                expectedCustomers.add(id);
            }
        });
        expectedCustomers.sort(null);
        assertEquals(expectedCustomers, changed(db, "customers"));

        MutationResult deleted = mutations.softDelete(EcommerceTable.ORDER_ITEMS, 30);
        assertEquals(MutationResult.Kind.SOFT_DELETED, deleted.kind());
        assertEquals(30, deleted.ids(EcommerceTable.ORDER_ITEMS).size());
        assertEquals(deleted.ids(EcommerceTable.ORDER_ITEMS),
                db.ids("SELECT id FROM order_items WHERE is_deleted ORDER BY id"));
        assertTrue(db.number("SELECT count(*) FROM order_items WHERE is_deleted AND updated_at < "
                + GENERATED_UNTIL) == 0);

        // deleting everything stops at the live rows and never reports a row twice
        long liveCategories = db.number("SELECT count(*) FROM categories");
        MutationResult all = mutations.softDelete(EcommerceTable.CATEGORIES, 1_000);
        assertEquals(liveCategories, all.count());
        assertEquals(0, db.number("SELECT count(*) FROM categories WHERE NOT is_deleted"));

        assertThrows(IllegalArgumentException.class, () -> mutations.insert(EcommerceTable.ORDER_ITEMS, 1));
        assertThrows(IllegalArgumentException.class, () -> mutations.update(EcommerceTable.ORDERS, 0));
    }

    private static List<Long> changed(Db db, String table) throws SQLException {
        return db.ids("SELECT id FROM " + table + " WHERE updated_at >= " + GENERATED_UNTIL + " ORDER BY id");
    }
}
