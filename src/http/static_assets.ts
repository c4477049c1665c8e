/**
 * Files the node serves as they are (the Swagger UI's scripts and styles, pages, icons): where each
 * comes from and its bytes. Run from source (Bun or Deno), a file is read from the source tree or
 * from an installed package; in the single executable that `scripts/build_binary.ts` compiles, the
 * build embeds every listed file and calls {@link embedStaticAssets} before the node starts, so the
 * executable reads nothing from outside itself.
 */
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";

/** Content types of the files served as they are. */
export const CONTENT_TYPES = {
  css: "text/css; charset=utf-8",
  js: "text/javascript; charset=utf-8",
  html: "text/html; charset=utf-8",
  json: "application/json; charset=utf-8",
  png: "image/png",
  svg: "image/svg+xml",
} as const;

/** One line of a list of files to serve: the URL path, where the file comes from, its content type. */
export interface StaticAssetLine {
  /** The URL path it is served at, e.g. `/docs/assets/swagger-ui.css` (unique in the list). */
  readonly path: string;
  /**
   * Where the file comes from, resolved like an import from the module that lists it: a package
   * file (`swagger-ui-dist/swagger-ui.css`) or a path relative to that module (`./ui/app.js`).
   */
  readonly specifier: string;
  /** The `content-type` it is served with. */
  readonly contentType: string;
  /** Its `cache-control`; default `no-cache` for pages, an hour for scripts, styles and icons. */
  readonly cacheControl?: string;
}

/** A file served as it is: its line, and the URL of the module its specifier is resolved from. */
export interface StaticAsset extends StaticAssetLine {
  /** The `import.meta.url` of the module that lists it. */
  readonly base: string;
}

/** The files of `lines`, listed by the module at `base` (pass `import.meta.url`); paths must be unique. */
export function listStaticAssets(base: string, lines: readonly StaticAssetLine[]): readonly StaticAsset[] {
  const paths = new Set<string>();
  for (const line of lines) {
    if (!line.path.startsWith("/")) throw new Error(`static asset path '${line.path}' must start with '/'`);
    if (paths.has(line.path)) throw new Error(`static asset path '${line.path}' is listed twice`);
    paths.add(line.path);
  }
  return Object.freeze(lines.map((line) => Object.freeze({ ...line, base })));
}

/** The absolute path of the file in the source tree or the installed package (throws if it cannot be found). */
export function sourceFileOf(asset: StaticAsset): string {
  return createRequire(asset.base).resolve(asset.specifier);
}

/** URL path → the embedded copy's path, once {@link embedStaticAssets} ran (only in the compiled executable). */
let embedded: ReadonlyMap<string, string> | undefined;
/** Each asset's bytes, read once. */
const cache = new Map<StaticAsset, Promise<Uint8Array<ArrayBuffer>>>();

/**
 * Serves every file from the copy embedded in this executable: `files` maps each URL path to the
 * embedded file's path. Called once, by the compiled executable's entry, before the node starts;
 * from then on a file that was not embedded is an error rather than a read from the disk.
 */
export function embedStaticAssets(files: Readonly<Record<string, string>>): void {
  if (embedded !== undefined) throw new Error("the static assets were embedded already");
  if (cache.size > 0) throw new Error("static assets were read before they were embedded");
  embedded = new Map(Object.entries(files));
}

/** True once {@link embedStaticAssets} ran (the compiled executable). */
export function staticAssetsEmbedded(): boolean {
  return embedded !== undefined;
}

/** Where the bytes of `asset` are read from: the embedded copy in the executable, else the source file. */
function fileOf(asset: StaticAsset): string {
  if (embedded === undefined) return sourceFileOf(asset);
  const file = embedded.get(asset.path);
  if (file === undefined) throw new Error(`static asset ${asset.path} was not embedded in this executable`);
  return file;
}

/** The bytes of `asset`, read once and then kept in memory (a failed read is tried again next time). */
export function readStaticAsset(asset: StaticAsset): Promise<Uint8Array<ArrayBuffer>> {
  let bytes = cache.get(asset);
  if (bytes === undefined) {
    bytes = Promise.resolve()
      .then(() => readFile(fileOf(asset)))
      .then((b) => new Uint8Array(b));
    bytes.catch(() => cache.delete(asset));
    cache.set(asset, bytes);
  }
  return bytes;
}
