/**
 * A snapshot file as a byte stream for an HTTP download: pulled one chunk at a time, so a download
 * holds at most a chunk or two in memory whatever the snapshot's size, and the file is closed when
 * the stream ends, fails or is cancelled (the client went away).
 */
import type { SnapshotFileReader } from "./ports.ts";

/** Bytes read from the file per chunk of a download. */
export const DOWNLOAD_CHUNK_BYTES = 64 * 1024;

/** The bytes of `reader` as a stream that owns it (closes it at the end, on an error or on cancel). */
export function snapshotDownloadStream(
  reader: SnapshotFileReader,
  chunkBytes = DOWNLOAD_CHUNK_BYTES,
): ReadableStream<Uint8Array> {
  return new ReadableStream<Uint8Array>(
    {
      pull(controller) {
        let chunk: Uint8Array | null;
        try {
          chunk = reader.read(chunkBytes);
        } catch (error) {
          reader.close();
          controller.error(error);
          return;
        }
        if (chunk === null) {
          reader.close();
          controller.close();
        } else {
          controller.enqueue(chunk);
        }
      },
      cancel() {
        reader.close();
      },
    },
    { highWaterMark: 1 },
  );
}
