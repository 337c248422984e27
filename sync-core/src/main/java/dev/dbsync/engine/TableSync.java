package dev.dbsync.engine;

import static java.util.Objects.requireNonNull;

import dev.dbsync.spi.TableSpec;

/**
 * One table of a pipeline: the source spec, the strategy and the target table name.
 *
 * @param spec                  the source table, key, cursor and soft-delete column; never null
 * @param strategy              how to sync it; never null
 * @param target                the target table name; defaults to the source name without its schema prefix, and
 *                              without the quotes of a quoted name ({@code public."order items"} → {@code order items})
 *                              unless the name itself holds a dot or a quote
 * @param continueIncrementally for {@link Strategy#FULL}: follow the first snapshot with incremental reads
 */
public record TableSync(TableSpec spec, Strategy strategy, String target, boolean continueIncrementally) {

    public TableSync {
        requireNonNull(spec, "spec is null");
        requireNonNull(strategy, "strategy is null");
        if (target == null || target.isBlank()) {
            target = defaultTarget(spec.table());
        }
        if (strategy == Strategy.INCREMENTAL && !spec.hasCursor()) {
            throw new IllegalArgumentException("table '" + spec.table() + "': strategy INCREMENTAL needs a cursor column");
        }
        if (continueIncrementally && !spec.hasCursor()) {
            throw new IllegalArgumentException("table '" + spec.table() + "': continuing incrementally needs a cursor column");
        }
    }

    /** The last part of a possibly qualified, possibly quoted name, unquoted where that keeps it one part. */
    static String defaultTarget(String table) {
        int start = 0;
        boolean quoted = false;
        for (int i = 0; i < table.length(); i++) {
            char c = table.charAt(i);
            if (c == '"') {
                quoted = !quoted;
            } else if (c == '.' && !quoted) {
                start = i + 1;
            }
        }
        String last = table.substring(start);
        if (last.length() >= 2 && last.startsWith("\"") && last.endsWith("\"")) {
            String inner = last.substring(1, last.length() - 1).replace("\"\"", "\"");
            if (inner.indexOf('.') < 0 && inner.indexOf('"') < 0 && !inner.isEmpty()) {
                return inner;
            }
        }
        return last;
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
