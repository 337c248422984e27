package dev.dbsync.postgres;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.dbsync.postgres.PgoutputDecoder.Begin;
import dev.dbsync.postgres.PgoutputDecoder.Commit;
import dev.dbsync.postgres.PgoutputDecoder.Delete;
import dev.dbsync.postgres.PgoutputDecoder.Insert;
import dev.dbsync.postgres.PgoutputDecoder.Message;
import dev.dbsync.postgres.PgoutputDecoder.Relation;
import dev.dbsync.postgres.PgoutputDecoder.Truncate;
import dev.dbsync.postgres.PgoutputDecoder.Type;
import dev.dbsync.postgres.PgoutputDecoder.Update;
import java.nio.ByteBuffer;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Decodes messages that a real PostgreSQL produced with {@code pgoutput} (read with
 * {@code pg_logical_slot_peek_binary_changes}, the same bytes a replication connection receives).
 */
class PgoutputDecoderIT {

    private static CdcFixture db;
    private static final String SLOT = "decoder_it_" + ProcessHandle.current().pid();

    @BeforeAll
    static void setUp() {
        db = new CdcFixture("pgoutput_decoder");
        db.exec("CREATE TYPE mood AS ENUM ('sad', 'happy')",
                "CREATE TABLE dec (id int PRIMARY KEY, name text, big text, amount numeric(10,2), m mood, tags int[])",
                "CREATE TABLE dec_full (id int PRIMARY KEY, big text, n int)",
                "ALTER TABLE dec_full REPLICA IDENTITY FULL",
                "CREATE PUBLICATION dec_pub FOR TABLE dec, dec_full");
        db.queryString("SELECT lsn FROM pg_create_logical_replication_slot('" + SLOT + "', 'pgoutput')");
        db.transaction("INSERT INTO dec VALUES (1, 'one', NULL, 1.50, 'happy', '{1,2}')",
                "INSERT INTO dec VALUES (2, 'two', NULL, NULL, NULL, NULL)");
        db.exec("UPDATE dec SET name = 'uno' WHERE id = 1",
                "UPDATE dec SET id = 3 WHERE id = 2",
                // incompressible 100 KB: stored out of line, so the next update leaves it unchanged ('u')
                "UPDATE dec SET big = (SELECT string_agg(md5(i::text), '') FROM generate_series(1, 3200) i) WHERE id = 1",
                "UPDATE dec SET name = 'eins' WHERE id = 1",
                "DELETE FROM dec WHERE id = 3",
                "INSERT INTO dec_full VALUES (1, (SELECT string_agg(md5(i::text), '') FROM generate_series(1, 3200) i), 1)",
                "UPDATE dec_full SET n = 2 WHERE id = 1",
                "TRUNCATE dec, dec_full");
    }

    @AfterAll
    static void tearDown() {
        if (db != null) {
            db.exec("SELECT pg_drop_replication_slot('" + SLOT + "')");
        }
    }

