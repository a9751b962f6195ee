/**
 * Cluster commands (COMMAND DOCS group "cluster"). KVIS runs standalone, as Redis does
 * without cluster-enabled: cluster clients' READONLY, READWRITE and ASKING are refused with
 * Redis's words, so such a client learns it is not talking to a cluster.
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
