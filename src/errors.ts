/**
 * Every error text KVIS sends, in Redis's exact words, and the three kinds of failure.
 * A handler never types an error string inline: it throws one of the shared instances
 * below (fixed texts, allocated once) or calls a factory (texts that carry data).
 *
 * ReplyError and ProtocolError deliberately do not extend Error: they are thrown on the
 * hot path for ordinary client mistakes, and capturing a stack trace there would cost
 * more than the command itself.
 */

/** A client mistake: answered as `-<text>`, the connection stays open. */
export class ReplyError {
  constructor(readonly text: string) {}
}

/**
 * An error that also ends a blocked client's wait: thrown by a blocking command's retry, it
 * is the client's answer, where any other ReplyError leaves the client waiting (its key
 * holds another type for now). Run at once, it is an ordinary error reply.
 */
export class FinalReplyError extends ReplyError {}

/**
 * An error reply already counted in INFO errorstats (a script passing on the error of a
 * command it ran): the command still counts as failed, the error is not counted twice.
 */
export class CountedReplyError extends ReplyError {}

/** A protocol violation: answered as `-ERR Protocol error: ...`, then the connection closes. */
export class ProtocolError {
  constructor(readonly text: string) {}

  /** The error reply's text. */
  get reply(): string {
    return `ERR Protocol error: ${this.text}`;
  }
}

/** A corrupt or unreadable RDB file at start-up: the process stops and the file is left alone. */
export class RdbError extends Error {
  constructor(
    readonly file: string,
    readonly offset: number,
    readonly reason: string,
  ) {
    super(`Bad file format reading the RDB file ${file} at offset ${offset}: ${reason}`);
  }
}

const err = (text: string) => new ReplyError(text);

export const SYNTAX_ERR = err("ERR syntax error");
export const NOT_INTEGER = err("ERR value is not an integer or out of range");
export const WRONGTYPE = err("WRONGTYPE Operation against a key holding the wrong kind of value");
/** BLMOVE/BRPOPLPUSH's destination is not a list: the waiter gets the error, as in Redis. */
export const WRONGTYPE_DESTINATION = new FinalReplyError(WRONGTYPE.text);
export const NOAUTH = err("NOAUTH Authentication required.");
export const READONLY = err("READONLY You can't write against a read only replica.");
export const NOPERM_KEY = err("NOPERM this user has no permissions to access one of the keys used as arguments");
export const NOPERM_CHANNEL = err("NOPERM this user has no permissions to access one of the channels used as arguments");
export const nopermCommand = (name: string) => err(`NOPERM this user has no permissions to run the '${name}' command`);
const ACL_CHANGED = "NOPERM ACLs rules changed between the moment the transaction was accumulated and the EXEC call. This command is no longer allowed for the following reason: ";
export const NOPERM_EXEC_COMMAND = err(`${ACL_CHANGED}no permission to execute the command or subcommand`);
export const NOPERM_EXEC_KEY = err(`${ACL_CHANGED}no permission to touch the specified keys`);
export const NOPERM_EXEC_CHANNEL = err(`${ACL_CHANGED}no permission to access one of the channels used as arguments`);
export const ACL_USERNAME_SPACES = err("ERR Usernames can't contain spaces or null characters");
export const aclUnmatchedParenthesis = (arg: string) => err(`ERR Unmatched parenthesis in acl selector starting at '${arg}'.`);
export const aclSetuserError = (rule: string, reason: string) => err(`ERR Error in ACL SETUSER modifier '${rule}': ${reason}`);
export const ACL_DELETE_DEFAULT = err("ERR The 'default' user cannot be removed");
export const aclUnknownCategory = (name: string) => err(`ERR Unknown category '${name}'`);
export const ACL_GENPASS_BITS = err("ERR ACL GENPASS argument must be the number of bits for the output password, a positive number up to 4096");
export const ACL_NO_FILE = err(
  "ERR This Redis instance is not configured to use an ACL file. You may want to specify users via the ACL SETUSER command and then issue a CONFIG REWRITE (assuming you have a Redis configuration file set) in order to store users in the Redis configuration.",
);
export const ACL_SAVE_FAILED = err("ERR There was an error trying to save the ACLs. Please check the server logs for more information");
export const aclDryrunNoUser = (name: string) => err(`ERR User '${name}' not found`);
export const aclDryrunNoCommand = (name: string) => err(`ERR Command '${name}' not found`);
export const TRACKING_ONE_REDIRECT = err("ERR A client can only redirect to a single other client");
export const TRACKING_NO_REDIRECT_CLIENT = err("ERR The client ID you want redirect to does not exist");
export const TRACKING_PREFIX_NEEDS_BCAST = err("ERR PREFIX option requires BCAST mode to be enabled");
export const TRACKING_SWITCH_BCAST = err(
  "ERR You can't switch BCAST mode on/off before disabling tracking for this client, and then re-enabling it with a different mode.",
);
export const TRACKING_BCAST_OPTIN = err("ERR OPTIN and OPTOUT are not compatible with BCAST");
export const TRACKING_OPTIN_AND_OPTOUT = err("ERR You can't specify both OPTIN mode and OPTOUT mode");
export const TRACKING_SWITCH_OPTIN = err(
  "ERR You can't switch OPTIN/OPTOUT mode before disabling tracking for this client, and then re-enabling it with a different mode.",
);
export const trackingPrefixOverlap = (prefix: string, other: string, which: string) =>
  err(`ERR Prefix '${prefix}' overlaps with ${which} prefix '${other}'. Prefixes for a single client must not overlap.`);
