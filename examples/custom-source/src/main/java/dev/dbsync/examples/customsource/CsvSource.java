package dev.dbsync.examples.customsource;

import static java.util.Objects.requireNonNull;

import dev.dbsync.spi.ChangeEvent;
import dev.dbsync.spi.Chunk;
import dev.dbsync.spi.Column;
import dev.dbsync.spi.ErrorType;
import dev.dbsync.spi.LogicalType;
import dev.dbsync.spi.Position;
import dev.dbsync.spi.Source;
import dev.dbsync.spi.SyncException;
import dev.dbsync.spi.TableSchema;
import dev.dbsync.spi.TableSpec;
import java.io.IOException;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.OptionalLong;
import java.util.UUID;
import java.util.stream.Stream;

/**
 * An example source: every table is a CSV file {@code <dir>/<table>.csv} that a producer replaces as a whole.
 * Copy it to start a source of your own.
 *
 * <p>The file's first line declares the columns as {@code name:TYPE}, the key columns with a third part
 * {@code :key}, e.g. {@code id:INT64:key,name:STRING,updated_at:TIMESTAMP_TZ,is_deleted:BOOLEAN}. Types are the
 * {@link LogicalType} names INT32, INT64, DECIMAL, FLOAT64, BOOLEAN, STRING, UUID, DATE, TIMESTAMP and
 * TIMESTAMP_TZ (values in ISO-8601). Fields follow RFC 4180 (double quotes around a field holding a comma, a quote
 * or a line break; a quote inside doubled); an empty unquoted field is NULL, {@code ""} the empty string.
 *
 * <p>How it meets the {@link Source} contract:
 * <ul>
 *   <li><b>keyset snapshots</b>: rows are returned in key order strictly after the key of the position given, so
 *       a snapshot resumes after any event;</li>
 *   <li><b>incremental reads by (cursor, key)</b>: rows sharing a cursor value are ordered by key, so none is
 *       skipped at a chunk boundary; soft-deleted rows come as deletes;</li>
 *   <li><b>a safe bound</b>: a producer that takes its cursor values before it replaces the file (e.g. the time an
 *       export started) announces itself with a file {@code <table>.csv.pending…} holding the earliest cursor value
 *       it may still write; incremental reads stop below the earliest such value, so its rows are not skipped
 *       when they appear later with older cursors. The producer deletes its file once the table's file is
 *       replaced.</li>
 * </ul>
 * The whole file is read on every call: fine for an example and files of thousands of rows, not for millions.
 * Thread-safe: nothing is held between calls.
 */
public final class CsvSource implements Source {

    static final String SUFFIX = ".csv";
    static final String PENDING = ".pending";

    private final Path dir;

    /** A source reading the CSV files in {@code dir}. */
    public CsvSource(Path dir) {
        this.dir = requireNonNull(dir, "dir is null");
    }

