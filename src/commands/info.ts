/**
 * INFO [section ...]. The text is the server's (server/info.ts, as Redis builds it in
 * server.c's genRedisInfoString), with Redis's section and field names so that monitoring
 * tools that parse INFO keep working.
 */
import { lowerAscii } from "../resp/bytes.ts";
import { command } from "./command.ts";

export const infoCommand = command({
  name: "info", tips: ["nondeterministic_output", "request_policy:all_shards", "response_policy:special"], arity: -1, flags: ["loading", "stale", "sentinel"], categories: ["dangerous"],
  history: [["7.0.0", "Added support for taking multiple section arguments."]],
  args: "section:string?...",
  summary: "Get information and statistics about the server", since: "1.0.0",
  complexity: "O(1)",
  handler(c, argv) {
    const wanted = argv.views(1).map(lowerAscii);
    c.reply.verbatim(c.server.info(wanted));
  },
});