export const CACHING_NOT_TRACKING = err("ERR CLIENT CACHING can be called only when the client is in tracking mode with OPTIN or OPTOUT mode enabled");
export const CACHING_YES_NEEDS_OPTIN = err("ERR CLIENT CACHING YES is only valid when tracking is enabled in OPTIN mode.");
export const CACHING_NO_NEEDS_OPTOUT = err("ERR CLIENT CACHING NO is only valid when tracking is enabled in OPTOUT mode.");
export const CONFIG_NO_FILE = err("ERR The server is running without a config file");
export const configRewriteFailed = (why: string) => err(`ERR Rewriting config file: ${why}`);
export const debugRewriteFailed = (why: string) => err(`ERR CONFIG-REWRITE-FORCE-ALL failed: ${why}`);
export const MAX_CLIENTS = err("ERR max number of clients reached");
export const PROTECTED_MODE = err(
  "DENIED Redis is running in protected mode because protected mode is enabled and no password is set for the default user. In this mode connections are only accepted from the loopback interface. If you want to connect from external computers to Redis you may adopt one of the following solutions: 1) Just disable protected mode sending the command 'CONFIG SET protected-mode no' from the loopback interface by connecting to Redis from the same host the server is running, however MAKE SURE Redis is not publicly accessible from internet if you do so. Use CONFIG REWRITE to make this change permanent. 2) Alternatively you can just disable the protected mode by editing the Redis configuration file, and setting the protected mode option to 'no', and then restarting the server. 3) If you started the server manually just for testing, restart it with the '--protected-mode no' option. 4) Setup a an authentication password for the default user. NOTE: You only need to do one of the above things in order for the server to start accepting connections from the outside.",
);
/** Redis's bare shared.err. */
export const ERR_PLAIN = err("ERR");
export const DEBUG_RELOAD_OPTIONS = err("ERR DEBUG RELOAD only supports the MERGE, NOFLUSH and NOSAVE options.");
export const DEBUG_RELOAD_FAILED = err("ERR Error trying to load the RDB dump, check server logs.");
/** DEBUG LOADAOF without an AOF, or with one that does not load (Redis exits in both cases). */
export const DEBUG_LOADAOF_FAILED = err("ERR Error trying to load the AOF files, check server logs.");
export const CLUSTER_DISABLED = err("ERR This instance has cluster support disabled");
export const REPLICAOF_IN_CLUSTER = err("ERR REPLICAOF not allowed in cluster mode.");
export const FAILOVER_IN_CLUSTER = err("ERR FAILOVER not allowed in cluster mode. Use CLUSTER FAILOVER command instead.");
// CLUSTER's errors (commands/cluster.ts) and DEBUG CLUSTERLINK's, in Redis 7.0's words.
export const CLUSTER_INVALID_SLOT = err("ERR Invalid or out of range slot");
export const CLUSTER_INVALID_SLOT_NUMBER = err("ERR Invalid slot");
export const CLUSTER_INVALID_SLOT_OR_COUNT = err("ERR Invalid slot or number of keys");
export const clusterUnknownNode = (prefix: string, name: string) => err(`ERR ${prefix} ${name}`);
export const clusterSlotRange = (start: number, end: number) => err(`ERR start slot number ${start} is greater than end slot number ${end}`);
export const clusterSlotBusy = (slot: number) => err(`ERR Slot ${slot} is already busy`);
export const clusterSlotUnassigned = (slot: number) => err(`ERR Slot ${slot} is already unassigned`);
export const clusterSlotTwice = (slot: number) => err(`ERR Slot ${slot} specified multiple times`);
export const CLUSTER_FAILOVER_ON_MASTER = err("ERR You should send CLUSTER FAILOVER to a replica");
export const CLUSTER_MASTER_UNKNOWN = err("ERR I'm a replica but my master is unknown to me");
export const CLUSTER_MASTER_DOWN = err("ERR Master is down or failed, please use CLUSTER FAILOVER FORCE");
export const CLUSTER_FLUSHSLOTS_NOT_EMPTY = err("ERR DB must be empty to perform CLUSTER FLUSHSLOTS.");
export const CLUSTER_FORGET_MYSELF = err("ERR I tried hard but I can't forget myself...");
export const CLUSTER_FORGET_MASTER = err("ERR Can't forget my master!");
export const clusterInvalidPort = (kind: "base" | "bus", text: string) => err(`ERR Invalid TCP ${kind} port specified: ${text}`);
export const clusterInvalidAddress = (ip: string, port: string) => err(`ERR Invalid node address specified: ${ip}:${port}`);
export const CLUSTER_REPLICATE_MYSELF = err("ERR Can't replicate myself");
export const CLUSTER_REPLICATE_REPLICA = err("ERR I can only replicate a master, not a replica.");
export const CLUSTER_REPLICATE_NOT_EMPTY = err("ERR To set a master the node must be empty and without assigned slots.");
export const CLUSTER_RESET_WITH_KEYS = err("ERR CLUSTER RESET can't be called with master nodes containing keys");
export const clusterSaveFailed = (why: string) => err(`ERR error saving the cluster node config: ${why}`);
export const clusterInvalidEpoch = (epoch: number) => err(`ERR Invalid config epoch specified: ${epoch}`);
export const CLUSTER_EPOCH_WITH_NODES = err("ERR The user can assign a config epoch only when the node does not know any other node.");
export const CLUSTER_EPOCH_NONZERO = err("ERR Node config epoch is already non-zero");
export const CLUSTER_SETSLOT_ON_REPLICA = err("ERR Please use SETSLOT only with masters.");
export const clusterNotOwner = (slot: number) => err(`ERR I'm not the owner of hash slot ${slot}`);
export const clusterAlreadyOwner = (slot: number) => err(`ERR I'm already the owner of hash slot ${slot}`);
export const CLUSTER_TARGET_NOT_MASTER = err("ERR Target node is not a master");
export const clusterSlotHasKeys = (slot: number) => err(`ERR Can't assign hashslot ${slot} to a different node while I still hold keys for this hash slot.`);
export const CLUSTER_SETSLOT_SYNTAX = err("ERR Invalid CLUSTER SETSLOT action or number of arguments. Try CLUSTER HELP");
export const CLUSTER_NOT_A_MASTER = err("ERR The specified node is not a master");
export const DEBUG_CLUSTER_ONLY = err("ERR Debug option only available for cluster mode enabled setup!");
export const debugUnknownDirection = (direction: string) => err(`ERR Unknown direction ${direction}`);
export const SELECT_IN_CLUSTER = err("ERR SELECT is not allowed in cluster mode");
export const MOVE_IN_CLUSTER = err("ERR MOVE is not allowed in cluster mode");
export const SWAPDB_IN_CLUSTER = err("ERR SWAPDB is not allowed in cluster mode");
export const COPY_DB_IN_CLUSTER = err("ERR Copying to another database is not allowed in cluster mode");
export const CROSSSLOT = err("CROSSSLOT Keys in request don't hash to the same slot");
export const TRYAGAIN = err("TRYAGAIN Multiple keys request during rehashing of slot");
export const CLUSTERDOWN = err("CLUSTERDOWN The cluster is down");
export const CLUSTERDOWN_RO = err("CLUSTERDOWN The cluster is down and only accepts read commands");
export const CALL_CROSS_SLOT = err("ERR Script attempted to access keys that do not hash to the same slot");
export const CALL_NON_LOCAL_KEY = err("ERR Script attempted to access a non local key in a cluster node script");
export const CALL_CLUSTER_DOWN = err("ERR Script attempted to execute a command while the cluster is down");
export const CALL_CLUSTER_DOWN_RO = err("ERR Script attempted to execute a write command while the cluster is down and readonly");
export const CLUSTERDOWN_UNBOUND = err("CLUSTERDOWN Hash slot not served");
export const GETKEYS_INVALID_COMMAND = err("ERR Invalid command specified");
export const GETKEYS_NO_KEYS = err("ERR The command has no key arguments");
export const GETKEYS_BAD_ARITY = err("ERR Invalid number of arguments specified for command");
export const GETKEYS_BAD_ARGS = err("ERR Invalid arguments specified for command");
export const noSuchUser = (name: string) => err(`ERR No such user '${name}'`);
export const WRONGPASS = err("WRONGPASS invalid username-password pair or user is disabled.");
export const AUTH_NOT_CONFIGURED = err(
  "ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?",
);
export const DB_OUT_OF_RANGE = err("ERR DB index is out of range");
export const INVALID_FIRST_DB_INDEX = err("ERR invalid first DB index");
export const INVALID_SECOND_DB_INDEX = err("ERR invalid second DB index");
export const NOPROTO = err("NOPROTO unsupported protocol version");
export const NX_XX_GT_LT = err("ERR NX and XX, GT or LT options at the same time are not compatible");
export const GT_LT = err("ERR GT and LT options at the same time are not compatible");
export const NO_SUCH_CLIENT = err("ERR No such client");
export const CLIENT_NAME_SPACES = err("ERR Client names cannot contain spaces, newlines or special characters.");
export const NO_SHUTDOWN_IN_PROGRESS = err("ERR No shutdown in progress.");
export const SHUTDOWN_FAILED = err("ERR Errors trying to SHUTDOWN. Check logs.");
export const INTERNAL = err("ERR internal error");
export const HELLO_NOAUTH = err(
  "NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time",
);
export const HELLO_PROTOVER = err("ERR Protocol version is not an integer or out of range");
export const INVALID_CLIENT_ID = err("ERR Invalid client ID");
export const CLIENT_ID_NOT_POSITIVE = err("ERR client-id should be greater than 0");
export const DEBUG_PACKED_THRESHOLD = err("ERR argument must be a memory value bigger than 1 and smaller than 4gb");
export const SORT_BY_CLUSTER = err("ERR BY option of SORT denied in Cluster mode.");
export const SORT_GET_CLUSTER = err("ERR GET option of SORT denied in Cluster mode.");
export const SORT_BY_ACL = err("ERR BY option of SORT denied due to insufficient ACL permissions.");
export const SORT_GET_ACL = err("ERR GET option of SORT denied due to insufficient ACL permissions.");
export const DEBUG_DB_RANGE = err("ERR Out of range database");
export const DEBUG_NOT_HASH_TABLE = err("ERR The value stored at the specified key is not represented using an hash table");
export const DEBUG_NOT_SDS = err("ERR Not an sds encoded string.");
export const DEBUG_NOT_LISTPACK = err("ERR Not a listpack encoded object.");
export const DEBUG_NOT_QUICKLIST = err("ERR Not a quicklist encoded object.");
export const DEBUG_CLIENT_EVICTION_OFF = err("ERR maxmemory-clients is disabled.");
export const DEBUG_PROTOCOL_RESP2 = err("ERR RESP2 is not supported by this command");
export const DEBUG_PROTOCOL_TYPE = err(
  "ERR Wrong protocol type name. Please use one of the following: string|integer|double|bignum|null|array|set|map|attrib|push|verbatim|true|false",
);
export const RDB_ONLY_RANGE = err("ERR value is out of range, value must between 0 and 1");

