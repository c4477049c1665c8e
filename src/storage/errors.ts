/** The one error type of the storage layer, with a machine-readable code. */

/**
 * Why a storage call failed:
 * - `write_failed`: a write returned an error other than a full disk; nothing was acknowledged.
 * - `no_space`: the disk (or a quota) is full; nothing was acknowledged.
 * - `read_failed`: a file could not be read.
 * - `corrupt`: a record failed its checksum or its field checks somewhere other than a torn tail.
 * - `unsupported_version`: a file was written by a format version this code does not read.
 * - `batch_too_large`: the records buffered since the last sync exceed the configured bound.
 * - `unusable`: an earlier failure left the store in a state where it must be reopened.
 * - `locked`: another live process holds the data directory.
 */
export type StorageErrorCode =
  | "write_failed"
  | "no_space"
  | "read_failed"
  | "corrupt"
  | "unsupported_version"
  | "batch_too_large"
  | "unusable"
  | "locked";

/** Where on disk an error was found. */
export interface StorageErrorLocation {
  /** The file's path. */
  readonly file?: string;
  /** The byte offset inside the file. */
  readonly offset?: number;
  /** The underlying error (an errno-style error from the file system, for example). */
  readonly cause?: unknown;
}

/** A storage failure. Precondition violations by the caller are assertions instead. */
export class StorageError extends Error {
  /** The machine-readable reason. */
  readonly code: StorageErrorCode;
  /** The file involved, when there is one. */
  readonly file: string | undefined;
  /** The byte offset inside `file`, when known. */
  readonly offset: number | undefined;

  /** Creates the error; `message` says what failed and what to do about it. */
  constructor(code: StorageErrorCode, message: string, location: StorageErrorLocation = {}) {
    super(message, location.cause === undefined ? undefined : { cause: location.cause });
    this.name = "StorageError";
    this.code = code;
    this.file = location.file;
    this.offset = location.offset;
  }
}

/** The errno code of a file-system error (`ENOSPC`, `EIO`, ...), or undefined. */
export function errnoCode(error: unknown): string | undefined {
  if (typeof error !== "object" || error === null) return undefined;
  const code = (error as { code?: unknown }).code;
  return typeof code === "string" ? code : undefined;
}

/** True iff `error` means the disk or a quota is full. */
export function isNoSpace(error: unknown): boolean {
  const code = errnoCode(error);
  return code === "ENOSPC" || code === "EDQUOT";
}

/** Wraps a failed write in a {@link StorageError} (`no_space` for a full disk, `write_failed` otherwise). */
export function writeError(what: string, file: string, cause: unknown): StorageError {
  const detail = cause instanceof Error ? cause.message : String(cause);
  if (isNoSpace(cause)) {
    return new StorageError("no_space", `Cannot ${what}: the disk holding ${file} is full (${detail})`, {
      file,
      cause,
    });
  }
  return new StorageError("write_failed", `Cannot ${what}: writing ${file} failed (${detail})`, { file, cause });
}
