package dev.dbsync.engine;

import dev.dbsync.config.Config;
import dev.dbsync.spi.CheckpointStore;
import dev.dbsync.spi.CheckpointStoreFactory;
import dev.dbsync.spi.ConfigException;
import dev.dbsync.spi.ErrorType;
import dev.dbsync.spi.Sink;
import dev.dbsync.spi.SinkFactory;
import dev.dbsync.spi.Source;
import dev.dbsync.spi.SourceFactory;
import dev.dbsync.spi.SyncException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.TreeMap;
import java.util.function.Function;

/**
 * The connector factories found with {@link ServiceLoader}. Immutable and thread-safe once loaded. Two
 * factories of one kind with the same name fail the load, naming both classes.
 */
public final class Connectors {

    private final Map<String, SourceFactory> sources;
    private final Map<String, SinkFactory> sinks;
    private final Map<String, CheckpointStoreFactory> stores;

    private Connectors(ClassLoader loader) {
        sources = load(SourceFactory.class, SourceFactory::name, loader);
        sinks = load(SinkFactory.class, SinkFactory::name, loader);
        stores = load(CheckpointStoreFactory.class, CheckpointStoreFactory::name, loader);
    }

    /** Loads the factories visible to the thread's context class loader. */
    public static Connectors load() {
        ClassLoader cl = Thread.currentThread().getContextClassLoader();
        return new Connectors(cl == null ? Connectors.class.getClassLoader() : cl);
    }

    /** Loads the factories visible to {@code loader}. */
    public static Connectors load(ClassLoader loader) {
        return new Connectors(loader);
    }

    private static <F> Map<String, F> load(Class<F> type, Function<F, String> name, ClassLoader loader) {
        Map<String, F> found = new TreeMap<>();
        for (F f : ServiceLoader.load(type, loader)) {
            F old = found.putIfAbsent(name.apply(f), f);
            if (old != null) {
                throw new SyncException(ErrorType.CONFIG, "two " + type.getSimpleName() + "s are named '"
                        + name.apply(f) + "': " + old.getClass().getName() + " and " + f.getClass().getName()
                        + "; remove one of them from the class path");
            }
        }
        return Collections.unmodifiableMap(found);
    }

    public List<SourceFactory> sources() {
        return new ArrayList<>(sources.values());
    }

    public List<SinkFactory> sinks() {
        return new ArrayList<>(sinks.values());
    }

    public List<CheckpointStoreFactory> checkpointStores() {
        return new ArrayList<>(stores.values());
    }

    /** The source factory named {@code name}; unknown names fail listing the available ones. */
    public SourceFactory source(String name) {
        return find(sources, name, "source");
    }

    public SinkFactory sink(String name) {
        return find(sinks, name, "sink");
    }

    public CheckpointStoreFactory checkpointStore(String name) {
        return find(stores, name, "checkpoint store");
    }

    private static <F> F find(Map<String, F> map, String name, String kind) {
        F f = map.get(name);
        if (f == null) {
            throw new ConfigException(kind.replace(' ', '-') + ".type", "no " + kind + " named '" + name
                    + "'; available: " + map.keySet() + " (a connector is available when its jar is on the class path)");
        }
        return f;
    }

    /** Validates {@code config} and creates the named source. */
    public Source createSource(String name, Map<String, ?> config) {
        SourceFactory f = source(name);
        return f.create(Config.of(f.configDef(), config));
    }

    /** Validates {@code config} and creates the named sink. */
    public Sink createSink(String name, Map<String, ?> config) {
        SinkFactory f = sink(name);
        return f.create(Config.of(f.configDef(), config));
    }

    /** Validates {@code config} and creates the named checkpoint store. */
    public CheckpointStore createCheckpointStore(String name, Map<String, ?> config) {
        CheckpointStoreFactory f = checkpointStore(name);
        return f.create(Config.of(f.configDef(), config));
    }
}