export function helloSyntax(option: string): ReplyError {
  return err(`ERR Syntax error in HELLO option '${option}'`);
}

export function unknownClientType(type: string): ReplyError {
  return err(`ERR Unknown client type '${type}'`);
}

export function clientSetinfoOption(option: string): ReplyError {
  return err(`ERR Unrecognized option '${option}'`);
}

export function clientSetinfoChars(attribute: string): ReplyError {
  return err(`ERR ${attribute} cannot contain spaces, newlines or special characters.`);
}

export function replconfUnknownOption(option: string): ReplyError {
  return err(`ERR Unrecognized REPLCONF option: ${option}`);
}

export const RDB_FILTER_MISSING = err("ERR Missing rdb-filter-only values");

export function rdbFilterUnsupported(filter: string): ReplyError {
  return err(`ERR Unsupported rdb-filter-only option: ${filter}`);
}

/** ACL LOAD refused the file: the loader's own words. */
export function aclLoadFailed(reason: string): ReplyError {
  return err(`ERR ${reason}`);
}

export function wrongArity(name: string): ReplyError {
  return err(`ERR wrong number of arguments for '${name}' command`);
}

export function unknownCommand(name: string, args: string): ReplyError {
  return err(`ERR unknown command '${name}', with args beginning with: ${args}`);
}

