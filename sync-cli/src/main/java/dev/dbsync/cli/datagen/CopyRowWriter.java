package dev.dbsync.cli.datagen;

import java.nio.charset.StandardCharsets;
import java.sql.SQLException;
import java.time.LocalDate;

/**
 * Encodes rows in PostgreSQL's COPY text format into a byte buffer and hands full buffers to a sink.
 *
 * <p>Strings that can contain special characters are escaped once, when pools are built
 * ({@link #encode(String)}), so the per-row work is copying bytes and formatting numbers. Not thread-safe: one
 * writer per worker.
 */
final class CopyRowWriter {

    /** Receives encoded bytes; a COPY stream or a counter. */
    interface Sink {
        void write(byte[] buffer, int length) throws SQLException;
    }

    private static final int FLUSH_AT = 1 << 16;
    private static final byte[] NULL = {'\\', 'N'};
    private static final byte[] TRUE = {'t'};
    private static final byte[] FALSE = {'f'};
    private static final byte[] HEX = "0123456789abcdef".getBytes(StandardCharsets.US_ASCII);

    private final Sink sink;
    private byte[] buffer = new byte[FLUSH_AT + 8192];
    private int position;
    private boolean firstColumn = true;
    private long bytesWritten;

    CopyRowWriter(Sink sink) {
        this.sink = sink;
    }

