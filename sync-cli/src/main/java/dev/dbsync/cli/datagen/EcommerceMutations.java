package dev.dbsync.cli.datagen;

import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import org.postgresql.PGConnection;
import org.postgresql.copy.CopyIn;

/**
 * Inserts, updates and soft-deletes rows of a generated e-commerce data set, the way an application would, so that
 * an incremental sync has something to pick up. Each call runs in one transaction and returns the ids it changed.
 *
 * <p>Every change sets {@code updated_at = now()}; soft deletes set {@code is_deleted = true}. Which rows are picked
 * follows a PRNG seeded from the generator's seed, so the same sequence of calls on the same data changes the same
 * rows. Rows already soft-deleted are never updated or deleted again. Updating order items does not recompute the
 * totals of their orders. Calls are serialized; one instance may be shared by threads.
 */
public final class EcommerceMutations {

    private static final String[] TABLES = {"categories", "customers", "products", "orders", "order_items"};

    private final EcommerceRows rows;
    private final ConnectionSource source;
    private final SplittableRandom random;

    EcommerceMutations(EcommerceRows rows, ConnectionSource source) {
        this.rows = rows;
        this.source = source;
        this.random = new SplittableRandom(Seeds.mix(rows.seed ^ 0x6d75746174696f6eL));
    }

    /**
     * Inserts {@code count} new rows into {@code table} with ids after the current maximum. New orders come with
     * their order items (reported under {@code order_items}); order items cannot be inserted on their own.
     */
    public synchronized MutationResult insert(EcommerceTable table, int count) throws SQLException {
        checkCount(count);
        if (table == EcommerceTable.ORDER_ITEMS) {
            throw new IllegalArgumentException("order_items are inserted with their orders: insert ORDERS instead");
        }
        try (Connection connection = source.open()) {
            connection.setAutoCommit(false);
            try {
                try (Statement statement = connection.createStatement()) {
                    statement.execute("LOCK TABLE " + String.join(", ", TABLES) + " IN SHARE ROW EXCLUSIVE MODE");
                }
                Map<String, Long> max = new LinkedHashMap<>();
                for (String name : TABLES) {
                    max.put(name, scalar(connection, "SELECT coalesce(max(id), 0) FROM " + name));
                }
                long now = scalar(connection, "SELECT (extract(epoch FROM now()) * 1000000)::bigint");
                EcommerceRows current = rows.withCounts(max.get("categories"), max.get("customers"),
                        max.get("products"), max.get("orders"));
                long first = max.get(table.tableName()) + 1;
                long last = first + count - 1;
                Map<String, List<Long>> ids = new LinkedHashMap<>();
                ids.put(table.tableName(), range(first, last));
                switch (table) {
                    case CATEGORIES -> copy(connection, "categories", EcommerceRows.CATEGORY_COLUMNS, out -> {
                        for (long id = first; id <= last; id++) {
                            current.category(out, id, now);
                        }
                    });
                    case CUSTOMERS -> copy(connection, "customers", EcommerceRows.CUSTOMER_COLUMNS, out -> {
                        for (long id = first; id <= last; id++) {
                            current.customer(out, id, now);
                        }
                    });
                    case PRODUCTS -> copy(connection, "products", EcommerceRows.PRODUCT_COLUMNS, out -> {
                        for (long id = first; id <= last; id++) {
                            current.product(out, id, now);
                        }
                    });
                    case ORDERS -> {
                        EcommerceRows.Lines lines = new EcommerceRows.Lines();
                        copy(connection, "orders", EcommerceRows.ORDER_COLUMNS, out -> {
                            for (long id = first; id <= last; id++) {
                                current.order(out, id, now, lines);
                            }
                        });
                        long firstItem = max.get("order_items") + 1;
                        long[] nextItem = {firstItem};
                        copy(connection, "order_items", EcommerceRows.ORDER_ITEM_COLUMNS, out -> {
                            for (long id = first; id <= last; id++) {
                                nextItem[0] += current.orderItems(out, id, nextItem[0], now, lines);
                            }
                        });
                        ids.put("order_items", range(firstItem, nextItem[0] - 1));
                    }
                    default -> throw new IllegalStateException("unreachable: " + table);
                }
                connection.commit();
                return new MutationResult(MutationResult.Kind.INSERTED, ids);
            } catch (SQLException | RuntimeException e) {
                connection.rollback();
                throw e;
            }
        }
    }

