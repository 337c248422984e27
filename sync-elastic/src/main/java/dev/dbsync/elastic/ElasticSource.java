package dev.dbsync.elastic;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
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
import java.time.Instant;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.http.entity.ContentType;
import org.apache.http.nio.entity.NStringEntity;
import org.elasticsearch.client.Request;
import org.elasticsearch.client.ResponseException;

/**
 * Reads indexes as tables.
 *
 * <ul>
 *   <li>Schema: from the {@code _meta.dbsync} the sink writes into its mappings (exact types and key), otherwise
 *       from the mapping's field types; such indexes need a configured key.</li>
 *   <li>Full reads: a point in time per table, held between chunks, and {@code search_after} on the key fields; a
 *       point in time that expired is replaced (the key position stays valid).</li>
 *   <li>Incremental reads: a range on the cursor, sorted {@code [cursor, key]}, up to {@code now - incremental.lag}
 *       on the server's clock, because a document becomes searchable only at the next refresh: one indexed with an
 *       older cursor value can still appear later.</li>
 * </ul>
 *
 * <p>Event versions are the documents' {@code _seq_no + 1}: per document they grow with every change. Thread-safe
 * for different tables.
 */
final class ElasticSource implements Source {

    private static final String DATE_FORMAT = "strict_date_optional_time_nanos";

    private final ElasticSettings settings;
    private final ElasticConnection conn;
    /** Open points in time of full reads, per index. */
    private final Map<String, String> pits = new ConcurrentHashMap<>();
    /** Per index: the field each column sorts by (a text column sorts by its keyword sub-field). */
    private final Map<String, Map<String, String>> sortFields = new ConcurrentHashMap<>();

    ElasticSource(ElasticSettings settings) {
        this.settings = settings;
        this.conn = new ElasticConnection(settings);
    }

    private String index(TableSpec spec) {
        return Docs.indexName(settings.indexPrefix, spec.table());
    }

    @Override
    public List<String> listTables() {
        JsonNode aliases = conn.call("listing aliases", new Request("GET", "/_alias"));
        TreeSet<String> out = new TreeSet<>();
        Iterator<Map.Entry<String, JsonNode>> it = aliases.fields();
        while (it.hasNext()) {
            Map.Entry<String, JsonNode> e = it.next();
            if (e.getKey().startsWith(".")) {
                continue;
            }
            Iterator<String> names = e.getValue().path("aliases").fieldNames();
            if (names.hasNext()) {
                names.forEachRemaining(out::add);
            } else {
                out.add(e.getKey());
            }
        }
        out.remove(settings.checkpointIndex);
        List<String> tables = new ArrayList<>();
        for (String name : out) {
            if (name.startsWith(settings.indexPrefix)) {
                tables.add(name.substring(settings.indexPrefix.length()));
            }
        }
        return tables;
    }

    @Override
    public TableSchema describe(TableSpec spec) {
        String index = index(spec);
        JsonNode answer;
        try {
            answer = conn.json.readTree(conn.rest.performRequest(new Request("GET", "/" + index + "/_mapping")).getEntity().getContent());
        } catch (ResponseException e) {
            if (ElasticConnection.status(e) == 404) {
                throw new SyncException(ErrorType.CONFIG, "table '" + spec.table() + "': index '" + index + "' does not exist");
            }
            throw conn.translate("table '" + spec.table() + "': reading the mapping", e);
        } catch (IOException e) {
            throw conn.translate("table '" + spec.table() + "': reading the mapping", e);
        }
        JsonNode mappings = answer.elements().next().path("mappings");
        JsonNode props = mappings.path("properties");
        JsonNode meta = mappings.path("_meta").path("dbsync");
        List<Column> columns = new ArrayList<>();
        List<String> key = new ArrayList<>(spec.keyColumns());
        if (meta.isObject()) {
            for (JsonNode c : meta.path("columns")) {
                LogicalType t = LogicalType.valueOf(c.path("type").asText());
                LogicalType el = c.hasNonNull("elementType") ? LogicalType.valueOf(c.path("elementType").asText()) : null;
                columns.add(new Column(c.path("name").asText(), t, c.path("nullable").asBoolean(true), c.path("precision").asInt(),
                        c.path("scale").asInt(), el, null));
            }
            if (key.isEmpty()) {
                meta.path("key").forEach(k -> key.add(k.asText()));
            }
        } else {
            Iterator<Map.Entry<String, JsonNode>> it = props.fields();
            while (it.hasNext()) {
                Map.Entry<String, JsonNode> e = it.next();
                columns.add(new Column(e.getKey(), typeOf(e.getValue()), true, 0, 0, null, e.getValue().path("type").asText("object")));
            }
        }
        if (key.isEmpty()) {
            throw new SyncException(ErrorType.CONFIG, "table '" + spec.table() + "': index '" + index
                    + "' was not written by dbsync, so it has no known key; configure key: for it");
        }
        Map<String, String> sorts = new java.util.HashMap<>();
        for (Column c : columns) {
            JsonNode f = props.path(c.name());
            boolean text = "text".equals(f.path("type").asText());
            sorts.put(c.name(), text && f.path("fields").path("keyword").isObject() ? c.name() + ".keyword" : c.name());
        }
        sortFields.put(index, sorts);
        TableSchema schema = new TableSchema(spec.table(), columns, key);
        for (String c : spec.cursorColumns()) {
            requireColumn(schema, c, "cursor");
        }
        if (spec.cursorColumns().size() > 1) {
            throw new SyncException(ErrorType.CONFIG, "table '" + spec.table() + "': Elasticsearch incremental reads take one cursor field, got "
                    + spec.cursorColumns());
        }
        if (spec.softDeleteColumn() != null) {
            requireColumn(schema, spec.softDeleteColumn(), "soft-delete");
        }
        return schema;
    }

