package dev.dbsync.cli.datagen;

import static java.util.Objects.requireNonNull;

import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import javax.sql.DataSource;

/**
 * Generates the e-commerce data set in PostgreSQL: {@code categories}, {@code customers}, {@code products},
 * {@code orders} and {@code order_items}.
 *
 * <p>Every table has {@code id bigint} primary key, {@code created_at} and {@code updated_at timestamptz not null}
 * (equal when a row is generated, as an application that sets {@code updated_at} on every write would leave them)
 * and {@code is_deleted boolean not null default false}, plus an index on {@code (updated_at, id)} so that
 * incremental reads by timestamp are index range scans. {@code products.attributes} is {@code jsonb} and
 * {@code customers.external_id} a {@code uuid}. Foreign keys: products → categories, orders → customers,
 * order_items → orders and products, categories.parent_id → categories.
 *
 * <p>Sizes derive from the number of orders ({@link Builder#scale(long)}): customers = orders / 5,
 * products = orders / 20, categories = products / 100 (at least 5, at most 5,000), and each order has 1 to 5
 * items (2.45 on average). Any of them can be set explicitly.
 *
 * <p>Rows are pure functions of (seed, table, id), so the same seed produces identical tables whatever the
 * parallelism. Generated timestamps lie between 2021 and the end of 2024; rows added later by
 * {@link EcommerceMutations} get the server's {@code now()}.
 *
 * <p>{@link #generate} creates the tables without keys, streams them with parallel {@code COPY ... FROM STDIN},
 * then adds primary keys, indexes and foreign keys and runs {@code ANALYZE}. The builder is not thread-safe; a
 * built generator is immutable.
 */
public final class EcommerceGenerator {

    private final long seed;
    private final int parallelism;
    private final boolean replaceExisting;
    private final long categories;
    private final long customers;
    private final long products;
    private final long orders;
    private volatile EcommerceRows rows;

    private EcommerceGenerator(Builder builder) {
        this.seed = builder.seed;
        this.parallelism = builder.parallelism;
        this.replaceExisting = builder.replaceExisting;
        this.orders = builder.orders;
        this.customers = builder.customers > 0 ? builder.customers : Math.max(10, orders / 5);
        this.products = builder.products > 0 ? builder.products : Math.max(10, orders / 20);
        this.categories = builder.categories > 0 ? builder.categories
                : Math.max(5, Math.min(5_000, products / 100));
    }

    public static Builder builder() {
        return new Builder();
    }

    public long seed() {
        return seed;
    }

    public int parallelism() {
        return parallelism;
    }

    /** Number of rows the generator writes to {@code table}. */
    public long rowCount(EcommerceTable table) {
        return switch (table) {
            case CATEGORIES -> categories;
            case CUSTOMERS -> customers;
            case PRODUCTS -> products;
            case ORDERS -> orders;
            case ORDER_ITEMS -> {
                EcommerceRows r = rows();
                long items = 0;
                for (long id = 1; id <= orders; id++) {
                    items += r.linesOf(id);
                }
                yield items;
            }
        };
    }

    EcommerceRows rows() {
        EcommerceRows r = rows;
        if (r == null) {
            synchronized (this) {
                if (rows == null) {
                    rows = new EcommerceRows(seed, new Pools(seed), categories, customers, products, orders);
                }
                r = rows;
            }
        }
        return r;
    }

    /** Creates and fills the tables in the database of {@code dataSource}. */
    public GenerationReport generate(DataSource dataSource) throws SQLException {
        return generate(ConnectionSource.of(dataSource));
    }

    /** Creates and fills the tables in the database of {@code jdbcUrl}. */
    public GenerationReport generate(String jdbcUrl, String user, String password) throws SQLException {
        return generate(ConnectionSource.of(jdbcUrl, user, password));
    }

    /** Creates and fills the tables using connections from {@code source}. */
    public GenerationReport generate(ConnectionSource source) throws SQLException {
        requireNonNull(source, "source is null");
        return run(source);
    }

    /** Generates every row and discards it: measures the generator without a database. */
    public GenerationReport dryRun() throws SQLException {
        return run(null);
    }

    /** Helpers that insert, update and soft-delete rows of a generated data set, for incremental syncs. */
    public EcommerceMutations mutations(DataSource dataSource) {
        return new EcommerceMutations(rows(), ConnectionSource.of(dataSource));
    }

    /** Same as {@link #mutations(DataSource)} with connections from {@code source}. */
    public EcommerceMutations mutations(ConnectionSource source) {
        return new EcommerceMutations(rows(), requireNonNull(source, "source is null"));
    }

