package dev.dbsync.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.dbsync.spi.TableSpec;
import org.junit.jupiter.api.Test;

class TableSyncTest {

    @Test
    void theDefaultTargetIsTheLastPartWithoutQuotes() {
        assertEquals("orders", TableSync.full(TableSpec.of("public.orders")).target());
        assertEquals("orders", TableSync.full(TableSpec.of("orders")).target());
        assertEquals("order items", TableSync.full(TableSpec.of("public.\"order items\"")).target());
        assertEquals("Mixed", TableSync.full(TableSpec.of("\"my.schema\".\"Mixed\"")).target());
        assertEquals("\"a.b\"", TableSync.full(TableSpec.of("public.\"a.b\"")).target(), "a dot inside stays quoted");
        assertEquals("\"say \"\"hi\"\"\"", TableSync.full(TableSpec.of("public.\"say \"\"hi\"\"\"")).target());
        assertEquals("t2", TableSync.full(TableSpec.of("public.orders")).withTarget("t2").target());
    }
}
