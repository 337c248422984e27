package dev.dbsync.cli.datagen;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;
import org.postgresql.PGConnection;
import org.postgresql.copy.CopyIn;

/**
 * Runs COPY streams and DDL over a fixed set of connections, one worker thread per connection.
 *
 * <p>With no connection source it is a dry run: rows are generated and discarded, which measures the generator
 * alone. Closing it closes the connections.
 */
final class CopyLoader implements AutoCloseable {

    /** Writes the rows of one chunk. */
    @FunctionalInterface
    interface ChunkWriter {
        /** @return number of rows written */
        long write(CopyRowWriter out) throws SQLException;
    }

    /** The rows of one table, split in chunks that may run in parallel. */
    record TableLoad(String table, String columns, List<ChunkWriter> chunks) {
    }

    @FunctionalInterface
    private interface Work {
        void run(Connection connection) throws Exception;
    }

    private final int parallelism;
    private final ExecutorService executor;
    private final BlockingQueue<Connection> connections;
    private final List<Connection> opened = new ArrayList<>();

    CopyLoader(ConnectionSource source, int parallelism) throws SQLException {
        this.parallelism = parallelism;
        this.connections = new ArrayBlockingQueue<>(parallelism);
        if (source != null) {
            try {
                for (int i = 0; i < parallelism; i++) {
                    Connection connection = source.open();
                    connection.setAutoCommit(true);
                    opened.add(connection);
                    connections.add(connection);
                }
            } catch (SQLException | RuntimeException e) {
                close();
                throw e;
            }
        }
        this.executor = Executors.newFixedThreadPool(parallelism, runnable -> {
            Thread thread = new Thread(runnable, "datagen-worker");
            thread.setDaemon(true);
            return thread;
        });
    }

    boolean dryRun() {
        return opened.isEmpty();
    }

    int parallelism() {
        return parallelism;
    }

    /** Streams every chunk of {@code load} and returns the table's figures. */
    GenerationReport.TableReport load(TableLoad load) throws SQLException {
        String sql = "COPY " + load.table() + " (" + load.columns() + ") FROM STDIN";
        AtomicLong rows = new AtomicLong();
        AtomicLong bytes = new AtomicLong();
        List<Work> work = new ArrayList<>();
        for (ChunkWriter chunk : load.chunks()) {
            work.add(connection -> {
                if (connection == null) {
                    CopyRowWriter out = new CopyRowWriter((buffer, length) -> { });
                    rows.addAndGet(chunk.write(out));
                    out.flush();
                    bytes.addAndGet(out.bytesWritten());
                    return;
                }
                CopyIn copy = connection.unwrap(PGConnection.class).getCopyAPI().copyIn(sql);
                try {
                    CopyRowWriter out = new CopyRowWriter((buffer, length) -> copy.writeToCopy(buffer, 0, length));
                    long written = chunk.write(out);
                    out.flush();
                    copy.endCopy();
                    rows.addAndGet(written);
                    bytes.addAndGet(out.bytesWritten());
                } finally {
                    if (copy.isActive()) {
                        copy.cancelCopy();
                    }
                }
            });
        }
        long start = System.nanoTime();
        runAll(work, "loading " + load.table());
        return new GenerationReport.TableReport(load.table(), rows.get(), bytes.get(),
                Duration.ofNanos(System.nanoTime() - start));
    }

    /** Runs each group of statements on its own connection, groups in parallel, statements in order. */
    void execute(List<List<String>> statementGroups) throws SQLException {
        if (dryRun()) {
            return;
        }
        List<Work> work = new ArrayList<>();
        for (List<String> group : statementGroups) {
            work.add(connection -> {
                try (Statement statement = connection.createStatement()) {
                    for (String sql : group) {
                        statement.execute(sql);
                    }
                }
            });
        }
        runAll(work, "building keys and indexes");
    }

    private void runAll(List<Work> work, String what) throws SQLException {
        List<Future<?>> futures = new ArrayList<>();
        for (Work item : work) {
            futures.add(executor.submit(() -> {
                Connection connection = dryRun() ? null : connections.take();
                try {
                    item.run(connection);
                } finally {
                    if (connection != null) {
                        connections.add(connection);
                    }
                }
                return null;
            }));
        }
        Throwable failure = null;
        for (Future<?> future : futures) {
            try {
                if (failure == null) {
                    future.get();
                } else {
                    future.cancel(true);
                }
            } catch (ExecutionException e) {
                failure = e.getCause();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                failure = e;
            }
        }
        if (failure instanceof SQLException sql) {
            throw new SQLException("Failed " + what + ": " + sql.getMessage(), sql.getSQLState(), sql);
        }
        if (failure instanceof RuntimeException runtime) {
            throw runtime;
        }
        if (failure != null) {
            throw new IllegalStateException("Failed " + what, failure);
        }
    }

    @Override
    public void close() {
        if (executor != null) {
            executor.shutdownNow();
        }
        for (Connection connection : opened) {
            try {
                connection.close();
            } catch (SQLException e) {
                // closing after the work is done or failed; the first error already reached the caller
            }
        }
    }

    /** Splits {@code [1, count]} into chunks of about {@code count / (parallelism * 4)} ids, bounded. */
    static long chunkSize(long count, int parallelism) {
        long size = (count + parallelism * 4L - 1) / (parallelism * 4L);
        return Math.max(10_000, Math.min(250_000, size));
    }
}
