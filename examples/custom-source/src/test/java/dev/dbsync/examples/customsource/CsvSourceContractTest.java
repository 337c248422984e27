package dev.dbsync.examples.customsource;

import dev.dbsync.spi.Column;
import dev.dbsync.spi.Source;
import dev.dbsync.spi.TableSchema;
import dev.dbsync.testkit.SourceContractTest;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.io.TempDir;

/** The example source passes the suite every source passes; the test plays the producer of the files. */
class CsvSourceContractTest extends SourceContractTest {

    @TempDir
    static Path dir;

    private static final AtomicInteger PRODUCERS = new AtomicInteger();

    @Override
    protected Source newSource() {
        return new CsvSource(dir);
    }

    @Override
    protected String createTable(String baseName, TableSchema schema) {
        List<String> header = new ArrayList<>();
        for (Column c : schema.columns()) {
            header.add(c.name() + ":" + c.type() + (schema.primaryKey().contains(c.name()) ? ":key" : ""));
        }
        replace(baseName, Csv.line(header));
        return baseName;
    }

    @Override
    protected void upsertRows(String table, TableSchema schema, List<List<Object>> rows) {
        Map<List<String>, List<String>> all = load(table, schema);
        for (List<Object> r : rows) {
            List<String> fields = r.stream().map(v -> v == null ? null : v.toString()).toList();
            all.put(key(schema, fields), fields);
        }
        store(table, all);
    }

    @Override
    protected void deleteRows(String table, TableSchema schema, List<List<Object>> keys) {
        Map<List<String>, List<String>> all = load(table, schema);
        for (List<Object> k : keys) {
            all.remove(k.stream().map(String::valueOf).toList());
        }
        store(table, all);
    }

    /** A producer that took its cursor values now and writes them later: it announces itself meanwhile. */
    @Override
    protected LateWrite beginLateWrite(String table, TableSchema schema, List<List<Object>> rows) {
        int cursor = schema.indexOf("updated_at");
        Object earliest = rows.stream().map(r -> r.get(cursor)).min(CsvSource::compareValues).orElseThrow();
        Path marker = dir.resolve(table + CsvSource.SUFFIX + CsvSource.PENDING + "-" + PRODUCERS.incrementAndGet());
        write(marker, earliest.toString());
        return () -> {
            upsertRows(table, schema, rows);
            try {
                Files.delete(marker);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        };
    }

    private static Map<List<String>, List<String>> load(String table, TableSchema schema) {
        try {
            List<List<String>> records = Csv.parse(Files.readString(dir.resolve(table + CsvSource.SUFFIX)));
            Map<List<String>, List<String>> rows = new LinkedHashMap<>();
            rows.put(List.of("\u0000header"), records.get(0));
            for (List<String> r : records.subList(1, records.size())) {
                rows.put(key(schema, r), r);
            }
            return rows;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void store(String table, Map<List<String>, List<String>> rows) {
        StringBuilder sb = new StringBuilder();
        rows.values().forEach(r -> sb.append(Csv.line(r)));
        replace(table, sb.toString());
    }

    private static List<String> key(TableSchema schema, List<String> fields) {
        List<String> k = new ArrayList<>();
        for (int i : schema.keyIndexes()) {
            k.add(fields.get(i));
        }
        return k;
    }

    /** Producers replace a table's file atomically, so a reader sees the old or the new file, never half. */
    private static void replace(String table, String content) {
        Path tmp = dir.resolve(table + ".tmp");
        write(tmp, content);
        try {
            Files.move(tmp, dir.resolve(table + CsvSource.SUFFIX), StandardCopyOption.REPLACE_EXISTING,
                    StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void write(Path file, String content) {
        try {
            Files.writeString(file, content);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
