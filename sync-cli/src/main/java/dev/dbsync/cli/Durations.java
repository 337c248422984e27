package dev.dbsync.cli;

import dev.dbsync.config.Config;
import dev.dbsync.config.ConfigDef;
import dev.dbsync.config.ConfigType;
import java.time.Duration;
import java.util.Map;

/** Parses durations on the command line exactly like durations in pipeline files (500ms, 5s, 2m, 1h, PT5S). */
final class Durations {

    private Durations() {
    }

    static Duration parse(String option, String text) {
        ConfigDef def = ConfigDef.builder().optional(option, ConfigType.DURATION, null, "").build();
        return Config.of(def, Map.of(option, text)).getDuration(option);
    }
}