    static List<byte[]> capture() throws SQLException {
        List<byte[]> out = new ArrayList<>();
        try (Connection c = db.connections.open();
             PreparedStatement ps = c.prepareStatement("SELECT data FROM pg_logical_slot_peek_binary_changes(?, NULL, NULL,"
                     + " 'proto_version', '1', 'publication_names', 'dec_pub')")) {
            ps.setString(1, SLOT);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(rs.getBytes(1));
                }
            }
        }
        return out;
    }

    @Test
    void decodesEveryMessageTheServerSends() throws SQLException {
        List<Message> ms = new ArrayList<>();
        for (byte[] b : capture()) {
            ByteBuffer buf = ByteBuffer.wrap(b);
            ms.add(PgoutputDecoder.decode(buf));
            assertFalse(buf.hasRemaining(), "decoder consumed the whole message " + HexFormat.of().formatHex(b));
        }
        List<Message> data = new ArrayList<>();
        long lastCommitEnd = 0;
        Begin begin = null;
        int types = 0;
        for (Message m : ms) {
            if (m instanceof Begin b) {
                begin = b;
            } else if (m instanceof Commit c) {
                assertEquals(begin.finalLsn(), c.commitLsn(), "Begin's final LSN is the commit LSN");
                assertTrue(c.endLsn() > c.commitLsn());
                assertTrue(c.commitLsn() >= lastCommitEnd, "commit order");
                assertEquals(begin.commitTime(), c.commitTime());
                lastCommitEnd = c.endLsn();
            } else if (m instanceof Type t) {
                assertEquals("public", t.namespace());
                assertEquals("mood", t.name());
                types++;
            } else if (!(m instanceof Relation)) {
                data.add(m);
            }
        }
        assertTrue(types >= 1, "the enum type is described before the relation that uses it");

        Relation rel = (Relation) ms.stream().filter(m -> m instanceof Relation r && r.name().equals("dec")).findFirst().orElseThrow();
        assertEquals("public", rel.namespace());
        assertEquals('d', rel.replicaIdentity());
        assertEquals(List.of("id", "name", "big", "amount", "m", "tags"), rel.columns().stream().map(c -> c.name()).toList());
        assertTrue(rel.columns().get(0).key());
        assertFalse(rel.columns().get(1).key());
        assertEquals(23, rel.columns().get(0).typeOid());
        assertEquals(1700, rel.columns().get(3).typeOid());
        assertEquals((10 << 16 | 2) + 4, rel.columns().get(3).typeModifier());
        Relation full = (Relation) ms.stream().filter(m -> m instanceof Relation r && r.name().equals("dec_full")).findFirst().orElseThrow();
        assertEquals('f', full.replicaIdentity());

        assertEquals(10, data.size(), "data messages: " + data);
        Insert i1 = (Insert) data.get(0);
        assertEquals(rel.oid(), i1.relationOid());
        assertArrayEquals(new String[] {"1", "one", null, "1.50", "happy", "{1,2}"}, i1.newTuple().values());
        assertArrayEquals(new byte[] {'t', 't', 'n', 't', 't', 't'}, i1.newTuple().kinds());
        Insert i2 = (Insert) data.get(1);
        assertArrayEquals(new byte[] {'t', 't', 'n', 'n', 'n', 'n'}, i2.newTuple().kinds());

        Update u1 = (Update) data.get(2);
        assertEquals(0, u1.oldKind(), "key unchanged: no old tuple");
        assertNull(u1.oldTuple());
        assertEquals("uno", u1.newTuple().values()[1]);

        Update u2 = (Update) data.get(3);
        assertEquals('K', u2.oldKind(), "key changed: old key sent");
        assertArrayEquals(new byte[] {'t', 'n', 'n', 'n', 'n', 'n'}, u2.oldTuple().kinds());
        assertEquals("2", u2.oldTuple().values()[0]);
        assertEquals("3", u2.newTuple().values()[0]);

        Update u3 = (Update) data.get(4);
        assertEquals(102_400, u3.newTuple().values()[2].length());

        Update u4 = (Update) data.get(5);
        assertEquals('u', u4.newTuple().kinds()[2], "unchanged TOAST value is not sent");
        assertNull(u4.newTuple().values()[2]);
        assertTrue(u4.newTuple().hasUnchangedToast());
        assertEquals("eins", u4.newTuple().values()[1]);

        Delete d = (Delete) data.get(6);
        assertEquals('K', d.oldKind());
        assertEquals("3", d.oldTuple().values()[0]);
        assertEquals('n', d.oldTuple().kinds()[1]);

        assertTrue(data.get(7) instanceof Insert);
        Update uf = (Update) data.get(8);
        assertEquals('O', uf.oldKind(), "REPLICA IDENTITY FULL sends the whole old row");
        assertEquals('u', uf.newTuple().kinds()[1]);
        assertEquals(102_400, uf.oldTuple().values()[1].length(), "and the old row carries the large value in line");

        Truncate t = (Truncate) data.get(9);
        assertEquals(2, t.relationOids().length);
        assertEquals(0, t.options());
    }

    /** Prints the captured messages as hex, one per line (used to refresh the unit test's fixture). */
    public static void main(String[] args) throws SQLException {
        setUp();
        try {
            for (byte[] b : capture()) {
                System.out.println(HexFormat.of().formatHex(b));
            }
        } finally {
            tearDown();
        }
    }
}
