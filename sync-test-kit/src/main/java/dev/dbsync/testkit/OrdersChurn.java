package dev.dbsync.testkit;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Collections;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The writer of the kill suites: a table {@code public.orders (id, customer, amount, updated_at, is_deleted)} in a
 * PostgreSQL database of the test kit's server, changed by a background thread with inserts, updates, soft and hard
 * deletes, long transactions, updates committed out of cursor order and prepared transactions, until closed.
 */
public final class OrdersChurn implements AutoCloseable {

    private final String url;
    private final int rows;
    private final AtomicBoolean stop = new AtomicBoolean();
    private final AtomicLong ops = new AtomicLong();
    private final Set<Long> hardDeleted = Collections.synchronizedSet(new TreeSet<>());
    private final AtomicReference<Exception> failure = new AtomicReference<>();
    private final Thread thread;

    private OrdersChurn(String url, int rows, long seed) {
        this.url = url;
        this.rows = rows;
        this.thread = new Thread(() -> write(seed), "orders-churn");
    }

    /** Creates {@code orders} with {@code rows} rows (replica identity full) in the database at {@code url}. */
    public static void createOrders(String url, int rows) throws SQLException {
        try (Connection c = PostgresServer.get().connect(url); Statement st = c.createStatement()) {
            st.execute("CREATE TABLE orders (id bigint PRIMARY KEY, customer text NOT NULL, amount numeric(12,2) NOT NULL,"
                    + " updated_at timestamptz NOT NULL DEFAULT now(), is_deleted boolean NOT NULL DEFAULT false)");
            st.execute("ALTER TABLE orders REPLICA IDENTITY FULL");
            st.execute("INSERT INTO orders (id, customer, amount, updated_at) SELECT g, 'c' || (g % 97), g * 1.25,"
                    + " now() - interval '1 hour' + (g || ' milliseconds')::interval FROM generate_series(1, " + rows + ") g");
        }
    }

    /** Starts changing the {@code orders} table made by {@link #createOrders} with {@code rows} rows. */
    public static OrdersChurn start(String url, int rows, long seed) {
        OrdersChurn churn = new OrdersChurn(url, rows, seed);
        churn.thread.start();
        return churn;
    }

    /** Writer operations committed so far. */
    public long operations() {
        return ops.get();
    }

    /** Keys deleted for good (not soft-deleted) so far. */
    public Set<Long> hardDeleted() {
        synchronized (hardDeleted) {
            return Set.copyOf(hardDeleted);
        }
    }

    /** Stops the writer, waits for it and rethrows what made it fail, if anything. */
    @Override
    public void close() throws Exception {
        stop.set(true);
        thread.join();
        if (failure.get() != null) {
            throw new IllegalStateException("the orders writer failed", failure.get());
        }
    }

    private void write(long seed) {
        Random rnd = new Random(seed);
        long nextId = rows + 1;
        int prepared = 0;
        PostgresServer pg = PostgresServer.get();
        try (Connection c = pg.connect(url); Connection a = pg.connect(url); Connection b = pg.connect(url)) {
            while (!stop.get()) {
                long id = 1 + rnd.nextInt(rows);
                try (Statement st = c.createStatement()) {
                    switch (rnd.nextInt(12)) {
                        case 0, 1, 2 -> st.execute("INSERT INTO orders (id, customer, amount) VALUES (" + (nextId++) + ", 'new', 9.99)");
                        case 3, 4, 5 -> st.execute("UPDATE orders SET amount = amount + 1, updated_at = now() WHERE id = " + id);
                        case 6 -> st.execute("UPDATE orders SET is_deleted = true, updated_at = now() WHERE id = " + id);
                        case 7 -> {
                            if (st.executeUpdate("DELETE FROM orders WHERE id = " + id) > 0) {
                                hardDeleted.add(id);
                            }
                        }
                        case 8 -> {
                            // a long transaction: its rows carry its start time and commit a second later
                            a.setAutoCommit(false);
                            try (Statement sa = a.createStatement()) {
                                sa.execute("UPDATE orders SET customer = 'long', updated_at = now() WHERE id = " + id);
                                sa.execute("INSERT INTO orders (id, customer, amount) VALUES (" + (nextId++) + ", 'long', 1)");
                            }
                            sleep(600 + rnd.nextInt(600));
                            a.commit();
                            a.setAutoCommit(true);
                        }
                        case 9 -> {
                            // out of cursor order: A starts and later updates the row B updated and committed meanwhile
                            a.setAutoCommit(false);
                            try (Statement sa = a.createStatement(); Statement sb = b.createStatement()) {
                                sa.execute("SELECT txid_current()");
                                sleep(30);
                                sb.execute("UPDATE orders SET customer = 'B', updated_at = now() WHERE id = " + id);
                                sa.execute("UPDATE orders SET customer = 'A later', updated_at = now() WHERE id = " + id);
                            }
                            a.commit();
                            a.setAutoCommit(true);
                        }
                        case 10 -> {
                            // a prepared transaction, committed a little later
                            String gid = "churn_" + ProcessHandle.current().pid() + "_" + seed + "_" + (prepared++);
                            a.setAutoCommit(false);
                            try (Statement sa = a.createStatement()) {
                                sa.execute("UPDATE orders SET customer = 'prepared', updated_at = now() WHERE id = " + id);
                                sa.execute("PREPARE TRANSACTION '" + gid + "'");
                            }
                            a.setAutoCommit(true);
                            sleep(300 + rnd.nextInt(500));
                            st.execute("COMMIT PREPARED '" + gid + "'");
                        }
                        default -> st.execute("UPDATE orders SET is_deleted = false, updated_at = now() WHERE id = " + id);
                    }
                }
                ops.incrementAndGet();
                sleep(5);
            }
        } catch (Exception e) {
            failure.set(e);
        }
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
