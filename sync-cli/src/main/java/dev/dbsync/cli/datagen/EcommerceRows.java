package dev.dbsync.cli.datagen;

import java.nio.charset.StandardCharsets;
import java.sql.SQLException;
import java.time.Instant;
import java.time.LocalDate;
import java.util.SplittableRandom;

/**
 * The rows of the e-commerce data set as pure functions of (seed, table, id).
 *
 * <p>Derived values stay consistent across tables because they are recomputed from the same row streams: an
 * order's shipping address is its customer's address, an order item's unit price is its product's price, an
 * order's totals are the sum of its items.
 */
final class EcommerceRows {

    static final String CATEGORY_COLUMNS = "id, parent_id, name, slug, sort_order, created_at, updated_at, is_deleted";
    static final String CUSTOMER_COLUMNS = "id, external_id, first_name, last_name, email, phone, street, city, "
            + "postal_code, country_code, birth_date, loyalty_points, marketing_opt_in, created_at, updated_at, "
            + "is_deleted";
    static final String PRODUCT_COLUMNS = "id, category_id, sku, name, description, price, stock, weight_grams, "
            + "attributes, created_at, updated_at, is_deleted";
    static final String ORDER_COLUMNS = "id, customer_id, status, currency, item_count, subtotal, shipping, total, "
            + "ship_street, ship_city, ship_postal_code, ship_country, created_at, updated_at, is_deleted";
    static final String ORDER_ITEM_COLUMNS = "id, order_id, product_id, line_no, quantity, unit_price, "
            + "discount_pct, line_total, created_at, updated_at, is_deleted";

    static final long CATEGORIES = 1;
    static final long CUSTOMERS = 2;
    static final long PRODUCTS = 3;
    static final long ORDERS = 4;
    static final long ORDER_ITEMS = 5;

    /** The catalogue is built during 2021, customers sign up from 2021 on, orders are placed 2022–2024. */
    static final long CATALOG_START = micros("2021-01-01T00:00:00Z");
    static final long ORDERS_START = micros("2022-01-01T00:00:00Z");
    static final long END = micros("2025-01-01T00:00:00Z");
    static final long CATALOG_END = ORDERS_START;
    private static final long DAY = 86_400_000_000L;

    static final int MAX_LINES = 5;
    private static final int[] LINE_WEIGHTS = {30, 55, 75, 90, 100};
    private static final int[] QUANTITY_WEIGHTS = {70, 88, 96, 100};
    private static final int[] DISCOUNTS = {0, 5, 10, 20};
    private static final int[] DISCOUNT_WEIGHTS = {70, 85, 95, 100};
    private static final byte[][] OLD_STATUS = bytes("delivered", "cancelled", "returned");
    private static final int[] OLD_STATUS_WEIGHTS = {90, 95, 100};
    private static final byte[][] RECENT_STATUS = bytes("pending", "paid", "shipped");
    private static final int[] RECENT_STATUS_WEIGHTS = {20, 50, 100};
    private static final byte[][] CURRENCY = bytes("USD", "GBP", "EUR", "EUR");
    private static final byte[] SKU = ascii("SKU-");
    private static final byte[] JSON_BRAND = ascii("{\"brand\": ");
    private static final byte[] JSON_COLOR = ascii(", \"color\": ");
    private static final byte[] JSON_MATERIAL = ascii(", \"material\": ");
    private static final byte[] JSON_RATING = ascii(", \"rating\": ");
    private static final byte[] JSON_TAGS = ascii(", \"tags\": [");
    private static final byte[] JSON_END = ascii("]}");
    private static final byte[] JSON_COMMA = ascii(", ");

    final long seed;
    final Pools pools;
    final long categories;
    final long customers;
    final long products;
    final long orders;

    EcommerceRows(long seed, Pools pools, long categories, long customers, long products, long orders) {
        this.seed = seed;
        this.pools = pools;
        this.categories = categories;
        this.customers = customers;
        this.products = products;
        this.orders = orders;
    }

    /** Same pools and seed, other table sizes (for rows added after generation). */
    EcommerceRows withCounts(long categories, long customers, long products, long orders) {
        return new EcommerceRows(seed, pools, categories, customers, products, orders);
    }

    private static long micros(String instant) {
        return Instant.parse(instant).toEpochMilli() * 1000;
    }

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    private static byte[][] bytes(String... values) {
        byte[][] result = new byte[values.length][];
        for (int i = 0; i < values.length; i++) {
            result[i] = ascii(values[i]);
        }
        return result;
    }

    /** Spreads ids 1..count evenly over [start, end) with jitter inside each id's slot. */
    private static long spread(SplittableRandom random, long id, long count, long start, long end) {
        long span = end - start;
        long slot = Math.max(1, span / Math.max(1, count));
        long base = start + (long) ((double) (id - 1) / Math.max(1, count) * span);
        return Math.min(end - 1, base + random.nextLong(slot));
    }