    @Override
    public List<String> listTables() {
        List<String> out = new ArrayList<>();
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, "*" + SUFFIX)) {
            for (Path f : files) {
                String name = f.getFileName().toString();
                out.add(name.substring(0, name.length() - SUFFIX.length()));
            }
        } catch (IOException e) {
            throw new SyncException(ErrorType.EXTERNAL, "csv-files: cannot list " + dir + " (setting 'dir'): "
                    + e.getMessage(), e);
        }
        out.sort(Comparator.naturalOrder());
        return out;
    }

    @Override
    public TableSchema describe(TableSpec spec) {
        CsvFile file = read(spec.table());
        List<String> key = spec.keyColumns().isEmpty() ? file.key() : spec.keyColumns();
        if (key.isEmpty()) {
            throw new SyncException(ErrorType.CONFIG, "csv-files: table '" + spec.table() + "' declares no key "
                    + "column (':key' in its header) and none is configured");
        }
        List<String> names = file.columns().stream().map(Column::name).toList();
        for (String k : key) {
            if (!names.contains(k)) {
                throw new SyncException(ErrorType.CONFIG, "csv-files: table '" + spec.table() + "': key column '"
                        + k + "' does not exist; columns: " + names);
            }
        }
        TableSchema s = new TableSchema(spec.table(), file.columns(), key);
        for (String c : spec.cursorColumns()) {
            column(spec, s, c, "cursor");
        }
        if (spec.softDeleteColumn() != null) {
            column(spec, s, spec.softDeleteColumn(), "soft-delete");
        }
        return s;
    }

    private static void column(TableSpec spec, TableSchema s, String name, String role) {
        if (s.indexOf(name) < 0) {
            throw new SyncException(ErrorType.CONFIG, "csv-files: table '" + spec.table() + "': " + role + " column '"
                    + name + "' does not exist; columns: " + s.columnNames());
        }
    }

    @Override
    public OptionalLong estimateRows(TableSpec spec) {
        return OptionalLong.of(read(spec.table()).rows().size());
    }

    @Override
    public Chunk readSnapshot(TableSpec spec, TableSchema schema, Position after, int maxRows) {
        List<Object[]> rows = new ArrayList<>(read(spec.table()).rows(schema));
        int[] key = schema.keyIndexes();
        Comparator<Object[]> byKey = (a, b) -> compare(a, b, key);
        rows.sort(byKey);
        List<ChangeEvent> out = new ArrayList<>();
        for (Object[] row : rows) {
            if (after != null && compareTo(row, key, after.values(), 0) <= 0) {
                continue;
            }
            if (out.size() == maxRows) {
                return new Chunk(out, out.get(out.size() - 1).position(), false);
            }
            Object[] k = values(row, key);
            out.add(event(spec, schema, k, row, Position.of(k), true));
        }
        return new Chunk(out, out.isEmpty() ? after : out.get(out.size() - 1).position(), true);
    }

    @Override
    public Position changesStart(TableSpec spec, TableSchema schema) {
        requireCursor(spec);
        Object max = null;
        for (Object[] row : read(spec.table()).rows(schema)) {
            Object c = cursor(spec, schema, row);
            if (c != null && (max == null || compareValues(c, max) > 0)) {
                max = c;
            }
        }
        Object bound = pendingBound(spec, schema);
        if (bound != null && (max == null || compareValues(bound, max) < 0)) {
            max = bound;
        }
        // (max, no key): rows at the current maximum are read again; replays are harmless
        return max == null ? null : Position.of(max);
    }

    @Override
    public Chunk readChanges(TableSpec spec, TableSchema schema, Position after, int maxRows) {
        requireCursor(spec);
        Object bound = pendingBound(spec, schema);
        int[] key = schema.keyIndexes();
        List<Object[]> rows = new ArrayList<>();
        for (Object[] row : read(spec.table()).rows(schema)) {
            if (cursor(spec, schema, row) != null) {
                rows.add(row);
            }
        }
        rows.sort((a, b) -> {
            int c = compareValues(cursor(spec, schema, a), cursor(spec, schema, b));
            return c != 0 ? c : compare(a, b, key);
        });
        List<ChangeEvent> out = new ArrayList<>();
        for (Object[] row : rows) {
            Object c = cursor(spec, schema, row);
            if (bound != null && compareValues(c, bound) >= 0) {
                break;
            }
            if (after != null) {
                int d = compareValues(c, after.get(0));
                if (d < 0 || (d == 0 && after.size() > 1 && compareTo(row, key, after.values(), 1) <= 0)) {
                    continue;
                }
            }
            if (out.size() == maxRows) {
                return new Chunk(out, out.get(out.size() - 1).position(), false);
            }
            Object[] k = values(row, key);
            Object[] pos = new Object[k.length + 1];
            pos[0] = c;
            System.arraycopy(k, 0, pos, 1, k.length);
            out.add(event(spec, schema, k, row, Position.of(pos), false));
        }
        return new Chunk(out, out.isEmpty() ? after : out.get(out.size() - 1).position(), true);
    }

    @Override
    public void close() {
        // nothing is held open between calls
    }

    @Override
    public String toString() {
        return "CsvSource[" + dir + "]";
    }

    // ------------------------------------------------------------------ reading files

    private CsvFile read(String table) {
        Path file = dir.resolve(table + SUFFIX);
        try {
            return CsvFile.parse(table, Files.readString(file, StandardCharsets.UTF_8));
        } catch (NoSuchFileException e) {
            throw new SyncException(ErrorType.CONFIG, "csv-files: table '" + table + "' does not exist (no file "
                    + file + ")", e);
        } catch (IOException e) {
            // a file being replaced or a lost mount: the engine retries
            throw new dev.dbsync.spi.RetriableException("csv-files: cannot read " + file + ": " + e.getMessage(), e);
        }
    }

    /** The earliest cursor value an announced producer may still write, or null when none is announced. */
    private Object pendingBound(TableSpec spec, TableSchema schema) {
        Column cursor = schema.column(spec.cursorColumns().get(0));
        Object min = null;
        try (Stream<Path> files = Files.list(dir)) {
            for (Path p : files.filter(f -> f.getFileName().toString().startsWith(spec.table() + SUFFIX + PENDING))
                    .toList()) {
                String text;
                try {
                    text = Files.readString(p, StandardCharsets.UTF_8).trim();
                } catch (NoSuchFileException gone) {
                    continue; // the producer finished meanwhile
                }
                Object v = CsvFile.value(cursor, text, p.getFileName().toString());
                if (min == null || compareValues(v, min) < 0) {
                    min = v;
                }
            }
        } catch (IOException e) {
            throw new dev.dbsync.spi.RetriableException("csv-files: cannot list " + dir + ": " + e.getMessage(), e);
        }
        return min;
    }

    private static void requireCursor(TableSpec spec) {
        if (spec.cursorColumns().isEmpty()) {
            throw new SyncException(ErrorType.CONFIG, "csv-files: table '" + spec.table()
                    + "': incremental reads need a cursor column");
        }
    }

    private static ChangeEvent event(TableSpec spec, TableSchema schema, Object[] key, Object[] row, Position pos,
                                     boolean snapshot) {
        Object cursor = spec.cursorColumns().isEmpty() ? null : cursor(spec, schema, row);
        long version = cursor instanceof Instant i ? i.getEpochSecond() * 1_000_000L + i.getNano() / 1_000
                : cursor instanceof Number n ? n.longValue() : 0;
        if (spec.softDeleteColumn() != null) {
            Object v = row[schema.indexOf(spec.softDeleteColumn())];
            if (v != null && String.valueOf(v).equalsIgnoreCase(spec.softDeleteValue())) {
                return ChangeEvent.delete(spec.table(), key, row, version, pos);
            }
        }
        return snapshot ? ChangeEvent.read(spec.table(), key, row, version, pos)
                : ChangeEvent.upsert(spec.table(), key, row, version, pos);
    }

    /** The first non-null cursor column's value (a cursor of several columns is their COALESCE). */
    private static Object cursor(TableSpec spec, TableSchema schema, Object[] row) {
        for (String c : spec.cursorColumns()) {
            Object v = row[schema.indexOf(c)];
            if (v != null) {
                return v;
            }
        }
        return null;
    }

    private static Object[] values(Object[] row, int[] idx) {
        Object[] out = new Object[idx.length];
        for (int i = 0; i < idx.length; i++) {
            out[i] = row[idx[i]];
        }
        return out;
    }

    private static int compare(Object[] a, Object[] b, int[] key) {
        for (int i : key) {
            int c = compareValues(a[i], b[i]);
            if (c != 0) {
                return c;
            }
        }
        return 0;
    }

    /** Compares the row's key with {@code values} from index {@code from} on. */
    private static int compareTo(Object[] row, int[] key, List<Object> values, int from) {
        for (int i = 0; i < key.length && from + i < values.size(); i++) {
            int c = compareValues(row[key[i]], values.get(from + i));
            if (c != 0) {
                return c;
            }
        }
        return 0;
    }

    /** Orders values of one column; nulls first. Positions come back from checkpoints as the same types. */
    @SuppressWarnings({"unchecked", "rawtypes"})
    static int compareValues(Object a, Object b) {
        if (a == null || b == null) {
            return a == null ? (b == null ? 0 : -1) : 1;
        }
        if (a instanceof Number x && b instanceof Number y && !(a.getClass() == b.getClass())) {
            return new BigDecimal(x.toString()).compareTo(new BigDecimal(y.toString()));
        }
        if (a instanceof OffsetDateTime o) {
            a = o.toInstant();
        }
        if (b instanceof OffsetDateTime o) {
            b = o.toInstant();
        }
        return ((Comparable) a).compareTo(b);
    }

    /** One parsed file: the declared columns and key, and the rows as text, parsed per column on demand. */
    record CsvFile(List<Column> columns, List<String> key, List<List<String>> rows) {

        static CsvFile parse(String table, String text) {
            List<List<String>> records = Csv.parse(text);
            if (records.isEmpty()) {
                throw new SyncException(ErrorType.CONFIG, "csv-files: table '" + table + "' has no header line");
            }
            List<Column> columns = new ArrayList<>();
            List<String> key = new ArrayList<>();
            for (String h : records.get(0)) {
                String[] parts = h.trim().split(":");
                if (parts.length < 2 || parts.length > 3 || (parts.length == 3 && !parts[2].equals("key"))) {
                    throw new SyncException(ErrorType.CONFIG, "csv-files: table '" + table + "': header cell '" + h
                            + "' is not name:TYPE or name:TYPE:key");
                }
                LogicalType type;
                try {
                    type = LogicalType.valueOf(parts[1]);
                } catch (IllegalArgumentException e) {
                    throw new SyncException(ErrorType.CONFIG, "csv-files: table '" + table + "': column '" + parts[0]
                            + "' has unknown type '" + parts[1] + "'", e);
                }
                columns.add(parts.length == 3 ? Column.required(parts[0], type) : Column.of(parts[0], type));
                if (parts.length == 3) {
                    key.add(parts[0]);
                }
            }
            return new CsvFile(columns, key, records.subList(1, records.size()));
        }

        /** The rows as values of {@code schema}'s columns (which may come from the file's header or a later call). */
        List<Object[]> rows(TableSchema schema) {
            List<Object[]> out = new ArrayList<>(rows.size());
            int line = 2;
            for (List<String> r : rows) {
                if (r.size() != schema.columns().size()) {
                    throw new SyncException(ErrorType.DATA, "csv-files: table '" + schema.name() + "', line " + line
                            + ": " + r.size() + " fields, the header declares " + schema.columns().size());
                }
                Object[] v = new Object[r.size()];
                for (int i = 0; i < v.length; i++) {
                    v[i] = value(schema.columns().get(i), r.get(i), "table '" + schema.name() + "', line " + line);
                }
                out.add(v);
                line++;
            }
            return out;
        }

        static Object value(Column c, String text, String where) {
            if (text == null) {
                return null;
            }
            try {
                return switch (c.type()) {
                    case INT32 -> Integer.valueOf(text);
                    case INT64 -> Long.valueOf(text);
                    case DECIMAL -> new BigDecimal(text);
                    case FLOAT64 -> Double.valueOf(text);
                    case BOOLEAN -> parseBoolean(text);
                    case UUID -> UUID.fromString(text);
                    case DATE -> LocalDate.parse(text);
                    case TIMESTAMP -> LocalDateTime.parse(text);
                    case TIMESTAMP_TZ -> OffsetDateTime.parse(text).toInstant();
                    case STRING -> text;
                    default -> throw new SyncException(ErrorType.CONFIG, "csv-files: " + where + ": column '"
                            + c.name() + "' has type " + c.type() + ", which this example does not read");
                };
            } catch (RuntimeException e) {
                if (e instanceof SyncException s) {
                    throw s;
                }
                throw new SyncException(ErrorType.DATA, "csv-files: " + where + ": column '" + c.name() + "': '"
                        + text + "' is not a " + c.type() + " (" + e.getMessage() + ")", e);
            }
        }

        private static Boolean parseBoolean(String text) {
            if (text.equalsIgnoreCase("true")) {
                return Boolean.TRUE;
            }
            if (text.equalsIgnoreCase("false")) {
                return Boolean.FALSE;
            }
            throw new IllegalArgumentException("expected true or false");
        }
    }
}
