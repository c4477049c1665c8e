/** The settings of the restore command, validated from flags and environment variables like the node's. */
import { z } from "zod";
import { HttpUrl, Listen, NodeIdSchema } from "./node_config.ts";

/** The schema of the restore settings (all values are strings before coercion). */
export const RestoreConfigSchema = z
  .object({
    /** The backup file: a snapshot downloaded with `GET /v1/snapshot`. */
    backup: z.string().min(1),
    /** The id of the one member of the new cluster (the node to start on the restored data). */
    id: NodeIdSchema,
    /** Where that node will listen; gives the default advertised URL, as for the node. */
    listen: Listen.default({ hostname: "127.0.0.1", port: 7001 }),
    advertiseUrl: HttpUrl.optional(),
    /** The new node's data directory: must be empty or absent. */
    dataDir: z.string().min(1).optional(),
  })
  .transform((c) => ({
    backup: c.backup,
    id: c.id,
    /** `host:port`, for the command that starts the restored node. */
    listen: `${c.listen.hostname}:${c.listen.port}`,
    advertiseUrl: c.advertiseUrl ?? `http://${c.listen.hostname}:${c.listen.port}`,
    dataDir: c.dataDir ?? `data/${c.id}`,
  }));

/** Validated restore settings. */
export type RestoreConfig = z.output<typeof RestoreConfigSchema>;

/** Flag and environment names of every restore setting: `--backup` / `RAFT_BACKUP`, `--data-dir`, … */
export const RESTORE_KEYS = ["backup", "id", "listen", "advertiseUrl", "dataDir"] as const;
