/**
 * Certificates for TLS tests, made with the `openssl` command in a fresh temp directory: a
 * self-signed certificate for 127.0.0.1 and localhost (valid one day) with its key, which also
 * serves as the CA file that trusts it, and a second, unrelated self-signed certificate.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** The files of {@link makeTestCertificates}. */
export interface TestCertificates {
  /** The temp directory holding every file. */
  readonly dir: string;
  /** PEM certificate for IP 127.0.0.1 and DNS localhost; trusting it (as a CA file) trusts the server. */
  readonly certFile: string;
  /** Its PEM private key. */
  readonly keyFile: string;
  /** The certificate's PEM text. */
  readonly certPem: string;
  /** Another self-signed certificate: trusting only it must not let a client accept `certFile`. */
  readonly otherCertFile: string;
  /** The key of `otherCertFile`, which does not match `certFile`. */
  readonly otherKeyFile: string;
  /** Deletes the directory. */
  remove(): void;
}

/** True iff an `openssl` command can be run. */
export function hasOpenssl(): boolean {
  const result = spawnSync("openssl", ["version"], { encoding: "utf8" });
  return result.error === undefined && result.status === 0;
}

/**
 * Makes the certificates. `basicConstraints=CA:FALSE` matters: `openssl req -x509` otherwise marks
 * the certificate as a CA, and Deno's fetch refuses a CA certificate as a server's own.
 */
export function makeTestCertificates(): TestCertificates {
  const dir = mkdtempSync(join(tmpdir(), "raftbare-tls-"));
  const selfSigned = (name: string) => {
    const certFile = join(dir, `${name}.pem`);
    const keyFile = join(dir, `${name}.key`);
    const args = ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "1"];
    args.push("-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost");
    args.push("-addext", "basicConstraints=critical,CA:FALSE", "-keyout", keyFile, "-out", certFile);
    const result = spawnSync("openssl", args, { encoding: "utf8" });
    if (result.error !== undefined || result.status !== 0) {
      rmSync(dir, { recursive: true, force: true });
      throw new Error(`openssl ${args.join(" ")} failed: ${result.error?.message ?? result.stderr}`);
    }
    return { certFile, keyFile };
  };
  const node = selfSigned("node");
  const other = selfSigned("other");
  return {
    dir,
    certFile: node.certFile,
    keyFile: node.keyFile,
    certPem: readFileSync(node.certFile, "utf8"),
    otherCertFile: other.certFile,
    otherKeyFile: other.keyFile,
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
