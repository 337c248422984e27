/**
 * Deterministic, fast generators of test data sets for PostgreSQL.
 *
 * <p>Every generated row is a pure function of the seed, its table and its id, so the same seed gives the same
 * tables whatever the parallelism. Rows are streamed with {@code COPY ... FROM STDIN} in text format over several
 * connections; values come from pools filled once by datafaker and picked with a fast PRNG.
 *
 * <ul>
 *   <li>{@link dev.dbsync.cli.datagen.EcommerceGenerator}: categories, customers, products, orders,
 *       order_items.</li>
 *   <li>{@link dev.dbsync.cli.datagen.PeopleGenerator}: users (UUID keys), emails, phone_numbers.</li>
 *   <li>{@link dev.dbsync.cli.datagen.EcommerceMutations}: inserts, updates and soft-deletes for
 *       incremental-sync demos.</li>
 * </ul>
 */
package dev.dbsync.cli.datagen;
