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

class SpiModelTest {

    @Test
    void everySupportedTypeRoundTripsExactly() {
        Position p = Position.of("text with \"quotes\", commas, ü", 7, 7L, new BigDecimal("1.50"), 2.5, true, new byte[] {0, -1},
                UUID.randomUUID(), LocalDate.of(2024, 2, 29), LocalDateTime.of(2024, 1, 1, 0, 0, 0, 1000),
                Instant.parse("2024-01-01T00:00:00.000001Z"), OffsetDateTime.parse("2024-01-01T01:00:00+01:00"), null,
                java.time.LocalTime.of(13, 45, 30, 123_456_789), "", " # 12#x");
        Position back = Position.decode(p.encode());
        assertEquals(p, back);
        assertEquals(Integer.class, back.get(1).getClass());
        assertEquals(Long.class, back.get(2).getClass());
        assertEquals(new BigDecimal("1.50"), back.get(3), "scale kept");
        assertArrayEquals(new byte[] {0, -1}, (byte[]) back.get(6));
        assertEquals(null, back.get(12));
        assertEquals(java.time.LocalTime.class, back.get(13).getClass());
        assertEquals("", back.get(14));
        assertEquals(" # 12#x", back.get(15), "separators inside values need no escaping");
        assertEquals(Position.of(), Position.decode(Position.of().encode()));
    }

    @Test
    void malformedTextIsRejectedWithTheText() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Position.decode("3#Q:1"));
        assertTrue(e.getMessage().contains("Q:1"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Position.decode("not a position"));
        assertThrows(IllegalArgumentException.class, () -> Position.decode("9#L:1"), "length past the end");
        assertThrows(IllegalArgumentException.class, () -> Position.decode("3#L:1x3#L:2"), "no separator");
        assertThrows(IllegalArgumentException.class, () -> Position.decode("3#L:x"));
        assertThrows(IllegalArgumentException.class, () -> Position.of(List.of(new Object())).encode());
    }

    @Test
    void latestPerKeyKeepsTheLastChangeOfEachKeyInOrder() {
        TableSchema s = new TableSchema("t", List.of(Column.required("id", LogicalType.INT64), Column.of("v", LogicalType.STRING)), List.of("id"));
        ChangeEvent a1 = ChangeEvent.upsert("t", new Object[] {1L}, new Object[] {1L, "a1"}, 1, Position.of(1L));
        ChangeEvent b1 = ChangeEvent.upsert("t", new Object[] {2L}, new Object[] {2L, "b1"}, 2, Position.of(2L));
        ChangeEvent a2 = ChangeEvent.delete("t", new Object[] {1L}, null, 3, Position.of(3L));
        ChangeEvent c1 = ChangeEvent.upsert("t", new Object[] {3L}, new Object[] {3L, "c1"}, 4, Position.of(4L));
        assertEquals(List.of(b1, a2, c1), Batch.of(s, List.of(a1, b1, a2, c1)).latestPerKey());
        ChangeEvent trunc = ChangeEvent.truncate("t", 5, Position.of(5L));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Batch.of(s, List.of(a1, trunc)));
        assertTrue(e.getMessage().contains("TRUNCATE"), e.getMessage());
    }

    @Test
    void latestPerKeyComparesBinaryKeysByContent() {
        TableSchema s = new TableSchema("t", List.of(Column.required("k", LogicalType.BYTES), Column.of("v", LogicalType.STRING)), List.of("k"));
        ChangeEvent a = ChangeEvent.upsert("t", new Object[] {new byte[] {1, 2}}, new Object[] {new byte[] {1, 2}, "a"}, 1, Position.of(1L));
        ChangeEvent b = ChangeEvent.upsert("t", new Object[] {new byte[] {1, 2}}, new Object[] {new byte[] {1, 2}, "b"}, 2, Position.of(2L));
        assertEquals(List.of(b), Batch.of(s, List.of(a, b)).latestPerKey());
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
    void changeEventsSayHowARowCameToBeAndCarryThePreviousRow() {
        ChangeEvent read = ChangeEvent.read("t", new Object[] {1L}, new Object[] {1L, "a"}, 0, Position.of(1L));
        ChangeEvent ins = ChangeEvent.insert("t", new Object[] {1L}, new Object[] {1L, "a"}, 5, Position.of(5L));
        ChangeEvent upd = ChangeEvent.update("t", new Object[] {1L}, new Object[] {1L, "b"}, new Object[] {1L, "a"}, 6, Position.of(6L));
        ChangeEvent cur = ChangeEvent.upsert("t", new Object[] {1L}, new Object[] {1L, "b"}, 7, Position.of(7L));
        assertEquals(List.of(ChangeKind.READ, ChangeKind.INSERT, ChangeKind.UPDATE, ChangeKind.UNKNOWN),
                List.of(read.kind(), ins.kind(), upd.kind(), cur.kind()));
        for (ChangeEvent e : List.of(read, ins, upd, cur)) {
            assertEquals(Operation.UPSERT, e.operation(), "every kind of row change is applied as an upsert");
        }
        assertEquals(List.of(1L, "a"), upd.before());
        assertEquals(List.of(), ins.before());
        assertEquals(upd, ChangeEvent.update("t", new Object[] {1L}, new Object[] {1L, "b"}, new Object[] {1L, "a"}, 6, Position.of(6L)));
        assertTrue(upd.estimatedSize() > ins.estimatedSize(), "the previous row counts toward the size");
        assertEquals(Position.of(9L), upd.withPosition(Position.of(9L)).position());
    }

    @Test
    void foreignKeysMustNameColumnsOfTheTable() {
        List<Column> cols = List.of(Column.required("id", LogicalType.INT64), Column.of("customer_id", LogicalType.INT64));
        ForeignKey fk = new ForeignKey("orders_customer_fk", List.of("customer_id"), "public.customers", List.of("id"));
        TableSchema s = new TableSchema("orders", cols, List.of("id"), List.of(fk));
        assertEquals(List.of(fk), s.foreignKeys());
        assertEquals(List.of(fk), s.withName("x").foreignKeys(), "copies keep the foreign keys");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new TableSchema("orders", cols, List.of("id"),
                List.of(new ForeignKey("bad", List.of("nope"), "public.customers", List.of("id")))));
        assertTrue(e.getMessage().contains("'nope'"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new ForeignKey("f", List.of("a", "b"), "t", List.of("id")));
    }

    @Test
    void newerTypesFallBackToACoreTypeWithoutLoss() {
        for (LogicalType t : LogicalType.values()) {
            if (LogicalType.CORE.contains(t)) {
                assertEquals(null, t.fallback(), t + " is core");
            } else {
                assertTrue(LogicalType.CORE.contains(t.fallback()), t + " falls back to a core type");
            }
        }
        assertEquals("13:45:30.123456", LogicalType.TIME.toFallback(java.time.LocalTime.of(13, 45, 30, 123_456_000)));
        assertEquals(java.time.LocalTime.parse("13:45:30.123456"), java.time.LocalTime.parse(
                (String) LogicalType.TIME.toFallback(java.time.LocalTime.of(13, 45, 30, 123_456_000))), "ISO text parses back");
    }

    @Test
    void writeResultsCountSkippedStaleWritesApart() {
        WriteResult r = WriteResult.of(3, 1, 2, List.of());
        assertEquals(2, r.skipped());
        assertThrows(IllegalArgumentException.class, () -> WriteResult.of(-1, 0, 0, List.of()));
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
