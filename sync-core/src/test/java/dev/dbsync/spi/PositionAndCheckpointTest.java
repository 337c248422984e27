package dev.dbsync.spi;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigDecimal;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;

class PositionAndCheckpointTest {

    @Test
    void everySupportedTypeRoundTripsExactly() {
        Position p = Position.of("text with \"quotes\", commas, ü", 7, 7L, new BigDecimal("1.50"), 2.5, true, new byte[] {0, -1},
                UUID.randomUUID(), LocalDate.of(2024, 2, 29), LocalDateTime.of(2024, 1, 1, 0, 0, 0, 1000),
                Instant.parse("2024-01-01T00:00:00.000001Z"), OffsetDateTime.parse("2024-01-01T01:00:00+01:00"), null);
        Position back = Position.decode(p.encode());
        assertEquals(p, back);
        assertEquals(Integer.class, back.get(1).getClass());
        assertEquals(Long.class, back.get(2).getClass());
        assertEquals(new BigDecimal("1.50"), back.get(3), "scale kept");
        assertArrayEquals(new byte[] {0, -1}, (byte[]) back.get(6));
        assertEquals(null, back.get(12));
    }

    @Test
    void malformedTextIsRejectedWithTheText() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Position.decode("[\"Q:1\"]"));
        assertTrue(e.getMessage().contains("Q:1"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Position.decode("not json"));
        assertThrows(IllegalArgumentException.class, () -> Position.decode("[null]"));
        assertThrows(IllegalArgumentException.class, () -> Position.of(List.of(new Object())).encode());
    }

    @Test
    void checkpointsRoundTrip() {
        Checkpoint cp = new Checkpoint(Checkpoint.Phase.SNAPSHOT, Position.of(42L), Position.of(Instant.EPOCH, null), 42);
        assertEquals(cp, Checkpoint.decode(cp.encode()));
        Checkpoint done = new Checkpoint(Checkpoint.Phase.DONE, null, null, 0);
        assertEquals(done, Checkpoint.decode(done.encode()));
        assertThrows(IllegalArgumentException.class, () -> Checkpoint.decode("{}"));
    }

    @Test
    void latestPerKeyKeepsTheLastChangeOfEachKeyInOrder() {
        TableSchema s = new TableSchema("t", List.of(Column.required("id", LogicalType.INT64), Column.of("v", LogicalType.STRING)), List.of("id"));
        ChangeEvent a1 = ChangeEvent.upsert("t", new Object[] {1L}, new Object[] {1L, "a1"}, 1, Position.of(1L));
        ChangeEvent b1 = ChangeEvent.upsert("t", new Object[] {2L}, new Object[] {2L, "b1"}, 2, Position.of(2L));
        ChangeEvent a2 = ChangeEvent.delete("t", new Object[] {1L}, null, 3, Position.of(3L));
        ChangeEvent c1 = ChangeEvent.upsert("t", new Object[] {3L}, new Object[] {3L, "c1"}, 4, Position.of(4L));
        assertEquals(List.of(b1, a2, c1), new Batch(s, List.of(a1, b1, a2, c1)).latestPerKey());
        ChangeEvent trunc = ChangeEvent.truncate("t", 5, Position.of(5L));
        ChangeEvent d1 = ChangeEvent.upsert("t", new Object[] {4L}, new Object[] {4L, "d1"}, 6, Position.of(6L));
        assertEquals(List.of(trunc, d1), new Batch(s, List.of(a1, b1, trunc, d1)).latestPerKey());
    }

    @Test
    void latestPerKeyComparesBinaryKeysByContent() {
        TableSchema s = new TableSchema("t", List.of(Column.required("k", LogicalType.BYTES), Column.of("v", LogicalType.STRING)), List.of("k"));
        ChangeEvent a = ChangeEvent.upsert("t", new Object[] {new byte[] {1, 2}}, new Object[] {new byte[] {1, 2}, "a"}, 1, Position.of(1L));
        ChangeEvent b = ChangeEvent.upsert("t", new Object[] {new byte[] {1, 2}}, new Object[] {new byte[] {1, 2}, "b"}, 2, Position.of(2L));
        assertEquals(List.of(b), new Batch(s, List.of(a, b)).latestPerKey());
    }

    @Test
    void schemasRefuseWhatCannotBeSynced() {
        IllegalArgumentException noKey = assertThrows(IllegalArgumentException.class,
                () -> new TableSchema("orders", List.of(Column.of("id", LogicalType.INT64)), List.of()));
        assertTrue(noKey.getMessage().contains("'orders'") && noKey.getMessage().contains("no primary key"));
        IllegalArgumentException badKey = assertThrows(IllegalArgumentException.class,
                () -> new TableSchema("orders", List.of(Column.of("id", LogicalType.INT64)), List.of("uuid")));
        assertTrue(badKey.getMessage().contains("'uuid'"));
        assertThrows(IllegalArgumentException.class, () -> new TableSchema("t",
                List.of(Column.of("a", LogicalType.INT64), Column.of("a", LogicalType.STRING)), List.of("a")));
    }

    @Test
    void logicalTypesAcceptTheirDocumentedJavaTypes() {
        assertTrue(LogicalType.TIMESTAMP_TZ.accepts(OffsetDateTime.now()));
        assertTrue(LogicalType.JSON.accepts(java.util.Map.of("a", 1)));
        assertTrue(LogicalType.BYTES.accepts(new byte[0]));
        assertTrue(LogicalType.INT64.accepts(null));
        assertTrue(!LogicalType.INT64.accepts(1));
    }
}
