package dev.dbsync.verify;

/**
 * One chunk of keys whose summary differs between source and target. Keys are spread over chunks by a hash of
 * the key; a chunk's checksum is an order-independent sum of its rows' hashes, after the source's values were
 * put in the form the sink stores them.
 *
 * @param index          the chunk's number, from 0
 * @param sourceRows     live source rows in the chunk (rows with a value the sink refuses included)
 * @param targetRows     live target rows in the chunk
 * @param sourceChecksum the source rows' checksum
 * @param targetChecksum the target rows' checksum
 */
public record ChunkDifference(int index, long sourceRows, long targetRows, long sourceChecksum, long targetChecksum) {
}
