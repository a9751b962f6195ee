/**
 * Cluster commands (COMMAND DOCS group "cluster"). KVIS runs standalone, as Redis does
 * without cluster-enabled: CLUSTER and its subcommands, and cluster clients' READONLY,
 * READWRITE and ASKING, are refused with Redis's words, so such a client learns it is not
 * talking to a cluster. The subcommands are declared with Redis 7.0's flags (scripts may
 * not run CLUSTER RESET, for one).
 */
import { CLUSTER_DISABLED } from "../errors.ts";
import { command } from "./command.ts";

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

export const clusterCommand = command({
  name: "cluster", arity: -2, flags: [], summary: "A container for cluster commands", since: "3.0.0", complexity: "Depends on subcommand.",
  subcommands: [
    command({
      name: "cluster|addslots", arity: -3, flags: ["admin", "stale", "no-async-loading"],
      summary: "Assign new hash slots to receiving node", since: "3.0.0", complexity: "O(N) where N is the total number of hash slot arguments",
      handler: refuse,
    }),
    command({
      name: "cluster|addslotsrange", arity: -4, flags: ["admin", "stale", "no-async-loading"],
      summary: "Assign new hash slots to receiving node", since: "7.0.0", complexity: "O(N) where N is the total number of the slots between the start slot and end slot arguments.",
      handler: refuse,
    }),
    command({
      name: "cluster|bumpepoch", arity: 2, flags: ["admin", "stale", "no-async-loading"], tips: ["nondeterministic_output"],
      summary: "Advance the cluster config epoch", since: "3.0.0", complexity: "O(1)",
      handler: refuse,
    }),
    command({
      name: "cluster|count-failure-reports", arity: 3, flags: ["admin", "stale"], tips: ["nondeterministic_output"],
      summary: "Return the number of failure reports active for a given node", since: "3.0.0", complexity: "O(N) where N is the number of failure reports",
      handler: refuse,
    }),
    command({
      name: "cluster|countkeysinslot", arity: 3, flags: ["stale"],
      summary: "Return the number of local keys in the specified hash slot", since: "3.0.0", complexity: "O(1)",
      handler: refuse,
    }),
    command({
      name: "cluster|delslots", arity: -3, flags: ["admin", "stale", "no-async-loading"],
      summary: "Set hash slots as unbound in receiving node", since: "3.0.0", complexity: "O(N) where N is the total number of hash slot arguments",
      handler: refuse,
    }),
    command({
      name: "cluster|delslotsrange", arity: -4, flags: ["admin", "stale", "no-async-loading"],
      summary: "Set hash slots as unbound in receiving node", since: "7.0.0", complexity: "O(N) where N is the total number of the slots between the start slot and end slot arguments.",
      handler: refuse,
    }),
    command({
      name: "cluster|failover", arity: -2, flags: ["admin", "stale", "no-async-loading"],
      summary: "Forces a replica to perform a manual failover of its master.", since: "3.0.0", complexity: "O(1)",
      handler: refuse,
    }),
    command({
      name: "cluster|flushslots", arity: 2, flags: ["admin", "stale", "no-async-loading"],
      summary: "Delete a node's own slots information", since: "3.0.0", complexity: "O(1)",
      handler: refuse,
    }),
    command({
      name: "cluster|forget", arity: 3, flags: ["admin", "stale", "no-async-loading"],
      summary: "Remove a node from the nodes table", since: "3.0.0", complexity: "O(1)",
      handler: refuse,
    }),
    command({
      name: "cluster|getkeysinslot", arity: 4, flags: ["stale"], tips: ["nondeterministic_output"],
      summary: "Return local key names in the specified hash slot", since: "3.0.0", complexity: "O(log(N)) where N is the number of requested keys",
      handler: refuse,
    }),
    command({
      name: "cluster|help", arity: 2, flags: ["loading", "stale"],
      summary: "Show helpful text about the different subcommands", since: "5.0.0", complexity: "O(1)",
      handler: refuse,
    }),
    command({
      name: "cluster|info", arity: 2, flags: ["stale"], tips: ["nondeterministic_output"],
      summary: "Provides info about Redis Cluster node state", since: "3.0.0", complexity: "O(1)",
      handler: refuse,
    }),
    command({
      name: "cluster|keyslot", arity: 3, flags: ["stale"],
      summary: "Returns the hash slot of the specified key", since: "3.0.0", complexity: "O(N) where N is the number of bytes in the key",
      handler: refuse,
    }),
    command({
      name: "cluster|links", arity: 2, flags: ["stale"], tips: ["nondeterministic_output"],
      summary: "Returns a list of all TCP links to and from peer nodes in cluster", since: "7.0.0", complexity: "O(N) where N is the total number of Cluster nodes",
      handler: refuse,
    }),
    command({
      name: "cluster|meet", arity: -4, flags: ["admin", "stale", "no-async-loading"],
      summary: "Force a node cluster to handshake with another node", since: "3.0.0", complexity: "O(1)",
      handler: refuse,
    }),
    command({
      name: "cluster|myid", arity: 2, flags: ["stale"],
      summary: "Return the node id", since: "3.0.0", complexity: "O(1)",
      handler: refuse,
    }),
    command({
      name: "cluster|nodes", arity: 2, flags: ["stale"], tips: ["nondeterministic_output"],
      summary: "Get Cluster config for the node", since: "3.0.0", complexity: "O(N) where N is the total number of Cluster nodes",
      handler: refuse,
    }),
    command({
      name: "cluster|replicas", arity: 3, flags: ["admin", "stale"], tips: ["nondeterministic_output"],
      summary: "List replica nodes of the specified master node", since: "5.0.0", complexity: "O(1)",
      handler: refuse,
    }),
    command({
      name: "cluster|replicate", arity: 3, flags: ["admin", "stale", "no-async-loading"],
      summary: "Reconfigure a node as a replica of the specified master node", since: "3.0.0", complexity: "O(1)",
      handler: refuse,
    }),
    command({
      name: "cluster|reset", arity: -2, flags: ["admin", "noscript", "stale"],
      summary: "Reset a Redis Cluster node", since: "3.0.0", complexity: "O(N) where N is the number of known nodes. The command may execute a FLUSHALL as a side effect.",
      handler: refuse,
    }),
    command({
      name: "cluster|saveconfig", arity: 2, flags: ["admin", "stale", "no-async-loading"],
      summary: "Forces the node to save cluster state on disk", since: "3.0.0", complexity: "O(1)",
      handler: refuse,
    }),
    command({
      name: "cluster|set-config-epoch", arity: 3, flags: ["admin", "stale", "no-async-loading"],
      summary: "Set the configuration epoch in a new node", since: "3.0.0", complexity: "O(1)",
      handler: refuse,
    }),
    command({
      name: "cluster|setslot", arity: -4, flags: ["admin", "stale", "no-async-loading"],
      summary: "Bind a hash slot to a specific node", since: "3.0.0", complexity: "O(1)",
      handler: refuse,
    }),
    command({
      name: "cluster|shards", arity: 2, flags: ["stale"], tips: ["nondeterministic_output"],
      summary: "Get array of cluster slots to node mappings", since: "7.0.0", complexity: "O(N) where N is the total number of cluster nodes",
      handler: refuse,
    }),
    command({
      name: "cluster|slaves", arity: 3, flags: ["admin", "stale"], tips: ["nondeterministic_output"],
      summary: "List replica nodes of the specified master node", since: "3.0.0", complexity: "O(1)",
      handler: refuse,
    }),
    command({
      name: "cluster|slots", arity: 2, flags: ["stale"], tips: ["nondeterministic_output"],
      summary: "Get array of Cluster slot to node mappings", since: "3.0.0", complexity: "O(N) where N is the total number of Cluster nodes",
      handler: refuse,
    }),
  ],
});
