package dev.dbsync.postgres;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.dbsync.spi.ChangeEvent;
import dev.dbsync.spi.Chunk;
import dev.dbsync.spi.Position;
import dev.dbsync.spi.TableSchema;
import dev.dbsync.spi.TableSpec;
import java.sql.Connection;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The incremental safe bound and transactions PostgreSQL no longer lists as open: a prepared transaction's
 * rows carry its start time, so nothing newer is read until it commits; transactions of other databases never
 * hold the bound back.
 */
class PreparedTransactionIT {

    private static final PgTestDb DB = PgTestDb.create("prepared");
    private static final PgTestDb OTHER = PgTestDb.create("preparedother");

    private static List<Long> readAll(PostgresSource source, TableSpec spec, TableSchema schema, Position[] from) {
        List<Long> ids = new ArrayList<>();
        while (true) {
            Chunk c = source.readChanges(spec, schema, from[0], 100);
            for (ChangeEvent e : c.events()) {
                ids.add(((Number) e.key().get(0)).longValue());
            }
            from[0] = c.next();
            if (c.last()) {
                return ids;
            }
        }
    }

    @Test
    void rowsOfAPreparedTransactionAreReadOnceItCommits() throws Exception {
        DB.exec("CREATE TABLE prep (id bigint PRIMARY KEY, v text, updated_at timestamptz NOT NULL DEFAULT now())",
                "INSERT INTO prep (id, v) VALUES (1, 'before')");
        Thread.sleep(30);
        try (PostgresSource source = new PostgresSource(DB.factory());
             Connection a = DB.connect(); Connection b = DB.connect()) {
            TableSpec spec = TableSpec.of("public.prep").withCursor("updated_at");
            TableSchema schema = source.describe(spec);
            Position[] from = {null};
            assertEquals(List.of(1L), readAll(source, spec, schema, from));
            try (Statement st = a.createStatement()) {
                st.execute("BEGIN");
                st.execute("INSERT INTO prep (id, v) VALUES (2, 'prepared, started first')");
                st.execute("UPDATE prep SET v = 'updated by the prepared one', updated_at = now() WHERE id = 1");
                st.execute("PREPARE TRANSACTION 'dbsync_prepared_it'");
            }
            try {
                Thread.sleep(50);
                try (Statement st = b.createStatement()) {
                    st.execute("INSERT INTO prep (id, v) VALUES (3, 'committed later, newer cursor')");
                }
                Thread.sleep(50);
                assertEquals(List.of(), readAll(source, spec, schema, from),
                        "nothing newer is read while the prepared transaction is pending");
                Position start = source.changesStart(spec, schema);
                assertEquals(null, start.get(0), "a new incremental start goes back to the beginning meanwhile");
            } finally {
                try (Statement st = b.createStatement()) {
                    st.execute("COMMIT PREPARED 'dbsync_prepared_it'");
                }
            }
            Thread.sleep(30);
            List<Long> after = readAll(source, spec, schema, from);
            assertEquals(List.of(1L, 2L, 3L), after.stream().sorted().toList(),
                    "the prepared rows (ids 1 and 2) and the later one arrive: " + after);
        }
    }

    @Test
    void anOpenTransactionInAnotherDatabaseDoesNotHoldTheBoundBack() throws Exception {
        DB.exec("CREATE TABLE idle_other (id bigint PRIMARY KEY, updated_at timestamptz NOT NULL DEFAULT now())");
        try (PostgresSource source = new PostgresSource(DB.factory()); Connection idle = OTHER.connect()) {
            idle.setAutoCommit(false);
            try (Statement st = idle.createStatement()) {
                st.execute("SELECT txid_current()");
            }
            Thread.sleep(30);
            DB.exec("INSERT INTO idle_other (id) VALUES (1)");
            Thread.sleep(30);
            TableSpec spec = TableSpec.of("public.idle_other").withCursor("updated_at");
            TableSchema schema = source.describe(spec);
            Position[] from = {null};
            assertTrue(readAll(source, spec, schema, from).contains(1L),
                    "an idle transaction of another database must not stall the sync");
            idle.rollback();
        }
    }
}
