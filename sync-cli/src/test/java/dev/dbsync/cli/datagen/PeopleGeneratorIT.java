package dev.dbsync.cli.datagen;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.sql.SQLException;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class PeopleGeneratorIT {

    private static final long USERS = 20_000;
    private static Db db;
    private static GenerationReport report;

    @BeforeAll
    static void generate() throws SQLException {
        db = new Db("people");
        report = PeopleGenerator.builder().users(USERS).seed(3).parallelism(2).build().generate(db.source());
        System.out.print(report);
    }

    @Test
    void countsPerUserFollowZipf() throws SQLException {
        for (String child : new String[] {"emails", "phone_numbers"}) {
            String perUser = "(SELECT u.id, count(c.id) n FROM users u LEFT JOIN " + child
                    + " c ON c.user_id = u.id GROUP BY u.id) x";
            assertEquals(1, db.number("SELECT min(n) FROM " + perUser), child);
            assertEquals(5, db.number("SELECT max(n) FROM " + perUser), child);
            long oneToThree = db.number("SELECT count(*) FROM " + perUser + " WHERE n <= 3");
            assertTrue(oneToThree > USERS * 0.75, child + ": " + oneToThree);
            long ones = db.number("SELECT count(*) FROM " + perUser + " WHERE n = 1");
            long fives = db.number("SELECT count(*) FROM " + perUser + " WHERE n = 5");
            // Zipf with exponent 1: P(1) ~ 0.44, P(5) ~ 0.09
            assertTrue(ones > USERS * 0.40 && ones < USERS * 0.48, child + " ones: " + ones);
            assertTrue(fives > USERS * 0.06 && fives < USERS * 0.12, child + " fives: " + fives);
            assertEquals(1, db.number("SELECT max(p) FROM (SELECT count(*) FILTER (WHERE is_primary) p FROM " + child
                    + " GROUP BY user_id) x"), child);
        }
    }

    @Test
    void writesUsersWithUuidKeysAndConsistentChildren() throws SQLException {
        assertEquals(USERS, db.number("SELECT count(DISTINCT id) FROM users"));
        assertEquals("uuid", db.string("SELECT pg_typeof(id)::text FROM users LIMIT 1"));
        assertEquals(USERS, db.number("SELECT count(*) FROM users WHERE id::text ~ '^[0-9a-f]{8}-[0-9a-f]{4}-4'"));
        assertEquals(0, db.number("SELECT count(*) FROM emails e LEFT JOIN users u ON u.id = e.user_id WHERE u.id IS NULL"));
        assertEquals(db.number("SELECT count(*) FROM emails"), db.number("SELECT count(DISTINCT address) FROM emails"));
        assertEquals(db.number("SELECT count(*) FROM emails"), report.table("emails").rows());
        assertEquals(db.number("SELECT count(*) FROM phone_numbers"), db.number("SELECT max(id) FROM phone_numbers"));
        assertEquals(2, db.number("SELECT count(*) FROM pg_constraint WHERE contype = 'f'"));
    }

    @Test
    void sameSeedGivesSameTablesWhateverTheParallelism() throws SQLException {
        Db serial = new Db("people_serial");
        PeopleGenerator.builder().users(USERS).seed(3).parallelism(1).build().generate(serial.source());
        for (String table : new String[] {"users", "emails", "phone_numbers"}) {
            assertEquals(db.checksum(table), serial.checksum(table), table);
        }
    }
}