    /** Changes a business column of {@code count} live rows of {@code table} and sets {@code updated_at = now()}. */
    public synchronized MutationResult update(EcommerceTable table, int count) throws SQLException {
        checkCount(count);
        String set = switch (table) {
            case CATEGORIES -> "sort_order = t.sort_order + 1";
            case CUSTOMERS -> "loyalty_points = t.loyalty_points + 10";
            case PRODUCTS -> "price = round(t.price * 1.05, 2), stock = greatest(t.stock - 1, 0)";
            case ORDERS -> "status = CASE t.status WHEN 'pending' THEN 'paid' WHEN 'paid' THEN 'shipped' "
                    + "WHEN 'shipped' THEN 'delivered' ELSE t.status END";
            case ORDER_ITEMS -> "quantity = t.quantity + 1, "
                    + "line_total = round(t.unit_price * (t.quantity + 1) * (100 - t.discount_pct) / 100.0, 2)";
        };
        return change(table, count, set + ", updated_at = now()", MutationResult.Kind.UPDATED);
    }

    /** Marks {@code count} live rows of {@code table} deleted: {@code is_deleted = true, updated_at = now()}. */
    public synchronized MutationResult softDelete(EcommerceTable table, int count) throws SQLException {
        checkCount(count);
        return change(table, count, "is_deleted = true, updated_at = now()", MutationResult.Kind.SOFT_DELETED);
    }

    private MutationResult change(EcommerceTable table, int count, String set, MutationResult.Kind kind)
            throws SQLException {
        String name = table.tableName();
        String sql = "WITH picked AS (SELECT t.id FROM unnest(?::bigint[]) WITH ORDINALITY AS c(id, ord) "
                + "JOIN " + name + " t ON t.id = c.id WHERE NOT t.is_deleted ORDER BY c.ord LIMIT ?) "
                + "UPDATE " + name + " t SET " + set + " FROM picked WHERE t.id = picked.id RETURNING t.id";
        List<Long> changed = new ArrayList<>();
        try (Connection connection = source.open()) {
            connection.setAutoCommit(false);
            try {
                long max = scalar(connection, "SELECT coalesce(max(id), 0) FROM " + name);
                long live = scalar(connection, "SELECT count(*) FROM " + name + " WHERE NOT is_deleted");
                int wanted = (int) Math.min(count, live);
                Set<Long> tried = new LinkedHashSet<>();
                try (PreparedStatement update = connection.prepareStatement(sql)) {
                    while (changed.size() < wanted && tried.size() < max) {
                        int missing = wanted - changed.size();
                        List<Long> candidates = new ArrayList<>();
                        int attempts = 0;
                        while (candidates.size() < missing * 2 + 16 && tried.size() < max && attempts++ < missing * 20 + 1000) {
                            long id = 1 + random.nextLong(max);
                            if (tried.add(id)) {
                                candidates.add(id);
                            }
                        }
                        if (candidates.isEmpty()) {
                            // sampling saturated on a small table: try what is left in order
                            for (long id = 1; id <= max && candidates.size() < missing * 2 + 16; id++) {
                                if (tried.add(id)) {
                                    candidates.add(id);
                                }
                            }
                        }
                        Array array = connection.createArrayOf("bigint", candidates.toArray());
                        update.setArray(1, array);
                        update.setInt(2, missing);
                        try (ResultSet rs = update.executeQuery()) {
                            while (rs.next()) {
                                changed.add(rs.getLong(1));
                            }
                        }
                    }
                }
                connection.commit();
            } catch (SQLException | RuntimeException e) {
                connection.rollback();
                throw e;
            }
        }
        Collections.sort(changed);
        return new MutationResult(kind, Map.of(name, changed));
    }

    @FunctionalInterface
    private interface Rows {
        void write(CopyRowWriter out) throws SQLException;
    }

    private static void copy(Connection connection, String table, String columns, Rows rows) throws SQLException {
        CopyIn copy = connection.unwrap(PGConnection.class).getCopyAPI()
                .copyIn("COPY " + table + " (" + columns + ") FROM STDIN");
        try {
            CopyRowWriter out = new CopyRowWriter((buffer, length) -> copy.writeToCopy(buffer, 0, length));
            rows.write(out);
            out.flush();
            copy.endCopy();
        } finally {
            if (copy.isActive()) {
                copy.cancelCopy();
            }
        }
    }

    private static long scalar(Connection connection, String sql) throws SQLException {
        try (Statement statement = connection.createStatement(); ResultSet rs = statement.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }

    private static List<Long> range(long first, long last) {
        List<Long> ids = new ArrayList<>();
        for (long id = first; id <= last; id++) {
            ids.add(id);
        }
        return ids;
    }

    private static void checkCount(int count) {
        if (count < 1) {
            throw new IllegalArgumentException("count must be at least 1, got " + count);
        }
    }
}
