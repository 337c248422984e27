package dev.dbsync.clickhouse;

import dev.dbsync.engine.Connectors;
import dev.dbsync.engine.SyncEngine;
import dev.dbsync.engine.SyncReport;
import dev.dbsync.engine.TableSync;
import dev.dbsync.spi.Source;
import dev.dbsync.spi.TableSpec;
import dev.dbsync.testkit.PostgresServer;
import java.io.IOException;
import java.io.OutputStream;
import java.math.BigDecimal;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.postgresql.PGConnection;

/**
 * Full sync of 1M {@code order_items} rows from PostgreSQL into ClickHouse, measured side by side in one run
 * against (a) a raw binary {@code COPY … TO STDOUT} of the table from PostgreSQL and (b) a raw RowBinary insert of
 * the same rows into the same ClickHouse, generated on the fly. Prints rows/s and the ratio of the sync to the
 * slower of the two (target ≥ 0.5), with the heap the JVM ran with.
 *
 * <p>Run (bounded heap):
 * <pre>
 * mvn -q -o -pl sync-clickhouse test-compile exec:exec -Dexec.executable=java -Dexec.classpathScope=test -Dexec.args="-Xmx512m -cp %classpath dev.dbsync.clickhouse.OrderItemsBenchmark 1000000"
 * </pre>
 */
public final class OrderItemsBenchmark {

    private static final Instant T0 = Instant.parse("2024-01-01T00:00:00Z");
    /** Request compression of both inserts ({@code -Dbench.compression=none|lz4}). */
    private static final String COMPRESSION = System.getProperty("bench.compression", "lz4");

    private OrderItemsBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        int rows = args.length > 0 ? Integer.parseInt(args[0]) : 1_000_000;
        PostgresServer pg = PostgresServer.get();
        String url = pg.createDatabase("chbench");
        try (Connection c = pg.connect(url); Statement st = c.createStatement()) {
            st.execute("CREATE TABLE order_items (id bigint PRIMARY KEY, order_id bigint NOT NULL, product_id bigint NOT NULL, "
                    + "quantity int NOT NULL, unit_price numeric(10,2) NOT NULL, discount numeric(10,2), "
                    + "created_at timestamptz NOT NULL, sku text NOT NULL)");
            st.execute("INSERT INTO order_items SELECT g, g / 4, g % 5000, 1 + g % 9, (g % 10000) / 100.0 + 1, "
                    + "CASE WHEN g % 3 = 0 THEN NULL ELSE (g % 500) / 100.0 END, "
                    + "timestamptz '2024-01-01 00:00:00+00' + g * interval '1 second', 'SKU-' || (g % 5000) "
                    + "FROM generate_series(1, " + rows + ") g");
            st.execute("VACUUM ANALYZE order_items");
        }
        System.out.printf(Locale.ROOT, "order_items: %,d rows; PostgreSQL %s; ClickHouse %s; compression %s; max heap %d MB%n", rows,
                pg.kind(), ClickHouseTestSupport.server().kind(), COMPRESSION, Runtime.getRuntime().maxMemory() >> 20);

