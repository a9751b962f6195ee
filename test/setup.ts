/**
 * Preloaded before every test file (bunfig.toml): integration tests start real servers
 * and build the binary, which takes longer than bun's 5 s default on a 2-core machine.
 * The limit guards against hangs; it never measures speed.
 */
import { setDefaultTimeout } from "bun:test";

setDefaultTimeout(60_000);
