package dev.dbsync.postgres;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.dbsync.spi.LogicalType;
import java.math.BigDecimal;
import java.sql.Connection;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.postgresql.PGConnection;

/**
 * Binary numerics decode to exactly the value and scale PostgreSQL prints: signs, zeros, trailing zeros of the
 * display scale, integers with a scale, tiny and huge values, and many random ones of several declared scales.
 */
class NumericDecodeIT {

    private static final PgTestDb DB = PgTestDb.create("numdec");

    @Test
    void binaryNumericsDecodeToTheTextValueAndScale() throws Exception {
        String values = "SELECT v FROM unnest(ARRAY['0', '0.00', '-0.5', '1.10', '100', '100.00', '-100.000', '10000',"
                + " '12345678.9', '-12345678.90', '1e20', '0.000001', '-0.00012300', '99999999999999.99', '1234.5678',"
                + " '1234.56780000', '0.1', '12.000000001', '-9999.9999', '10000.0001', '123456789012345678901234567890.123',"
                + " '1000000.000']::numeric[]) v"
                + " UNION ALL SELECT round((random() - 0.5)::numeric * (10::numeric ^ (g % 12)), g % 7) FROM generate_series(1, 5000) g"
                + " UNION ALL SELECT (g * 100)::numeric(14,2) FROM generate_series(1, 300) g"
                + " UNION ALL SELECT (g / 7.0)::numeric(20,6) FROM generate_series(-300, 300) g";
        List<String> texts = new ArrayList<>();
        List<BigDecimal> decoded = new ArrayList<>();
        try (Connection c = DB.connect()) {
            c.createStatement().execute("CREATE TABLE nums AS SELECT row_number() OVER () AS i, v FROM (" + values + ") x");
            try (java.sql.Statement st = c.createStatement();
                 java.sql.ResultSet rs = st.executeQuery("SELECT v::text FROM nums ORDER BY i")) {
                while (rs.next()) {
                    texts.add(rs.getString(1));
                }
            }
            CopyBinaryReader reader = new CopyBinaryReader(c.unwrap(PGConnection.class).getCopyAPI()
                    .copyOut("COPY (SELECT v FROM nums ORDER BY i) TO STDOUT (FORMAT binary)"));
            while (reader.next((index, buf, off, len) -> decoded.add(
                    (BigDecimal) PgTypes.decodeBinary(LogicalType.DECIMAL, buf, off, len)))) {
                // each row adds its value
            }
        }
        assertTrue(texts.size() > 5_000);
        assertEquals(texts.size(), decoded.size());
        for (int i = 0; i < texts.size(); i++) {
            // equals compares the scale too: 1.10 must not come back as 1.1 or 1.1000
            assertEquals(new BigDecimal(texts.get(i)), decoded.get(i), "row " + i + ": " + texts.get(i));
        }
    }
}
