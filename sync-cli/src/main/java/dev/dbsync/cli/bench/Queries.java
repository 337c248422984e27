package dev.dbsync.cli.bench;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The questions of the query benchmark, each written in the dialect of every database that can answer it. Deleted
 * rows are excluded everywhere: PostgreSQL, CrateDB, MongoDB, Elasticsearch, Redis and Neo4j targets hold only live
 * rows (soft deletes are applied as deletes; the SQL and MongoDB questions filter {@code is_deleted} for good
 * measure); ClickHouse keeps versions in a ReplacingMergeTree, read with {@code FINAL} and {@code _is_deleted = 0}.
 * Days are UTC days in every database.
 *
 * <p>Dialects, by connector name: {@code postgres} (also CrateDB's), {@code clickhouse} (SQL), {@code mongo} (a
 * collection and an aggregation pipeline: {@code orders: [ {...}, ... ]}), {@code elasticsearch} (an HTTP request
 * on an index: {@code GET orders/_search {...}}), {@code redis} (a command, optionally followed by
 * {@code -> HGETALL <key pattern>} applied to each member it returns, pipelined) and {@code neo4j} (Cypher with
 * {@code $id}). {@code ?ID} is replaced by a key of the question's {@link Ids} kind; {@code {P}} by the target's
 * index or key prefix and {@code {T}} by the labels' suffix.
 */
final class Queries {

    /** Which keys a question is asked about. */
    enum Ids {
        /** The question takes no key. */
        NONE,
        /** An order id, 1 … orders. */
        ORDER,
        /** A customer id, 1 … orders / 5. */
        CUSTOMER,
        /** A product id, 1 … orders / 20. */
        PRODUCT;

        long bound(long orders) {
            return switch (this) {
                case NONE, ORDER -> orders;
                case CUSTOMER -> Math.max(1, orders / 5);
                case PRODUCT -> Math.max(1, orders / 20);
            };
        }
    }

    /**
     * One question.
     *
     * @param name     short name, the row of the report
     * @param question what it asks
     * @param ids      the kind of key {@code ?ID} stands for
     * @param compare  the columns whose values must be equal across databases (null: every column, by position)
     * @param sorted   whether rows are compared as a sorted list (the question does not order them)
     * @param dialects connector name → the question in that database's language
     */
    record Query(String name, String question, Ids ids, List<String> compare, boolean sorted,
                 Map<String, String> dialects) {

        /** The question in the dialect of connector {@code type}, or null when that database is not asked it. */
        String text(String type) {
            return dialects.get(type.equals("crate") ? "postgres" : type);
        }
    }

    /** The word searched for in product names (datafaker's product names hold it often). */
    static final String WORD = "steel";
    /** The country of the filtered aggregation. */
    static final String COUNTRY = "DE";

