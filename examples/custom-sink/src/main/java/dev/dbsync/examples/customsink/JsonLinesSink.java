package dev.dbsync.examples.customsink;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.dbsync.spi.Batch;
import dev.dbsync.spi.ChangeEvent;
import dev.dbsync.spi.Column;
import dev.dbsync.spi.ErrorType;
import dev.dbsync.spi.LogicalType;
import dev.dbsync.spi.RetriableException;
import dev.dbsync.spi.Sink;
import dev.dbsync.spi.SinkCapability;
import dev.dbsync.spi.SyncException;
import dev.dbsync.spi.TableSchema;
import dev.dbsync.spi.TableWriter;
import dev.dbsync.spi.WriteResult;
import java.io.BufferedWriter;
import java.io.IOException;
import java.math.BigDecimal;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.OffsetDateTime;
import java.util.Base64;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * An example sink: every target table is a file {@code <dir>/<table>.jsonl} holding one JSON object per live
 * row. Copy it to start a sink of your own.
 *
 * <p>How it meets the {@link Sink} contract:
 * <ul>
 *   <li><b>a writer per table</b>: {@link #open} loads the table's file into a {@link TableWriter} that owns
 *       that table's rows, so tables written from different threads share nothing;</li>
 *   <li><b>idempotent upserts by key</b>: a table is kept in memory as a map from key to row, so writing the
 *       same event twice leaves one row;</li>
 *   <li><b>durable on flush</b>: a changed table is written to a temporary file that then replaces the table's
 *       file by an atomic rename, so a crash leaves the previous or the new file, never half of one; the engine
 *       saves its checkpoint only after the writer's flush returned; closing the writer flushes too.</li>
 * </ul>
 * Holding every row in memory is fine for an example and small tables, not for millions of rows; and a table
 * must not be open in two writers at once (each would overwrite the other's file), which the engine never does.
 */
public final class JsonLinesSink implements Sink {

    // exact decimals: a DECIMAL(18,4) must come back from the file with every digit
    private static final ObjectMapper JSON = JsonMapper.builder()
            .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS).build();

    private final Path dir;

    /** A sink writing into {@code dir}, which is created when missing. */
    public JsonLinesSink(Path dir) {
        this.dir = requireNonNull(dir, "dir is null");
    }

    @Override
    public Set<SinkCapability> capabilities() {
        return EnumSet.of(SinkCapability.DELETE, SinkCapability.TRUNCATE, SinkCapability.AUTO_CREATE);
    }

    /** Loads the table's file when it exists (a restart continues from what was flushed), else creates it. */
    @Override
    public TableWriter open(TableSchema schema) {
        Table t = new Table(schema, dir.resolve(URLEncoder.encode(schema.name(), StandardCharsets.UTF_8) + ".jsonl"));
        try {
            Files.createDirectories(dir);
            if (Files.exists(t.file)) {
                for (String line : Files.readAllLines(t.file, StandardCharsets.UTF_8)) {
                    ObjectNode row = (ObjectNode) JSON.readTree(line);
                    t.rows.put(keyOf(schema, row), row);
                }
            } else {
                t.dirty = true;
                persist(t);
            }
        } catch (IOException e) {
            throw new SyncException(ErrorType.EXTERNAL, "jsonl-files: cannot open table '" + schema.name() + "' at "
                    + t.file + " (setting 'dir'): " + e.getMessage(), e);
        }
        return t;
    }

    @Override
    public void close() {
        // nothing is held open: each writer flushed what it held when it was closed
    }

    /** The writer of one target table: its rows by key (the key rendered as a JSON array) and whether they changed. */
    private static final class Table implements TableWriter {
        final TableSchema schema;
        final Path file;
        final Map<String, ObjectNode> rows = new LinkedHashMap<>();
        boolean dirty;

        Table(TableSchema schema, Path file) {
            this.schema = schema;
            this.file = file;
        }

        @Override
        public WriteResult write(Batch batch) {
            for (ChangeEvent e : batch.events()) {
                switch (e.operation()) {
                    case UPSERT -> {
                        ObjectNode row = toJson(schema, e.values());
                        rows.put(keyOf(schema, row), row);
                    }
                    case DELETE -> rows.remove(keyText(schema, e.key()));
                    default -> throw new IllegalArgumentException("unexpected " + e.operation() + " in a batch");
                }
            }
            dirty = true;
            return WriteResult.applied(batch);
        }

        @Override
        public void flush() {
            persist(this);
        }

        @Override
        public void truncate() {
            rows.clear();
            dirty = true;
            persist(this);
        }

        @Override
        public void close() {
            persist(this);
        }
    }

    /** Writes a temporary file beside the table's file, then renames it over the old one atomically. */
    private static void persist(Table t) {
        if (!t.dirty) {
            return;
        }
        Path tmp = t.file.resolveSibling(t.file.getFileName() + ".tmp");
        try {
            try (BufferedWriter w = Files.newBufferedWriter(tmp, StandardCharsets.UTF_8)) {
                for (ObjectNode row : t.rows.values()) {
                    w.write(JSON.writeValueAsString(row));
                    w.newLine();
                }
            }
            Files.move(tmp, t.file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            t.dirty = false;
        } catch (IOException e) {
            // a full disk or a lost mount may recover: let the engine retry the flush
            throw new RetriableException("jsonl-files: cannot write table '" + t.schema.name() + "' to "
                    + t.file + ": " + e.getMessage(), e);
        }
    }

    private static String keyOf(TableSchema schema, ObjectNode row) {
        ArrayNode key = JSON.createArrayNode();
        for (String k : schema.primaryKey()) {
            key.add(row.get(k));
        }
        return key.toString();
    }

    private static String keyText(TableSchema schema, List<Object> key) {
        ArrayNode out = JSON.createArrayNode();
        for (int i = 0; i < key.size(); i++) {
            out.add(value(schema.column(schema.primaryKey().get(i)).type(), null, key.get(i)));
        }
        return out.toString();
    }

    private static ObjectNode toJson(TableSchema schema, List<Object> values) {
        ObjectNode row = JSON.createObjectNode();
        List<Column> columns = schema.columns();
        for (int i = 0; i < columns.size(); i++) {
            Column c = columns.get(i);
            row.set(c.name(), value(c.type(), c.elementType(), values.get(i)));
        }
        return row;
    }

    /** The JSON form of one value: numbers stay numbers, binary is Base64, times are ISO-8601 text. */
    private static JsonNode value(LogicalType type, LogicalType elementType, Object v) {
        if (v == null) {
            return JSON.nullNode();
        }
        return switch (type) {
            case INT32, INT64 -> JSON.getNodeFactory().numberNode(((Number) v).longValue());
            case DECIMAL -> JSON.getNodeFactory().numberNode((BigDecimal) v);
            case FLOAT64 -> JSON.getNodeFactory().numberNode((Double) v);
            case BOOLEAN -> JSON.getNodeFactory().booleanNode((Boolean) v);
            case BYTES -> JSON.getNodeFactory().textNode(Base64.getEncoder().encodeToString((byte[]) v));
            case TIMESTAMP_TZ -> JSON.getNodeFactory().textNode(
                    (v instanceof OffsetDateTime o ? o.toInstant() : v).toString());
            case JSON -> JSON.valueToTree(v);
            case ARRAY -> {
                ArrayNode a = JSON.createArrayNode();
                for (Object e : (List<?>) v) {
                    a.add(value(elementType, null, e));
                }
                yield a;
            }
            default -> JSON.getNodeFactory().textNode(v.toString()); // STRING, UUID, DATE, TIMESTAMP
        };
    }

    @Override
    public String toString() {
        return "JsonLinesSink[" + dir + "]";
    }
}