    private static void requireColumn(TableSchema schema, String name, String what) {
        if (schema.indexOf(name) < 0) {
            throw new SyncException(ErrorType.CONFIG, "table '" + schema.name() + "': " + what + " column '" + name + "' is not a field of the index");
        }
    }

    private static LogicalType typeOf(JsonNode field) {
        switch (field.path("type").asText("object")) {
            case "integer":
            case "short":
            case "byte":
                return LogicalType.INT32;
            case "long":
                return LogicalType.INT64;
            case "double":
            case "float":
            case "half_float":
            case "scaled_float":
                return LogicalType.FLOAT64;
            case "boolean":
                return LogicalType.BOOLEAN;
            case "date":
            case "date_nanos":
                return LogicalType.TIMESTAMP_TZ;
            case "binary":
                return LogicalType.BYTES;
            case "object":
            case "nested":
            case "flattened":
                return LogicalType.JSON;
            default:
                return LogicalType.STRING;
        }
    }

    @Override
    public OptionalLong estimateRows(TableSpec spec) {
        try {
            JsonNode n = conn.call("counting", new Request("GET", "/" + index(spec) + "/_count"));
            return OptionalLong.of(n.path("count").asLong());
        } catch (RuntimeException e) {
            return OptionalLong.empty();
        }
    }

    @Override
    public Chunk readSnapshot(TableSpec spec, TableSchema schema, Position after, int maxRows) {
        String index = index(spec);
        Map<String, String> sorts = sorts(index, spec, schema);
        ObjectNode body = conn.json.createObjectNode();
        body.put("size", maxRows);
        body.put("track_total_hits", false);
        body.put("seq_no_primary_term", true);
        ArrayNode sort = body.putArray("sort");
        for (String k : schema.primaryKey()) {
            addSort(sort, sorts.get(k), schema.column(k));
        }
        if (after != null) {
            ArrayNode sa = body.putArray("search_after");
            for (int i = 0; i < schema.primaryKey().size(); i++) {
                sa.add(conn.json.valueToTree(Docs.sortValue(schema.column(schema.primaryKey().get(i)), after.get(i))));
            }
        }
        JsonNode hits = searchWithPit(spec, index, body);
        List<ChangeEvent> events = new ArrayList<>();
        for (JsonNode hit : hits) {
            Object[] values = values(schema, hit);
            Object[] key = key(schema, values);
            events.add(event(spec, schema, hit, key, values, Position.ofOwned(key)));
        }
        boolean last = events.size() < maxRows;
        if (last) {
            closePit(index);
        }
        Position next = events.isEmpty() ? after : events.get(events.size() - 1).position();
        return new Chunk(events, next, last);
    }

    private JsonNode searchWithPit(TableSpec spec, String index, ObjectNode body) {
        for (int attempt = 0; ; attempt++) {
            String pit = pits.computeIfAbsent(index, i -> openPit(spec, i));
            body.putObject("pit").put("id", pit).put("keep_alive", settings.pitKeepAlive.toMillis() + "ms");
            Request r = new Request("POST", "/_search");
            r.setEntity(new NStringEntity(body.toString(), ContentType.APPLICATION_JSON));
            try {
                JsonNode res = conn.json.readTree(conn.rest.performRequest(r).getEntity().getContent());
                if (res.hasNonNull("pit_id")) {
                    pits.put(index, res.path("pit_id").asText());
                }
                return res.path("hits").path("hits");
            } catch (ResponseException e) {
                String text = ElasticSink.errorText(e);
                if (attempt == 0 && (ElasticConnection.status(e) == 404 || text.contains("search_context_missing_exception"))) {
                    // the point in time expired between chunks: the key position stays valid in a new one
                    pits.remove(index);
                    continue;
                }
                throw new SyncException(ErrorType.EXTERNAL, "table '" + spec.table() + "': full read of index '" + index + "' failed: " + text, e);
            } catch (IOException e) {
                throw conn.translate("table '" + spec.table() + "': full read of index '" + index + "'", e);
            }
        }
    }

