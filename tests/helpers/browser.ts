/**
 * A headless Chromium for browser tests, driven by playwright-core: the system's `chromium` (or
 * `CHROMIUM_PATH`), a fresh profile directory per launch, and the flags that keep it from opening
 * background connections (refused on a closed network). Pages record their uncaught errors and
 * the content security policy's refusals, so a test can check that none happened.
 */
import { accessSync, constants, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import process from "node:process";
import { type BrowserContext, chromium, type Page } from "playwright-core";

/** The flags Chromium runs with: headless, no sandbox (tests may run as root), no background networking. */
export const CHROMIUM_ARGS: readonly string[] = [
  "--no-sandbox",
  "--headless",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

/** How to get a Chromium, for the failure message when none is found. */
export const CHROMIUM_INSTALL_HINT =
  "Install it with: sudo apt-get update && sudo apt-get install -y --no-install-recommends chromium " +
  "(Debian/Ubuntu), or point CHROMIUM_PATH at a Chromium or Chrome executable";

/** Whether `path` is an executable file. */
function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** `CHROMIUM_PATH`, else the first `chromium` on PATH (like `which chromium`); null when there is none. */
export function findChromium(): string | null {
  const chosen = process.env.CHROMIUM_PATH;
  if (chosen !== undefined && chosen !== "") return isExecutable(chosen) ? chosen : null;
  for (const dir of (process.env.PATH ?? "").split(delimiter)) {
    if (dir !== "" && isExecutable(join(dir, "chromium"))) return join(dir, "chromium");
  }
  return null;
}

/** The Chromium executable; throws an error saying how to install one when there is none. */
export function requireChromium(): string {
  const found = findChromium();
  if (found !== null) return found;
  const where = process.env.CHROMIUM_PATH
    ? `CHROMIUM_PATH=${process.env.CHROMIUM_PATH} is not executable`
    : "no chromium on PATH";
  throw new Error(`This browser test needs Chromium (${where}). ${CHROMIUM_INSTALL_HINT}`);
}

/** A page and what went wrong in it. */
export interface WatchedPage {
  readonly page: Page;
  /** Uncaught exceptions and refused loads (content security policy), in order. */
  readonly problems: string[];
}

/** A running headless Chromium with its own fresh profile; `close()` ends it and deletes the profile. */
export class TestBrowser {
  readonly #context: BrowserContext;
  readonly #profile: string;

  private constructor(context: BrowserContext, profile: string) {
    this.#context = context;
    this.#profile = profile;
  }

  /** Starts Chromium (throws with the install hint when there is none). */
  static async launch(): Promise<TestBrowser> {
    const executablePath = requireChromium();
    const profile = mkdtempSync(join(tmpdir(), "raftbare-chromium-"));
    try {
      const context = await chromium.launchPersistentContext(profile, {
        executablePath,
        headless: true,
        args: [...CHROMIUM_ARGS],
        timeout: 60_000,
      });
      return new TestBrowser(context, profile);
    } catch (error) {
      rmSync(profile, { recursive: true, force: true });
      throw error;
    }
  }

  /** A new tab that records its problems. */
  async newPage(): Promise<WatchedPage> {
    const page = await this.#context.newPage();
    const problems: string[] = [];
    page.on("pageerror", (error) => problems.push(`uncaught: ${error.message}`));
    page.on("console", (message) => {
      if (message.type() === "error" && /Content Security Policy|Refused to/i.test(message.text())) {
        problems.push(`refused: ${message.text()}`);
      }
    });
    return { page, problems };
  }

  /** Ends Chromium and deletes its profile. */
  async close(): Promise<void> {
    try {
      await this.#context.close();
    } finally {
      rmSync(this.#profile, { recursive: true, force: true });
    }
  }
}
