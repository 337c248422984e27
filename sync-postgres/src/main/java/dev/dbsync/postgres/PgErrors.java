package dev.dbsync.postgres;

import dev.dbsync.spi.DataException;
import dev.dbsync.spi.ErrorType;
import dev.dbsync.spi.RetriableException;
import dev.dbsync.spi.SyncException;
import java.sql.SQLException;

/**
 * Maps PostgreSQL errors to dbsync's exception types by SQLState, so the engine knows whether to retry,
 * isolate bad rows or stop the table.
 *
 * <ul>
 *   <li>{@link RetriableException}: connection exceptions (class 08), serialization failure (40001),
 *       deadlock (40P01), lock timeout (55P03), query canceled (57014), server shutting down or restarting
 *       (57P01, 57P02, 57P03), insufficient resources (class 53), and I/O errors without a state.</li>
 *   <li>{@link DataException}: data exceptions (class 22) and integrity violations (class 23): something in
 *       the rows is bad; the engine bisects the batch.</li>
 *   <li>{@link SyncException} for anything else (missing table or column, permissions, syntax).</li>
 * </ul>
 */
final class PgErrors {

    private PgErrors() {
    }

    /** The exception for {@code e}; {@code context} names the table and what was done, e.g. "writing table x". */
    static SyncException map(SQLException e, String context) {
        String state = e.getSQLState();
        String msg = context + ": " + e.getMessage() + (state == null ? "" : " [SQLState " + state + "]");
        if (isRetriable(state)) {
            return new RetriableException(msg, e);
        }
        if (state != null && (state.startsWith("22") || state.startsWith("23"))) {
            return new DataException(msg, e);
        }
        return new SyncException(ErrorType.EXTERNAL, msg, e);
    }

    static boolean isRetriable(String state) {
        if (state == null) {
            // pgjdbc reports broken sockets without a state in a few code paths
            return true;
        }
        return state.startsWith("08") || state.startsWith("53")
                || state.equals("40001") || state.equals("40P01") || state.equals("55P03") || state.equals("57014")
                || state.equals("57P01") || state.equals("57P02") || state.equals("57P03");
    }
}
