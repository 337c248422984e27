package dev.dbsync.postgres;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.dbsync.postgres.PgoutputDecoder.Begin;
import dev.dbsync.postgres.PgoutputDecoder.Commit;
import dev.dbsync.postgres.PgoutputDecoder.Delete;
import dev.dbsync.postgres.PgoutputDecoder.Insert;
import dev.dbsync.postgres.PgoutputDecoder.LogicalMessage;
import dev.dbsync.postgres.PgoutputDecoder.Message;
import dev.dbsync.postgres.PgoutputDecoder.Origin;
import dev.dbsync.postgres.PgoutputDecoder.Relation;
import dev.dbsync.postgres.PgoutputDecoder.Truncate;
import dev.dbsync.postgres.PgoutputDecoder.Type;
import dev.dbsync.postgres.PgoutputDecoder.Update;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The decoder on messages a PostgreSQL 17 server sent (captured by {@link PgoutputDecoderIT#main}), and on a
 * few messages the capture does not contain.
 */
class PgoutputDecoderTest {

    private static List<Message> fixture() throws IOException {
        List<Message> out = new ArrayList<>();
        try (BufferedReader r = new BufferedReader(new InputStreamReader(
                PgoutputDecoderTest.class.getResourceAsStream("pgoutput-messages.hex"), StandardCharsets.US_ASCII))) {
            String line;
            while ((line = r.readLine()) != null) {
                if (line.isBlank() || line.startsWith("#")) {
                    continue;
                }
                ByteBuffer buf = ByteBuffer.wrap(HexFormat.of().parseHex(line.trim()));
                out.add(PgoutputDecoder.decode(buf));
                assertFalse(buf.hasRemaining(), "message fully consumed: " + line);
            }
        }
        return out;
    }

    @Test
    void decodesCapturedMessages() throws IOException {
        List<Message> ms = fixture();
        assertEquals(31, ms.size());
        StringBuilder kinds = new StringBuilder();
        for (Message m : ms) {
            kinds.append(m instanceof Type ? 'Y' : m.getClass().getSimpleName().charAt(0));
        }
        // Begin, Type, Relation, Insert, ... as the server sent them
        assertEquals("BYRIICBUCBUCBCBUCBDCBRCBCBYRRTC", kinds.toString());

        Begin b = (Begin) ms.get(0);
        Commit c = (Commit) ms.get(5);
        assertEquals(b.finalLsn(), c.commitLsn());
        assertEquals(b.commitTime(), c.commitTime());
        assertEquals(c.commitLsn() + 0x30, c.endLsn());
        assertEquals(0, c.flags());

        Type t = (Type) ms.get(1);
        assertEquals("public", t.namespace());
        assertEquals("mood", t.name());

        Relation rel = (Relation) ms.get(2);
        assertEquals("dec", rel.name());
        assertEquals('d', rel.replicaIdentity());
        assertEquals(6, rel.columns().size());
        assertEquals("tags", rel.columns().get(5).name());
        assertEquals(1007, rel.columns().get(5).typeOid(), "int4[]");
        assertEquals(t.oid(), rel.columns().get(4).typeOid(), "the enum column refers to the Type message");
        assertEquals(-1, rel.columns().get(0).typeModifier());

        Insert ins = (Insert) ms.get(3);
        assertEquals(rel.oid(), ins.relationOid());
        assertArrayEquals(new String[] {"1", "one", null, "1.50", "happy", "{1,2}"}, ins.newTuple().values());

        Update keyChange = (Update) ms.get(10);
        assertEquals('K', keyChange.oldKind());
        assertEquals("2", keyChange.oldTuple().values()[0]);
        assertEquals("3", keyChange.newTuple().values()[0]);

        Update toast = (Update) ms.get(15);
        assertEquals(0, toast.oldKind());
        assertArrayEquals(new byte[] {'t', 't', 'u', 't', 't', 't'}, toast.newTuple().kinds());
        assertTrue(toast.newTuple().hasUnchangedToast());

        Delete d = (Delete) ms.get(18);
        assertEquals('K', d.oldKind());
        assertArrayEquals(new byte[] {'t', 'n', 'n', 'n', 'n', 'n'}, d.oldTuple().kinds());

        Relation full = (Relation) ms.get(21);
        assertEquals('f', full.replicaIdentity());
        assertTrue(full.columns().get(0).key() && full.columns().get(1).key(), "FULL: every column is identity");

        Truncate tr = (Truncate) ms.get(29);
        assertArrayEquals(new int[] {rel.oid(), full.oid()}, tr.relationOids());
    }

    @Test
    void decodesOriginMessageAndUnicode() {
        ByteBuffer o = ByteBuffer.allocate(64);
        o.put((byte) 'O').putLong(0x1234L).put("node_ä".getBytes(StandardCharsets.UTF_8)).put((byte) 0).flip();
        Origin origin = (Origin) PgoutputDecoder.decode(o);
        assertEquals(0x1234L, origin.originLsn());
        assertEquals("node_ä", origin.name());

        byte[] text = "Grüße 🌍".getBytes(StandardCharsets.UTF_8);
        ByteBuffer i = ByteBuffer.allocate(64);
        i.put((byte) 'I').putInt(-5).put((byte) 'N').putShort((short) 2)
                .put((byte) 't').putInt(text.length).put(text).put((byte) 'n').flip();
        Insert ins = (Insert) PgoutputDecoder.decode(i);
        assertEquals(-5, ins.relationOid(), "OIDs above 2^31 arrive as negative ints");
        assertEquals("Grüße 🌍", ins.newTuple().values()[0]);
    }

    @Test
    void decodesLogicalMessage() {
        ByteBuffer m = ByteBuffer.allocate(64);
        m.put((byte) 'M').put((byte) 1).putLong(99).put("hb".getBytes(StandardCharsets.US_ASCII)).put((byte) 0)
                .putInt(2).put(new byte[] {7, 8}).flip();
        LogicalMessage lm = (LogicalMessage) PgoutputDecoder.decode(m);
        assertEquals("hb", lm.prefix());
        assertArrayEquals(new byte[] {7, 8}, lm.content());
    }

    @Test
    void rejectsStreamingAndMalformedMessages() {
        assertThrows(IllegalArgumentException.class, () -> PgoutputDecoder.decode(ByteBuffer.wrap(new byte[] {'S', 0, 0, 0, 1, 1})));
        assertThrows(IllegalArgumentException.class, () -> PgoutputDecoder.decode(ByteBuffer.wrap(new byte[] {'B', 0, 0})));
        ByteBuffer badKind = ByteBuffer.allocate(16);
        badKind.put((byte) 'I').putInt(1).put((byte) 'N').putShort((short) 1).put((byte) 'x').flip();
        assertThrows(IllegalArgumentException.class, () -> PgoutputDecoder.decode(badKind));
        ByteBuffer unterminated = ByteBuffer.wrap(new byte[] {'Y', 0, 0, 0, 1, 'a', 'b'});
        assertThrows(IllegalArgumentException.class, () -> PgoutputDecoder.decode(unterminated));
    }
}
