package dev.dbsync.crate;

import dev.dbsync.spi.Batch;
import dev.dbsync.spi.ChangeEvent;
import dev.dbsync.spi.Column;
import dev.dbsync.spi.LogicalType;
import dev.dbsync.spi.Position;
import dev.dbsync.spi.TableSchema;
import dev.dbsync.spi.TableWriter;
import java.math.BigDecimal;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.Statement;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Where the CrateDB sink's time goes, without a source: the same N in-memory rows written (1) as a raw JDBC bulk
 * INSERT, (2) as a raw bulk upsert ({@code ON CONFLICT DO UPDATE}, the sink's statement), (3) through the sink's
 * writer flushed after every batch with a refresh each time ({@code refresh.interval=0s}) and (4) the same with
 * the default {@code refresh.interval}; each into a fresh table, printed as rows/s and as a ratio to (1). Needs a
 * CrateDB ({@code DBSYNC_IT_CRATE_URL} or Docker). Run: {@code mvn -pl sync-crate exec:java
 * -Dexec.classpathScope=test -Dexec.mainClass=dev.dbsync.crate.CrateWriteBenchmark [-Dexec.args="200000 3"]}
 * (rows, rounds).
 */
public final class CrateWriteBenchmark {

    private static final int BATCH = 5000;

    private CrateWriteBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        int rows = args.length > 0 ? Integer.parseInt(args[0]) : 200_000;
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 2;
        CrateServer crate = CrateServer.get();
        System.out.printf(Locale.ROOT, "CrateDB: %s%nrows: %d, batches of %d, %d rounds%n", crate.kind(), rows, BATCH, rounds);
        TableSchema schema = new TableSchema("bench", List.of(Column.required("id", LogicalType.INT64),
                Column.required("name", LogicalType.STRING), Column.decimal("price", 12, 2),
                Column.required("qty", LogicalType.INT32), Column.required("updated_at", LogicalType.TIMESTAMP_TZ),
                Column.required("is_deleted", LogicalType.BOOLEAN)), List.of("id"));
        List<ChangeEvent> events = new ArrayList<>(rows);
        Instant now = Instant.now();
        for (long i = 1; i <= rows; i++) {
            Object[] key = {i};
            Object[] values = {i, "item " + i, BigDecimal.valueOf((i % 1000) * 100 + 99, 2), (int) (i % 100),
                    now.minusSeconds(i), false};
            events.add(ChangeEvent.read("bench", key, values, 0, Position.ofOwned(key)));
        }
        String run = Long.toString(System.currentTimeMillis() % 1_000_000, 36);
        CrateSyncBenchmark.Cpu cpu = new CrateSyncBenchmark.Cpu(crate.jdbcUrl(), "");
        for (int round = 1; round <= rounds; round++) {
            double[] c0 = cpu.now();
            double insert = raw(crate, schema, events, "bw_ins_" + run + round, false);
            double[] c1 = cpu.now();
            double upsert = raw(crate, schema, events, "bw_ups_" + run + round, true);
            double[] c2 = cpu.now();
            double every = writer(crate, schema, events, "bw_w0_" + run + round, "0s");
            double[] c3 = cpu.now();
            double paced = writer(crate, schema, events, "bw_w1_" + run + round, "1s");
            double[] c4 = cpu.now();
            System.out.printf(Locale.ROOT, "round %d: raw insert %,.0f rows/s | raw upsert %,.0f (%.2f) | writer, refresh"
                    + " every flush %,.0f (%.2f) | writer, refresh.interval=1s %,.0f (%.2f)%n", round, insert, upsert,
                    upsert / insert, every, every / insert, paced, paced / insert);
            System.out.printf(Locale.ROOT, "  raw insert %s%n  raw upsert %s%n  writer 0s  %s%n  writer 1s  %s%n",
                    CrateSyncBenchmark.Cpu.delta(c0, c1), CrateSyncBenchmark.Cpu.delta(c1, c2),
                    CrateSyncBenchmark.Cpu.delta(c2, c3), CrateSyncBenchmark.Cpu.delta(c3, c4));
            for (String t : List.of("bw_ins_", "bw_ups_", "bw_w0_", "bw_w1_")) {
                try (Connection c = crate.connect(); Statement st = c.createStatement()) {
                    st.execute("DROP TABLE IF EXISTS doc." + t + run + round);
                }
            }
        }
    }

    private static double raw(CrateServer crate, TableSchema schema, List<ChangeEvent> events, String table,
                              boolean upsert) throws Exception {
        CrateTable t = new CrateTable("doc", table);
        CrateSettings s = CrateSettings.sink(crate.config("replicas", "0"));
        try (Connection c = crate.connect()) {
            try (Statement st = c.createStatement()) {
                st.execute(CrateSql.createTable(t, schema, s));
            }
            String sql = upsert ? CrateSql.upsert(t, schema) : "INSERT INTO " + CrateSql.qualified(t)
                    + " (id, name, price, qty, updated_at, is_deleted) VALUES (?, ?, ?, ?, ?, ?)";
            long t0 = System.nanoTime();
            try (PreparedStatement ps = c.prepareStatement(sql)) {
                int n = 0;
                for (ChangeEvent e : events) {
                    List<Object> v = e.values();
                    ps.setLong(1, (Long) v.get(0));
                    ps.setString(2, (String) v.get(1));
                    ps.setBigDecimal(3, (BigDecimal) v.get(2));
                    ps.setInt(4, (Integer) v.get(3));
                    ps.setObject(5, OffsetDateTime.ofInstant((Instant) v.get(4), ZoneOffset.UTC));
                    ps.setBoolean(6, (Boolean) v.get(5));
                    ps.addBatch();
                    if (++n % BATCH == 0) {
                        ps.executeBatch();
                    }
                }
                ps.executeBatch();
            }
            try (Statement st = c.createStatement()) {
                st.execute(CrateSql.refresh(t));
            }
            return events.size() / ((System.nanoTime() - t0) / 1e9);
        }
    }

    private static double writer(CrateServer crate, TableSchema schema, List<ChangeEvent> events, String table,
                                 String interval) {
        CrateSinkFactory f = new CrateSinkFactory();
        try (var sink = f.create(f.configDef().parse(crate.config("replicas", "0", "refresh.interval", interval)))) {
            TableSchema target = schema.withName(table);
            long t0;
            try (TableWriter w = sink.open(target)) {
                t0 = System.nanoTime();
                for (int i = 0; i < events.size(); i += BATCH) {
                    w.write(Batch.of(target, events.subList(i, Math.min(events.size(), i + BATCH))));
                    w.flush();
                }
            }
            return events.size() / ((System.nanoTime() - t0) / 1e9);
        }
    }
}
