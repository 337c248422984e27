/**
 * Redis connector of dbsync: a sink that keeps rows as hashes or JSON strings under {@code prefix:table:key}
 * (versioned, with TTLs and secondary indexes), a source that reads what the sink wrote, and a checkpoint store
 * with fenced leases. The public types are the factories; everything else is package-private.
 */
package dev.dbsync.redis;
