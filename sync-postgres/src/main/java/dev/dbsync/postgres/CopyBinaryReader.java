package dev.dbsync.postgres;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.sql.SQLException;
import java.util.Arrays;
import org.postgresql.copy.CopyOut;

/**
 * Reads the binary COPY format from a {@link CopyOut} one tuple at a time. The server sends one CopyData
 * message per tuple, but this reader does not depend on it: values may span messages.
 *
 * <p>Per tuple it allocates nothing beyond the values themselves: the driver's message buffer is decoded in
 * place and only copied when a value crosses a message boundary.
 */
final class CopyBinaryReader {

    private static final byte[] SIGNATURE = {'P', 'G', 'C', 'O', 'P', 'Y', '\n', (byte) 0xff, '\r', '\n', 0};
    private static final VarHandle SHORT = MethodHandles.byteArrayViewVarHandle(short[].class, ByteOrder.BIG_ENDIAN);
    private static final VarHandle INT = MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.BIG_ENDIAN);

    /** Decodes one field of a tuple. */
    interface FieldDecoder {
        /** Called for every field; {@code len} is -1 for SQL NULL (then {@code buf} is meaningless). */
        void field(int index, byte[] buf, int off, int len);
    }

    /** The COPY data messages in order; null after the last. */
    interface Messages {
        byte[] next() throws SQLException;
    }

    private final Messages copy;
    private byte[] buf = new byte[0];
    private int pos;
    private boolean headerRead;
    private boolean done;

    CopyBinaryReader(CopyOut copy) {
        this(copy::readFromCopy);
    }

    /** Reads the messages of one COPY, e.g. received before by another thread. */
    CopyBinaryReader(Messages messages) {
        this.copy = messages;
    }

    /**
     * Reads the next tuple, handing each field to {@code decoder}. Returns false at the end of the data
     * (the COPY is then complete).
     */
    boolean next(FieldDecoder decoder) throws SQLException {
        if (done) {
            return false;
        }
        if (!headerRead) {
            readHeader();
        }
        if (!ensure(2)) {
            done = true;
            return false;
        }
        int fields = (short) SHORT.get(buf, pos);
        pos += 2;
        if (fields == -1) {
            // trailer; drain until the driver reports the end of the COPY
            while (copy.next() != null) {
                // nothing after the trailer is expected
            }
            done = true;
            return false;
        }
        for (int i = 0; i < fields; i++) {
            require(4);
            int len = (int) INT.get(buf, pos);
            pos += 4;
            if (len < 0) {
                decoder.field(i, buf, 0, -1);
            } else {
                require(len);
                decoder.field(i, buf, pos, len);
                pos += len;
            }
        }
        return true;
    }

    private void readHeader() throws SQLException {
        require(SIGNATURE.length + 8);
        for (int i = 0; i < SIGNATURE.length; i++) {
            if (buf[pos + i] != SIGNATURE[i]) {
                throw new IllegalStateException("not a binary COPY stream");
            }
        }
        pos += SIGNATURE.length + 4;
        int extension = (int) INT.get(buf, pos);
        pos += 4;
        require(extension);
        pos += extension;
        headerRead = true;
    }

    private void require(int n) throws SQLException {
        if (!ensure(n)) {
            throw new IllegalStateException("binary COPY stream ended inside a tuple");
        }
    }

    /** Makes {@code n} bytes available at {@link #pos}, reading further messages; false at end of data. */
    private boolean ensure(int n) throws SQLException {
        if (buf.length - pos >= n) {
            return true;
        }
        byte[] next = copy.next();
        if (next == null) {
            return false;
        }
        if (pos == buf.length) {
            buf = next;
            pos = 0;
        } else {
            // rare: a value crosses a message boundary
            byte[] joined = Arrays.copyOfRange(buf, pos, buf.length + next.length);
            System.arraycopy(next, 0, joined, buf.length - pos, next.length);
            buf = joined;
            pos = 0;
        }
        return ensure(n);
    }
}