export function unknownSubcommand(sub: string, container: string): ReplyError {
  return err(`ERR unknown subcommand '${sub}'. Try ${container.toUpperCase()} HELP.`);
}

export function invalidExpireTime(command: string): ReplyError {
  return err(`ERR invalid expire time in '${command}' command`);
}

export function unsupportedOption(option: string): ReplyError {
  return err(`ERR Unsupported option ${option}`);
}

export function configSetError(name: string, reason: string): ReplyError {
  return err(`ERR CONFIG SET failed (possibly related to argument '${name}') - ${reason}`);
}

export function configUnknownOption(name: string): ReplyError {
  return err(`ERR Unknown option or number of arguments for CONFIG SET - '${name}'`);
}

export const PROTO_INVALID_MULTIBULK = new ProtocolError("invalid multibulk length");
export const PROTO_INVALID_BULK = new ProtocolError("invalid bulk length");
export const PROTO_BIG_MBULK_COUNT = new ProtocolError("too big mbulk count string");
export const PROTO_BIG_BULK_COUNT = new ProtocolError("too big bulk count string");
export const PROTO_BIG_INLINE = new ProtocolError("too big inline request");
export const PROTO_UNBALANCED_QUOTES = new ProtocolError("unbalanced quotes in request");
export const PROTO_UNAUTH_MULTIBULK = new ProtocolError("unauthenticated multibulk length");
export const PROTO_UNAUTH_BULK = new ProtocolError("unauthenticated bulk length");

export function protoExpectedDollar(got: number): ProtocolError {
  return new ProtocolError(`expected '$', got '${String.fromCharCode(got)}'`);
}

// Strings and numbers.
export const NOT_FLOAT = err("ERR value is not a valid float");
export const INCR_OVERFLOW = err("ERR increment or decrement would overflow");
export const DECR_OVERFLOW = err("ERR decrement would overflow");
export const INCR_NAN = err("ERR increment would produce NaN or Infinity");
export const STRING_TOO_LONG = err("ERR string exceeds maximum allowed size (proto-max-bulk-len)");
export const OFFSET_OUT_OF_RANGE = err("ERR offset is out of range");
export const LCS_NOT_STRINGS = err("ERR The specified keys must contain string values");
export const LCS_LEN_AND_IDX = err("ERR If you want both the length and indexes, please just use IDX.");
export const LCS_TOO_BIG = err("ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len");

// Aggregates.
export const NO_SUCH_KEY = err("ERR no such key");
export const INDEX_OUT_OF_RANGE = err("ERR index out of range");
export const MUST_BE_POSITIVE = err("ERR value is out of range, must be positive");
export const NUMKEYS_POSITIVE = err("ERR numkeys should be greater than 0");
export const COUNT_POSITIVE = err("ERR count should be greater than 0");
export const LPOS_RANK_ZERO = err(
  "ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use negative to start from the end of the list",
);
export const LPOS_COUNT_NEGATIVE = err("ERR COUNT can't be negative");
export const LPOS_MAXLEN_NEGATIVE = err("ERR MAXLEN can't be negative");
export const SAME_OBJECT = err("ERR source and destination objects are the same");
export const INVALID_CURSOR = err("ERR invalid cursor");
export const IDLETIME_UNDER_LFU = err(
  "ERR An LFU maxmemory policy is selected, idle time not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.",
);
export const LFU_NOT_SELECTED = err(
  "ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.",
);
export const HASH_NOT_INTEGER = err("ERR hash value is not an integer");
export const HASH_NOT_FLOAT = err("ERR hash value is not a float");
export const VALUE_NAN_OR_INF = err("ERR value is NaN or Infinity");
export const VALUE_OUT_OF_RANGE = err("ERR value is out of range");
export const TOO_MANY_NUMKEYS = err("ERR Number of keys can't be greater than number of args");
export const LIMIT_NEGATIVE = err("ERR LIMIT can't be negative");