    // ---- categories

    void category(CopyRowWriter out, long id, long nowMicros) throws SQLException {
        SplittableRandom r = Seeds.rowRandom(seed, CATEGORIES, id);
        long created = nowMicros >= 0 ? nowMicros : spread(r, id, categories, CATALOG_START, CATALOG_END);
        long top = Math.max(1, Math.min(categories, Math.max(5, categories / 10)));
        int name = r.nextInt(pools.departments.length);
        out.number(id);
        if (id <= top) {
            out.nullValue();
        } else {
            out.number(1 + r.nextLong(top));
        }
        out.bytes(pools.departments[name]);
        out.column().raw(pools.departmentSlugs[name]).rawChar('-').rawLong(id);
        out.number(r.nextInt(100));
        out.timestamp(created).timestamp(created).bool(false);
        out.endRow();
    }

    // ---- customers

    /** The first two draws of a customer's stream: country index and address index. */
    private int[] customerAddress(SplittableRandom r) {
        int country = Seeds.weighted(r, pools.countryWeights);
        int address = r.nextInt(pools.countries[country].streets.length);
        return new int[] {country, address};
    }

    void customer(CopyRowWriter out, long id, long nowMicros) throws SQLException {
        SplittableRandom r = Seeds.rowRandom(seed, CUSTOMERS, id);
        int[] address = customerAddress(r);
        Pools.Country c = pools.countries[address[0]];
        long created = nowMicros >= 0 ? nowMicros : spread(r, id, customers, CATALOG_START, END);
        int first = r.nextInt(c.firstNames.length);
        int last = r.nextInt(c.lastNames.length);
        long uuidHigh = (r.nextLong() & ~0xF000L) | 0x4000L;
        long uuidLow = (r.nextLong() & 0x3FFFFFFFFFFFFFFFL) | 0x8000000000000000L;
        out.number(id).uuid(uuidHigh, uuidLow);
        out.bytes(c.firstNames[first]).bytes(c.lastNames[last]);
        out.column().raw(c.firstSlugs[first]).rawChar('.').raw(c.lastSlugs[last]).rawChar('.').rawBase36(id, 1)
                .rawChar('@').raw(Pools.pick(r, pools.emailDomains));
        phone(out.column(), r, c.phonePrefix);
        out.bytes(c.streets[address[1]]).bytes(c.cities[address[1]]).bytes(c.postalCodes[address[1]]).bytes(c.code);
        out.date(LocalDate.of(1950, 1, 1).toEpochDay() + r.nextInt(57 * 365));
        out.number(r.nextInt(5000)).bool(r.nextInt(10) < 3);
        out.timestamp(created).timestamp(created).bool(false);
        out.endRow();
    }

    static void phone(CopyRowWriter out, SplittableRandom r, String prefix) {
        for (int i = 0; i < prefix.length(); i++) {
            out.rawChar(prefix.charAt(i));
        }
        out.rawChar(' ').rawLong(200 + r.nextInt(800)).rawChar(' ');
        long rest = r.nextLong(10_000_000L);
        for (long div = 1_000_000; div > 0; div /= 10) {
            out.rawChar((char) ('0' + rest / div % 10));
        }
    }

    // ---- products

    /** The first draw of a product's stream: its price in cents, from 0.99 to 1,498.99, mostly cheap. */
    private static long price(SplittableRandom r) {
        double u = r.nextDouble();
        return (1 + (long) (u * u * u * 1499)) * 100 - 1;
    }

    long productPrice(long productId) {
        return price(Seeds.rowRandom(seed, PRODUCTS, productId));
    }

    void product(CopyRowWriter out, long id, long nowMicros) throws SQLException {
        SplittableRandom r = Seeds.rowRandom(seed, PRODUCTS, id);
        long price = price(r);
        long created = nowMicros >= 0 ? nowMicros : spread(r, id, products, CATALOG_START, CATALOG_END);
        out.number(id).number(1 + r.nextLong(categories));
        out.column().raw(SKU).rawBase36(id, 8);
        out.bytes(Pools.pick(r, pools.productNames)).bytes(Pools.pick(r, pools.descriptions));
        out.decimal2(price).number(r.nextInt(1000)).number(50 + r.nextInt(20_000));
        out.column().raw(JSON_BRAND).raw(Pools.pick(r, pools.jsonBrands))
                .raw(JSON_COLOR).raw(Pools.pick(r, pools.jsonColors))
                .raw(JSON_MATERIAL).raw(Pools.pick(r, pools.jsonMaterials))
                .raw(JSON_RATING).rawLong(1 + r.nextInt(4)).rawChar('.').rawLong(r.nextInt(10))
                .raw(JSON_TAGS);
        int tags = r.nextInt(4);
        for (int i = 0; i < tags; i++) {
            if (i > 0) {
                out.raw(JSON_COMMA);
            }
            out.raw(Pools.pick(r, pools.jsonTags));
        }
        out.raw(JSON_END);
        out.timestamp(created).timestamp(created).bool(false);
        out.endRow();
    }

