/**
 * Versions, at the bottom of the house so that any layer may name them: KVIS's own, and
 * the Redis version KVIS answers as (INFO redis_version, HELLO, an RDB's redis-ver), which
 * is the one it is tested against.
 */
export const KVIS_VERSION = "0.1.0";
export const REDIS_VERSION = "7.0.15";
