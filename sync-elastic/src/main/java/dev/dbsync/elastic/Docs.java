package dev.dbsync.elastic;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.dbsync.spi.Column;
import dev.dbsync.spi.LogicalType;
import dev.dbsync.spi.SyncException;
import dev.dbsync.spi.ErrorType;
import dev.dbsync.spi.TableSchema;
import java.io.IOException;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.UUID;

/**
 * How dbsync rows become Elasticsearch documents and back: index names, mappings, document ids, versions and
 * field values. Stateless.
 */
final class Docs {

    /** Largest document id Elasticsearch accepts, in UTF-8 bytes. */
    static final int MAX_ID_BYTES = 512;

    /** Version offset: event versions in [-2^62, 2^62) map to [0, 2^63) one to one, keeping their order. */
    private static final long VERSION_OFFSET = 1L << 62;

    private static final Set<String> METADATA_FIELDS = Set.of("_id", "_index", "_source", "_routing", "_version",
            "_seq_no", "_primary_term", "_doc_count", "_field_names", "_ignored", "_ignored_source", "_tier", "_meta",
            "_data_stream_timestamp", "_nested_path", "_size", "_type", "_uid", "_parent", "_all");

    private Docs() {
    }

    /**
     * The index for a table: prefix plus the lower-cased name. A name Elasticsearch would refuse, or that lower-casing
     * changed, gets its invalid characters replaced and a short hash of the original appended, so distinct tables
     * never share an index.
     */
    static String indexName(String prefix, String table) {
        String lower = (prefix + table).toLowerCase(Locale.ROOT);
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < lower.length(); i++) {
            char c = lower.charAt(i);
            boolean ok = c != '\\' && c != '/' && c != '*' && c != '?' && c != '"' && c != '<' && c != '>' && c != '|'
                    && c != ' ' && c != ',' && c != '#' && c != ':' && !Character.isWhitespace(c) && !Character.isISOControl(c);
            sb.append(ok ? c : '_');
        }
        while (sb.length() > 0 && (sb.charAt(0) == '_' || sb.charAt(0) == '-' || sb.charAt(0) == '+' || sb.charAt(0) == '.')) {
            sb.deleteCharAt(0);
        }
        String name = sb.toString();
        if (!name.equals(prefix + table) || name.isEmpty() || name.getBytes(StandardCharsets.UTF_8).length > 200) {
            String hash = Integer.toHexString((prefix + table).hashCode());
            if (name.getBytes(StandardCharsets.UTF_8).length > 180) {
                name = name.substring(0, 120);
            }
            name = (name.isEmpty() ? "t" : name) + "-" + hash;
        }
        return name;
    }

    /** Maps an event version to Elasticsearch's external version range without changing its order. */
    static long esVersion(long version) {
        long clamped = Math.max(-VERSION_OFFSET, Math.min(VERSION_OFFSET - 1, version));
        return clamped + VERSION_OFFSET;
    }

    /**
     * The document id of a key: one part as its text, several parts joined with {@code |}; inside parts {@code \}
     * and {@code |} are escaped with {@code \}, an empty text is {@code \0} and null {@code \N}, so different keys
     * never share an id.
     */
    static String docId(List<Object> key) {
        if (key.size() == 1) {
            return part(key.get(0));
        }
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < key.size(); i++) {
            if (i > 0) {
                sb.append('|');
            }
            sb.append(part(key.get(i)));
        }
        return sb.toString();
    }

    private static String part(Object v) {
        if (v == null) {
            return "\\N";
        }
        String s = keyText(v);
        if (s.isEmpty()) {
            return "\\0";
        }
        if (s.indexOf('\\') < 0 && s.indexOf('|') < 0) {
            return s;
        }
        StringBuilder sb = new StringBuilder(s.length() + 8);
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\\' || c == '|') {
                sb.append('\\');
            }
            sb.append(c);
        }
        return sb.toString();
    }

    private static String keyText(Object v) {
        if (v instanceof String) {
            return (String) v;
        } else if (v instanceof BigDecimal) {
            // numerically equal keys (1.0 and 1.00) are one key in SQL databases, so they are one id
            BigDecimal d = ((BigDecimal) v).stripTrailingZeros();
            return d.signum() == 0 ? "0" : d.toPlainString();
        } else if (v instanceof byte[]) {
            return Base64.getUrlEncoder().withoutPadding().encodeToString((byte[]) v);
        } else if (v instanceof LocalDateTime) {
            return DateTimeFormatter.ISO_LOCAL_DATE_TIME.format((LocalDateTime) v);
        } else if (v instanceof OffsetDateTime) {
            return ((OffsetDateTime) v).toInstant().toString();
        }
        return v.toString();
    }

    /** The fields' names must not clash with Elasticsearch's metadata fields; checked when a table is opened. */
    static void checkColumns(TableSchema schema) {
        for (Column c : schema.columns()) {
            if (METADATA_FIELDS.contains(c.name())) {
                throw new SyncException(ErrorType.CONFIG, "table '" + schema.name() + "': column '" + c.name()
                        + "' is an Elasticsearch metadata field name; rename it in the source or with a view");
            }
            if (c.name().startsWith(".") || c.name().endsWith(".") || c.name().contains("..")) {
                throw new SyncException(ErrorType.CONFIG, "table '" + schema.name() + "': column '" + c.name()
                        + "' cannot be an Elasticsearch field name (empty path segment)");
            }
        }
    }

    /** The mapping of an index for the schema, with the schema itself in {@code _meta.dbsync} for readers. */
    static ObjectNode mapping(ObjectMapper json, TableSchema schema, ElasticSettings s) {
        ObjectNode m = json.createObjectNode();
        m.put("dynamic", s.dynamic);
        boolean dotted = schema.columns().stream().anyMatch(c -> c.name().indexOf('.') >= 0);
        if (dotted) {
            // a column named a.b is one field, not a path into an object a
            m.put("subobjects", false);
        }
        ObjectNode meta = m.putObject("_meta").putObject("dbsync");
        meta.put("table", schema.name());
        ArrayNode key = meta.putArray("key");
        schema.primaryKey().forEach(key::add);
        ArrayNode cols = meta.putArray("columns");
        ObjectNode props = m.putObject("properties");
        for (Column c : schema.columns()) {
            ObjectNode cm = cols.addObject();
            cm.put("name", c.name());
            cm.put("type", c.type().name());
            if (c.elementType() != null) {
                cm.put("elementType", c.elementType().name());
            }
            cm.put("precision", c.precision());
            cm.put("scale", c.scale());
            cm.put("nullable", c.nullable());
            boolean isKey = schema.primaryKey().contains(c.name());
            LogicalType t = c.type() == LogicalType.ARRAY ? c.elementType() : c.type();
            props.set(c.name(), fieldMapping(json, t, c, isKey, s, dotted));
        }
        return m;
    }

    private static ObjectNode fieldMapping(ObjectMapper json, LogicalType t, Column c, boolean isKey, ElasticSettings s,
                                           boolean noObjects) {
        ObjectNode f = json.createObjectNode();
        switch (t) {
            case STRING:
                if (isKey || s.stringMapping.equals("keyword")) {
                    f.put("type", "keyword");
                } else if (s.stringMapping.equals("text")) {
                    f.put("type", "text");
                } else {
                    f.put("type", "text");
                    f.putObject("fields").putObject("keyword").put("type", "keyword").put("ignore_above", 256);
                }
                break;
            case INT32:
                f.put("type", "integer");
                break;
            case INT64:
                f.put("type", "long");
                break;
            case FLOAT64:
                f.put("type", "double");
                break;
            case DECIMAL:
                if (s.decimalMapping.equals("double") && !isKey) {
                    f.put("type", "double");
                } else {
                    // the exact digits as text; the .num sub-field (a double) serves ranges, sorting and aggregations
                    f.put("type", "keyword");
                    f.putObject("fields").putObject("num").put("type", "double").put("ignore_malformed", true);
                }
                break;
            case BOOLEAN:
                f.put("type", "boolean");
                break;
            case BYTES:
                f.put("type", isKey ? "keyword" : "binary");
                break;
            case UUID:
                f.put("type", "keyword");
                break;
            case DATE:
                f.put("type", "date");
                f.put("format", "strict_date");
                break;
            case TIMESTAMP:
            case TIMESTAMP_TZ:
                f.put("type", nanos(c, s) ? "date_nanos" : "date");
                f.put("format", "strict_date_optional_time_nanos||epoch_millis");
                break;
            case JSON:
                if (s.jsonMapping.equals("object") && !noObjects) {
                    f.put("type", "object");
                    f.put("dynamic", true);
                } else if (s.jsonMapping.equals("disabled")) {
                    f.put("type", "object");
                    f.put("enabled", false);
                } else {
                    f.put("type", "flattened");
                }
                break;
            default:
                // types added to the SPI later reach this sink as their fallback (see supportedTypes)
                f.put("type", "keyword");
        }
        return f;
    }

    private static final Instant NANOS_MIN = Instant.EPOCH;
    private static final Instant NANOS_MAX = Instant.ofEpochSecond(0, Long.MAX_VALUE);

    /** Whether a TIMESTAMP column is mapped as date_nanos (1970 to 2262) rather than date (milliseconds). */
    static boolean nanos(Column c, ElasticSettings s) {
        return s.timestampMapping.equals("date_nanos") || (s.timestampMapping.equals("auto") && c.precision() > 3);
    }

    /** Why the mapping cannot hold {@code v} (see {@code Sink.refuses}), or null when it can. */
    static String refuses(Column c, LogicalType t, Object v, ElasticSettings s) {
        if (v == null) {
            return null;
        }
        switch (t) {
            case FLOAT64: {
                double d = ((Number) v).doubleValue();
                return Double.isNaN(d) || Double.isInfinite(d) ? "column '" + c.name() + "': Elasticsearch stores finite numbers only, got " + d : null;
            }
            case DATE: {
                int y = ((LocalDate) v).getYear();
                return y < 0 || y > 9999 ? "column '" + c.name() + "': dates hold the years 0000 to 9999, got " + v : null;
            }
            case TIMESTAMP:
            case TIMESTAMP_TZ: {
                Instant i = v instanceof LocalDateTime ? ((LocalDateTime) v).toInstant(ZoneOffset.UTC)
                        : v instanceof OffsetDateTime ? ((OffsetDateTime) v).toInstant() : (Instant) v;
                if (nanos(c, s) && (i.isBefore(NANOS_MIN) || i.isAfter(NANOS_MAX))) {
                    return "column '" + c.name() + "' is a date_nanos field (sub-millisecond precision), which holds 1970-01-01 to "
                            + "2262-04-11 only, got " + v + "; set timestamp.mapping: date for other times";
                }
                int y = i.atOffset(ZoneOffset.UTC).getYear();
                return y < 0 || y > 9999 ? "column '" + c.name() + "': timestamps hold the years 0000 to 9999, got " + v : null;
            }
            case JSON:
                if (s.jsonMapping.equals("disabled") || v instanceof java.util.Map || isListOfObjects(v)) {
                    return null;
                }
                return "column '" + c.name() + "': json.mapping " + s.jsonMapping + " holds JSON objects (or arrays of objects) only, got "
                        + (v instanceof List ? "an array of non-objects" : "the scalar " + v)
                        + "; set json.mapping: disabled to keep any JSON value (stored, not searchable)";
            case ARRAY: {
                for (Object e : (List<?>) v) {
                    String r = refuses(c, c.elementType(), e, s);
                    if (r != null) {
                        return r;
                    }
                }
                return null;
            }
            default:
                return null;
        }
    }

    private static boolean isListOfObjects(Object v) {
        if (!(v instanceof List)) {
            return false;
        }
        for (Object e : (List<?>) v) {
            if (e != null && !(e instanceof java.util.Map)) {
                return false;
            }
        }
        return true;
    }

    /** Writes one column value; {@code null} is written as JSON null (the field is absent from searches). */
    static void writeValue(JsonGenerator g, ObjectMapper json, Column c, LogicalType t, Object v, ElasticSettings s)
            throws IOException {
        if (v == null) {
            g.writeNull();
            return;
        }
        if (t == LogicalType.DATE || t == LogicalType.TIMESTAMP || t == LogicalType.TIMESTAMP_TZ || t == LogicalType.FLOAT64
                || t == LogicalType.JSON) {
            String refused = refuses(c, t, v, s);
            if (refused != null) {
                throw new IllegalArgumentException(refused);
            }
        }
        switch (t) {
            case STRING:
                g.writeString(v.toString());
                return;
            case INT32:
                g.writeNumber(((Number) v).intValue());
                return;
            case INT64:
                g.writeNumber(((Number) v).longValue());
                return;
            case FLOAT64:
                g.writeNumber(((Number) v).doubleValue());
                return;
            case DECIMAL:
                if (s.decimalMapping.equals("double")) {
                    g.writeNumber((BigDecimal) v);
                } else {
                    g.writeString(((BigDecimal) v).toPlainString());
                }
                return;
            case BOOLEAN:
                g.writeBoolean((Boolean) v);
                return;
            case BYTES:
                g.writeString(Base64.getEncoder().encodeToString((byte[]) v));
                return;
            case UUID:
                g.writeString(((UUID) v).toString());
                return;
            case DATE:
                g.writeString(DateTimeFormatter.ISO_LOCAL_DATE.format((LocalDate) v));
                return;
            case TIMESTAMP:
                g.writeString(DateTimeFormatter.ISO_LOCAL_DATE_TIME.format((LocalDateTime) v));
                return;
            case TIMESTAMP_TZ:
                Instant i = v instanceof OffsetDateTime ? ((OffsetDateTime) v).toInstant() : (Instant) v;
                g.writeString(DateTimeFormatter.ISO_INSTANT.format(i));
                return;
            case JSON:
                json.writeValue(g, v);
                return;
            case ARRAY:
                g.writeStartArray();
                for (Object e : (List<?>) v) {
                    writeValue(g, json, c, c.elementType(), e, s);
                }
                g.writeEndArray();
                return;
            default:
                g.writeString(v.toString());
        }
    }

    /** Reads a value of a document's {@code _source} back into the column's Java type. */
    static Object readValue(ObjectMapper json, Column c, LogicalType t, JsonNode n) {
        if (n == null || n.isNull() || n.isMissingNode()) {
            return null;
        }
        try {
            switch (t) {
                case STRING:
                    return n.isTextual() ? n.textValue() : n.toString();
                case INT32:
                    return n.isNumber() ? n.intValue() : Integer.valueOf(n.asText());
                case INT64:
                    return n.isNumber() ? n.longValue() : Long.valueOf(n.asText());
                case FLOAT64:
                    return n.isNumber() ? n.doubleValue() : Double.valueOf(n.asText());
                case DECIMAL:
                    return n.isNumber() ? n.decimalValue() : new BigDecimal(n.asText());
                case BOOLEAN:
                    return n.isBoolean() ? n.booleanValue() : Boolean.valueOf(n.asText());
                case BYTES:
                    return Base64.getDecoder().decode(n.asText());
                case UUID:
                    return java.util.UUID.fromString(n.asText());
                case DATE:
                    return n.isNumber() ? Instant.ofEpochMilli(n.longValue()).atOffset(ZoneOffset.UTC).toLocalDate() : LocalDate.parse(n.asText());
                case TIMESTAMP:
                    if (n.isNumber()) {
                        return LocalDateTime.ofInstant(Instant.ofEpochMilli(n.longValue()), ZoneOffset.UTC);
                    }
                    return parseLocal(n.asText());
                case TIMESTAMP_TZ:
                    if (n.isNumber()) {
                        return Instant.ofEpochMilli(n.longValue());
                    }
                    return parseInstant(n.asText());
                case JSON:
                    return json.treeToValue(n, Object.class);
                case ARRAY: {
                    List<Object> out = new ArrayList<>();
                    if (n.isArray()) {
                        for (JsonNode e : n) {
                            out.add(readValue(json, c, c.elementType(), e));
                        }
                    } else {
                        out.add(readValue(json, c, c.elementType(), n));
                    }
                    return out;
                }
                default:
                    return n.asText();
            }
        } catch (IOException | RuntimeException e) {
            throw new SyncException(ErrorType.DATA, "column '" + c.name() + "': cannot read " + n + " as " + t + ": " + e.getMessage(), e);
        }
    }

    private static LocalDateTime parseLocal(String s) {
        try {
            return LocalDateTime.parse(s);
        } catch (DateTimeParseException e) {
            return LocalDateTime.ofInstant(parseInstant(s), ZoneOffset.UTC);
        }
    }

    static Instant parseInstant(String s) {
        try {
            return OffsetDateTime.parse(s).toInstant();
        } catch (DateTimeParseException e) {
            try {
                return LocalDateTime.parse(s).toInstant(ZoneOffset.UTC);
            } catch (DateTimeParseException e2) {
                return LocalDate.parse(s).atStartOfDay().toInstant(ZoneOffset.UTC);
            }
        }
    }

    /** The Java value of a key or cursor as Elasticsearch returns it in a hit's sort values, for search_after. */
    static Object sortValue(Column c, Object v) {
        if (v == null) {
            return null;
        }
        switch (c.type()) {
            case DATE:
                return DateTimeFormatter.ISO_LOCAL_DATE.format((LocalDate) v);
            case TIMESTAMP:
                return DateTimeFormatter.ISO_LOCAL_DATE_TIME.format((LocalDateTime) v) + "Z";
            case TIMESTAMP_TZ:
                return DateTimeFormatter.ISO_INSTANT.format(v instanceof OffsetDateTime ? ((OffsetDateTime) v).toInstant() : (Instant) v);
            case DECIMAL:
                return ((BigDecimal) v).toPlainString();
            case BYTES:
                return Base64.getEncoder().encodeToString((byte[]) v);
            case UUID:
                return v.toString();
            default:
                return v;
        }
    }
}
