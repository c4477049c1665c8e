/**
 * The node's TLS material, read from the files `--tls-cert-file`, `--tls-key-file` and
 * `--tls-ca-file` name, and checked before the node opens anything: each file must be readable and
 * hold PEM, the certificate must parse, and the key must be the certificate's.
 */
import { createPrivateKey, X509Certificate } from "node:crypto";
import { readFileSync } from "node:fs";
import type { NodeConfig } from "../../schemas/node_config.ts";
import { envName, flagName } from "./config.ts";

/** What the node serves https and wss with. */
export interface ServerTls {
  /** PEM: the certificate, optionally followed by its chain. */
  readonly cert: string;
  /** PEM: the certificate's private key. */
  readonly key: string;
}

/** The TLS material of a node: what it serves with (if anything), and what it trusts as a client. */
export interface NodeTls {
  /** Serve https/wss with this; undefined: plain http/ws. */
  readonly server?: ServerTls;
  /** PEM bundle of extra CA certificates for this node's own connections; undefined: the runtime's roots only. */
  readonly ca?: string;
}

/** Longest TLS file read (a certificate chain or CA bundle is a few KiB; anything this large is a mistake). */
const MAX_TLS_FILE_BYTES = 1024 * 1024;

const CERTIFICATE_BLOCK = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/;
const PRIVATE_KEY_BLOCK = /-----BEGIN ((?:RSA |EC )?PRIVATE KEY)-----[\s\S]+?-----END \1-----/;

type FileKey = "tlsCertFile" | "tlsKeyFile" | "tlsCaFile";

/**
 * Reads and checks the TLS files of `config`. Returns the material, or one message per problem,
 * each naming the flag, its environment variable and the file.
 */
export function readNodeTls(config: NodeConfig): { ok: true; tls: NodeTls } | { ok: false; errors: string[] } {
  const errors: string[] = [];
  const read = (key: FileKey, check: (text: string) => string | null): string | undefined => {
    const path = config[key];
    if (path === undefined) return undefined;
    const where = describe(key, path);
    let text: string;
    try {
      const bytes = readFileSync(path);
      if (bytes.byteLength > MAX_TLS_FILE_BYTES) {
        errors.push(`${where} is larger than ${MAX_TLS_FILE_BYTES} bytes`);
        return undefined;
      }
      text = new TextDecoder().decode(bytes);
    } catch (error) {
      errors.push(`${where}: cannot read it: ${messageOf(error)}`);
      return undefined;
    }
    const problem = check(text);
    if (problem === null) return text;
    errors.push(`${where} ${problem}`);
    return undefined;
  };
  const cert = read("tlsCertFile", checkCertificates);
  const key = read("tlsKeyFile", checkPrivateKey);
  const ca = read("tlsCaFile", checkCertificates);
  if (cert !== undefined && key !== undefined) {
    const problem = checkKeyMatches(cert, key);
    if (problem !== null) errors.push(`${describe("tlsKeyFile", config.tlsKeyFile)} ${problem}`);
  }
  if (errors.length > 0) return { ok: false, errors };
  const server = cert !== undefined && key !== undefined ? { cert, key } : undefined;
  return { ok: true, tls: { server, ca } };
}

/** Null if `text` holds at least one PEM certificate and the first one parses; else what is wrong. */
function checkCertificates(text: string): string | null {
  if (!CERTIFICATE_BLOCK.test(text)) return "holds no PEM certificate (-----BEGIN CERTIFICATE-----)";
  try {
    new X509Certificate(text);
    return null;
  } catch (error) {
    return `holds a certificate that cannot be parsed: ${messageOf(error)}`;
  }
}

/** Null if `text` holds an unencrypted PEM private key that parses; else what is wrong. */
function checkPrivateKey(text: string): string | null {
  if (text.includes("-----BEGIN ENCRYPTED PRIVATE KEY-----")) {
    return "holds an encrypted private key; give the key without a passphrase";
  }
  if (!PRIVATE_KEY_BLOCK.test(text)) return "holds no PEM private key (-----BEGIN PRIVATE KEY-----)";
  try {
    createPrivateKey(text);
    return null;
  } catch (error) {
    return `holds a private key that cannot be parsed: ${messageOf(error)}`;
  }
}

/** Null if `key` is the private key of the first certificate in `cert`; else what is wrong. */
function checkKeyMatches(cert: string, key: string): string | null {
  try {
    if (new X509Certificate(cert).checkPrivateKey(createPrivateKey(key))) return null;
  } catch (error) {
    return `cannot be checked against --tls-cert-file: ${messageOf(error)}`;
  }
  return "is not the private key of the certificate in --tls-cert-file";
}

/** `--tls-key-file (RAFT_TLS_KEY_FILE): key.pem`. */
function describe(key: FileKey, path: string | undefined): string {
  return `--${flagName(key)} (${envName(key)}): ${path}`;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
