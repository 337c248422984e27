package dev.dbsync.examples.verify;

import static java.util.Objects.requireNonNull;

import dev.dbsync.spi.ChangeEvent;
import dev.dbsync.spi.Chunk;
import dev.dbsync.spi.Column;
import dev.dbsync.spi.LogicalType;
import dev.dbsync.spi.Operation;
import dev.dbsync.spi.Position;
import dev.dbsync.spi.Source;
import dev.dbsync.spi.TableSchema;
import dev.dbsync.spi.TableSpec;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;

/**
 * Compares a source table with its target through the SPI alone: both sides are read with
 * {@link Source#readSnapshot}, so any pair of connectors can be verified, and the target is read by a source
 * connector of the target database.
 *
 * <p>Rows are compared on their live state (soft-deleted rows of the source and deleted rows of the target are
 * skipped) over the columns both tables have, except the soft-delete column, after {@link Normalizer
 * normalization}. Keys are spread over chunks of about {@code chunkKeys} keys by a hash of the key, so the two
 * databases may return rows in different orders (collations, UUID orders); each chunk is summarized by its row
 * count and an order-independent sum of row hashes. Only chunks whose summaries differ are read a second time to
 * list the differing keys.
 */
public final class Verifier {

    private static final int READ_ROWS = 10_000;

    private final Source source;
    private final Source target;
    private final int chunkKeys;
    private final int maxKeys;

    /**
     * @param source    reads the source database
     * @param target    reads the target database (a source connector of the sink's database)
     * @param chunkKeys about how many keys make one checksummed chunk
     * @param maxKeys   most differing keys listed per table
     */
    public Verifier(Source source, Source target, int chunkKeys, int maxKeys) {
        this.source = requireNonNull(source, "source is null");
        this.target = requireNonNull(target, "target is null");
        if (chunkKeys < 1 || maxKeys < 0) {
            throw new IllegalArgumentException("chunkKeys must be >= 1 and maxKeys >= 0");
        }
        this.chunkKeys = chunkKeys;
        this.maxKeys = maxKeys;
    }

    /**
     * What verification found for one table.
     *
     * @param table          the source table
     * @param target         the target table
     * @param sourceRows     live rows in the source
     * @param targetRows     live rows in the target
     * @param chunks         number of chunks compared
     * @param differingChunks chunks whose count or checksum differ
     * @param columns        the columns compared
     * @param missing        keys in the source but not in the target (at most maxKeys)
     * @param extra          keys in the target but not in the source (at most maxKeys)
     * @param different      keys in both whose values differ (at most maxKeys)
     * @param differences    total number of differing keys, also those not listed
     * @param probesFound    the probed keys present among the target's live rows
     */
    public record TableResult(String table, String target, long sourceRows, long targetRows, int chunks,
                              int differingChunks, List<String> columns, List<String> missing, List<String> extra,
                              List<String> different, long differences, Set<String> probesFound) {

        /** Whether source and target hold the same live rows. */
        public boolean equal() {
            return differences == 0 && sourceRows == targetRows;
        }
    }

    /** Verifies one table: {@code sourceSpec} as the pipeline reads it, {@code targetSpec} naming the target table. */
    public TableResult verify(TableSpec sourceSpec, TableSpec targetSpec) {
        return verify(sourceSpec, targetSpec, Set.of());
    }

