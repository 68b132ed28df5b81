// Starts and stops a nimbus server for the JavaScript SDK tests, as tests/clients/harness.py
// does for python: the binary is $NIMBUS_BIN, else ../../../build/nimbus; each server gets a
// temporary data directory (removed on stop), a free port on 127.0.0.1, the repository's
// conf/credentials and no HTTPS listener; start() resolves once /_nimbus/health answers 200.
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, accessSync, constants } from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const HERE = path.dirname(fileURLToPath(import.meta.url));
const REPO = path.resolve(HERE, "..", "..", "..");

export const ACCESS_KEY = "AKIAIOSFODNN7EXAMPLE"; // account 000000000000
export const SECRET_KEY = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";

function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

async function healthy(port) {
  try {
    const response = await fetch(`http://127.0.0.1:${port}/_nimbus/health`);
    return response.status === 200;
  } catch {
    return false;
  }
}

export async function startNimbus() {
  const binary = process.env.NIMBUS_BIN || path.join(REPO, "build", "nimbus");
  accessSync(binary, constants.X_OK);
  const dataDir = mkdtempSync(path.join(os.tmpdir(), "nimbus-js-"));
  const port = await freePort();
  // NIMBUS_<OPTION> variables would override the command line; drop them.
  const env = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !k.startsWith("NIMBUS_")));
  let output = "";
  const child = spawn(binary, ["serve", "--host", "127.0.0.1", "--port", String(port),
    "--data-dir", dataDir, "--credentials", path.join(REPO, "conf", "credentials"),
    "--tls-port", "0", "--log-level", "warn"], { env, stdio: ["ignore", "pipe", "pipe"] });
  child.stdout.on("data", (d) => { output += d; });
  child.stderr.on("data", (d) => { output += d; });
  const deadline = Date.now() + 10000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`nimbus exited (${child.exitCode}): ${output}`);
    if (await healthy(port)) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  if (!(await healthy(port))) {
    child.kill("SIGKILL");
    throw new Error(`nimbus did not answer /_nimbus/health: ${output}`);
  }
  return {
    port,
    endpoint: `http://localhost:${port}`,
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once("exit", r));
        child.kill("SIGTERM");
        await exited;
      }
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
