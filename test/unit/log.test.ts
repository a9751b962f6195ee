import { expect, test } from "bun:test";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { tempDir } from "../helpers/servers.ts";

const LOG = join(import.meta.dir, "../../src/log.ts");
// Prints on standard error whether the process's standard output is a terminal.
const PROBE = `import { stdoutIsTerminal } from ${JSON.stringify(LOG)}; process.stderr.write(String(stdoutIsTerminal()));`;

async function run(argv: string[], stdout: "pipe" | "ignore" | ReturnType<typeof Bun.file>, read: "stdout" | "stderr"): Promise<string> {
  const proc = Bun.spawn(argv, { stdout, stderr: "pipe" });
  const text = await new Response(read === "stderr" ? proc.stderr : (proc.stdout as ReadableStream)).text();
  await proc.exited;
  return text.trim();
}

test("standard output is a terminal only when it is one: not a pipe, /dev/null or a file", async () => {
  const dir = tempDir();
  try {
    const probe = [process.execPath, "-e", PROBE];
    expect(await run(probe, "pipe", "stderr")).toBe("false");
    expect(await run(probe, "ignore", "stderr")).toBe("false");
    expect(await run(probe, Bun.file(join(dir, "out.txt")), "stderr")).toBe("false");
    // script(1) (util-linux, in every Debian) runs the probe on a pseudo-terminal and
    // copies what it writes there to its own output.
    expect(await run(["script", "-qec", `${process.execPath} -e '${PROBE}'`, "/dev/null"], "pipe", "stdout")).toBe("true");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