export function valueOutOfRange(min: string, max: string): ReplyError {
  return err(`ERR value is out of range, value must between ${min} and ${max}`);
}

// Sorted sets.
export const ZADD_XX_NX = err("ERR XX and NX options at the same time are not compatible");
export const ZADD_GT_LT_NX = err("ERR GT, LT, and/or NX options at the same time are not compatible");
export const ZADD_INCR_PAIRS = err("ERR INCR option supports a single increment-element pair");
export const ZSET_NAN = err("ERR resulting score is not a number (NaN)");
export const MIN_MAX_NOT_FLOAT = err("ERR min or max is not a float");
export const MIN_MAX_NOT_LEX = err("ERR min or max not valid string range item");
export const LIMIT_NEEDS_BY = err("ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX");
export const WITHSCORES_BYLEX = err("ERR syntax error, WITHSCORES not supported in combination with BYLEX");
export const WEIGHT_NOT_FLOAT = err("ERR weight value is not a float");

export function atLeastOneKey(command: string): ReplyError {
  return err(`ERR at least 1 input key is needed for '${command}' command`);
}

// Bitmaps.
export const BIT_OFFSET = err("ERR bit offset is not an integer or out of range");
export const BIT_VALUE = err("ERR bit is not an integer or out of range");
export const BITPOS_BIT = err("ERR The bit argument must be 1 or 0.");
export const BITOP_NOT_ONE_KEY = err("ERR BITOP NOT must be called with a single source key.");
export const BITFIELD_TYPE = err("ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is.");
export const BITFIELD_OVERFLOW = err("ERR Invalid OVERFLOW type specified");
export const BITFIELD_RO_GET_ONLY = err("ERR BITFIELD_RO only supports the GET subcommand");

// HyperLogLog.
export const NOT_HLL = err("WRONGTYPE Key is not a valid HyperLogLog string value.");
export const INVALID_HLL = err("INVALIDOBJ Corrupted HLL object detected");
export const latencyNoSamples = (event: string) => err(`ERR No samples available for event '${event}'`);
export const PFDEBUG_NO_KEY = err("ERR The specified key does not exist");
export const PFDEBUG_NOT_SPARSE = err("ERR HLL encoding is not sparse");
export const pfdebugSubcommand = (name: string) => err(`ERR Unknown PFDEBUG subcommand '${name}'`);
export const SORT_NOT_DOUBLE = err("ERR One or more scores can't be converted into double");
export const BUSYKEY = err("BUSYKEY Target key name already exists.");
export const INVALID_TTL = err("ERR Invalid TTL value, must be >= 0");
export const INVALID_IDLETIME = err("ERR Invalid IDLETIME value, must be >= 0");
export const INVALID_FREQ = err("ERR Invalid FREQ value, must be >= 0 and <= 255");
export const BAD_DUMP_PAYLOAD = err("ERR DUMP payload version or checksum are wrong");
export const BAD_DATA_FORMAT = err("ERR Bad data format");
export const BGSAVE_IN_PROGRESS = err("ERR Background save already in progress");
export const AOF_REWRITE_ACTIVE = err(
  "ERR Another child process is active (AOF?): can't BGSAVE right now. Use BGSAVE SCHEDULE in order to schedule a BGSAVE whenever possible.",
);
export const AOF_REWRITE_IN_PROGRESS = err("ERR Background append only file rewriting already in progress");
export const OOM = err("OOM command not allowed when used memory > 'maxmemory'.");
export const misconfAof = (reason: string) => err(`MISCONF Errors writing to the AOF file: ${reason}`);
export const MISCONF_RDB = err(
  "MISCONF Redis is configured to save RDB snapshots, but it's currently unable to persist to disk. Commands that may modify the data set are disabled, because this instance is configured to report errors during writes if RDB snapshotting fails (stop-writes-on-bgsave-error option). Please check the Redis logs for details about the RDB error.",
);
export const INVALID_MASTER_PORT = err("ERR Invalid master port");
export const TIMEOUT_NOT_INTEGER = err("ERR timeout is not an integer or out of range");
export const TIMEOUT_NEGATIVE = err("ERR timeout is negative");
export const WAIT_ON_REPLICA = err(
  "ERR WAIT cannot be used with replica instances. Please also note that since Redis 4.0 if a replica is configured to be writable (which is not the default) writes to replicas are just local and are not propagated.",
);
export const LOADING = err("LOADING Redis is loading the dataset in memory");
export const MASTERDOWN = err("MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'.");
export const MULTI_NESTED = err("ERR MULTI calls can not be nested");
export const EXEC_WITHOUT_MULTI = err("ERR EXEC without MULTI");
export const DISCARD_WITHOUT_MULTI = err("ERR DISCARD without MULTI");
export const WATCH_INSIDE_MULTI = err("ERR WATCH inside MULTI is not allowed");
export const EXECABORT = err("EXECABORT Transaction discarded because of previous errors.");
export const NOT_IN_MULTI = err("ERR Command not allowed inside a transaction");
export const SSUBSCRIBE_DENY_BLOCKING = err("ERR SSUBSCRIBE isn't allowed for a DENY BLOCKING client");
export const onlyPubsubAllowed = (name: string) =>
  err(`ERR Can't execute '${name}': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context`);
