package dev.dbsync.spi;

/** Invalid configuration, detected before anything runs. The message names the key and what is wrong. */
public class ConfigException extends SyncException {

    private static final long serialVersionUID = 1L;

    private final String key;

    public ConfigException(String key, String message) {
        super(ErrorType.CONFIG, key == null ? message : "invalid setting '" + key + "': " + message);
        this.key = key;
    }

    /** The offending key; may be null when the problem is not one key's. */
    public String key() {
        return key;
    }
}
