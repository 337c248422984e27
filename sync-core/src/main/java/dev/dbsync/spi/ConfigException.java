package dev.dbsync.spi;

import java.util.List;

/**
 * Invalid configuration, detected before anything runs. The message names the key and what is wrong; when
 * several settings are wrong, one exception reports them all ({@link #problems()}), each naming its key.
 */
public class ConfigException extends SyncException {

    private static final long serialVersionUID = 1L;

    private final String key;
    private final transient List<ConfigException> problems;

    public ConfigException(String key, String message) {
        super(ErrorType.CONFIG, key == null ? message : "invalid setting '" + key + "': " + message);
        this.key = key;
        this.problems = List.of(this);
    }

    private ConfigException(List<ConfigException> problems) {
        super(ErrorType.CONFIG, summary(problems));
        this.key = problems.get(0).key();
        this.problems = List.copyOf(problems);
    }

    private static String summary(List<ConfigException> problems) {
        StringBuilder sb = new StringBuilder(problems.size() + " invalid settings:");
        for (ConfigException p : problems) {
            sb.append("\n  - ").append(p.getMessage());
        }
        return sb.toString();
    }

    /**
     * One exception for all the problems found (their own exception when there is one); the problems of
     * exceptions that already hold several are flattened. {@code problems} must not be empty.
     */
    public static ConfigException of(List<ConfigException> problems) {
        if (problems.isEmpty()) {
            throw new IllegalArgumentException("no problems");
        }
        List<ConfigException> flat = new java.util.ArrayList<>();
        for (ConfigException p : problems) {
            flat.addAll(p.problems());
        }
        return flat.size() == 1 ? flat.get(0) : new ConfigException(flat);
    }

    /** The offending key (the first one's when there are several); may be null when the problem is not one key's. */
    public String key() {
        return key;
    }

    /** Every problem found, each naming its key; this exception alone when there is one. Never empty. */
    public List<ConfigException> problems() {
        return problems;
    }
}
