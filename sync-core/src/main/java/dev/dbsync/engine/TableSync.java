package dev.dbsync.engine;

import static java.util.Objects.requireNonNull;

import dev.dbsync.spi.TableSpec;

/**
 * One table of a pipeline: the source spec, the strategy and the target table name.
 *
 * @param spec                  the source table, key, cursor and soft-delete column; never null
 * @param strategy              how to sync it; never null
 * @param target                the target table name; defaults to the source name without its schema prefix
 * @param continueIncrementally for {@link Strategy#FULL}: follow the first snapshot with incremental reads
 */
public record TableSync(TableSpec spec, Strategy strategy, String target, boolean continueIncrementally) {

    public TableSync {
        requireNonNull(spec, "spec is null");
        requireNonNull(strategy, "strategy is null");
        if (target == null || target.isBlank()) {
            String t = spec.table();
            target = t.substring(t.lastIndexOf('.') + 1);
        }
        if (strategy == Strategy.INCREMENTAL && !spec.hasCursor()) {
            throw new IllegalArgumentException("table '" + spec.table() + "': strategy INCREMENTAL needs a cursor column");
        }
        if (continueIncrementally && !spec.hasCursor()) {
            throw new IllegalArgumentException("table '" + spec.table() + "': continuing incrementally needs a cursor column");
        }
    }

    /** A full snapshot of the table every run. */
    public static TableSync full(TableSpec spec) {
        return new TableSync(spec, Strategy.FULL, null, false);
    }

    /** Incremental by cursor, backfilling first. */
    public static TableSync incremental(TableSpec spec) {
        return new TableSync(spec, Strategy.INCREMENTAL, null, false);
    }

    /** Snapshot then change feed. */
    public static TableSync cdc(TableSpec spec) {
        return new TableSync(spec, Strategy.CDC, null, false);
    }

    /** A copy writing to another target table. */
    public TableSync withTarget(String name) {
        return new TableSync(spec, strategy, name, continueIncrementally);
    }

    /** The name the checkpoint is kept under: the source table name. */
    public String id() {
        return spec.table();
    }
}
