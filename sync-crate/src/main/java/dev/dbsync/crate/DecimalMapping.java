package dev.dbsync.crate;

/** How the sink stores DECIMAL columns (setting {@code decimal.mapping}). */
enum DecimalMapping {
    /** {@code NUMERIC(p, s)} when 1 ≤ p ≤ 38 (CrateDB's storage limit), else TEXT. Needs a CrateDB that stores NUMERIC. */
    NUMERIC,
    /** TEXT holding the plain decimal string: exact on every CrateDB version, but compared as text. */
    TEXT,
    /** DOUBLE PRECISION: numeric queries on any version, at the cost of exactness beyond ~15 digits. */
    DOUBLE
}
