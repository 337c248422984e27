package dev.dbsync.examples.customsource;

import dev.dbsync.config.Config;
import dev.dbsync.config.ConfigDef;
import dev.dbsync.config.ConfigType;
import dev.dbsync.config.Validator;
import dev.dbsync.spi.Source;
import dev.dbsync.spi.SourceFactory;
import java.nio.file.Path;

/**
 * Makes {@link CsvSource} available under the name {@code csv-files}. The engine finds it through
 * {@code META-INF/services/dev.dbsync.spi.SourceFactory}, which lists this class; a pipeline selects it with
 * {@code source: { type: csv-files, dir: exports }}.
 */
public final class CsvSourceFactory implements SourceFactory {

    /** The only setting: where the files are. */
    public static final String DIR = "dir";

    private static final ConfigDef CONFIG = ConfigDef.builder()
            .required(DIR, ConfigType.STRING, Validator.nonBlank(), "directory of the table files (<table>.csv)")
            .build();

    @Override
    public String name() {
        return "csv-files";
    }

    @Override
    public String description() {
        return "Example source: one CSV file per table with a typed header, read by key and by cursor";
    }

    @Override
    public ConfigDef configDef() {
        return CONFIG;
    }

    @Override
    public Source create(Config config) {
        return new CsvSource(Path.of(config.getString(DIR)));
    }
}