    // ---- orders and their items

    /** The first draw of an order's stream: how many lines it has. */
    private static int lines(SplittableRandom r) {
        return 1 + Seeds.weighted(r, LINE_WEIGHTS);
    }

    int linesOf(long orderId) {
        return lines(Seeds.rowRandom(seed, ORDERS, orderId));
    }

    /** Scratch space for the lines of one order; one per worker. */
    static final class Lines {
        int count;
        final long[] product = new long[MAX_LINES];
        final int[] quantity = new int[MAX_LINES];
        final int[] discount = new int[MAX_LINES];
        final long[] unitPrice = new long[MAX_LINES];
        final long[] total = new long[MAX_LINES];
        long subtotal;
        long created;
    }

    /** Fills {@code lines} for an order: header draws from the order's stream, each line from its own stream. */
    private SplittableRandom orderHeader(long orderId, long nowMicros, Lines lines) {
        SplittableRandom r = Seeds.rowRandom(seed, ORDERS, orderId);
        lines.count = lines(r);
        lines.created = nowMicros >= 0 ? nowMicros : spread(r, orderId, orders, ORDERS_START, END);
        lines.subtotal = 0;
        for (int i = 0; i < lines.count; i++) {
            SplittableRandom l = Seeds.rowRandom(seed, ORDER_ITEMS, orderId * 8 + i);
            long product;
            boolean repeated;
            int attempts = 0;
            do {
                double u = l.nextDouble();
                // popular products have low ids: the square skews picks towards them
                product = 1 + Math.min(products - 1, (long) (u * u * products));
                repeated = false;
                for (int j = 0; j < i; j++) {
                    repeated |= lines.product[j] == product;
                }
            } while (repeated && ++attempts < 8);
            lines.product[i] = product;
            lines.quantity[i] = 1 + Seeds.weighted(l, QUANTITY_WEIGHTS);
            lines.discount[i] = DISCOUNTS[Seeds.weighted(l, DISCOUNT_WEIGHTS)];
            lines.unitPrice[i] = productPrice(product);
            lines.total[i] = (lines.unitPrice[i] * lines.quantity[i] * (100 - lines.discount[i]) + 50) / 100;
            lines.subtotal += lines.total[i];
        }
        return r;
    }

    void order(CopyRowWriter out, long id, long nowMicros, Lines lines) throws SQLException {
        SplittableRandom r = orderHeader(id, nowMicros, lines);
        long created = lines.created;
        // customers sign up over time; an order goes to someone who already had an account
        double signedUp = (double) (created - CATALOG_START) / (END - CATALOG_START);
        long eligible = Math.max(1, Math.min(customers, (long) (signedUp * customers)));
        long customer = 1 + r.nextLong(eligible);
        int[] address = customerAddress(Seeds.rowRandom(seed, CUSTOMERS, customer));
        Pools.Country c = pools.countries[address[0]];
        byte[] status;
        if (nowMicros >= 0) {
            status = RECENT_STATUS[0];
        } else if (END - created > 30 * DAY) {
            status = OLD_STATUS[Seeds.weighted(r, OLD_STATUS_WEIGHTS)];
        } else {
            status = RECENT_STATUS[Seeds.weighted(r, RECENT_STATUS_WEIGHTS)];
        }
        long shipping = lines.subtotal >= 5000 ? 0 : 499;
        out.number(id).number(customer).bytes(status).bytes(CURRENCY[address[0]]).number(lines.count);
        out.decimal2(lines.subtotal).decimal2(shipping).decimal2(lines.subtotal + shipping);
        out.bytes(c.streets[address[1]]).bytes(c.cities[address[1]]).bytes(c.postalCodes[address[1]]).bytes(c.code);
        out.timestamp(created).timestamp(created).bool(false);
        out.endRow();
    }

    /** Writes the items of one order with ids from {@code firstItemId}; returns how many. */
    int orderItems(CopyRowWriter out, long orderId, long firstItemId, long nowMicros, Lines lines)
            throws SQLException {
        orderHeader(orderId, nowMicros, lines);
        for (int i = 0; i < lines.count; i++) {
            out.number(firstItemId + i).number(orderId).number(lines.product[i]).number(i + 1)
                    .number(lines.quantity[i]).decimal2(lines.unitPrice[i]).number(lines.discount[i])
                    .decimal2(lines.total[i]);
            out.timestamp(lines.created).timestamp(lines.created).bool(false);
            out.endRow();
        }
        return lines.count;
    }
}