    private GenerationReport run(ConnectionSource source) throws SQLException {
        EcommerceRows r = rows();
        try (CopyLoader loader = new CopyLoader(source, parallelism)) {
            List<List<String>> create = new ArrayList<>();
            for (String ddl : createTables(replaceExisting)) {
                create.add(List.of(ddl));
            }
            loader.execute(List.of(flatten(create)));

            List<GenerationReport.TableReport> reports = new ArrayList<>();
            long loadStart = System.nanoTime();
            reports.add(loader.load(idTable("categories", EcommerceRows.CATEGORY_COLUMNS, categories,
                    (out, id, lines) -> r.category(out, id, -1))));
            reports.add(loader.load(idTable("customers", EcommerceRows.CUSTOMER_COLUMNS, customers,
                    (out, id, lines) -> r.customer(out, id, -1))));
            reports.add(loader.load(idTable("products", EcommerceRows.PRODUCT_COLUMNS, products,
                    (out, id, lines) -> r.product(out, id, -1))));
            reports.add(loader.load(idTable("orders", EcommerceRows.ORDER_COLUMNS, orders,
                    (out, id, lines) -> r.order(out, id, -1, lines))));
            reports.add(loader.load(orderItems(r)));
            Duration loadTime = Duration.ofNanos(System.nanoTime() - loadStart);

            long indexStart = System.nanoTime();
            loader.execute(keysAndIndexes());
            loader.execute(foreignKeys());
            loader.execute(List.of(List.of("ANALYZE categories", "ANALYZE products"), List.of("ANALYZE customers"),
                    List.of("ANALYZE orders"), List.of("ANALYZE order_items")));
            Duration indexTime = loader.dryRun() ? Duration.ZERO : Duration.ofNanos(System.nanoTime() - indexStart);
            return new GenerationReport(reports, loadTime, indexTime, parallelism, !loader.dryRun());
        }
    }

    private static List<String> flatten(List<List<String>> groups) {
        List<String> all = new ArrayList<>();
        groups.forEach(all::addAll);
        return all;
    }

    @FunctionalInterface
    private interface RowWriter {
        void write(CopyRowWriter out, long id, EcommerceRows.Lines lines) throws SQLException;
    }

    private CopyLoader.TableLoad idTable(String table, String columns, long count, RowWriter writer) {
        List<CopyLoader.ChunkWriter> chunks = new ArrayList<>();
        long size = CopyLoader.chunkSize(count, parallelism);
        for (long from = 1; from <= count; from += size) {
            long first = from;
            long last = Math.min(count, from + size - 1);
            chunks.add(out -> {
                EcommerceRows.Lines lines = new EcommerceRows.Lines();
                for (long id = first; id <= last; id++) {
                    writer.write(out, id, lines);
                }
                return last - first + 1;
            });
        }
        return new CopyLoader.TableLoad(table, columns, chunks);
    }

    /** Items are written per range of orders; a first pass finds where each range's item ids start. */
    private CopyLoader.TableLoad orderItems(EcommerceRows r) {
        List<CopyLoader.ChunkWriter> chunks = new ArrayList<>();
        long size = CopyLoader.chunkSize(orders, parallelism) / 2;
        long nextItemId = 1;
        for (long from = 1; from <= orders; from += size) {
            long first = from;
            long last = Math.min(orders, from + size - 1);
            long firstItemId = nextItemId;
            for (long id = first; id <= last; id++) {
                nextItemId += r.linesOf(id);
            }
            chunks.add(out -> {
                EcommerceRows.Lines lines = new EcommerceRows.Lines();
                long itemId = firstItemId;
                for (long id = first; id <= last; id++) {
                    itemId += r.orderItems(out, id, itemId, -1, lines);
                }
                return itemId - firstItemId;
            });
        }
        return new CopyLoader.TableLoad("order_items", EcommerceRows.ORDER_ITEM_COLUMNS, chunks);
    }

    private static final String COMMON = "created_at timestamptz not null default now(), "
            + "updated_at timestamptz not null default now(), is_deleted boolean not null default false";

    static List<String> createTables(boolean replaceExisting) {
        List<String> ddl = new ArrayList<>();
        if (replaceExisting) {
            ddl.add("DROP TABLE IF EXISTS order_items, orders, products, customers, categories CASCADE");
        }
        ddl.add("CREATE TABLE categories (id bigint not null, parent_id bigint, name text not null, "
                + "slug text not null, sort_order int not null, " + COMMON + ")");
        ddl.add("CREATE TABLE customers (id bigint not null, external_id uuid not null, first_name text not null, "
                + "last_name text not null, email text not null, phone text, street text, city text, "
                + "postal_code text, country_code char(2) not null, birth_date date, "
                + "loyalty_points int not null default 0, marketing_opt_in boolean not null default false, "
                + COMMON + ")");
        ddl.add("CREATE TABLE products (id bigint not null, category_id bigint not null, sku text not null, "
                + "name text not null, description text, price numeric(12,2) not null, stock int not null, "
                + "weight_grams int, attributes jsonb, " + COMMON + ")");
        ddl.add("CREATE TABLE orders (id bigint not null, customer_id bigint not null, status text not null, "
                + "currency char(3) not null, item_count int not null, subtotal numeric(12,2) not null, "
                + "shipping numeric(12,2) not null, total numeric(12,2) not null, ship_street text, "
                + "ship_city text, ship_postal_code text, ship_country char(2), " + COMMON + ")");
        ddl.add("CREATE TABLE order_items (id bigint not null, order_id bigint not null, "
                + "product_id bigint not null, line_no int not null, quantity int not null, "
                + "unit_price numeric(12,2) not null, discount_pct int not null, line_total numeric(12,2) not null, "
                + COMMON + ")");
        return ddl;
    }

