package dev.dbsync.verify;

import dev.dbsync.spi.ChangeEvent;
import dev.dbsync.spi.Chunk;
import dev.dbsync.spi.Column;
import dev.dbsync.spi.LogicalType;
import dev.dbsync.spi.Operation;
import dev.dbsync.spi.Position;
import dev.dbsync.spi.Sink;
import dev.dbsync.spi.Source;
import dev.dbsync.spi.TableSchema;
import dev.dbsync.spi.TableSpec;
import dev.dbsync.spi.WriteResult;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.function.Consumer;

/** One table's comparison (see {@link Verifier}); used once, by one thread plus the target's reading thread. */
final class TableComparison {

    /** Mixed into the hash of a source row the sink refuses, so no target row can match it. */
    private static final String REFUSED = "\u0000refused\u0000";
    /** Mixed into the hash of a row its reader could not read, so it matches no row of the other side. */
    private static final String UNREADABLE_SOURCE = "\u0000unreadable source row\u0000";
    private static final String UNREADABLE_TARGET = "\u0000unreadable target row\u0000";

    private final Source source;
    private final Source target;
    private final Sink sink;
    private final TableSpec sourceSpec;
    private final TableSpec targetSpec;
    private final Set<String> probes;
    private final int chunkKeys;
    private final int maxKeys;
    private final int keyBudget;
    private final int readRows;

    // results, filled by compare()
    private final List<String> missing = new ArrayList<>();
    private final List<String> extra = new ArrayList<>();
    private final List<String> different = new ArrayList<>();
    private final List<ExpectedDifference> expected = new ArrayList<>();
    private long differences;
    private long expectedDifferences;
    private long expectedMissing;

    TableComparison(Source source, Source target, Sink sink, TableSpec sourceSpec, TableSpec targetSpec,
                    Set<String> probes, int chunkKeys, int maxKeys, int keyBudget, int readRows) {
        this.readRows = readRows;
        this.source = source;
        this.target = target;
        this.sink = sink;
        this.sourceSpec = sourceSpec;
        this.targetSpec = targetSpec;
        this.probes = probes;
        this.chunkKeys = chunkKeys;
        this.maxKeys = maxKeys;
        this.keyBudget = keyBudget;
    }

    TableVerification compare() {
        TableSchema s = source.describe(sourceSpec);
        TableSpec tSpec = targetSpec.keyColumns().isEmpty()
                ? targetSpec.withKey(s.primaryKey().toArray(String[]::new)) : targetSpec;
        TableSchema t = target.describe(tSpec);
        List<String> columns = new ArrayList<>();
        for (Column c : s.columns()) {
            if (!c.name().equals(sourceSpec.softDeleteColumn()) && t.indexOf(c.name()) >= 0) {
                columns.add(c.name());
            }
        }
        Side src = new Side(source, sourceSpec, s, columns, t, sink, true, readRows);
        Side dst = new Side(target, tSpec, t, columns, s, null, false, readRows);
        long estimate = source.estimateRows(sourceSpec).orElse(chunkKeys * 1024L);
        int chunks = (int) Math.max(1, Math.min(1 << 20, (estimate + chunkKeys - 1) / chunkKeys));

        long[] srcCount = new long[chunks];
        long[] srcSum = new long[chunks];
        long[] dstCount = new long[chunks];
        long[] dstSum = new long[chunks];
        Set<String> found = new TreeSet<>();
        CompletableFuture<Long> readTarget = CompletableFuture.supplyAsync(() -> dst.scan(r -> {
            if (!probes.isEmpty() && probes.contains(r.key)) {
                found.add(r.key);
            }
            int c = r.chunk(chunks);
            dstCount[c]++;
            dstSum[c] += r.hash;
        }));
        long sourceRows;
        long targetRows;
        try {
            sourceRows = src.scan(r -> {
                int c = r.chunk(chunks);
                srcCount[c]++;
                srcSum[c] += r.hash;
            });
        } finally {
            targetRows = join(readTarget);
        }

        List<ChunkDifference> chunkDifferences = new ArrayList<>();
        BitSet onlySource = new BitSet(chunks);
        BitSet onlyTarget = new BitSet(chunks);
        List<Integer> both = new ArrayList<>();
        int differing = 0;
        for (int i = 0; i < chunks; i++) {
            if (srcCount[i] != dstCount[i] || srcSum[i] != dstSum[i]) {
                differing++;
                if (chunkDifferences.size() < maxKeys) {
                    chunkDifferences.add(new ChunkDifference(i, srcCount[i], dstCount[i], srcSum[i], dstSum[i]));
                }
                if (dstCount[i] == 0) {
                    onlySource.set(i);
                } else if (srcCount[i] == 0) {
                    onlyTarget.set(i);
                } else {
                    both.add(i);
                }
            }
        }
        if (differing > 0) {
            listKeys(src, dst, chunks, onlySource, onlyTarget, both, srcCount, dstCount);
        }
        return new TableVerification(sourceSpec.table(), targetSpec.table(), sourceRows, targetRows, chunks, differing,
                chunkDifferences, columns, missing, extra, different, differences, expected, expectedDifferences,
                expectedMissing, found, null);
    }

