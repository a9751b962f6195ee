/**
 * Cluster commands (COMMAND DOCS group "cluster"). KVIS runs standalone, as Redis does
 * without cluster-enabled: CLUSTER and its subcommands, and cluster clients' READONLY,
 * READWRITE and ASKING, are refused with Redis's words, so such a client learns it is not
 * talking to a cluster. The subcommands are declared with Redis 7.0's flags (scripts may
 * not run CLUSTER RESET, for one).
 */
import { CLUSTER_DISABLED } from "../errors.ts";
import { type CommandFlag, command } from "./command.ts";

const refuse = () => {
  throw CLUSTER_DISABLED;
};

export const readonlyCommand = command({
  name: "readonly", arity: 1, flags: ["loading", "stale", "fast"], categories: ["connection"],
  summary: "Enables read queries for a connection to a cluster replica node", since: "3.0.0",
  handler: refuse,
});

export const readwriteCommand = command({
  name: "readwrite", arity: 1, flags: ["loading", "stale", "fast"], categories: ["connection"],
  summary: "Disables read queries for a connection to a cluster replica node", since: "3.0.0",
  handler: refuse,
});

export const askingCommand = command({
  name: "asking", arity: 1, flags: ["fast"], categories: ["connection"],
  summary: "Sent by cluster clients after an -ASK redirect", since: "3.0.0",
  handler: refuse,
});

/** CLUSTER's subcommands as Redis 7.0 declares them: name, arity, flags, tips, summary, since, complexity. */
const CLUSTER_SUBCOMMANDS: ReadonlyArray<[string, number, CommandFlag[], string[], string, string, string]> = [
  ["addslots", -3, ["admin", "stale", "no-async-loading"], [], "Assign new hash slots to receiving node", "3.0.0", "O(N) where N is the total number of hash slot arguments"],
  ["addslotsrange", -4, ["admin", "stale", "no-async-loading"], [], "Assign new hash slots to receiving node", "7.0.0", "O(N) where N is the total number of the slots between the start slot and end slot arguments."],
  ["bumpepoch", 2, ["admin", "stale", "no-async-loading"], ["nondeterministic_output"], "Advance the cluster config epoch", "3.0.0", "O(1)"],
  ["count-failure-reports", 3, ["admin", "stale"], ["nondeterministic_output"], "Return the number of failure reports active for a given node", "3.0.0", "O(N) where N is the number of failure reports"],
  ["countkeysinslot", 3, ["stale"], [], "Return the number of local keys in the specified hash slot", "3.0.0", "O(1)"],
  ["delslots", -3, ["admin", "stale", "no-async-loading"], [], "Set hash slots as unbound in receiving node", "3.0.0", "O(N) where N is the total number of hash slot arguments"],
  ["delslotsrange", -4, ["admin", "stale", "no-async-loading"], [], "Set hash slots as unbound in receiving node", "7.0.0", "O(N) where N is the total number of the slots between the start slot and end slot arguments."],
  ["failover", -2, ["admin", "stale", "no-async-loading"], [], "Forces a replica to perform a manual failover of its master.", "3.0.0", "O(1)"],
  ["flushslots", 2, ["admin", "stale", "no-async-loading"], [], "Delete a node's own slots information", "3.0.0", "O(1)"],
  ["forget", 3, ["admin", "stale", "no-async-loading"], [], "Remove a node from the nodes table", "3.0.0", "O(1)"],
  ["getkeysinslot", 4, ["stale"], ["nondeterministic_output"], "Return local key names in the specified hash slot", "3.0.0", "O(log(N)) where N is the number of requested keys"],
  ["help", 2, ["loading", "stale"], [], "Show helpful text about the different subcommands", "5.0.0", "O(1)"],
  ["info", 2, ["stale"], ["nondeterministic_output"], "Provides info about Redis Cluster node state", "3.0.0", "O(1)"],
  ["keyslot", 3, ["stale"], [], "Returns the hash slot of the specified key", "3.0.0", "O(N) where N is the number of bytes in the key"],
  ["links", 2, ["stale"], ["nondeterministic_output"], "Returns a list of all TCP links to and from peer nodes in cluster", "7.0.0", "O(N) where N is the total number of Cluster nodes"],
  ["meet", -4, ["admin", "stale", "no-async-loading"], [], "Force a node cluster to handshake with another node", "3.0.0", "O(1)"],
  ["myid", 2, ["stale"], [], "Return the node id", "3.0.0", "O(1)"],
  ["nodes", 2, ["stale"], ["nondeterministic_output"], "Get Cluster config for the node", "3.0.0", "O(N) where N is the total number of Cluster nodes"],
  ["replicas", 3, ["admin", "stale"], ["nondeterministic_output"], "List replica nodes of the specified master node", "5.0.0", "O(1)"],
  ["replicate", 3, ["admin", "stale", "no-async-loading"], [], "Reconfigure a node as a replica of the specified master node", "3.0.0", "O(1)"],
  ["reset", -2, ["admin", "noscript", "stale"], [], "Reset a Redis Cluster node", "3.0.0", "O(N) where N is the number of known nodes. The command may execute a FLUSHALL as a side effect."],
  ["saveconfig", 2, ["admin", "stale", "no-async-loading"], [], "Forces the node to save cluster state on disk", "3.0.0", "O(1)"],
  ["set-config-epoch", 3, ["admin", "stale", "no-async-loading"], [], "Set the configuration epoch in a new node", "3.0.0", "O(1)"],
  ["setslot", -4, ["admin", "stale", "no-async-loading"], [], "Bind a hash slot to a specific node", "3.0.0", "O(1)"],
  ["shards", 2, ["stale"], ["nondeterministic_output"], "Get array of cluster slots to node mappings", "7.0.0", "O(N) where N is the total number of cluster nodes"],
  ["slaves", 3, ["admin", "stale"], ["nondeterministic_output"], "List replica nodes of the specified master node", "3.0.0", "O(1)"],
  ["slots", 2, ["stale"], ["nondeterministic_output"], "Get array of Cluster slot to node mappings", "3.0.0", "O(N) where N is the total number of Cluster nodes"],
];

export const clusterCommand = command({
  name: "cluster", arity: -2, flags: [], summary: "A container for cluster commands", since: "3.0.0", complexity: "Depends on subcommand.",
  subcommands: CLUSTER_SUBCOMMANDS.map(([sub, arity, flags, tips, summary, since, complexity]) =>
    command({ name: `cluster|${sub}`, arity, flags, tips, summary, since, complexity, handler: refuse }),
  ),
});
