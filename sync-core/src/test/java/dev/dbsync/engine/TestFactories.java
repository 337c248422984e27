package dev.dbsync.engine;

import dev.dbsync.config.Config;
import dev.dbsync.config.ConfigDef;
import dev.dbsync.config.ConfigType;
import dev.dbsync.config.Validator;
import dev.dbsync.spi.Batch;
import dev.dbsync.spi.Chunk;
import dev.dbsync.spi.Position;
import dev.dbsync.spi.Sink;
import dev.dbsync.spi.SinkCapability;
import dev.dbsync.spi.SinkFactory;
import dev.dbsync.spi.Source;
import dev.dbsync.spi.SourceFactory;
import dev.dbsync.spi.TableSchema;
import dev.dbsync.spi.TableSpec;
import dev.dbsync.spi.TableWriter;
import dev.dbsync.spi.WriteResult;
import java.util.List;
import java.util.Set;

/** Connector factories registered through this module's test resources, to test discovery and config. */
final class TestFactories {

    private TestFactories() {
    }

    static final ConfigDef DEF = ConfigDef.builder()
            .required("url", ConfigType.STRING, Validator.startsWith("test://"), "where")
            .secret("password", null, "secret")
            .build();

    /** Name {@code test}. */
    public static final class TestSourceFactory implements SourceFactory {
        @Override
        public String name() {
            return "test";
        }

        @Override
        public ConfigDef configDef() {
            return DEF;
        }

        @Override
        public Source create(Config config) {
            return new Source() {
                @Override
                public List<String> listTables() {
                    return List.of();
                }

                @Override
                public TableSchema describe(TableSpec spec) {
                    throw new UnsupportedOperationException();
                }

                @Override
                public Chunk readSnapshot(TableSpec spec, TableSchema schema, Position after, int maxRows) {
                    throw new UnsupportedOperationException();
                }

                @Override
                public Position changesStart(TableSpec spec, TableSchema schema) {
                    throw new UnsupportedOperationException();
                }

                @Override
                public Chunk readChanges(TableSpec spec, TableSchema schema, Position after, int maxRows) {
                    throw new UnsupportedOperationException();
                }

                @Override
                public void close() {
                }
            };
        }
    }

    /** Name {@code test}. */
    public static final class TestSinkFactory implements SinkFactory {
        @Override
        public String name() {
            return "test";
        }

        @Override
        public ConfigDef configDef() {
            return DEF;
        }

        @Override
        public Sink create(Config config) {
            return new Sink() {
                @Override
                public Set<SinkCapability> capabilities() {
                    return Set.of();
                }

                @Override
                public TableWriter open(TableSchema schema) {
                    return new TableWriter() {
                        @Override
                        public WriteResult write(Batch batch) {
                            return WriteResult.applied(batch);
                        }

                        @Override
                        public void flush() {
                        }

                        @Override
                        public void close() {
                        }
                    };
                }

                @Override
                public void close() {
                }
            };
        }
    }

    /** A second sink factory named {@code test}, only registered through a separate class loader. */
    public static final class DuplicateSinkFactory implements SinkFactory {
        @Override
        public String name() {
            return "test";
        }

        @Override
        public ConfigDef configDef() {
            return ConfigDef.empty();
        }

        @Override
        public Sink create(Config config) {
            throw new UnsupportedOperationException();
        }
    }
}
