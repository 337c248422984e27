package dev.dbsync.cli.bench;

import java.util.List;

/**
 * The analytical questions of the query benchmark, each written in every database's dialect. Deleted rows are
 * excluded everywhere: PostgreSQL and CrateDB targets hold only live rows (soft deletes are applied as deletes) and
 * filter {@code is_deleted} for good measure; ClickHouse keeps versions in a ReplacingMergeTree, read with
 * {@code FINAL} and {@code _is_deleted = 0}. Days are UTC days in every database.
 */
final class Queries {

    /** One question: its name, what it asks, and its SQL per dialect ({@code ?ID} is replaced by a key). */
    record Query(String name, String question, String postgres, String clickhouse) {
        String sql(String type, long id) {
            String sql = type.equals("clickhouse") ? clickhouse : postgres;
            return sql.replace("?ID", Long.toString(id));
        }
    }

    static final List<Query> ALL = List.of(
            new Query("count_orders", "COUNT(*) of orders",
                    "SELECT count(*) FROM orders WHERE NOT is_deleted",
                    "SELECT count() FROM orders FINAL WHERE _is_deleted = 0"),
            new Query("avg_price", "AVG(price) of products",
                    "SELECT round(avg(price), 4) FROM products WHERE NOT is_deleted",
                    "SELECT round(avg(price), 4) FROM products FINAL WHERE _is_deleted = 0"),
            new Query("orders_by_customer", "orders and revenue grouped by customer, top 10",
                    "SELECT customer_id, count(*) AS n, sum(total) AS spent FROM orders WHERE NOT is_deleted "
                            + "GROUP BY customer_id ORDER BY spent DESC, customer_id LIMIT 10",
                    "SELECT customer_id, count() AS n, sum(total) AS spent FROM orders FINAL WHERE _is_deleted = 0 "
                            + "GROUP BY customer_id ORDER BY spent DESC, customer_id LIMIT 10"),
            new Query("top_products", "top 10 products by revenue (join of order_items and products)",
                    "SELECT p.id, p.name, sum(i.line_total) AS revenue FROM order_items i JOIN products p "
                            + "ON p.id = i.product_id WHERE NOT i.is_deleted AND NOT p.is_deleted "
                            + "GROUP BY p.id, p.name ORDER BY revenue DESC, p.id LIMIT 10",
                    "SELECT p.id, p.name, sum(i.line_total) AS revenue FROM order_items AS i FINAL "
                            + "INNER JOIN (SELECT id, name FROM products FINAL WHERE _is_deleted = 0) AS p "
                            + "ON p.id = i.product_id WHERE i._is_deleted = 0 "
                            + "GROUP BY p.id, p.name ORDER BY revenue DESC, p.id LIMIT 10"),
            new Query("daily_totals", "orders and revenue per day",
                    "SELECT date_trunc('day', created_at AT TIME ZONE 'UTC') AS day, count(*), sum(total) "
                            + "FROM orders WHERE NOT is_deleted GROUP BY 1 ORDER BY 1",
                    "SELECT toDate(created_at, 'UTC') AS day, count(), sum(total) FROM orders FINAL "
                            + "WHERE _is_deleted = 0 GROUP BY day ORDER BY day"),
            new Query("point_lookup", "one order by primary key",
                    "SELECT * FROM orders WHERE id = ?ID",
                    "SELECT * FROM orders FINAL WHERE id = ?ID AND _is_deleted = 0"));

    private Queries() {
    }
}
