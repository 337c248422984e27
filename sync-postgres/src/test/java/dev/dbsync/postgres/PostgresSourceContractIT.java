package dev.dbsync.postgres;

import dev.dbsync.spi.Batch;
import dev.dbsync.spi.ChangeEvent;
import dev.dbsync.spi.Position;
import dev.dbsync.spi.Source;
import dev.dbsync.spi.TableSchema;
import dev.dbsync.spi.TableWriter;
import dev.dbsync.testkit.SourceContractTest;
import java.util.ArrayList;
import java.util.List;

/**
 * The shared source contract against a real PostgreSQL. Rows are written through the sink (its COPY and
 * upsert are tested by the sink contract), deletes with plain SQL.
 */
class PostgresSourceContractIT extends SourceContractTest {

    private static final PgTestDb DB = PgTestDb.create("sourcecontract");

    @Override
    protected Source newSource() {
        return new PostgresSource(DB.factory());
    }

    @Override
    protected String createTable(String baseName, TableSchema schema) {
        DB.createTable(new PgName("public", baseName), schema);
        return "public." + baseName;
    }

    @Override
    protected void upsertRows(String table, TableSchema schema, List<List<Object>> rows) {
        TableSchema target = schema.withName(table);
        List<ChangeEvent> events = new ArrayList<>();
        int[] k = target.keyIndexes();
        for (List<Object> r : rows) {
            Object[] key = new Object[k.length];
            for (int i = 0; i < k.length; i++) {
                key[i] = r.get(k[i]);
            }
            events.add(ChangeEvent.upsert(table, key, r.toArray(), 0, Position.of(key)));
        }
        try (PostgresSink sink = new PostgresSink(DB.factory(), "public", false, null);
             TableWriter w = sink.open(target)) {
            w.write(Batch.of(target, events));
        }
    }

    /** An open transaction inserting the rows, committed later. */
    @Override
    protected LateWrite beginLateWrite(String table, TableSchema schema, List<List<Object>> rows) {
        try {
            java.sql.Connection c = DB.factory().open();
            c.setAutoCommit(false);
            PgName name = PgName.parse(table, "public");
            for (List<Object> r : rows) {
                StringBuilder values = new StringBuilder();
                for (int i = 0; i < r.size(); i++) {
                    values.append(i == 0 ? "" : ", ").append(PgTypes.literal(schema.columns().get(i), r.get(i)));
                }
                try (java.sql.Statement st = c.createStatement()) {
                    st.execute("INSERT INTO " + name.sql() + " VALUES (" + values + ")");
                }
            }
            return () -> {
                try (c) {
                    c.commit();
                } catch (java.sql.SQLException e) {
                    throw new IllegalStateException(e);
                }
            };
        } catch (java.sql.SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    protected void deleteRows(String table, TableSchema schema, List<List<Object>> keys) {
        StringBuilder in = new StringBuilder();
        for (List<Object> key : keys) {
            in.append(in.length() == 0 ? "" : ", ").append(PgTypes.literal(schema.column(schema.primaryKey().get(0)), key.get(0)));
        }
        DB.exec("DELETE FROM " + PgName.parse(table, "public").sql() + " WHERE " + PgName.quote(schema.primaryKey().get(0))
                + " IN (" + in + ")");
    }
}