export const TIMEOUT_NOT_FLOAT = err("ERR timeout is not a float or out of range");
export const UNBLOCK_REASON = err("ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR");
export const PAUSE_MODE = err("ERR CLIENT PAUSE mode must be WRITE or ALL");
export const UNBLOCKED = err("UNBLOCKED client unblocked via CLIENT UNBLOCK");

// Streams.
export const STREAM_ID_INVALID = err("ERR Invalid stream ID specified as stream command argument");
export const XADD_ID_ZERO = err("ERR The ID specified in XADD must be greater than 0-0");
export const XADD_ID_TOO_SMALL = err("ERR The ID specified in XADD is equal or smaller than the target stream top item");
export const STREAM_EXHAUSTED = err("ERR The stream has exhausted the last possible ID, unable to add more items");
export const STREAM_TOO_LARGE = err("ERR Elements are too large to be stored");
export const MAXLEN_NEGATIVE = err("ERR The MAXLEN argument must be >= 0.");
export const XLIMIT_NEGATIVE = err("ERR The LIMIT argument must be >= 0.");
export const TRIM_BOTH = err("ERR syntax error, MAXLEN and MINID options at the same time are not compatible");
export const LIMIT_WITHOUT_STRATEGY = err("ERR syntax error, LIMIT cannot be used without specifying a trimming strategy");
export const XTRIM_WITHOUT_STRATEGY = err("ERR syntax error, XTRIM must be called with a trimming strategy");
export const LIMIT_WITHOUT_APPROX = err("ERR syntax error, LIMIT cannot be used without the special ~ option");
export const INVALID_START_ID = err("ERR invalid start ID for the interval");
export const INVALID_END_ID = err("ERR invalid end ID for the interval");
export const XREAD_GROUP_OPTION = err("ERR The GROUP option is only supported by XREADGROUP. You called XREAD instead.");
export const XREADGROUP_MISSING_GROUP = err("ERR Missing GROUP option for XREADGROUP");
export const XREAD_GT_ID = err("ERR The > ID can be specified only when calling XREADGROUP using the GROUP <group> <consumer> option.");
export const XREADGROUP_DOLLAR_ID = err(
  "ERR The $ ID is meaningless in the context of XREADGROUP: you want to read the history of this consumer by specifying a proper ID, or use the > ID to get new messages. The $ ID would just return an empty result set.",
);
export const XGROUP_KEY_MISSING = err(
  "ERR The XGROUP subcommand requires the key to exist. Note that for CREATE you may want to use the MKSTREAM option to create an empty stream automatically.",
);
export const BUSYGROUP = err("BUSYGROUP Consumer Group name already exists");
export const ENTRIESREAD_INVALID = err("ERR value for ENTRIESREAD must be positive or -1");
export const XSETID_SMALLER_THAN_TOP = err("ERR The ID specified in XSETID is smaller than the target stream top item");
export const XSETID_ENTRIES_ADDED_SMALL = err("ERR The entries_added specified in XSETID is smaller than the target stream length");
export const XSETID_BELOW_MAX_DELETED = err("ERR The ID specified in XSETID is smaller than the provided max_deleted_entry_id");
export const ENTRIES_ADDED_NEGATIVE = err("ERR entries_added must be positive");
export const COUNT_MUST_BE_POSITIVE = err("ERR COUNT must be > 0");
export const NOGROUP_BLOCKED = new FinalReplyError("NOGROUP the consumer group this client was blocked on no longer exists");
export const STREAM_GONE_BLOCKED = new FinalReplyError("UNBLOCKED the stream key no longer exists");
export const UNBALANCED_STREAMS = err("ERR Unbalanced XREAD list of streams: for each stream key an ID or '$' must be specified.");
export const XREAD_NOACK_OPTION = err("ERR The NOACK option is only supported by XREADGROUP. You called XREAD instead.");
export const noGroupForKey = (group: string, key: string) => err(`NOGROUP No such consumer group '${group}' for key name '${key}'`);
export const noKeyOrGroup = (key: string, group: string, suffix = "") => err(`NOGROUP No such key '${key}' or consumer group '${group}'${suffix}`);
export const invalidArgumentFor = (what: string, command: string) => err(`ERR Invalid ${what} argument for ${command}`);
export const unrecognizedOption = (command: string, option: string) => err(`ERR Unrecognized ${command} option '${option}'`);
export const subcommandSyntax = (sub: string, container: string) =>
  err(`ERR unknown subcommand or wrong number of arguments for '${sub}'. Try ${container.toUpperCase()} HELP.`);