    /**
     * Same, and also reports which of {@code probes} (keys in their normalized text form: the key values joined
     * by {@code ", "}, e.g. {@code 42}) are live rows of the target.
     */
    public TableResult verify(TableSpec sourceSpec, TableSpec targetSpec, Set<String> probes) {
        TableSchema s = source.describe(sourceSpec);
        TableSchema t = target.describe(targetSpec.keyColumns().isEmpty()
                ? targetSpec.withKey(s.primaryKey().toArray(String[]::new)) : targetSpec);
        List<String> columns = new ArrayList<>();
        for (Column c : s.columns()) {
            if (!c.name().equals(sourceSpec.softDeleteColumn()) && t.indexOf(c.name()) >= 0) {
                columns.add(c.name());
            }
        }
        Side src = new Side(source, sourceSpec, s, columns, t);
        Side dst = new Side(target, targetSpec, t, columns, s);
        long estimate = source.estimateRows(sourceSpec).orElse(chunkKeys * 1024L);
        int chunks = (int) Math.max(1, Math.min(1 << 20, (estimate + chunkKeys - 1) / chunkKeys));

        long[][] a = new long[2][chunks];
        long[][] b = new long[2][chunks];
        Set<String> found = new TreeSet<>();
        CompletableFuture<Long> readTarget = CompletableFuture.supplyAsync(() -> dst.scan(r -> {
            if (!probes.isEmpty() && probes.contains(r.key)) {
                found.add(r.key);
            }
            b[0][r.chunk(chunks)]++;
            b[1][r.chunk(chunks)] += r.hash;
        }));
        long sourceRows = src.scan(r -> {
            a[0][r.chunk(chunks)]++;
            a[1][r.chunk(chunks)] += r.hash;
        });
        long targetRows = readTarget.join();
        Set<Integer> differing = new java.util.HashSet<>();
        for (int i = 0; i < chunks; i++) {
            if (a[0][i] != b[0][i] || a[1][i] != b[1][i]) {
                differing.add(i);
            }
        }
        List<String> missing = new ArrayList<>();
        List<String> extra = new ArrayList<>();
        List<String> different = new ArrayList<>();
        long differences = 0;
        if (!differing.isEmpty()) {
            Map<String, Long> inTarget = new HashMap<>();
            CompletableFuture<Long> second = CompletableFuture.supplyAsync(() -> dst.scan(r -> {
                if (differing.contains(r.chunk(chunks))) {
                    synchronized (inTarget) {
                        inTarget.put(r.key, r.hash);
                    }
                }
            }));
            Map<String, Long> inSource = new HashMap<>();
            src.scan(r -> {
                if (differing.contains(r.chunk(chunks))) {
                    inSource.put(r.key, r.hash);
                }
            });
            second.join();
            TreeSet<String> keys = new TreeSet<>(inSource.keySet());
            keys.addAll(inTarget.keySet());
            for (String k : keys) {
                Long x = inSource.get(k);
                Long y = inTarget.get(k);
                List<String> list = x == null ? extra : y == null ? missing : x.equals(y) ? null : different;
                if (list != null) {
                    differences++;
                    if (list.size() < maxKeys) {
                        list.add(k);
                    }
                }
            }
        }
        return new TableResult(sourceSpec.table(), targetSpec.table(), sourceRows, targetRows, chunks, differing.size(),
                Collections.unmodifiableList(columns), missing, extra, different, differences,
                Collections.unmodifiableSet(found));
    }

    /** One normalized row: the key text and the hashes of key and row. */
    private record Row(String key, long keyHash, long hash) {
        int chunk(int chunks) {
            return (int) Math.floorMod(keyHash, (long) chunks);
        }
    }

    /** One side of the comparison: reads the table in snapshot chunks and hashes each live row. */
    private static final class Side {
        final Source reader;
        final TableSpec spec;
        final TableSchema schema;
        final int[] columnIndexes;
        final boolean[] json;
        final int[] keyIndexes;

        Side(Source reader, TableSpec spec, TableSchema schema, List<String> columns, TableSchema other) {
            this.reader = reader;
            this.spec = spec;
            this.schema = schema;
            this.columnIndexes = columns.stream().mapToInt(schema::indexOf).toArray();
            this.json = new boolean[columns.size()];
            for (int i = 0; i < columns.size(); i++) {
                json[i] = schema.column(columns.get(i)).type() == LogicalType.JSON
                        || other.column(columns.get(i)).type() == LogicalType.JSON;
            }
            this.keyIndexes = schema.keyIndexes();
        }

        long scan(Consumer<Row> sink) {
            MessageDigest md = sha256();
            long rows = 0;
            Position after = null;
            while (true) {
                Chunk c = reader.readSnapshot(spec, schema, after, READ_ROWS);
                for (ChangeEvent e : c.events()) {
                    if (e.operation() != Operation.UPSERT) {
                        continue;
                    }
                    StringBuilder key = new StringBuilder();
                    for (int i = 0; i < keyIndexes.length; i++) {
                        key.append(i == 0 ? "" : ", ").append(Normalizer.text(e.values().get(keyIndexes[i]), false));
                    }
                    StringBuilder row = new StringBuilder(key).append('\u0000');
                    for (int i = 0; i < columnIndexes.length; i++) {
                        row.append(Normalizer.text(e.values().get(columnIndexes[i]), json[i])).append('\u0001');
                    }
                    sink.accept(new Row(key.toString(), hash(md, key), hash(md, row)));
                    rows++;
                }
                after = c.next() == null ? after : c.next();
                if (c.last() || c.events().isEmpty()) {
                    return rows;
                }
            }
        }

        private static long hash(MessageDigest md, CharSequence text) {
            byte[] d = md.digest(text.toString().getBytes(StandardCharsets.UTF_8));
            long h = 0;
            for (int i = 0; i < 8; i++) {
                h = (h << 8) | (d[i] & 0xff);
            }
            return h;
        }

        private static MessageDigest sha256() {
            try {
                return MessageDigest.getInstance("SHA-256");
            } catch (NoSuchAlgorithmException e) {
                throw new IllegalStateException("SHA-256 is part of every JDK", e);
            }
        }
    }
}
