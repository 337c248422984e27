package dev.dbsync.internal;

import dev.dbsync.spi.ChangeEvent;
import dev.dbsync.spi.Column;
import dev.dbsync.spi.LogicalType;
import dev.dbsync.spi.TableSchema;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Converts a table's columns of logical types a sink does not support into their fallback types, and events'
 * values with them, so a sink written before a type existed keeps working. A table needing no conversion costs
 * nothing per event.
 */
final class TypeFallbacks {

    private final TableSchema target;
    /** Per column: the type its values are converted from, or null when kept. */
    private final LogicalType[] from;
    /** Per key part: the type its value is converted from, or null when kept. */
    private final LogicalType[] keyFrom;
    private final boolean any;
    private final Set<LogicalType> supported;

    TypeFallbacks(TableSchema schema, Set<LogicalType> supported) {
        this.supported = supported;
        List<Column> cols = new ArrayList<>(schema.columns().size());
        from = new LogicalType[schema.columns().size()];
        boolean changed = false;
        for (int i = 0; i < from.length; i++) {
            Column c = schema.columns().get(i);
            if (c.type() == LogicalType.ARRAY) {
                LogicalType e = supportedType(c.elementType(), supported);
                if (e != c.elementType()) {
                    from[i] = c.elementType();
                    changed = true;
                    c = new Column(c.name(), LogicalType.ARRAY, c.nullable(), c.precision(), c.scale(), e, c.sourceType());
                }
            } else {
                LogicalType t = supportedType(c.type(), supported);
                if (t != c.type()) {
                    from[i] = c.type();
                    changed = true;
                    c = new Column(c.name(), t, c.nullable(), c.precision(), c.scale(), null, c.sourceType());
                }
            }
            cols.add(c);
        }
        int[] keyIdx = schema.keyIndexes();
        keyFrom = new LogicalType[keyIdx.length];
        for (int k = 0; k < keyIdx.length; k++) {
            keyFrom[k] = from[keyIdx[k]];
        }
        this.any = changed;
        this.target = changed ? schema.withColumns(cols) : schema;
    }

    private static LogicalType supportedType(LogicalType t, Set<LogicalType> supported) {
        while (t != null && !supported.contains(t) && t.fallback() != null) {
            t = t.fallback();
        }
        return t;
    }

    /** The schema the sink sees. */
    TableSchema schema() {
        return target;
    }

    /** The events as the sink sees them (the same list when nothing is converted). */
    List<ChangeEvent> convert(List<ChangeEvent> events) {
        if (!any) {
            return events;
        }
        List<ChangeEvent> out = new ArrayList<>(events.size());
        for (ChangeEvent e : events) {
            out.add(convert(e));
        }
        return out;
    }

    private ChangeEvent convert(ChangeEvent e) {
        Object[] key = e.key().toArray();
        for (int k = 0; k < key.length; k++) {
            key[k] = to(keyFrom[k], key[k]);
        }
        Object[] values = convertRow(e.values());
        ChangeEvent c;
        switch (e.operation()) {
            case DELETE:
                c = ChangeEvent.delete(e.table(), key, values.length == 0 ? null : values, e.version(), e.position());
                break;
            case TRUNCATE:
                return e;
            default:
                switch (e.kind()) {
                    case READ:
                        c = ChangeEvent.read(e.table(), key, values, e.version(), e.position());
                        break;
                    case INSERT:
                        c = ChangeEvent.insert(e.table(), key, values, e.version(), e.position());
                        break;
                    case UPDATE:
                        c = ChangeEvent.update(e.table(), key, values, e.before().isEmpty() ? null : convertRow(e.before()),
                                e.version(), e.position());
                        break;
                    default:
                        c = ChangeEvent.upsert(e.table(), key, values, e.version(), e.position());
                }
        }
        return c;
    }

    private Object[] convertRow(List<Object> row) {
        Object[] values = row.toArray();
        for (int i = 0; i < values.length && i < from.length; i++) {
            values[i] = to(from[i], values[i]);
        }
        return values;
    }

    /** Converts {@code v} of {@code type} along the fallback chain until a type the sink supports. */
    private Object to(LogicalType type, Object v) {
        if (type == null || v == null) {
            return v;
        }
        if (v instanceof List) {
            List<Object> out = new ArrayList<>(((List<?>) v).size());
            for (Object x : (List<?>) v) {
                out.add(to(type, x));
            }
            return out;
        }
        Object x = v;
        for (LogicalType t = type; t != null && !supported.contains(t) && t.fallback() != null; t = t.fallback()) {
            x = t.toFallback(x);
        }
        return x;
    }
}
