/**
 * The operating system's own id of this machine: Windows' MachineGuid, systemd's (or
 * D-Bus's) machine-id, macOS's IOPlatformUUID. Each is made once, at installation, and
 * stays the same when the machine is renamed. Nothing here ever fails: a machine with
 * none (a container without /etc/machine-id, a locked-down registry) sends no machineId.
 */
import { execFile } from "node:child_process";
import { promises as fs } from "node:fs";
import { regQueryValues, runRegQuery } from "./settings.js";

export const WINDOWS_MACHINE_KEY = "HKLM\\SOFTWARE\\Microsoft\\Cryptography";
export const LINUX_MACHINE_ID_FILES = ["/etc/machine-id", "/var/lib/dbus/machine-id"] as const;

export interface MachineIdSources {
  platform?: NodeJS.Platform;
  /** Runs `reg query` (the seam settings.ts has, for tests without Windows). */
  regQuery?: (key: string) => Promise<string | undefined>;
  readFile?: (file: string) => Promise<string>;
  /** Runs `ioreg -rd1 -c IOPlatformExpertDevice` and gives its output. */
  ioreg?: () => Promise<string | undefined>;
}

/** 32 hex digits; systemd writes "uninitialized" until first boot completes, and images often ship an empty file. */
const SYSTEMD_ID = /^[0-9a-f]{32}$/i;
const GUID = /^\{?[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\}?$/i;

function runIoreg(): Promise<string | undefined> {
  return new Promise((resolve) => {
    execFile("ioreg", ["-rd1", "-c", "IOPlatformExpertDevice"], { timeout: 5_000 }, (err, stdout) => resolve(err ? undefined : stdout));
  });
}

/** The id and where it was read, or undefined when this machine has none that can be read. */
export async function readSystemMachineId(sources: MachineIdSources = {}): Promise<{ value: string; source: string } | undefined> {
  const platform = sources.platform ?? process.platform;
  try {
    if (platform === "win32") {
      const output = await (sources.regQuery ?? runRegQuery)(WINDOWS_MACHINE_KEY);
      const guid = output === undefined ? undefined : regQueryValues(output).get("machineguid");
      return guid && GUID.test(guid) ? { value: guid, source: `MachineGuid (${WINDOWS_MACHINE_KEY})` } : undefined;
    }
    if (platform === "darwin") {
      const output = await (sources.ioreg ?? runIoreg)();
      const uuid = output && /"IOPlatformUUID"\s*=\s*"([^"]+)"/.exec(output)?.[1];
      return uuid && GUID.test(uuid) ? { value: uuid, source: "IOPlatformUUID (ioreg)" } : undefined;
    }
    const read = sources.readFile ?? ((file: string) => fs.readFile(file, "utf8"));
    for (const file of LINUX_MACHINE_ID_FILES) {
      const id = await read(file).then((t) => t.trim(), () => undefined);
      if (id && SYSTEMD_ID.test(id)) return { value: id, source: file };
    }
    return undefined;
  } catch {
    return undefined; // whatever went wrong, a checkout without a machineId still works
  }
}
