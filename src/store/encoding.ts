/**
 * The limits that decide which encoding OBJECT ENCODING reports for small aggregates
 * (hash-max-listpack-*, zset-max-listpack-*, set-max-intset-entries) and when a sparse
 * HyperLogLog turns dense (hll-sparse-max-bytes), with Redis 7.0's
 * defaults. Like Redis's, they are the process's: the server sets them from its
 * configuration when it starts and whenever CONFIG SET changes one, and the types read them
 * on every write that could cross one. Values already past a lowered limit change only on
 * their next write, as in Redis.
 */
export const encodingLimits = {
  /** list-max-listpack-size and list-compress-depth: a list takes them when it is made. */
  listMaxListpackSize: -2,
  listCompressDepth: 0,
  hashMaxListpackEntries: 512,
  hashMaxListpackValue: 64,
  zsetMaxListpackEntries: 128,
  zsetMaxListpackValue: 64,
  setMaxIntsetEntries: 512,
  /** hll-sparse-max-bytes: a sparse HyperLogLog past this size turns dense. */
  hllSparseMaxBytes: 3000,
};