    private String openPit(TableSpec spec, String index) {
        // what was indexed before the full read starts is in it, even if the index was not refreshed since
        refresh(spec, index);
        JsonNode n = conn.call("table '" + spec.table() + "': opening a point in time on '" + index + "'",
                new Request("POST", "/" + index + "/_pit?keep_alive=" + settings.pitKeepAlive.toMillis() + "ms"));
        return n.path("id").asText();
    }

    private void closePit(String index) {
        String pit = pits.remove(index);
        if (pit != null) {
            Request r = new Request("DELETE", "/_pit");
            r.setEntity(new NStringEntity(conn.json.createObjectNode().put("id", pit).toString(), ContentType.APPLICATION_JSON));
            try {
                conn.rest.performRequest(r);
            } catch (IOException e) {
                // it expires by itself after pit.keep.alive
            }
        }
    }

    private Map<String, String> sorts(String index, TableSpec spec, TableSchema schema) {
        Map<String, String> s = sortFields.get(index);
        if (s == null) {
            describe(spec);
            s = sortFields.get(index);
        }
        return s;
    }

    private static void addSort(ArrayNode sort, String field, Column c) {
        ObjectNode o = sort.addObject().putObject(field);
        o.put("order", "asc");
        if (isDate(c)) {
            o.put("format", DATE_FORMAT);
        }
    }

    private static boolean isDate(Column c) {
        return c.type() == LogicalType.DATE || c.type() == LogicalType.TIMESTAMP || c.type() == LogicalType.TIMESTAMP_TZ;
    }

    private Object[] values(TableSchema schema, JsonNode hit) {
        JsonNode src = hit.path("_source");
        List<Column> cols = schema.columns();
        Object[] values = new Object[cols.size()];
        for (int i = 0; i < values.length; i++) {
            Column c = cols.get(i);
            values[i] = Docs.readValue(conn.json, c, c.type(), src.get(c.name()));
        }
        return values;
    }

    private static Object[] key(TableSchema schema, Object[] values) {
        Object[] key = new Object[schema.primaryKey().size()];
        for (int i = 0; i < key.length; i++) {
            key[i] = values[schema.indexOf(schema.primaryKey().get(i))];
        }
        return key;
    }

    private ChangeEvent event(TableSpec spec, TableSchema schema, JsonNode hit, Object[] key, Object[] values, Position position) {
        long version = hit.path("_seq_no").asLong(-1) + 1;
        if (spec.softDeleteColumn() != null) {
            Object marker = values[schema.indexOf(spec.softDeleteColumn())];
            if (marker != null && String.valueOf(marker).equalsIgnoreCase(spec.softDeleteValue())) {
                return ChangeEvent.delete(spec.table(), key, values, version, position);
            }
        }
        return ChangeEvent.read(spec.table(), key, values, version, position);
    }

    @Override
    public Position changesStart(TableSpec spec, TableSchema schema) {
        Column cursor = cursor(spec, schema);
        Object[] pos = new Object[1 + schema.primaryKey().size()];
        if (isDate(cursor)) {
            // a document indexed after this call carries a cursor at or above now, less writers' clock skew and
            // the time a request spends on its way, which incremental.lag covers
            pos[0] = fromInstant(cursor, Instant.now().minus(settings.incrementalLag));
        } else {
            ObjectNode body = conn.json.createObjectNode();
            body.put("size", 0);
            body.putObject("aggs").putObject("m").putObject("max").put("field", cursor.name());
            Request r = new Request("POST", "/" + index(spec) + "/_search");
            r.setEntity(new NStringEntity(body.toString(), ContentType.APPLICATION_JSON));
            JsonNode max = conn.call("table '" + spec.table() + "': reading the highest cursor", r).path("aggregations").path("m").path("value");
            pos[0] = max.isNull() || max.isMissingNode() ? null : Docs.readValue(conn.json, cursor, cursor.type(), max);
        }
        return Position.ofOwned(pos);
    }

