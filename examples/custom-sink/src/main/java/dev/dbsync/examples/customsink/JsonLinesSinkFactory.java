package dev.dbsync.examples.customsink;

import dev.dbsync.config.Config;
import dev.dbsync.config.ConfigDef;
import dev.dbsync.config.ConfigType;
import dev.dbsync.config.Validator;
import dev.dbsync.spi.Sink;
import dev.dbsync.spi.SinkFactory;
import java.nio.file.Path;

/**
 * Makes {@link JsonLinesSink} available under the name {@code jsonl-files}. The engine finds it through
 * {@code META-INF/services/dev.dbsync.spi.SinkFactory}, which lists this class; a pipeline selects it with
 * {@code sink: { type: jsonl-files, dir: out/tables }}.
 */
public final class JsonLinesSinkFactory implements SinkFactory {

    /** The only setting: where the files go. */
    public static final String DIR = "dir";

    private static final ConfigDef CONFIG = ConfigDef.builder()
            .required(DIR, ConfigType.STRING, Validator.nonBlank(), "directory of the table files (<table>.jsonl); created when missing")
            .build();

    @Override
    public String name() {
        return "jsonl-files";
    }

    @Override
    public String description() {
        return "Example sink: one JSON-lines file per table, replaced atomically on every flush";
    }

    @Override
    public ConfigDef configDef() {
        return CONFIG;
    }

    @Override
    public Sink create(Config config) {
        return new JsonLinesSink(Path.of(config.getString(DIR)));
    }
}