    private static List<String> keyAndUpdatedAtIndex(String table) {
        List<String> ddl = new ArrayList<>();
        ddl.add("ALTER TABLE " + table + " ADD PRIMARY KEY (id)");
        ddl.add("CREATE INDEX " + table + "_updated_at_id_idx ON " + table + " (updated_at, id)");
        return ddl;
    }

    static List<List<String>> keysAndIndexes() {
        List<String> categories = keyAndUpdatedAtIndex("categories");
        List<String> customers = keyAndUpdatedAtIndex("customers");
        customers.add("CREATE UNIQUE INDEX customers_email_idx ON customers (email)");
        customers.add("CREATE UNIQUE INDEX customers_external_id_idx ON customers (external_id)");
        List<String> products = keyAndUpdatedAtIndex("products");
        products.add("CREATE UNIQUE INDEX products_sku_idx ON products (sku)");
        products.add("CREATE INDEX products_category_id_idx ON products (category_id)");
        List<String> orders = keyAndUpdatedAtIndex("orders");
        orders.add("CREATE INDEX orders_customer_id_idx ON orders (customer_id)");
        List<String> items = keyAndUpdatedAtIndex("order_items");
        items.add("CREATE INDEX order_items_order_id_idx ON order_items (order_id)");
        items.add("CREATE INDEX order_items_product_id_idx ON order_items (product_id)");
        categories.addAll(products);
        categories.addAll(customers);
        return List.of(items, orders, categories);
    }

    static List<List<String>> foreignKeys() {
        return List.of(
                List.of("ALTER TABLE order_items ADD CONSTRAINT order_items_order_id_fk "
                        + "FOREIGN KEY (order_id) REFERENCES orders (id)",
                        "ALTER TABLE order_items ADD CONSTRAINT order_items_product_id_fk "
                        + "FOREIGN KEY (product_id) REFERENCES products (id)"),
                List.of("ALTER TABLE orders ADD CONSTRAINT orders_customer_id_fk "
                        + "FOREIGN KEY (customer_id) REFERENCES customers (id)",
                        "ALTER TABLE products ADD CONSTRAINT products_category_id_fk "
                        + "FOREIGN KEY (category_id) REFERENCES categories (id)",
                        "ALTER TABLE categories ADD CONSTRAINT categories_parent_id_fk "
                        + "FOREIGN KEY (parent_id) REFERENCES categories (id)"));
    }

    /**
     * Configures an {@link EcommerceGenerator}. Defaults: 100,000 orders, seed 42, parallelism = available
     * processors, existing tables kept (creation fails if they exist).
     */
    public static final class Builder {
        private long seed = 42;
        private int parallelism = Runtime.getRuntime().availableProcessors();
        private boolean replaceExisting;
        private long orders = 100_000;
        private long customers;
        private long products;
        private long categories;

        private Builder() {
        }

        /** Number of orders; the other tables are sized from it unless set explicitly. */
        public Builder scale(long orders) {
            this.orders = positive(orders, "scale");
            return this;
        }

        /** Alias of {@link #scale(long)}. */
        public Builder orders(long orders) {
            return scale(orders);
        }

        public Builder customers(long customers) {
            this.customers = positive(customers, "customers");
            return this;
        }

        public Builder products(long products) {
            this.products = positive(products, "products");
            return this;
        }

        public Builder categories(long categories) {
            this.categories = positive(categories, "categories");
            return this;
        }

        public Builder seed(long seed) {
            this.seed = seed;
            return this;
        }

        /** Number of connections (and threads) used to load; at least 1. */
        public Builder parallelism(int parallelism) {
            if (parallelism < 1) {
                throw new IllegalArgumentException("parallelism must be at least 1, got " + parallelism);
            }
            this.parallelism = parallelism;
            return this;
        }

        /** Drop the five tables first if they exist. */
        public Builder replaceExisting(boolean replaceExisting) {
            this.replaceExisting = replaceExisting;
            return this;
        }

        public EcommerceGenerator build() {
            return new EcommerceGenerator(this);
        }

        private static long positive(long value, String name) {
            if (value < 1) {
                throw new IllegalArgumentException(name + " must be at least 1, got " + value);
            }
            return value;
        }
    }
}
