package dev.dbsync.verify;

import static java.util.Objects.requireNonNull;

import dev.dbsync.config.ConfigKey;
import dev.dbsync.engine.Connectors;
import dev.dbsync.engine.PipelineConfig;
import dev.dbsync.engine.TableSync;
import dev.dbsync.spi.ConfigException;
import dev.dbsync.spi.Sink;
import dev.dbsync.spi.Source;
import dev.dbsync.spi.SourceFactory;
import dev.dbsync.spi.TableSpec;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Compares source tables with their targets through connectors alone, so any pair of connectors can be
 * verified: both sides are read with {@link Source#readSnapshot}, the target by a <em>source</em> connector of
 * the target database (the one named like the sink, e.g. {@code postgres}, {@code clickhouse}, {@code crate}).
 *
 * <p>Values are compared through what the target can hold: each source value is first converted as the engine
 * converts it for this sink (a type the sink does not {@link Sink#supportedTypes() support} becomes its fallback),
 * then put in the form the sink {@link Sink#storedForm stores} it (e.g. milliseconds, a DATE as a timestamp at
 * midnight). A source row holding a value the sink {@link Sink#refuses refuses}, or one the source can read only in
 * part ({@link dev.dbsync.spi.Chunk#failed()}), is not an error of the sync: the row was dead-lettered, so its key is
 * reported as an {@link ExpectedDifference}, counted apart from the real differences, which are still found.
 *
 * <p>Rows are compared on their live state (soft-deleted rows of the source and deleted rows of the target are
 * skipped) over the columns both tables have, except the soft-delete column. Keys are spread over chunks of
 * about {@code chunkKeys} keys by a hash of the key, so the two databases may return rows in different orders
 * (collations, UUID orders); each chunk is summarized by its row count and an order-independent sum of row
 * hashes. Only chunks whose summaries differ are read a second time to list the differing keys, and memory stays
 * bounded: a chunk present on one side only is listed while streaming, and keys of chunks present on both sides
 * are held at most {@code keyBudget} at a time (further rounds read both sides again).
 *
 * <p>A table that cannot be verified (it is missing, a value cannot be read) is reported with its
 * {@link TableVerification#error() error} and the other tables are still verified.
 *
 * <p>Built with {@link #builder()} or {@link #forPipeline}; the builder is not thread-safe, the verifier runs one
 * {@link #run()} at a time and can run again (e.g. on a schedule). {@link #close()} closes the connectors the
 * verifier created itself ({@link #forPipeline}), never those given to the builder.
 */
public final class Verifier implements AutoCloseable {

    /** Default for {@link Builder#chunkKeys(int)}. */
    public static final int DEFAULT_CHUNK_KEYS = 1000;
    /** Default for {@link Builder#maxKeys(int)}. */
    public static final int DEFAULT_MAX_KEYS = 20;
    /** Default for {@link Builder#keyBudget(int)}. */
    public static final int DEFAULT_KEY_BUDGET = 200_000;
    /** Default for {@link Builder#readRows(int)}. */
    public static final int DEFAULT_READ_ROWS = 10_000;

    private final Source source;
    private final Source target;
    private final Sink sink;
    private final List<Table> tables;
    private final int chunkKeys;
    private final int maxKeys;
    private final int keyBudget;
    private final int readRows;
    private final List<AutoCloseable> owned;

    private Verifier(Builder b) {
        this.source = requireNonNull(b.source, "source is null: call source(…)");
        this.target = requireNonNull(b.target, "target is null: call target(…) with a reader of the target database");
        this.sink = b.sink;
        this.tables = List.copyOf(b.tables);
        this.chunkKeys = b.chunkKeys;
        this.maxKeys = b.maxKeys;
        this.keyBudget = b.keyBudget;
        this.readRows = b.readRows;
        this.owned = List.copyOf(b.owned);
    }

    /** A builder with no connectors and no tables. */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * A builder for a pipeline's tables: the source and the sink are created from the pipeline's settings, the
     * target is read by the source connector named like the sink, given the sink settings it declares
     * ({@link #readerSettings}). The verifier owns these connectors and closes them in {@link #close()}.
     *
     * @throws ConfigException when no source connector is named like the sink, or it needs other settings
     */
    public static Builder forPipeline(PipelineConfig config, Connectors connectors) {
        return forPipeline(config, connectors, null, Map.of());
    }

    /**
     * The same with another reader of the target.
     *
     * @param readerType      the source connector reading the target; null for the one named like the sink
     * @param readerOverrides settings of that reader given explicitly; they win over those taken from the sink
     */
    public static Builder forPipeline(PipelineConfig config, Connectors connectors, String readerType,
                                      Map<String, ?> readerOverrides) {
        requireNonNull(config, "config is null");
        requireNonNull(connectors, "connectors is null");
        requireNonNull(readerOverrides, "readerOverrides is null");
        String type = readerType != null ? readerType : config.sinkType();
        SourceFactory readerFactory;
        try {
            readerFactory = connectors.source(type);
        } catch (ConfigException e) {
            throw new ConfigException("verify.target.type", "no source connector '" + type
                    + "' can read the target; name one (" + e.getMessage() + ")");
        }
        Map<String, Object> settings = readerSettings(readerFactory, config.sinkSettings());
        settings.putAll(readerOverrides);
        Builder b = new Builder();
        try {
            b.source = b.own(connectors.createSource(config.sourceType(), config.sourceSettings()));
            try {
                b.target = b.own(connectors.createSource(type, settings));
            } catch (ConfigException e) {
                throw new ConfigException("verify.target.settings", "the target reader '" + type
                        + "' needs other settings: " + e.getMessage());
            }
            b.sink = b.own(connectors.createSink(config.sinkType(), config.sinkSettings()));
        } catch (RuntimeException e) {
            closeAll(b.owned, e);
            throw e;
        }
        for (TableSync t : config.tables()) {
            b.table(t.spec(), t.target());
        }
        return b;
    }

    /**
     * The settings of a target reader taken from the sink's: those the reader declares (url, user, password,
     * database, schema, …), in the reader's order. A new modifiable map.
     */
    public static Map<String, Object> readerSettings(SourceFactory reader, Map<String, ?> sinkSettings) {
        requireNonNull(reader, "reader is null");
        requireNonNull(sinkSettings, "sinkSettings is null");
        Map<String, Object> out = new LinkedHashMap<>();
        for (ConfigKey k : reader.configDef().keys()) {
            if (sinkSettings.containsKey(k.name())) {
                out.put(k.name(), sinkSettings.get(k.name()));
            }
        }
        return out;
    }

    /** Verifies every table, in the order given; never throws for one table's failure. */
    public VerifyReport run() {
        long t0 = System.nanoTime();
        List<TableVerification> results = new ArrayList<>(tables.size());
        for (Table t : tables) {
            results.add(verify(t.spec, t.target, t.probes));
        }
        return new VerifyReport(results, Duration.ofNanos(System.nanoTime() - t0));
    }

    /**
     * Verifies one table, whether or not it was given to the builder.
     *
     * @param sourceSpec  the table as the pipeline reads it (key, soft-delete column)
     * @param targetTable the target table's name
     * @param probes      keys in canonical text (e.g. {@code 42}) whose presence in the target is reported
     * @return the result; a table that could not be verified carries its {@link TableVerification#error()}
     */
    public TableVerification verify(TableSpec sourceSpec, String targetTable, Set<String> probes) {
        requireNonNull(sourceSpec, "sourceSpec is null");
        requireNonNull(targetTable, "targetTable is null");
        requireNonNull(probes, "probes is null");
        try {
            return new TableComparison(source, target, sink, sourceSpec, TableSpec.of(targetTable), probes,
                    chunkKeys, maxKeys, keyBudget, readRows).compare();
        } catch (RuntimeException e) {
            return TableVerification.failed(sourceSpec.table(), targetTable, describe(e));
        }
    }

    private static String describe(Throwable e) {
        StringBuilder sb = new StringBuilder();
        for (Throwable t = e; t != null && sb.length() < 500; t = t.getCause() == t ? null : t.getCause()) {
            String m = t.getMessage() != null ? t.getMessage() : t.getClass().getSimpleName();
            if (sb.indexOf(m) < 0) {
                sb.append(sb.length() == 0 ? "" : ": ").append(m);
            }
        }
        return sb.toString();
    }

    /** Closes the connectors this verifier created; those given to the builder stay open. */
    @Override
    public void close() {
        closeAll(owned, null);
    }

    private static void closeAll(List<AutoCloseable> list, RuntimeException pending) {
        RuntimeException failure = pending;
        for (int i = list.size() - 1; i >= 0; i--) {
            try {
                list.get(i).close();
            } catch (Exception e) {
                if (failure == null) {
                    failure = new IllegalStateException("closing " + list.get(i).getClass().getSimpleName() + " failed", e);
                } else {
                    failure.addSuppressed(e);
                }
            }
        }
        if (failure != null && pending == null) {
            throw failure;
        }
    }

    private record Table(TableSpec spec, String target, Set<String> probes) {
    }

    /** Builds a {@link Verifier}; not thread-safe. */
    public static final class Builder {

        private Source source;
        private Source target;
        private Sink sink;
        private final List<Table> tables = new ArrayList<>();
        private int chunkKeys = DEFAULT_CHUNK_KEYS;
        private int maxKeys = DEFAULT_MAX_KEYS;
        private int keyBudget = DEFAULT_KEY_BUDGET;
        private int readRows = DEFAULT_READ_ROWS;
        private final List<AutoCloseable> owned = new ArrayList<>();

        private Builder() {
        }

        private <T extends AutoCloseable> T own(T c) {
            owned.add(c);
            return c;
        }

        /** Reads the source database; required. */
        public Builder source(Source value) {
            this.source = requireNonNull(value, "source is null");
            return this;
        }

        /** Reads the target database: a source connector of the target's kind; required. */
        public Builder target(Source value) {
            this.target = requireNonNull(value, "target is null");
            return this;
        }

        /**
         * The sink that writes the target: its {@link Sink#supportedTypes()}, {@link Sink#storedForm} and
         * {@link Sink#refuses} say what the target can hold. Without one, values are compared as the source
         * reads them.
         */
        public Builder sink(Sink value) {
            this.sink = requireNonNull(value, "sink is null");
            return this;
        }

        /** Adds a table whose target has the name of the source table without its schema (as the engine names it). */
        public Builder table(TableSpec spec) {
            requireNonNull(spec, "spec is null");
            String t = spec.table();
            return table(spec, t.substring(t.lastIndexOf('.') + 1));
        }

        /** Adds a table and names its target table. */
        public Builder table(TableSpec spec, String targetTable) {
            return table(spec, targetTable, Set.of());
        }

        /**
         * Adds a table, names its target table and keys (in canonical text, e.g. {@code 42}) whose presence among
         * the target's live rows is reported in {@link TableVerification#probesFound()}.
         */
        public Builder table(TableSpec spec, String targetTable, Set<String> probes) {
            tables.add(new Table(requireNonNull(spec, "spec is null"), requireNonNull(targetTable, "targetTable is null"),
                    Set.copyOf(requireNonNull(probes, "probes is null"))));
            return this;
        }

        /** About how many keys make one checksummed chunk; default {@value #DEFAULT_CHUNK_KEYS}. */
        public Builder chunkKeys(int value) {
            if (value < 1) {
                throw new IllegalArgumentException("chunkKeys must be >= 1, got " + value);
            }
            this.chunkKeys = value;
            return this;
        }

        /** Most keys listed per table and kind of difference; default {@value #DEFAULT_MAX_KEYS}. */
        public Builder maxKeys(int value) {
            if (value < 0) {
                throw new IllegalArgumentException("maxKeys must be >= 0, got " + value);
            }
            this.maxKeys = value;
            return this;
        }

        /**
         * Most keys held in memory at once while listing the keys of chunks present on both sides; default
         * {@value #DEFAULT_KEY_BUDGET}. A smaller budget costs further reads of both tables when many chunks differ.
         */
        public Builder keyBudget(int value) {
            if (value < 1) {
                throw new IllegalArgumentException("keyBudget must be >= 1, got " + value);
            }
            this.keyBudget = value;
            return this;
        }

        /** Most rows per read of either side (one read's rows are held at once); default {@value #DEFAULT_READ_ROWS}. */
        public Builder readRows(int value) {
            if (value < 1) {
                throw new IllegalArgumentException("readRows must be >= 1, got " + value);
            }
            this.readRows = value;
            return this;
        }

        /** The verifier; the builder can be used again. */
        public Verifier build() {
            Verifier v = new Verifier(this);
            owned.clear();
            return v;
        }
    }
}
