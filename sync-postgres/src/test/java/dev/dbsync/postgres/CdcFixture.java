package dev.dbsync.postgres;

import static org.junit.jupiter.api.Assertions.fail;

import dev.dbsync.spi.ChangeEvent;
import dev.dbsync.spi.ChangeStream;
import dev.dbsync.spi.TableSchema;
import dev.dbsync.spi.TableSpec;
import dev.dbsync.testkit.PostgresServer;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicInteger;

/** One fresh database on the shared test server, with helpers for CDC tests. */
final class CdcFixture {

    private static final AtomicInteger SLOTS = new AtomicInteger();

    final PostgresServer server = PostgresServer.get();
    final String url;
    final PgConnectionFactory connections;
    private final List<PgReplication> replications = new ArrayList<>();

    CdcFixture(String prefix) {
        url = server.createDatabase(prefix);
        connections = new PgConnectionFactory(url, server.username(), server.password());
    }

    /** A replication on a new slot and publication of this database; {@link #dropSlots()} removes the slots. */
    PgReplication replication(String name, Duration heartbeat, int maxBatch) {
        String slot = (name + "_" + ProcessHandle.current().pid() + "_" + SLOTS.incrementAndGet()).toLowerCase(Locale.ROOT);
        PgReplication r = new PgReplication(connections, "public", slot, "pub_" + slot, heartbeat, maxBatch);
        replications.add(r);
        return r;
    }

    void exec(String... sql) {
        try (Connection c = connections.open(); Statement st = c.createStatement()) {
            for (String s : sql) {
                st.execute(s);
            }
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Runs the statements in one transaction. */
    void transaction(String... sql) {
        try (Connection c = connections.open()) {
            c.setAutoCommit(false);
            try (Statement st = c.createStatement()) {
                for (String s : sql) {
                    st.execute(s);
                }
            }
            c.commit();
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    String queryString(String sql) {
        try (Connection c = connections.open(); Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            return rs.next() ? rs.getString(1) : null;
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    long queryLong(String sql) {
        return Long.parseLong(queryString(sql));
    }

    TableSchema describe(TableSpec spec) {
        try (Connection c = connections.open()) {
            return PgCatalog.describe(c, PgName.parse(spec.table(), "public"), spec);
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Polls until {@code n} events arrived (fails after {@code timeout}); returns exactly what arrived. */
    static List<ChangeEvent> pollUntil(ChangeStream stream, int n, Duration timeout) {
        List<ChangeEvent> out = new ArrayList<>();
        long deadline = System.nanoTime() + timeout.toNanos();
        while (out.size() < n) {
            if (System.nanoTime() > deadline) {
                fail("expected " + n + " events within " + timeout + ", got " + out.size() + ": " + out);
            }
            out.addAll(stream.poll(Duration.ofMillis(200)));
        }
        return out;
    }

    /** Polls for {@code time} and returns everything that arrived. */
    static List<ChangeEvent> pollFor(ChangeStream stream, Duration time) {
        List<ChangeEvent> out = new ArrayList<>();
        long deadline = System.nanoTime() + time.toNanos();
        while (System.nanoTime() < deadline) {
            out.addAll(stream.poll(Duration.ofMillis(100)));
        }
        return out;
    }

    /** Drops the slots of this fixture (waiting for their WAL senders to let go), so they retain no WAL. */
    void dropSlots() {
        for (PgReplication r : replications) {
            long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            while (true) {
                try {
                    r.dropSlot();
                    break;
                } catch (RuntimeException e) {
                    if (System.nanoTime() > deadline) {
                        throw e;
                    }
                    sleep(100);
                }
            }
        }
        replications.clear();
    }

    static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
