/**
 * The restore command: `npm run restore -- --backup FILE --id n1 --listen 127.0.0.1:7001 --data-dir data/n1`
 * (or `bun src/restore.ts …`, `deno run --allow-all src/restore.ts …`). Writes a backup downloaded
 * with `GET /v1/snapshot` into an empty data directory as a new single-node cluster whose only
 * member is `--id` at its advertised URL; then start that node with `src/main.ts` on the same
 * `--id`, `--listen` (or `--advertise-url`) and `--data-dir`. Every flag also reads from a `RAFT_*`
 * variable. Exit status: 0 restored, 1 the backup cannot be read or fails its checks, 2 invalid
 * flags or a data directory that already holds state (nothing written).
 */
import process from "node:process";
import { RESTORE_KEYS, RestoreConfigSchema } from "../schemas/restore_config.ts";
import { envName, flagName, loadSettings } from "./server/config.ts";
import { restoreBackup } from "./server/restore_backup.ts";
import { StorageError } from "./storage/mod.ts";

function usage(): string {
  const lines = RESTORE_KEYS.map((k) => `  --${flagName(k)}  (${envName(k)})`);
  return `usage: bun src/restore.ts --backup <file> --id <id> [--listen host:port | --advertise-url url] [--data-dir dir]\n${lines.join("\n")}`;
}

function main(): number {
  const argv = process.argv.slice(2);
  if (argv.includes("--help")) {
    console.log(usage());
    return 0;
  }
  const loaded = loadSettings(RestoreConfigSchema, RESTORE_KEYS, argv, process.env);
  if (!loaded.ok) {
    console.error(`invalid restore settings:\n  ${loaded.errors.join("\n  ")}\n\n${usage()}`);
    return 2;
  }
  const { backup, id, listen, advertiseUrl, dataDir } = loaded.config;
  let result: ReturnType<typeof restoreBackup>;
  try {
    result = restoreBackup({ backup, self: { id, url: advertiseUrl }, dataDir });
  } catch (error) {
    if (!(error instanceof StorageError)) throw error;
    console.error(
      `cannot restore ${backup}: writing ${dataDir} failed: ${error.message} (empty it before trying again)`,
    );
    return 1;
  }
  if (!result.ok) {
    console.error(`cannot restore ${backup}: ${result.message}`);
    return result.reason === "refused" ? 2 : 1;
  }
  const { index, term } = result.position;
  console.log(
    `restored ${backup} into ${dataDir}: ${result.keys === 1 ? "1 key" : `${result.keys} keys`} at index ${index}, term ${term}; ` +
      `a new cluster whose only member is ${id}=${advertiseUrl} (the backup's members ${result.oldMembers} are not kept)`,
  );
  // The node must serve at the URL the new configuration names: give it the same --listen (and --advertise-url).
  const address =
    advertiseUrl === `http://${listen}` ? `--listen ${listen}` : `--listen … --advertise-url ${advertiseUrl}`;
  console.log(
    `start it with: bun src/main.ts --id ${id} ${address} --data-dir ${dataDir} --cluster-token-file <new token> --admin-token-file <new token> (no --bootstrap)`,
  );
  return 0;
}

process.exit(main());