    private static Map<String, String> d(String... kv) {
        Map<String, String> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            m.put(kv[i], kv[i + 1]);
        }
        return m;
    }

    private static final String POINT = "SELECT * FROM orders WHERE id = ?ID";

    static final List<Query> ALL = List.of(
            new Query("count_orders", "COUNT(*) of orders", Ids.NONE, null, false, d(
                    "postgres", "SELECT count(*) FROM orders WHERE NOT is_deleted",
                    "clickhouse", "SELECT count() FROM orders FINAL WHERE _is_deleted = 0",
                    "mongo", "orders: [{$match: {is_deleted: false}}, {$count: 'n'}]",
                    "elasticsearch", "GET {P}orders/_count",
                    "neo4j", "MATCH (o:Order{T}) RETURN count(o) AS n")),
            new Query("avg_price", "AVG(price) of products", Ids.NONE, null, false, d(
                    "postgres", "SELECT round(avg(price), 4) FROM products WHERE NOT is_deleted",
                    "clickhouse", "SELECT round(avg(price), 4) FROM products FINAL WHERE _is_deleted = 0",
                    "mongo", "products: [{$match: {is_deleted: false}}, {$group: {_id: null, a: {$avg: '$price'}}}, "
                            + "{$project: {_id: 0, a: 1}}]",
                    "elasticsearch", "GET {P}products/_search {\"size\": 0, \"aggs\": {\"a\": {\"avg\": {\"field\": "
                            + "\"price.num\"}}}}")),
            new Query("orders_by_customer", "orders and revenue grouped by customer, top 10", Ids.NONE, null, false, d(
                    "postgres", "SELECT customer_id, count(*) AS n, sum(total) AS spent FROM orders WHERE NOT is_deleted "
                            + "GROUP BY customer_id ORDER BY spent DESC, customer_id LIMIT 10",
                    "clickhouse", "SELECT customer_id, count() AS n, sum(total) AS spent FROM orders FINAL WHERE "
                            + "_is_deleted = 0 GROUP BY customer_id ORDER BY spent DESC, customer_id LIMIT 10",
                    "mongo", "orders: [{$match: {is_deleted: false}}, {$group: {_id: '$customer_id', n: {$sum: 1}, "
                            + "spent: {$sum: '$total'}}}, {$sort: {spent: -1, _id: 1}}, {$limit: 10}]",
                    "elasticsearch", "GET {P}orders/_search {\"size\": 0, \"aggs\": {\"c\": {\"terms\": {\"field\": "
                            + "\"customer_id\", \"size\": 10, \"shard_size\": 100000, \"order\": [{\"spent\": \"desc\"}, "
                            + "{\"_key\": \"asc\"}]}, \"aggs\": {\"spent\": {\"sum\": {\"field\": \"total.num\"}}}}}}")),
            new Query("top_products", "top 10 products by revenue (join of order_items and products)", Ids.NONE, null,
                    false, d(
                    "postgres", "SELECT p.id, p.name, sum(i.line_total) AS revenue FROM order_items i JOIN products p "
                            + "ON p.id = i.product_id WHERE NOT i.is_deleted AND NOT p.is_deleted "
                            + "GROUP BY p.id, p.name ORDER BY revenue DESC, p.id LIMIT 10",
                    "clickhouse", "SELECT p.id, p.name, sum(i.line_total) AS revenue FROM order_items AS i FINAL "
                            + "INNER JOIN (SELECT id, name FROM products FINAL WHERE _is_deleted = 0) AS p "
                            + "ON p.id = i.product_id WHERE i._is_deleted = 0 "
                            + "GROUP BY p.id, p.name ORDER BY revenue DESC, p.id LIMIT 10",
                    "mongo", "order_items: [{$match: {is_deleted: false}}, {$group: {_id: '$product_id', "
                            + "revenue: {$sum: '$line_total'}}}, {$sort: {revenue: -1, _id: 1}}, {$lookup: {from: "
                            + "'products', localField: '_id', foreignField: '_id', as: 'p'}}, {$unwind: '$p'}, "
                            + "{$match: {'p.is_deleted': false}}, {$limit: 10}, {$project: {_id: 0, id: '$_id', "
                            + "name: '$p.name', revenue: '$revenue'}}]")),
            new Query("daily_totals", "orders and revenue per day", Ids.NONE, null, false, d(
                    "postgres", "SELECT date_trunc('day', created_at AT TIME ZONE 'UTC') AS day, count(*), sum(total) "
                            + "FROM orders WHERE NOT is_deleted GROUP BY 1 ORDER BY 1",
                    "clickhouse", "SELECT toDate(created_at, 'UTC') AS day, count(), sum(total) FROM orders FINAL "
                            + "WHERE _is_deleted = 0 GROUP BY day ORDER BY day",
                    "mongo", "orders: [{$match: {is_deleted: false}}, {$group: {_id: {$dateToString: {format: "
                            + "'%Y-%m-%d', date: '$created_at'}}, n: {$sum: 1}, revenue: {$sum: '$total'}}}, "
                            + "{$sort: {_id: 1}}]",
                    "elasticsearch", "GET {P}orders/_search {\"size\": 0, \"aggs\": {\"d\": {\"date_histogram\": "
                            + "{\"field\": \"created_at\", \"calendar_interval\": \"day\", \"time_zone\": \"UTC\", "
                            + "\"min_doc_count\": 1}, \"aggs\": {\"revenue\": {\"sum\": {\"field\": \"total.num\"}}}}}}")),
            new Query("point_lookup", "one order by primary key", Ids.ORDER,
                    List.of("id", "customer_id", "status", "total"), false, d(
                    "postgres", POINT,
                    "clickhouse", "SELECT * FROM orders FINAL WHERE id = ?ID AND _is_deleted = 0",
                    "mongo", "orders: [{$match: {_id: {$numberLong: '?ID'}}}]",
                    "elasticsearch", "GET {P}orders/_doc/?ID",
                    "redis", "HGETALL {P}:orders:?ID")),
            new Query("customer_orders", "orders of customer N (secondary index)", Ids.CUSTOMER,
                    List.of("id", "total"), true, d(
                    "postgres", "SELECT * FROM orders WHERE customer_id = ?ID",
                    "clickhouse", "SELECT * FROM orders FINAL WHERE customer_id = ?ID AND _is_deleted = 0",
                    "mongo", "orders: [{$match: {customer_id: {$numberLong: '?ID'}}}]",
                    "elasticsearch", "GET {P}orders/_search {\"size\": 1000, \"query\": {\"term\": {\"customer_id\": ?ID}}}",
                    "redis", "SMEMBERS {P}:orders:~idx:customer_id:?ID -> HGETALL {P}:orders:*")),
            new Query("latest_products", "the 10 products changed last (sorted index)", Ids.NONE, List.of("id"), true, d(
                    "postgres", "SELECT * FROM products ORDER BY updated_at DESC, id DESC LIMIT 10",
                    "clickhouse", "SELECT * FROM products FINAL WHERE _is_deleted = 0 ORDER BY updated_at DESC, id DESC "
                            + "LIMIT 10",
                    "mongo", "products: [{$sort: {updated_at: -1, _id: -1}}, {$limit: 10}]",
                    "elasticsearch", "GET {P}products/_search {\"size\": 10, \"sort\": [{\"updated_at\": \"desc\"}, "
                            + "{\"id\": \"desc\"}]}",
                    "redis", "ZREVRANGE {P}:products:~by:updated_at 0 9 -> HGETALL {P}:products:*")),
            new Query("search_substring", "products whose name contains '" + WORD + "' (any case), counted", Ids.NONE,
                    null, false, d(
                    "postgres", "SELECT count(*) FROM products WHERE name ILIKE '%" + WORD + "%' AND NOT is_deleted",
                    "clickhouse", "SELECT count() FROM products FINAL WHERE name ILIKE '%" + WORD + "%' AND _is_deleted = 0",
                    "mongo", "products: [{$match: {name: {$regex: '" + WORD + "', $options: 'i'}}}, {$count: 'n'}]",
                    "elasticsearch", "GET {P}products/_count {\"query\": {\"wildcard\": {\"name.keyword\": {\"value\": \"*"
                            + WORD + "*\", \"case_insensitive\": true}}}}")),
            new Query("search_fulltext", "full-text search: products whose name has the word '" + WORD + "', counted",
                    Ids.NONE, null, false, d(
                    "postgres", "SELECT count(*) FROM products WHERE to_tsvector('simple', name) @@ "
                            + "plainto_tsquery('simple', '" + WORD + "') AND NOT is_deleted",
                    "clickhouse", "SELECT count() FROM products FINAL WHERE hasTokenCaseInsensitive(name, '" + WORD
                            + "') AND _is_deleted = 0",
                    "elasticsearch", "GET {P}products/_count {\"query\": {\"match\": {\"name\": \"" + WORD + "\"}}}")),
            new Query("filtered_aggregation", "orders shipped to " + COUNTRY + " by status: count and revenue",
                    Ids.NONE, null, false, d(
                    "postgres", "SELECT status, count(*), sum(total) FROM orders WHERE ship_country = '" + COUNTRY
                            + "' AND NOT is_deleted GROUP BY status ORDER BY status",
                    "clickhouse", "SELECT status, count(), sum(total) FROM orders FINAL WHERE ship_country = '" + COUNTRY
                            + "' AND _is_deleted = 0 GROUP BY status ORDER BY status",
                    "mongo", "orders: [{$match: {ship_country: '" + COUNTRY + "', is_deleted: false}}, {$group: {_id: "
                            + "'$status', n: {$sum: 1}, revenue: {$sum: '$total'}}}, {$sort: {_id: 1}}]",
                    "elasticsearch", "GET {P}orders/_search {\"size\": 0, \"query\": {\"bool\": {\"filter\": [{\"term\": "
                            + "{\"ship_country.keyword\": \"" + COUNTRY + "\"}}]}}, \"aggs\": {\"s\": {\"terms\": "
                            + "{\"field\": \"status.keyword\", \"size\": 100, \"order\": {\"_key\": \"asc\"}}, \"aggs\": "
                            + "{\"revenue\": {\"sum\": {\"field\": \"total.num\"}}}}}}")),
            new Query("co_purchase", "bought with product N: the 10 products in most of the same orders", Ids.PRODUCT,
                    null, false, d(
                    "postgres", "SELECT b.product_id, count(DISTINCT a.order_id) AS n FROM order_items a JOIN order_items b "
                            + "ON b.order_id = a.order_id AND b.product_id <> a.product_id WHERE a.product_id = ?ID "
                            + "GROUP BY b.product_id ORDER BY n DESC, b.product_id LIMIT 10",
                    "neo4j", "MATCH (p:Product{T} {id: $id})<-[:CONTAINS{TU}]-(o)-[:CONTAINS{TU}]->(other:Product{T}) "
                            + "WHERE other <> p RETURN other.id AS id, count(DISTINCT o) AS n ORDER BY n DESC, id LIMIT 10")),
            new Query("customer_2hop", "customers who bought what customer N bought (2-hop neighbourhood), counted",
                    Ids.CUSTOMER, null, false, d(
                    "postgres", "SELECT count(DISTINCT o2.customer_id) FROM orders o1 JOIN order_items i1 ON i1.order_id = o1.id "
                            + "JOIN order_items i2 ON i2.product_id = i1.product_id JOIN orders o2 ON o2.id = i2.order_id "
                            + "WHERE o1.customer_id = ?ID AND o2.customer_id <> o1.customer_id",
                    "neo4j", "MATCH (c:Customer{T} {id: $id})<-[:CUSTOMER]-(:Order{T})-[:CONTAINS{TU}]->(:Product{T})"
                            + "<-[:CONTAINS{TU}]-(:Order{T})-[:CUSTOMER]->(other:Customer{T}) WHERE other <> c "
                            + "RETURN count(DISTINCT other) AS n")));

    private Queries() {
    }
}
