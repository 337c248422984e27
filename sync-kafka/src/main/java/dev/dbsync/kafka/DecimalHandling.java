package dev.dbsync.kafka;

/**
 * How the Kafka sink writes DECIMAL values, the choice Debezium names {@code decimal.handling.mode}.
 */
public enum DecimalHandling {
    /**
     * Exact: Connect's {@code Decimal} logical type (the unscaled value as big-endian two's-complement bytes,
     * base64 in JSON, with the scale as a schema parameter); columns without a declared scale use Debezium's
     * {@code VariableScaleDecimal} struct {@code {scale, value}}.
     */
    PRECISE,
    /** Exact and readable: the plain decimal text ({@code "1234.50"}). */
    STRING,
    /** Approximate: a JSON double; digits beyond a double's 15–17 significant ones are lost. */
    DOUBLE
}
