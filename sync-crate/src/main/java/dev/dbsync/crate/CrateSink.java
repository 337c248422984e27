package dev.dbsync.crate;

import static java.util.Objects.requireNonNull;

import dev.dbsync.spi.Column;
import dev.dbsync.spi.ErrorType;
import dev.dbsync.spi.LogicalType;
import dev.dbsync.spi.Sink;
import dev.dbsync.spi.SinkCapability;
import dev.dbsync.spi.SyncException;
import dev.dbsync.spi.TableSchema;
import dev.dbsync.spi.TableWriter;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.Collections;
import java.util.EnumSet;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Writes changes into CrateDB through its PostgreSQL wire protocol; every target table gets its own
 * {@link CrateTableWriter} with its own connection.
 *
 * <p>CrateDB has no transactions: {@code BEGIN} is ignored and {@code ROLLBACK} is an error, so every statement
 * runs in autocommit and nothing relies on rollback. Upserts ({@code INSERT … ON CONFLICT DO UPDATE}) and deletes
 * by key are idempotent, so a batch that is written again after a partial failure converges to the same rows.
 * The checkpoint is never written here; the engine saves it in its checkpoint store after the writer's flush.
 *
 * <p>Threading: {@link #open} may be called from several threads; each writer is used by one thread at a time.
 */
final class CrateSink implements Sink {

    /** Opens a connection to CrateDB. */
    @FunctionalInterface
    interface Connector {
        Connection connect() throws SQLException;
    }

    private final CrateSettings settings;
    private final Connector connector;
    private final Set<CrateTableWriter> open = Collections.newSetFromMap(new ConcurrentHashMap<>());
    private volatile boolean closed;

    CrateSink(CrateSettings settings, Connector connector) {
        this.settings = requireNonNull(settings, "settings is null");
        this.connector = requireNonNull(connector, "connector is null");
    }

    @Override
    public Set<SinkCapability> capabilities() {
        return EnumSet.of(SinkCapability.DELETE, SinkCapability.TRUNCATE, SinkCapability.AUTO_CREATE);
    }

    /**
     * CrateDB's BIGINT holds −2^63+1 … 2^63−2: {@code Long.MIN_VALUE} and {@code Long.MAX_VALUE} (alone or as
     * elements of a BIGINT array) are refused, and their rows fail alone with this reason.
     */
    @Override
    public String refuses(Column column, Object value) {
        try {
            if (value instanceof Long && column.type() == LogicalType.INT64) {
                CrateValues.checkBigint(column, (Long) value, null);
            } else if (value instanceof java.util.List && column.type() == LogicalType.ARRAY
                    && column.elementType() == LogicalType.INT64) {
                int i = 0;
                for (Object v : (java.util.List<?>) value) {
                    if (v instanceof Long) {
                        CrateValues.checkBigint(column, (Long) v, i);
                    }
                    i++;
                }
            }
            return null;
        } catch (CrateValues.BadValueException e) {
            return e.getMessage();
        }
    }

    /**
     * How CrateDB keeps a value, as the CrateDB source reads it back: timestamps to the millisecond (truncated), a
     * DATE as the timestamp at midnight UTC, bytes as base64 text, a UUID as its text, decimals as the
     * {@code decimal.mapping} stores them; array elements likewise.
     */
    @Override
    public Object storedForm(Column column, Object value) {
        return stored(column.type(), column, value);
    }

    private Object stored(LogicalType type, Column column, Object v) {
        if (v == null) {
            return null;
        }
        switch (type) {
            case TIMESTAMP_TZ:
                return (v instanceof java.time.OffsetDateTime ? ((java.time.OffsetDateTime) v).toInstant() : (java.time.Instant) v)
                        .truncatedTo(java.time.temporal.ChronoUnit.MILLIS);
            case TIMESTAMP:
                return ((java.time.LocalDateTime) v).truncatedTo(java.time.temporal.ChronoUnit.MILLIS);
            case DATE:
                return ((java.time.LocalDate) v).atStartOfDay();
            case BYTES:
                return java.util.Base64.getEncoder().encodeToString((byte[]) v);
            case UUID:
                return v.toString();
            case DECIMAL:
                switch (settings.decimalMapping()) {
                    case TEXT:
                        return ((java.math.BigDecimal) v).toPlainString();
                    case DOUBLE:
                        return ((java.math.BigDecimal) v).doubleValue();
                    default:
                        return v;
                }
            case ARRAY: {
                java.util.List<Object> out = new java.util.ArrayList<>();
                for (Object e : (java.util.List<?>) v) {
                    out.add(stored(column.elementType(), column, e));
                }
                return out;
            }
            default:
                return v;
        }
    }

    @Override
    public TableWriter open(TableSchema schema) {
        if (closed) {
            throw new IllegalStateException("CrateDB sink is closed");
        }
        CrateTable target = target(schema.name());
        CrateTableWriter[] self = new CrateTableWriter[1];
        CrateTableWriter w = new CrateTableWriter(target, schema, settings, connector, System::nanoTime,
                () -> open.remove(self[0]));
        self[0] = w;
        open.add(w);
        return w;
    }

    /** Closes writers still open (the engine closes them before; this only keeps connections from leaking). */
    @Override
    public void close() {
        closed = true;
        for (CrateTableWriter w : open.toArray(new CrateTableWriter[0])) {
            try {
                w.close();
            } catch (RuntimeException ignored) {
                // the sink is going away; the writer's own close already said what failed
            }
        }
        open.clear();
    }

    private CrateTable target(String name) {
        CrateTable t = CrateTable.parse(name, settings.schema());
        String problem = CrateSql.tableNameProblem(t.name());
        if (problem != null) {
            throw new SyncException(ErrorType.CONFIG, "target table name '" + t.name() + "' " + problem);
        }
        problem = CrateSql.tableNameProblem(t.schema());
        if (problem != null) {
            throw new SyncException(ErrorType.CONFIG, "target schema name '" + t.schema() + "' of table '" + name + "' " + problem);
        }
        return t;
    }
}