    /** UTF-8 bytes of {@code value} with the COPY text escapes applied. */
    static byte[] encode(String value) {
        StringBuilder escaped = new StringBuilder(value.length() + 8);
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            switch (c) {
                case '\\' -> escaped.append("\\\\");
                case '\t' -> escaped.append("\\t");
                case '\n' -> escaped.append("\\n");
                case '\r' -> escaped.append("\\r");
                default -> escaped.append(c);
            }
        }
        return escaped.toString().getBytes(StandardCharsets.UTF_8);
    }

    private void separator() {
        if (firstColumn) {
            firstColumn = false;
        } else {
            ensure(1);
            buffer[position++] = '\t';
        }
    }

    private void ensure(int extra) {
        if (position + extra > buffer.length) {
            byte[] larger = new byte[Math.max(buffer.length * 2, position + extra)];
            System.arraycopy(buffer, 0, larger, 0, position);
            buffer = larger;
        }
    }

    /** An already encoded value (see {@link #encode(String)}). */
    CopyRowWriter bytes(byte[] encoded) {
        separator();
        raw(encoded);
        return this;
    }

    /** Appends encoded bytes to the current column without a separator. */
    CopyRowWriter raw(byte[] encoded) {
        ensure(encoded.length);
        System.arraycopy(encoded, 0, buffer, position, encoded.length);
        position += encoded.length;
        return this;
    }

    /** Appends an ASCII character to the current column; it must not need escaping. */
    CopyRowWriter rawChar(char c) {
        ensure(1);
        buffer[position++] = (byte) c;
        return this;
    }

    /** Appends a number to the current column without a separator. */
    CopyRowWriter rawLong(long value) {
        ensure(20);
        if (value < 0) {
            buffer[position++] = '-';
            value = -value;
        }
        int start = position;
        do {
            buffer[position++] = (byte) ('0' + value % 10);
            value /= 10;
        } while (value != 0);
        reverse(start, position - 1);
        return this;
    }

    /** Appends {@code value} in base 36, zero padded to {@code width}, to the current column. */
    CopyRowWriter rawBase36(long value, int width) {
        ensure(Math.max(width, 13));
        int start = position;
        do {
            int digit = (int) (value % 36);
            buffer[position++] = (byte) (digit < 10 ? '0' + digit : 'A' + digit - 10);
            value /= 36;
        } while (value != 0);
        while (position - start < width) {
            buffer[position++] = '0';
        }
        reverse(start, position - 1);
        return this;
    }

    private void reverse(int from, int to) {
        while (from < to) {
            byte t = buffer[from];
            buffer[from++] = buffer[to];
            buffer[to--] = t;
        }
    }

    CopyRowWriter text(String ascii) {
        separator();
        ensure(ascii.length());
        for (int i = 0; i < ascii.length(); i++) {
            buffer[position++] = (byte) ascii.charAt(i);
        }
        return this;
    }

    /** Starts a new column; content follows with the raw methods. */
    CopyRowWriter column() {
        separator();
        return this;
    }

    CopyRowWriter number(long value) {
        separator();
        return rawLong(value);
    }

    /** A fixed-point number with two decimals, from an amount in hundredths (e.g. cents). */
    CopyRowWriter decimal2(long hundredths) {
        separator();
        if (hundredths < 0) {
            rawChar('-');
            hundredths = -hundredths;
        }
        rawLong(hundredths / 100);
        ensure(3);
        long fraction = hundredths % 100;
        buffer[position++] = '.';
        buffer[position++] = (byte) ('0' + fraction / 10);
        buffer[position++] = (byte) ('0' + fraction % 10);
        return this;
    }

    CopyRowWriter bool(boolean value) {
        return bytes(value ? TRUE : FALSE);
    }

    CopyRowWriter nullValue() {
        return bytes(NULL);
    }

    /** A date as {@code YYYY-MM-DD}. */
    CopyRowWriter date(long epochDay) {
        separator();
        writeDate(LocalDate.ofEpochDay(epochDay));
        return this;
    }

    /** A {@code timestamptz} in UTC with microseconds, e.g. {@code 2024-05-01 10:11:12.123456+00}. */
    CopyRowWriter timestamp(long epochMicros) {
        separator();
        long seconds = Math.floorDiv(epochMicros, 1_000_000L);
        long micros = Math.floorMod(epochMicros, 1_000_000L);
        long day = Math.floorDiv(seconds, 86_400L);
        int secondOfDay = (int) Math.floorMod(seconds, 86_400L);
        writeDate(LocalDate.ofEpochDay(day));
        ensure(20);
        buffer[position++] = ' ';
        two(secondOfDay / 3600);
        buffer[position++] = ':';
        two(secondOfDay / 60 % 60);
        buffer[position++] = ':';
        two(secondOfDay % 60);
        buffer[position++] = '.';
        for (long div = 100_000; div > 0; div /= 10) {
            buffer[position++] = (byte) ('0' + micros / div % 10);
        }
        buffer[position++] = '+';
        buffer[position++] = '0';
        buffer[position++] = '0';
        return this;
    }

    private void writeDate(LocalDate date) {
        ensure(12);
        int year = date.getYear();
        buffer[position++] = (byte) ('0' + year / 1000 % 10);
        buffer[position++] = (byte) ('0' + year / 100 % 10);
        buffer[position++] = (byte) ('0' + year / 10 % 10);
        buffer[position++] = (byte) ('0' + year % 10);
        buffer[position++] = '-';
        two(date.getMonthValue());
        buffer[position++] = '-';
        two(date.getDayOfMonth());
    }

    private void two(int value) {
        buffer[position++] = (byte) ('0' + value / 10);
        buffer[position++] = (byte) ('0' + value % 10);
    }

    /** A UUID in its canonical text form. */
    CopyRowWriter uuid(long high, long low) {
        separator();
        ensure(36);
        hex(high >>> 32, 8);
        buffer[position++] = '-';
        hex(high >>> 16, 4);
        buffer[position++] = '-';
        hex(high, 4);
        buffer[position++] = '-';
        hex(low >>> 48, 4);
        buffer[position++] = '-';
        hex(low, 12);
        return this;
    }

    private void hex(long value, int digits) {
        for (int i = digits - 1; i >= 0; i--) {
            buffer[position++] = HEX[(int) (value >>> (i * 4)) & 0xf];
        }
    }

    /** Ends the row; flushes to the sink when the buffer is full. */
    void endRow() throws SQLException {
        ensure(1);
        buffer[position++] = '\n';
        firstColumn = true;
        if (position >= FLUSH_AT) {
            flush();
        }
    }

    void flush() throws SQLException {
        if (position > 0) {
            sink.write(buffer, position);
            bytesWritten += position;
            position = 0;
        }
    }

    long bytesWritten() {
        return bytesWritten + position;
    }
}