        // warm-up of the JIT on a tenth of the work, not measured
        double copy = 0;
        double raw = 0;
        double sync = 0;
        for (int round = 0; round < 2; round++) {
            copy = Math.max(copy, copyOut(pg, url, rows));
            raw = Math.max(raw, rawInsert(rows, "bench_raw_" + round));
            sync = Math.max(sync, fullSync(pg, url, "bench_sync_" + round));
        }
        double slower = Math.min(copy, raw);
        System.out.printf(Locale.ROOT, "(a) COPY TO STDOUT (binary)      %,10.0f rows/s%n", copy);
        System.out.printf(Locale.ROOT, "(b) raw RowBinary insert         %,10.0f rows/s%n", raw);
        System.out.printf(Locale.ROOT, "    dbsync full sync PG → CH      %,10.0f rows/s%n", sync);
        System.out.printf(Locale.ROOT, "ratio sync / slower of (a),(b) = %.2f (target ≥ 0.5), heap %d MB%n", sync / slower,
                Runtime.getRuntime().maxMemory() >> 20);
        System.exit(0);
    }

    private static double copyOut(PostgresServer pg, String url, int rows) throws Exception {
        try (Connection c = pg.connect(url)) {
            long[] bytes = {0};
            OutputStream sink = new OutputStream() {
                @Override
                public void write(int b) {
                    bytes[0]++;
                }

                @Override
                public void write(byte[] b, int off, int len) {
                    bytes[0] += len;
                }
            };
            long t = System.nanoTime();
            long n = c.unwrap(PGConnection.class).getCopyAPI().copyOut("COPY order_items TO STDOUT (FORMAT binary)", sink);
            double secs = (System.nanoTime() - t) / 1e9;
            System.out.printf(Locale.ROOT, "  COPY: %,d rows, %,d bytes in %.2f s%n", n, bytes[0], secs);
            return rows / secs;
        }
    }

    /** The same rows as the PostgreSQL table, written as RowBinary straight into the INSERT body. */
    private static double rawInsert(int rows, String table) {
        try (ChConnection ch = new ChConnection(ClickHouseTestSupport.sinkSettings("compression", COMPRESSION))) {
            String q = Sql.table(ch.settings().database, table);
            ch.execute("DROP TABLE IF EXISTS " + q, table);
            ch.execute("CREATE TABLE " + q + " (id Int64, order_id Int64, product_id Int64, quantity Int32, unit_price Decimal(10, 2), "
                    + "discount Nullable(Decimal(10, 2)), created_at DateTime64(6, 'UTC'), sku String, _version UInt64, _is_deleted UInt8) "
                    + "ENGINE = ReplacingMergeTree(_version, _is_deleted) ORDER BY id", table);
            long t = System.nanoTime();
            int batch = 100_000;
            for (int from = 1; from <= rows; from += batch) {
                int start = from;
                int end = Math.min(rows, from + batch - 1);
                ch.insert(q, List.of(), new com.clickhouse.client.api.DataStreamWriter() {
                    @Override
                    public void onOutput(OutputStream out) throws IOException {
                        RowBinary.Buffer b = new RowBinary.Buffer();
                        for (long g = start; g <= end; g++) {
                            b.i64(g);
                            b.i64(g / 4);
                            b.i64(g % 5000);
                            b.i32((int) (1 + g % 9));
                            b.i64(g % 10000 + 100);
                            if (g % 3 == 0) {
                                b.u8(1);
                            } else {
                                b.u8(0);
                                b.i64(g % 500);
                            }
                            b.i64((T0.getEpochSecond() + g) * 1_000_000L);
                            b.string("SKU-" + g % 5000);
                            b.i64(0);
                            b.u8(0);
                            if (b.size() > (4 << 20)) {
                                b.writeTo(out);
                                b.clear();
                            }
                        }
                        b.writeTo(out);
                        out.close();
                    }

                    @Override
                    public void onRetry() {
                    }
                }, table);
            }
            double secs = (System.nanoTime() - t) / 1e9;
            long n = ClickHouseTestSupport.scalar(ch, "SELECT count() FROM " + q);
            BigDecimal sum = (BigDecimal) ClickHouseTestSupport.first(ch, "SELECT sum(unit_price) FROM " + q);
            System.out.printf(Locale.ROOT, "  raw insert: %,d rows (sum(unit_price) %s) in %.2f s%n", n, sum, secs);
            ch.execute("DROP TABLE " + q, table);
            return rows / secs;
        }
    }

    private static double fullSync(PostgresServer pg, String url, String target) {
        Map<String, Object> pgConfig = new HashMap<>();
        pgConfig.put("url", url);
        pgConfig.put("user", pg.username());
        pgConfig.put("password", pg.password());
        try (ClickHouseSink sink = ClickHouseTestSupport.sink("compression", COMPRESSION);
             Source source = Connectors.load().createSource("postgres", pgConfig);
             ChConnection ch = ClickHouseTestSupport.connection()) {
            ch.execute("DROP TABLE IF EXISTS " + Sql.table(ch.settings().database, target), target);
            long t = System.nanoTime();
            SyncReport r = SyncEngine.builder().pipeline(target).source(source).sink(sink)
                    .checkpointStore(dev.dbsync.engine.CheckpointStores.memory())
                    .table(TableSync.full(TableSpec.of("public.order_items")).withTarget(target))
                    // small engine batches keep the heap small; the sink gathers them into large inserts
                    .batchRows(Integer.getInteger("bench.batch", 10_000))
                    .flushRows(Long.getLong("bench.flush", 100_000L)).build().runOnce();
            double secs = (System.nanoTime() - t) / 1e9;
            if (!r.succeeded()) {
                throw new IllegalStateException(r.toText());
            }
            String q = Sql.table(ch.settings().database, target);
            long n = ClickHouseTestSupport.scalar(ch, "SELECT count() FROM " + q + " FINAL");
            BigDecimal sum = (BigDecimal) ClickHouseTestSupport.first(ch, "SELECT sum(unit_price) FROM " + q + " FINAL");
            System.out.printf(Locale.ROOT, "  sync: %,d rows (sum(unit_price) %s) in %.2f s%n", n, sum, secs);
            ch.execute("DROP TABLE " + q, target);
            return r.rowsRead() / secs;
        }
    }
}