    /**
     * Second reads: chunks found on one side only are listed while streaming; chunks on both sides are compared
     * key by key, in rounds holding at most {@code keyBudget} keys.
     */
    private void listKeys(Side src, Side dst, int chunks, BitSet onlySource, BitSet onlyTarget, List<Integer> both,
                          long[] srcCount, long[] dstCount) {
        int next = 0;
        boolean first = true;
        while (first || next < both.size()) {
            BitSet round = new BitSet(chunks);
            long held = 0;
            while (next < both.size()) {
                int c = both.get(next);
                long keys = Math.max(srcCount[c], dstCount[c]);
                if (held > 0 && held + keys > keyBudget) {
                    break;
                }
                round.set(c);
                held += keys;
                next++;
            }
            BitSet streamSource = first ? onlySource : new BitSet();
            BitSet streamTarget = first ? onlyTarget : new BitSet();
            first = false;
            if (round.isEmpty() && streamSource.isEmpty() && streamTarget.isEmpty()) {
                break;
            }
            Map<String, Long> inTarget = new HashMap<>();
            List<String> extraHere = new ArrayList<>();
            long[] extraCount = new long[1];
            CompletableFuture<Long> second = CompletableFuture.supplyAsync(() -> dst.scan(r -> {
                int c = r.chunk(chunks);
                if (round.get(c)) {
                    if (inTarget.put(r.key, r.hash) != null) {
                        // the same key twice among live target rows (e.g. a table without its key enforced)
                        extraCount[0]++;
                        if (extraHere.size() < maxKeys) {
                            extraHere.add(r.key);
                        }
                    }
                } else if (streamTarget.get(c)) {
                    extraCount[0]++;
                    if (extraHere.size() < maxKeys) {
                        extraHere.add(r.key);
                    }
                }
            }));
            Map<String, Row> inSource = new HashMap<>();
            try {
                src.scan(r -> {
                    int c = r.chunk(chunks);
                    if (round.get(c)) {
                        inSource.put(r.key, r);
                    } else if (streamSource.get(c)) {
                        absentFromTarget(r);
                    }
                });
            } finally {
                join(second);
            }
            differences += extraCount[0];
            for (String k : extraHere) {
                add(extra, k);
            }
            TreeSet<String> keys = new TreeSet<>(inSource.keySet());
            keys.addAll(inTarget.keySet());
            for (String k : keys) {
                Row x = inSource.get(k);
                Long y = inTarget.get(k);
                if (x == null) {
                    differences++;
                    add(extra, k);
                } else if (y == null) {
                    absentFromTarget(x);
                } else if (x.expectedReason != null) {
                    expected(x);
                } else if (x.hash != y) {
                    differences++;
                    add(different, k);
                }
            }
        }
    }

    private void absentFromTarget(Row r) {
        if (r.expectedReason != null) {
            expectedMissing++;
            expected(r);
        } else {
            differences++;
            add(missing, r.key);
        }
    }

    private void expected(Row r) {
        expectedDifferences++;
        if (expected.size() < maxKeys) {
            expected.add(new ExpectedDifference(r.key, r.expectedColumn, r.expectedReason));
        }
    }

    private void add(List<String> list, String key) {
        if (list.size() < maxKeys) {
            list.add(key);
        }
    }

    private static long join(CompletableFuture<Long> f) {
        try {
            return f.join();
        } catch (CompletionException e) {
            if (e.getCause() instanceof RuntimeException r) {
                throw r;
            }
            if (e.getCause() instanceof Error err) {
                throw err;
            }
            throw e;
        }
    }

    /**
     * One row: the key text, the hashes of key and row, and why it is an expected difference (null when it is not):
     * the first column whose value the sink refuses and the sink's reason, or (no column) why the source could not
     * read it.
     */
    private record Row(String key, long keyHash, long hash, String expectedColumn, String expectedReason) {
        int chunk(int chunks) {
            return (int) Math.floorMod(keyHash, (long) chunks);
        }
    }

    /**
     * One side of the comparison: reads the table in snapshot chunks and hashes each live row. On the source side
     * ({@code sink} given) every value is first put in the form the sink stores it.
     */
    private static final class Side {
        final Source reader;
        final TableSpec spec;
        final TableSchema schema;
        final int[] columnIndexes;
        final boolean[] json;
        final int[] keyIndexes;
        final Sink sink;
        /** Whether this side reads the source (its unreadable rows were dead-lettered by the sync). */
        final boolean source;
        final int readRows;
        /** Per column of {@link #schema}: the column as the sink sees it (after type fallbacks); null without sink. */
        final Column[] sinkColumns;
        final Set<LogicalType> supported;

        Side(Source reader, TableSpec spec, TableSchema schema, List<String> columns, TableSchema other, Sink sink,
             boolean source, int readRows) {
            this.source = source;
            this.readRows = readRows;
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
            this.sink = sink;
            this.supported = sink == null ? null : sink.supportedTypes();
            this.sinkColumns = new Column[schema.columns().size()];
            if (sink != null) {
                for (int i = 0; i < sinkColumns.length; i++) {
                    sinkColumns[i] = asSinkSees(schema.columns().get(i), supported);
                }
            }
        }

