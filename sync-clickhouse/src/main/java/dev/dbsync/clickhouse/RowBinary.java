package dev.dbsync.clickhouse;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.dbsync.spi.LogicalType;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.math.RoundingMode;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.UUID;

/**
 * ClickHouse's RowBinary format, written and read without reflection or intermediate objects: values are
 * little-endian, strings and arrays carry a LEB128 length, {@code Nullable} values a leading null flag,
 * decimals their unscaled integer in 4/8/16/32 bytes, {@code DateTime64(p)} the ticks since the epoch,
 * {@code Date32} days since the epoch, UUIDs their two 64-bit halves (high first).
 */
final class RowBinary {

    static final ObjectMapper JSON = new ObjectMapper().enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS);

    private RowBinary() {
    }

    private static final long[] POW10 = new long[19];

    static {
        POW10[0] = 1;
        for (int i = 1; i < POW10.length; i++) {
            POW10[i] = POW10[i - 1] * 10;
        }
    }

    // ------------------------------------------------------------------ writing

    /** Growable output made of fixed-size chunks, so large batches never copy what is already written. */
    static final class Buffer {
        private static final int CHUNK = 1 << 20;
        private final List<byte[]> full = new ArrayList<>();
        private byte[] cur = new byte[64 << 10];
        private int pos;
        private long fullBytes;

        long size() {
            return fullBytes + pos;
        }

        private void room(int n) {
            if (pos + n > cur.length) {
                if (pos == 0 || cur.length < CHUNK && n <= CHUNK) {
                    // grow the first small chunk in place, or replace an empty one by a big enough one
                    byte[] bigger = new byte[Math.max(CHUNK, Math.max(n, cur.length * 2))];
                    System.arraycopy(cur, 0, bigger, 0, pos);
                    cur = bigger;
                    if (pos + n <= cur.length) {
                        return;
                    }
                }
                full.add(pos == cur.length ? cur : java.util.Arrays.copyOf(cur, pos));
                fullBytes += pos;
                cur = new byte[Math.max(CHUNK, n)];
                pos = 0;
            }
        }

        void u8(int v) {
            room(1);
            cur[pos++] = (byte) v;
        }

        void i16(int v) {
            room(2);
            cur[pos++] = (byte) v;
            cur[pos++] = (byte) (v >>> 8);
        }

        void i32(int v) {
            room(4);
            byte[] b = cur;
            int p = pos;
            b[p] = (byte) v;
            b[p + 1] = (byte) (v >>> 8);
            b[p + 2] = (byte) (v >>> 16);
            b[p + 3] = (byte) (v >>> 24);
            pos = p + 4;
        }

        void i64(long v) {
            room(8);
            byte[] b = cur;
            int p = pos;
            for (int i = 0; i < 8; i++) {
                b[p + i] = (byte) (v >>> (8 * i));
            }
            pos = p + 8;
        }

        void varint(long v) {
            room(10);
            while ((v & ~0x7FL) != 0) {
                cur[pos++] = (byte) ((v & 0x7F) | 0x80);
                v >>>= 7;
            }
            cur[pos++] = (byte) v;
        }

        void bytes(byte[] a, int off, int len) {
            room(len);
            System.arraycopy(a, off, cur, pos, len);
            pos += len;
        }

        /** A String: its UTF-8 length, then the bytes; ASCII is copied without an intermediate array. */
        void string(String s) {
            int n = s.length();
            if (n < 128) {
                room(n + 1);
                int start = pos;
                cur[pos++] = (byte) n;
                for (int i = 0; i < n; i++) {
                    char c = s.charAt(i);
                    if (c >= 0x80) {
                        pos = start;
                        byte[] u = s.getBytes(StandardCharsets.UTF_8);
                        varint(u.length);
                        bytes(u, 0, u.length);
                        return;
                    }
                    cur[pos++] = (byte) c;
                }
                return;
            }
            byte[] u = s.getBytes(StandardCharsets.UTF_8);
            varint(u.length);
            bytes(u, 0, u.length);
        }

        /** Little-endian two's complement of {@code v} in {@code width} bytes. */
        void bigInt(BigInteger v, int width) {
            byte[] be = v.toByteArray();
            room(width);
            byte fill = v.signum() < 0 ? (byte) 0xff : 0;
            for (int i = 0; i < width; i++) {
                int src = be.length - 1 - i;
                cur[pos + i] = src >= 0 ? be[src] : fill;
            }
            pos += width;
        }

        void writeTo(OutputStream out) throws IOException {
            for (byte[] c : full) {
                out.write(c);
            }
            out.write(cur, 0, pos);
        }

        void clear() {
            full.clear();
            fullBytes = 0;
            if (cur.length > CHUNK) {
                cur = new byte[CHUNK];
            }
            pos = 0;
        }

        /** Marks the current size so a row that fails halfway can be taken back. */
        long mark() {
            return size();
        }

        /** Drops everything written after {@code mark} (which must lie in the current chunk or be the chunk start). */
        void reset(long mark) {
            while (mark < fullBytes) {
                byte[] last = full.remove(full.size() - 1);
                fullBytes -= last.length;
                cur = java.util.Arrays.copyOf(last, Math.max(last.length, CHUNK));
                pos = last.length;
            }
            pos = (int) (mark - fullBytes);
        }
    }

    /** Writes one value of one column. */
    interface Writer {
        void write(Buffer out, Object value);
    }

    /**
     * The writer for a column of ClickHouse type {@code type} fed with values of logical type {@code logical}
     * (arrays: {@code element} is the element's logical type).
     */
    static Writer writer(ChType type, LogicalType logical, LogicalType element) {
        Writer base = baseWriter(type, logical, element);
        if (type.nullable) {
            return (out, v) -> {
                if (v == null) {
                    out.u8(1);
                } else {
                    out.u8(0);
                    base.write(out, v);
                }
            };
        }
        if (type.kind == ChType.Kind.ARRAY) {
            return (out, v) -> {
                if (v == null) {
                    out.varint(0);
                } else {
                    base.write(out, v);
                }
            };
        }
        if (type.kind == ChType.Kind.JSON) {
            // ClickHouse's JSON type cannot be Nullable, so the sink creates JSON columns without it even for
            // nullable sources: a NULL is stored as the empty object (and reads back as one)
            return (out, v) -> base.write(out, v == null ? Collections.emptyMap() : v);
        }
        return (out, v) -> {
            if (v == null) {
                throw new IllegalArgumentException("NULL in a NOT NULL column of type " + type);
            }
            base.write(out, v);
        };
    }

    private static Writer baseWriter(ChType type, LogicalType logical, LogicalType element) {
        switch (type.kind) {
            // a pre-existing narrower column: a value out of its range is rejected, never wrapped around
            case INT8: return (out, v) -> out.u8((int) ranged(v, Byte.MIN_VALUE, Byte.MAX_VALUE, type));
            case UINT8: return (out, v) -> out.u8((int) ranged(v, 0, 0xff, type));
            case INT16: return (out, v) -> out.i16((int) ranged(v, Short.MIN_VALUE, Short.MAX_VALUE, type));
            case UINT16: return (out, v) -> out.i16((int) ranged(v, 0, 0xffff, type));
            case INT32: return (out, v) -> out.i32((int) ranged(v, Integer.MIN_VALUE, Integer.MAX_VALUE, type));
            case UINT32: return (out, v) -> out.i32((int) ranged(v, 0, 0xffff_ffffL, type));
            case INT64: return (out, v) -> out.i64(v instanceof Long ? (Long) v : exactLong(v));
            case UINT64: return (out, v) -> out.i64(unsigned64(v, type));
            case FLOAT32: return (out, v) -> out.i32(Float.floatToRawIntBits(number(v).floatValue()));
            case FLOAT64: return (out, v) -> out.i64(Double.doubleToRawLongBits(number(v).doubleValue()));
            case BOOL: return (out, v) -> out.u8(bool(v) ? 1 : 0);
            case DECIMAL: return decimalWriter(type);
            case STRING:
                if (logical == LogicalType.BYTES) {
                    return (out, v) -> {
                        byte[] b = (byte[]) cast(v, byte[].class);
                        out.varint(b.length);
                        out.bytes(b, 0, b.length);
                    };
                }
                if (logical == LogicalType.JSON) {
                    return (out, v) -> out.string(jsonText(v));
                }
                return (out, v) -> out.string(v instanceof String ? (String) v : String.valueOf(v));
            case JSON:
                return (out, v) -> {
                    // ClickHouse's JSON type holds objects only; arrays and scalars would fail the whole INSERT
                    if (!(v instanceof java.util.Map)) {
                        throw new IllegalArgumentException("ClickHouse's JSON type holds only JSON objects, got "
                                + describe(v) + "; set json.type=String to keep arrays and scalars as JSON text");
                    }
                    out.string(jsonText(v));
                };
            case UUID:
                return (out, v) -> {
                    UUID u = v instanceof UUID ? (UUID) v : java.util.UUID.fromString(v.toString());
                    out.i64(u.getMostSignificantBits());
                    out.i64(u.getLeastSignificantBits());
                };
            case DATE32:
                return (out, v) -> out.i32(Math.toIntExact(((LocalDate) cast(v, LocalDate.class)).toEpochDay()));
            case DATE:
                return (out, v) -> {
                    long day = ((LocalDate) cast(v, LocalDate.class)).toEpochDay();
                    if (day < 0 || day > 0xffff) {
                        throw new IllegalArgumentException("date " + v + " is out of the range of Date (1970-01-01 to "
                                + LocalDate.ofEpochDay(0xffff) + ")");
                    }
                    out.i16((int) day);
                };
            case DATETIME64: {
                int p = type.precision;
                return (out, v) -> out.i64(ticks(v, p));
            }
            case DATETIME:
                return (out, v) -> {
                    long seconds = ticks(v, 0);
                    if (seconds < 0 || seconds > 0xffff_ffffL) {
                        throw new IllegalArgumentException("timestamp " + v + " is out of the range of DateTime"
                                + " (1970-01-01 00:00:00 to 2106-02-07 06:28:15 UTC)");
                    }
                    out.i32((int) seconds);
                };
            case ARRAY: {
                Writer e = writer(type.element, element, null);
                return (out, v) -> {
                    List<?> list = (List<?>) cast(v, List.class);
                    out.varint(list.size());
                    for (Object x : list) {
                        e.write(out, x);
                    }
                };
            }
            default:
                throw new IllegalArgumentException("cannot write ClickHouse type " + type);
        }
    }

    private static Writer decimalWriter(ChType type) {
        int p = type.precision;
        int s = type.scale;
        int width = p <= 9 ? 4 : p <= 18 ? 8 : p <= 38 ? 16 : 32;
        BigInteger limit = BigInteger.TEN.pow(p);
        return (out, v) -> {
            BigDecimal d = v instanceof BigDecimal ? (BigDecimal) v : new BigDecimal(number(v).toString());
            BigDecimal scaled;
            try {
                scaled = d.setScale(s, RoundingMode.UNNECESSARY);
            } catch (ArithmeticException e) {
                throw new IllegalArgumentException("value " + d.toPlainString() + " has more than " + s
                        + " digits after the point of Decimal(" + p + ", " + s + ")");
            }
            if (width <= 8 && scaled.precision() <= 18) {
                long u = scaled.unscaledValue().longValue();
                if (Math.abs(u) >= POW10[Math.min(p, 18)] && p < 19) {
                    throw new IllegalArgumentException("value " + d.toPlainString() + " does not fit Decimal(" + p + ", " + s + ")");
                }
                if (width == 4) {
                    out.i32((int) u);
                } else {
                    out.i64(u);
                }
                return;
            }
            BigInteger u = scaled.unscaledValue();
            if (u.abs().compareTo(limit) >= 0) {
                throw new IllegalArgumentException("value " + d.toPlainString() + " does not fit Decimal(" + p + ", " + s + ")");
            }
            out.bigInt(u, width);
        };
    }

    /** Ticks of 10^-p seconds since the epoch, UTC; a LocalDateTime is read as UTC wall time. */
    static long ticks(Object v, int p) {
        long seconds;
        int nanos;
        if (v instanceof Instant) {
            seconds = ((Instant) v).getEpochSecond();
            nanos = ((Instant) v).getNano();
        } else if (v instanceof LocalDateTime) {
            LocalDateTime t = (LocalDateTime) v;
            seconds = t.toEpochSecond(ZoneOffset.UTC);
            nanos = t.getNano();
        } else if (v instanceof OffsetDateTime) {
            seconds = ((OffsetDateTime) v).toEpochSecond();
            nanos = ((OffsetDateTime) v).getNano();
        } else if (v instanceof ZonedDateTime) {
            seconds = ((ZonedDateTime) v).toEpochSecond();
            nanos = ((ZonedDateTime) v).getNano();
        } else if (v instanceof LocalDate) {
            seconds = ((LocalDate) v).toEpochDay() * 86_400L;
            nanos = 0;
        } else {
            throw new IllegalArgumentException("expected a timestamp, got " + describe(v));
        }
        long perSecond = POW10[p];
        return Math.addExact(Math.multiplyExact(seconds, perSecond), nanos / POW10[9 - p]);
    }

    /**
     * The JSON text of a JSON value. A {@link String} is a JSON string (LogicalType.JSON: documents come as
     * Map/List, scalars as themselves), so it is quoted even when its content looks like a document.
     */
    static String jsonText(Object v) {
        try {
            return JSON.writeValueAsString(v);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("value is not representable as JSON: " + e.getOriginalMessage());
        }
    }

    private static Number number(Object v) {
        if (v instanceof Number) {
            return (Number) v;
        }
        if (v instanceof Boolean) {
            return (Boolean) v ? 1 : 0;
        }
        throw new IllegalArgumentException("expected a number, got " + describe(v));
    }

    private static final BigInteger TWO_64 = BigInteger.ONE.shiftLeft(64);

    /** An integer within [min, max], or an exception naming the column type's range. */
    private static long ranged(Object v, long min, long max, ChType type) {
        long x = exactLong(v);
        if (x < min || x > max) {
            throw new IllegalArgumentException("value " + x + " is out of the range of " + type + " [" + min + ", " + max + "]");
        }
        return x;
    }

    /** The bits of an integer in [0, 2^64). */
    private static long unsigned64(Object v, ChType type) {
        BigInteger b;
        if (v instanceof BigInteger) {
            b = (BigInteger) v;
        } else if (v instanceof BigDecimal) {
            try {
                b = ((BigDecimal) v).toBigIntegerExact();
            } catch (ArithmeticException e) {
                throw new IllegalArgumentException("expected an integer, got " + describe(v));
            }
        } else {
            b = BigInteger.valueOf(exactLong(v));
        }
        if (b.signum() < 0 || b.compareTo(TWO_64) >= 0) {
            throw new IllegalArgumentException("value " + b + " is out of the range of " + type + " [0, 2^64 - 1]");
        }
        return b.longValue();
    }

    private static long exactLong(Object v) {
        if (v instanceof Long || v instanceof Integer || v instanceof Short || v instanceof Byte) {
            return ((Number) v).longValue();
        }
        try {
            if (v instanceof BigDecimal) {
                return ((BigDecimal) v).longValueExact();
            }
            if (v instanceof BigInteger) {
                return ((BigInteger) v).longValueExact();
            }
        } catch (ArithmeticException e) {
            throw new IllegalArgumentException("expected an integer within 64 bits, got " + describe(v));
        }
        Number n = number(v);
        if (n.doubleValue() != n.longValue()) {
            throw new IllegalArgumentException("expected an integer, got " + describe(v));
        }
        return n.longValue();
    }

    private static boolean bool(Object v) {
        if (v instanceof Boolean) {
            return (Boolean) v;
        }
        if (v instanceof Number) {
            return ((Number) v).intValue() != 0;
        }
        throw new IllegalArgumentException("expected a boolean, got " + describe(v));
    }

    private static Object cast(Object v, Class<?> type) {
        if (!type.isInstance(v)) {
            throw new IllegalArgumentException("expected " + type.getSimpleName() + ", got " + describe(v));
        }
        return v;
    }

    static String describe(Object v) {
        return v == null ? "null" : v.getClass().getSimpleName() + " " + (v instanceof byte[] ? "bytes" : v);
    }

    // ------------------------------------------------------------------ reading

    /** A buffered little-endian reader over a response body. */
    static final class Input {
        private final InputStream in;
        private final byte[] buf = new byte[64 << 10];
        private int pos;
        private int limit;

        Input(InputStream in) {
            this.in = in;
        }

        /** Whether another byte follows (fills the buffer when needed). */
        boolean hasMore() throws IOException {
            return pos < limit || fill();
        }

        private boolean fill() throws IOException {
            if (pos < limit) {
                return true;
            }
            int n = in.read(buf, 0, buf.length);
            while (n == 0) {
                n = in.read(buf, 0, buf.length);
            }
            if (n < 0) {
                return false;
            }
            pos = 0;
            limit = n;
            return true;
        }

        int u8() throws IOException {
            if (pos >= limit && !fill()) {
                throw new EOFException("response ended in the middle of a row");
            }
            return buf[pos++] & 0xff;
        }

        long le(int bytes) throws IOException {
            long v = 0;
            if (limit - pos >= bytes) {
                for (int i = 0; i < bytes; i++) {
                    v |= (buf[pos + i] & 0xffL) << (8 * i);
                }
                pos += bytes;
                return v;
            }
            for (int i = 0; i < bytes; i++) {
                v |= ((long) u8()) << (8 * i);
            }
            return v;
        }

        long varint() throws IOException {
            long v = 0;
            for (int shift = 0; ; shift += 7) {
                int b = u8();
                v |= (long) (b & 0x7f) << shift;
                if ((b & 0x80) == 0) {
                    return v;
                }
            }
        }

        byte[] bytes(int n) throws IOException {
            byte[] out = new byte[n];
            int off = 0;
            while (off < n) {
                if (pos >= limit && !fill()) {
                    throw new EOFException("response ended in the middle of a value");
                }
                int k = Math.min(n - off, limit - pos);
                System.arraycopy(buf, pos, out, off, k);
                pos += k;
                off += k;
            }
            return out;
        }

        String string() throws IOException {
            int n = Math.toIntExact(varint());
            if (limit - pos >= n) {
                String s = new String(buf, pos, n, StandardCharsets.UTF_8);
                pos += n;
                return s;
            }
            return new String(bytes(n), StandardCharsets.UTF_8);
        }

        byte[] blob() throws IOException {
            return bytes(Math.toIntExact(varint()));
        }

        BigInteger bigInt(int width) throws IOException {
            byte[] le = bytes(width);
            byte[] be = new byte[width];
            for (int i = 0; i < width; i++) {
                be[i] = le[width - 1 - i];
            }
            return new BigInteger(be);
        }
    }

    /** Reads one value of one column. */
    interface Reader {
        Object read(Input in) throws IOException;
    }

    /** The reader for a column of ClickHouse type {@code type}, producing values of logical type {@code logical}. */
    static Reader reader(ChType type, LogicalType logical) {
        Reader base = baseReader(type, logical);
        if (type.nullable) {
            return in -> in.u8() != 0 ? null : base.read(in);
        }
        return base;
    }

    private static Reader baseReader(ChType type, LogicalType logical) {
        switch (type.kind) {
            case INT8: return in -> (int) (byte) in.u8();
            case UINT8: return in -> in.u8();
            case INT16: return in -> (int) (short) in.le(2);
            case UINT16: return in -> (int) in.le(2);
            case INT32: return in -> (int) in.le(4);
            case UINT32: return in -> in.le(4);
            case INT64: return in -> in.le(8);
            case UINT64: return in -> {
                long v = in.le(8);
                return v >= 0 ? new BigDecimal(v) : new BigDecimal(new BigInteger(Long.toUnsignedString(v)));
            };
            case FLOAT32: return in -> (double) Float.intBitsToFloat((int) in.le(4));
            case FLOAT64: return in -> Double.longBitsToDouble(in.le(8));
            case BOOL: return in -> in.u8() != 0;
            case DECIMAL: {
                int p = type.precision;
                int s = type.scale;
                int width = p <= 9 ? 4 : p <= 18 ? 8 : p <= 38 ? 16 : 32;
                if (width == 4) {
                    return in -> BigDecimal.valueOf((int) in.le(4), s);
                }
                if (width == 8) {
                    return in -> BigDecimal.valueOf(in.le(8), s);
                }
                return in -> new BigDecimal(in.bigInt(width), s);
            }
            case STRING:
                if (logical == LogicalType.BYTES) {
                    return Input::blob;
                }
                if (logical == LogicalType.JSON) {
                    return in -> parseJson(in.string());
                }
                return Input::string;
            case FIXED_STRING: {
                int n = type.precision;
                return in -> {
                    String s = new String(in.bytes(n), StandardCharsets.UTF_8);
                    int end = s.length();
                    while (end > 0 && s.charAt(end - 1) == 0) {
                        end--;
                    }
                    return s.substring(0, end);
                };
            }
            case JSON:
                return in -> parseJson(in.string());
            case UUID:
                return in -> new UUID(in.le(8), in.le(8));
            case DATE:
                return in -> LocalDate.ofEpochDay(in.le(2));
            case DATE32:
                return in -> LocalDate.ofEpochDay((int) in.le(4));
            case DATETIME: {
                boolean local = logical == LogicalType.TIMESTAMP;
                return in -> {
                    Instant i = Instant.ofEpochSecond(in.le(4));
                    return local ? LocalDateTime.ofInstant(i, ZoneOffset.UTC) : i;
                };
            }
            case DATETIME64: {
                long perSecond = POW10[type.precision];
                long nanosPerTick = POW10[9 - type.precision];
                boolean local = logical == LogicalType.TIMESTAMP;
                return in -> {
                    long t = in.le(8);
                    Instant i = Instant.ofEpochSecond(Math.floorDiv(t, perSecond), Math.floorMod(t, perSecond) * nanosPerTick);
                    return local ? LocalDateTime.ofInstant(i, ZoneOffset.UTC) : i;
                };
            }
            case ARRAY: {
                Reader e = reader(type.element, type.element.logical());
                return in -> {
                    int n = Math.toIntExact(in.varint());
                    if (n == 0) {
                        return Collections.emptyList();
                    }
                    List<Object> out = new ArrayList<>(n);
                    for (int i = 0; i < n; i++) {
                        out.add(e.read(in));
                    }
                    return Collections.unmodifiableList(out);
                };
            }
            default:
                throw new IllegalArgumentException("cannot read ClickHouse type " + type);
        }
    }

    static Object parseJson(String text) throws IOException {
        if (text.isEmpty()) {
            return null;
        }
        return JSON.readValue(text, Object.class);
    }
}