export const COUNT_RANGE = err("ERR count should be greater than or equal to -1");
export const DEBUG_NOT_ALLOWED = err(
  'ERR DEBUG command not allowed. If the enable-debug-command option is set to "local", you can run it from a local connection, otherwise you need to set this option in the configuration file, and then restart the server.',
);
export const MODULE_NOT_ALLOWED = err(
  'ERR MODULE command not allowed. If the enable-module-command option is set to "local", you can run it from a local connection, otherwise you need to set this option in the configuration file, and then restart the server.',
);
export const MODULE_LOAD_FAILED = err("ERR Error loading the extension. Please check the server logs.");
export const NO_SUCH_MODULE = err("ERR Error unloading module: no such module with that name");

// Scripting: EVAL, FUNCTION and the errors of commands a script runs (Redis's eval.c,
// functions.c, script.c and script_lua.c).
export const NOSCRIPT = err("NOSCRIPT No matching script. Please use EVAL.");
export const NOTBUSY = err("NOTBUSY No scripts in execution right now.");
export const NUMKEYS_TOO_MANY = err("ERR Number of keys can't be greater than number of args");
export const NUMKEYS_NEGATIVE = err("ERR Number of keys can't be negative");
export const NUMKEYS_BAD = err("ERR Bad number of keys provided");
export const SCRIPT_FLUSH_OPTION = err("ERR SCRIPT FLUSH only support SYNC|ASYNC option");
export const FUNCTION_FLUSH_OPTION = err("ERR FUNCTION FLUSH only supports SYNC|ASYNC option");
export const FUNCTION_NOT_FOUND = err("ERR Function not found");
export const LIBRARY_NOT_FOUND = err("ERR Library not found");
export const LIBRARY_NAME_MISSING = err("ERR library name argument was not given");
export const FUNCTION_CODE_MISSING = err("ERR Function code is missing");
export const FUNCTION_RESTORE_POLICY = err("ERR Wrong restore policy given, value should be either FLUSH, APPEND or REPLACE.");
export const FUNCTION_DUMP_PAYLOAD = err("ERR DUMP payload version or checksum are wrong");
export const FUNCTION_NAME_INVALID = "Library names can only contain letters, numbers, or underscores(_) and must be at least one character long";
export const LIBRARY_NAME_INVALID = err(`ERR ${FUNCTION_NAME_INVALID}`);
export const SCRIPT_SHEBANG_INVALID = err("ERR Invalid script shebang");
export const SCRIPT_ENGINE_INVALID = err("ERR Invalid engine in script shebang");
export const LIBRARY_METADATA_MISSING = err("ERR Missing library metadata");
export const LIBRARY_METADATA_INVALID = err("ERR Invalid library metadata");
export const LIBRARY_NAME_TWICE = err("ERR Invalid metadata value, name argument was given multiple times");
export const LIBRARY_NAME_NOT_GIVEN = err("ERR Library name was not given");
export const SCRIPT_WRITE_WITH_RO = err("ERR Can not execute a script with write flag using *_ro command.");
export const SCRIPT_READONLY_REPLICA = err("READONLY Can not run script with write flag on readonly replica");
export const SCRIPT_OOM = err("OOM allow-oom flag is not set on the script, can not run it when used memory > 'maxmemory'");
export const SCRIPT_MASTERDOWN = err(
  "MASTERDOWN Link with MASTER is down, replica-serve-stale-data is set to 'no' and 'allow-stale' flag is not set on the script.",
);
export const SCRIPT_MISCONF_RDB = err(
  "MISCONF Redis is configured to save RDB snapshots, but it's currently unable to persist to disk. Writable scripts are blocked. Use 'no-writes' flag for read only scripts.",
);
export const CALL_UNKNOWN = err("ERR Unknown Redis command called from script");
export const CALL_ARITY = err("ERR Wrong number of args calling Redis command from script");
export const CALL_NOSCRIPT = err("ERR This Redis command is not allowed from script");
export const CALL_STALE = err("ERR Can not execute the command on a stale replica");
export const CALL_WRITE_IN_RO = err("ERR Write commands are not allowed from read-only scripts.");
export const CALL_NOPERM_COMMAND = err("ERR The user executing the script can't run this command or subcommand");
export const CALL_NOPERM_KEY = err("ERR The user executing the script can't access at least one of the keys mentioned in the command arguments");
export const CALL_NOPERM_CHANNEL = err("ERR The user executing the script can't publish to the channel mentioned in the command");
export function scriptMisconfAof(error: string): ReplyError {
  return new ReplyError(
    `MISCONF Redis is configured to persist data to AOF, but it's currently unable to persist to disk. Writable scripts are blocked. Use 'no-writes' flag for read only scripts. AOF error: ${error}`,
  );
}
export function scriptCompileError(message: string): ReplyError {
  return new ReplyError(`ERR Error compiling script (new function): ${message}`);
}
export function libraryExists(name: string): ReplyError {
  return new ReplyError(`ERR Library '${name}' already exists`);
}
export function functionExists(name: string): ReplyError {
  return new ReplyError(`ERR Function ${name} already exists`);
}
export function blockFromScript(command: string): ReplyError {
  return new ReplyError(`ERR ${command} command is not allowed with BLOCK option from scripts`);
}
export const BUSY_EVAL = err("BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.");
export const BUSY_FUNCTION = err("BUSY Redis is busy running a script. You can only call FUNCTION KILL or SHUTDOWN NOSAVE.");
export const UNKILLABLE_MASTER = err("UNKILLABLE The busy script was sent by a master instance in the context of replication and cannot be killed.");
export const UNKILLABLE_WRITES = err(
  "UNKILLABLE Sorry the script already executed write commands against the dataset. You can either wait the script termination or kill the server in a hard way using the SHUTDOWN NOSAVE command.",
);
export const SCRIPT_DEBUG_OPTION = err("ERR Use SCRIPT DEBUG YES/SYNC/NO");
export const DEBUG_RESTART_FAILED = err("ERR failed to restart the server. Check server logs.");
/** The debugger reads and writes the client's socket itself (through glibc), which a TLS session does not allow. */
export const SCRIPT_DEBUG_UNAVAILABLE = err("ERR SCRIPT DEBUG is not available over TLS, or without glibc, in KVIS");
export const SCRIPT_DEBUG_PIPELINE = err("ERR SCRIPT DEBUG must be called outside a pipeline");
export const SCRIPT_DEBUG_EVALSHA = err("ERR Please use EVAL instead of EVALSHA for debugging");
export const functionLoadOption = (option: string) => new ReplyError(`ERR Unknown option given: ${option}`);
export const functionListArgument = (arg: string) => new ReplyError(`ERR Unknown argument ${arg}`);
export const shebangEngine = (engine: string) => new ReplyError(`ERR Unexpected engine in script shebang: ${engine}`);
export const shebangOption = (option: string) => new ReplyError(`ERR Unknown lua shebang option: ${option}`);
export const shebangFlag = (flag: string) => new ReplyError(`ERR Unexpected flag in script shebang: ${flag}`);
export const libraryMetadataValue = (value: string) => new ReplyError(`ERR Invalid metadata value given: ${value}`);
export const libraryEngine = (engine: string) => new ReplyError(`ERR Engine '${engine}' not found`);
/** FUNCTION RESTORE APPEND of a library that exists (no quotes, unlike FUNCTION LOAD's). */
export const restoredLibraryExists = (name: string) => new ReplyError(`ERR Library ${name} already exists`);
export const NOREPLICAS = err("NOREPLICAS Not enough good replicas to write.");