        long scan(Consumer<Row> out) {
            MessageDigest md = sha256();
            long rows = 0;
            Position after = null;
            String[] refused = new String[2];
            while (true) {
                Chunk c = reader.readSnapshot(spec, schema, after, readRows);
                for (ChangeEvent e : c.events()) {
                    if (e.operation() != Operation.UPSERT) {
                        continue;
                    }
                    refused[0] = null;
                    refused[1] = null;
                    List<Object> values = e.values();
                    StringBuilder key = new StringBuilder();
                    for (int i = 0; i < keyIndexes.length; i++) {
                        key.append(i == 0 ? "" : ", ")
                                .append(Normalizer.text(stored(keyIndexes[i], values.get(keyIndexes[i]), refused), false));
                    }
                    StringBuilder row = new StringBuilder(key).append('\u0000');
                    for (int i = 0; i < columnIndexes.length; i++) {
                        Object v = stored(columnIndexes[i], values.get(columnIndexes[i]), refused);
                        row.append(Normalizer.text(v, json[i])).append('\u0001');
                    }
                    if (refused[0] != null) {
                        row.append(REFUSED);
                    }
                    out.accept(new Row(key.toString(), hash(md, key), hash(md, row), refused[0], refused[1]));
                    rows++;
                }
                for (WriteResult.FailedEvent f : c.failed()) {
                    // a row the reader could read only in part: on the source side the sync dead-lettered it (an
                    // expected difference, like a value the sink refuses); on the target side it matches nothing
                    refused[0] = null;
                    refused[1] = null;
                    List<Object> k = f.event().key();
                    StringBuilder key = new StringBuilder();
                    for (int i = 0; i < keyIndexes.length && i < k.size(); i++) {
                        key.append(i == 0 ? "" : ", ")
                                .append(Normalizer.text(stored(keyIndexes[i], k.get(i), refused), false));
                    }
                    StringBuilder row = new StringBuilder(key).append('\u0000')
                            .append(source ? UNREADABLE_SOURCE : UNREADABLE_TARGET);
                    out.accept(new Row(key.toString(), hash(md, key), hash(md, row), null,
                            source ? "the source cannot read this row: " + f.reason() : null));
                    rows++;
                }
                after = c.next() == null ? after : c.next();
                if (c.last() || (c.events().isEmpty() && c.failed().isEmpty())) {
                    return rows;
                }
            }
        }

        /**
         * The value as the target holds it: converted along the fallback chain of its type as the engine does for
         * this sink, then in the sink's stored form. A value the sink refuses is noted in {@code refused} (first
         * column and reason) and returned as read.
         */
        private Object stored(int index, Object value, String[] refused) {
            if (sink == null) {
                return value;
            }
            Column original = schema.columns().get(index);
            Column column = sinkColumns[index];
            Object v = convert(original, value, supported);
            if (v != null) {
                String reason = sink.refuses(column, v);
                if (reason != null) {
                    if (refused[0] == null) {
                        refused[0] = original.name();
                        refused[1] = reason;
                    }
                    return v;
                }
            }
            return sink.storedForm(column, v);
        }

        private static Column asSinkSees(Column c, Set<LogicalType> supported) {
            if (c.type() == LogicalType.ARRAY) {
                LogicalType e = supportedType(c.elementType(), supported);
                return e == c.elementType() ? c
                        : new Column(c.name(), LogicalType.ARRAY, c.nullable(), c.precision(), c.scale(), e, c.sourceType());
            }
            LogicalType t = supportedType(c.type(), supported);
            return t == c.type() ? c : new Column(c.name(), t, c.nullable(), c.precision(), c.scale(), null, c.sourceType());
        }

        private static LogicalType supportedType(LogicalType t, Set<LogicalType> supported) {
            while (t != null && !supported.contains(t) && t.fallback() != null) {
                t = t.fallback();
            }
            return t;
        }

        /** The engine's conversion of a value of a type the sink does not support (see {@link Sink#supportedTypes()}). */
        private static Object convert(Column c, Object v, Set<LogicalType> supported) {
            if (v == null) {
                return null;
            }
            LogicalType type = c.type() == LogicalType.ARRAY ? c.elementType() : c.type();
            if (v instanceof List<?> list && c.type() == LogicalType.ARRAY) {
                if (supported.contains(type) || type.fallback() == null) {
                    return v;
                }
                List<Object> out = new ArrayList<>(list.size());
                for (Object x : list) {
                    out.add(fallback(type, x, supported));
                }
                return out;
            }
            return fallback(type, v, supported);
        }

        private static Object fallback(LogicalType type, Object v, Set<LogicalType> supported) {
            Object x = v;
            for (LogicalType t = type; t != null && !supported.contains(t) && t.fallback() != null; t = t.fallback()) {
                x = t.toFallback(x);
            }
            return x;
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
