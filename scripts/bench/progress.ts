/** The benchmark's progress line on stderr: rewritten in place on a terminal, one line each elsewhere. */
import process from "node:process";

/** Shows `text` as the current progress. */
export function progress(text: string): void {
  if (process.stderr.isTTY) process.stderr.write(`\r\x1b[K${text}`);
  else process.stderr.write(`${text}\n`);
}

/** Ends the progress line (on a terminal the next output starts on a fresh line). */
export function endProgress(): void {
  if (process.stderr.isTTY) process.stderr.write("\n");
}