    private static Object fromInstant(Column c, Instant i) {
        switch (c.type()) {
            case TIMESTAMP:
                return java.time.LocalDateTime.ofInstant(i, java.time.ZoneOffset.UTC);
            case DATE:
                return i.atOffset(java.time.ZoneOffset.UTC).toLocalDate();
            default:
                return i;
        }
    }

    private void refresh(TableSpec spec, String index) {
        conn.call("table '" + spec.table() + "': refreshing index '" + index + "'", new Request("POST", "/" + index + "/_refresh"));
    }

    private Column cursor(TableSpec spec, TableSchema schema) {
        if (!spec.hasCursor()) {
            throw new SyncException(ErrorType.CONFIG, "table '" + spec.table() + "': incremental reads need a cursor");
        }
        int ci = schema.indexOf(spec.cursorColumns().get(0));
        Column c = ci < 0 ? null : schema.columns().get(ci);
        if (c == null) {
            throw new SyncException(ErrorType.CONFIG, "table '" + spec.table() + "': cursor '" + spec.cursorColumns().get(0) + "' is not a field");
        }
        if (!isDate(c) && !settings.allowUnsafeCursor) {
            throw new SyncException(ErrorType.CONFIG, "table '" + spec.table() + "': cursor '" + c.name() + "' is not a date, so no safe bound"
                    + " protects incremental reads from documents that become searchable late; set incremental.allow.unsafe.cursor: true to accept that");
        }
        return c;
    }

    @Override
    public Chunk readChanges(TableSpec spec, TableSchema schema, Position after, int maxRows) {
        Column cursor = cursor(spec, schema);
        String index = index(spec);
        Map<String, String> sorts = sorts(index, spec, schema);
        ObjectNode body = conn.json.createObjectNode();
        body.put("size", maxRows);
        body.put("track_total_hits", false);
        body.put("seq_no_primary_term", true);
        ObjectNode range = body.putObject("query").putObject("bool").putArray("filter").addObject().putObject("range")
                .putObject(cursor.name());
        if (isDate(cursor)) {
            // Safe bound: taken before the refresh that makes every document indexed so far searchable, less
            // incremental.lag for documents whose cursor was taken before but which reach the server after it.
            Instant bound = Instant.now().minus(settings.incrementalLag);
            refresh(spec, index);
            range.put("lt", String.valueOf(Docs.sortValue(cursor, fromInstant(cursor, bound))));
            range.put("format", DATE_FORMAT);
        } else {
            refresh(spec, index);
        }
        boolean fullPosition = after != null && after.size() == 1 + schema.primaryKey().size();
        for (int i = 1; fullPosition && i < after.size(); i++) {
            fullPosition = after.get(i) != null;
        }
        if (after != null && after.get(0) != null) {
            range.set("gte", conn.json.valueToTree(Docs.sortValue(cursor, after.get(0))));
        }
        ArrayNode sort = body.putArray("sort");
        addSort(sort, sorts.get(cursor.name()), cursor);
        for (String k : schema.primaryKey()) {
            addSort(sort, sorts.get(k), schema.column(k));
        }
        if (fullPosition) {
            ArrayNode sa = body.putArray("search_after");
            sa.add(conn.json.valueToTree(Docs.sortValue(cursor, after.get(0))));
            for (int i = 0; i < schema.primaryKey().size(); i++) {
                sa.add(conn.json.valueToTree(Docs.sortValue(schema.column(schema.primaryKey().get(i)), after.get(i + 1))));
            }
        }
        Request r = new Request("POST", "/" + index + "/_search");
        r.setEntity(new NStringEntity(body.toString(), ContentType.APPLICATION_JSON));
        JsonNode hits = conn.call("table '" + spec.table() + "': incremental read of index '" + index + "'", r).path("hits").path("hits");
        int ci = schema.indexOf(cursor.name());
        List<ChangeEvent> events = new ArrayList<>();
        for (JsonNode hit : hits) {
            Object[] values = values(schema, hit);
            Object[] key = key(schema, values);
            Object[] pos = new Object[1 + key.length];
            pos[0] = values[ci];
            System.arraycopy(key, 0, pos, 1, key.length);
            ChangeEvent e = event(spec, schema, hit, key, values, Position.ofOwned(pos));
            events.add(e.operation() == dev.dbsync.spi.Operation.UPSERT
                    ? ChangeEvent.upsert(spec.table(), key, values, e.version(), e.position()) : e);
        }
        Position next = events.isEmpty() ? after : events.get(events.size() - 1).position();
        return new Chunk(events, next, events.size() < maxRows);
    }

    @Override
    public void close() {
        for (String index : List.copyOf(pits.keySet())) {
            closePit(index);
        }
        conn.close();
    }
}