/** KVIS's MIGRATE waits for its target asynchronously, which a transaction or a script cannot do. */
export const MIGRATE_IN_TRANSACTION = err("ERR MIGRATE is not supported inside MULTI/EXEC or a script by KVIS");
export const MIGRATE_KEYS_WITH_KEY = err("ERR When using MIGRATE KEYS option, the key argument must be set to the empty string");

// GEO (geo.c)
export const GEO_UNIT = err("ERR unsupported unit provided. please use M, KM, FT, MI");
export const GEO_NEED_RADIUS = err("ERR need numeric radius");
export const GEO_RADIUS_NEGATIVE = err("ERR radius cannot be negative");
export const GEO_NEED_WIDTH = err("ERR need numeric width");
export const GEO_NEED_HEIGHT = err("ERR need numeric height");
export const GEO_BOX_NEGATIVE = err("ERR height or width cannot be negative");
export const GEO_COUNT = err("ERR COUNT must be > 0");
export const GEO_MEMBER = err("ERR could not decode requested zset member");
export const GEO_ANY_NEEDS_COUNT = err("ERR the ANY argument requires COUNT argument");
/** `lon` and `lat` as C's "%f" prints them. */
export const geoInvalidLonLat = (lon: string, lat: string) => err(`ERR invalid longitude,latitude pair ${lon},${lat}`);
export const geoStoreWith = (what: string) => err(`ERR ${what} is not compatible with WITHDIST, WITHHASH and WITHCOORD options`);
export const geoFrom = (command: string) => err(`ERR exactly one of FROMMEMBER or FROMLONLAT can be specified for ${command}`);
export const geoBy = (command: string) => err(`ERR exactly one of BYRADIUS and BYBOX can be specified for ${command}`);

// FAILOVER (replication/failover.ts) and the PSYNC that ends it.
export const FAILOVER_IN_PROGRESS = err("ERR FAILOVER already in progress.");
export const FAILOVER_ON_REPLICA = err("ERR FAILOVER is not valid when server is a replica.");
export const FAILOVER_NO_REPLICAS = err("ERR FAILOVER requires connected replicas.");
export const FAILOVER_FORCE_NEEDS_TARGET = err("ERR FAILOVER with force option requires both a timeout and target HOST and IP.");
export const FAILOVER_TARGET_NOT_REPLICA = err("ERR FAILOVER target HOST and PORT is not a replica.");
export const FAILOVER_TARGET_NOT_ONLINE = err("ERR FAILOVER target replica is not online.");
export const FAILOVER_TIMEOUT_NOT_POSITIVE = err("ERR FAILOVER timeout must be greater than 0");
export const NO_FAILOVER_IN_PROGRESS = err("ERR No failover in progress.");
export const REPLICAOF_WHILE_FAILING_OVER = err("ERR REPLICAOF not allowed while failing over.");
export const PSYNC_FAILOVER_TO_MASTER = err("ERR PSYNC FAILOVER can't be sent to a master.");
export const PSYNC_FAILOVER_REPLID = err("ERR PSYNC FAILOVER replid must match my replid.");
export const SYNC_WHILE_FAILING_OVER = err("NOMASTERLINK Can't SYNC while failing over");
