import { afterAll, describe, expect, it } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { loadConfig } from "../../src/server/config.ts";
import { readNodeTls } from "../../src/server/tls.ts";
import { hasOpenssl, makeTestCertificates } from "../helpers/test_certificates.ts";

const REQUIRED = [
  "--id",
  "n1",
  "--cluster-token",
  "s3cret-token",
  "--insecure-no-auth",
  "true",
  "--listen",
  "127.0.0.1:7443",
];

/** The configuration of `argv`, which must be valid. */
function config(argv: readonly string[], env: Record<string, string> = {}) {
  const loaded = loadConfig([...REQUIRED, ...argv], env);
  if (!loaded.ok) throw new Error(loaded.errors.join("\n"));
  return loaded.config;
}

/** The errors of `argv`, which must be invalid. */
function configErrors(argv: readonly string[], env: Record<string, string> = {}): string {
  const loaded = loadConfig([...REQUIRED, ...argv], env);
  expect(loaded.ok).toBe(false);
  return loaded.ok ? "" : loaded.errors.join("\n");
}

describe("loadConfig() TLS flags", () => {
  it("takes --tls-cert-file and --tls-key-file together, and then advertises https://<listen>", () => {
    const c = config(["--tls-cert-file", "node.pem", "--tls-key-file", "node.key"]);
    expect([c.tlsCertFile, c.tlsKeyFile, c.tlsCaFile, c.advertiseUrl]).toEqual([
      "node.pem",
      "node.key",
      undefined,
      "https://127.0.0.1:7443",
    ]);
  });

  it("keeps http://<listen> without a certificate, even with --tls-ca-file, and an explicit --advertise-url", () => {
    expect(config([]).advertiseUrl).toBe("http://127.0.0.1:7443");
    expect(config(["--tls-ca-file", "ca.pem"]).advertiseUrl).toBe("http://127.0.0.1:7443");
    const given = config([
      "--tls-cert-file",
      "a",
      "--tls-key-file",
      "b",
      "--advertise-url",
      "https://node.example:8443/",
    ]);
    expect(given.advertiseUrl).toBe("https://node.example:8443");
  });

  it("refuses a certificate without a key and a key without a certificate, naming the missing flag", () => {
    expect(configErrors(["--tls-cert-file", "node.pem"])).toBe(
      "--tls-key-file (RAFT_TLS_KEY_FILE): required with --tls-cert-file (give both or neither)",
    );
    expect(configErrors([], { RAFT_TLS_KEY_FILE: "node.key" })).toBe(
      "--tls-cert-file (RAFT_TLS_CERT_FILE): required with --tls-key-file (give both or neither)",
    );
  });

  it("reads the three settings from RAFT_TLS_* variables; a flag wins over its variable", () => {
    const env = { RAFT_TLS_CERT_FILE: "env.pem", RAFT_TLS_KEY_FILE: "env.key", RAFT_TLS_CA_FILE: "env-ca.pem" };
    const c = config(["--tls-ca-file", "flag-ca.pem"], env);
    expect([c.tlsCertFile, c.tlsKeyFile, c.tlsCaFile]).toEqual(["env.pem", "env.key", "flag-ca.pem"]);
  });

  it("takes the file names as given: the files are read at start, not as secrets of the configuration", () => {
    // A setting named *File is read into its base setting only for tokens; these stay paths.
    const c = config(["--tls-cert-file", "/does/not/exist.pem", "--tls-key-file", "/does/not/exist.key"]);
    expect(c.tlsCertFile).toBe("/does/not/exist.pem");
  });
});

if (!hasOpenssl()) {
  it.skip("readNodeTls() (skipped: the openssl command is not installed, so no test certificate can be made)", () => {});
} else {
  describe("readNodeTls()", () => {
    const certs = makeTestCertificates();
    afterAll(() => certs.remove());
    const tlsOf = (argv: readonly string[]) => readNodeTls(config(argv));
    const errorsOf = (argv: readonly string[]) => {
      const result = tlsOf(argv);
      expect(result.ok).toBe(false);
      return result.ok ? [] : result.errors;
    };

    it("reads the certificate, the key and the CA bundle as PEM text", () => {
      const result = tlsOf([
        ...["--tls-cert-file", certs.certFile, "--tls-key-file", certs.keyFile, "--tls-ca-file", certs.otherCertFile],
      ]);
      expect(result.ok).toBe(true);
      if (!result.ok) return;
      expect(result.tls.server?.cert).toBe(certs.certPem);
      expect(result.tls.server?.key).toContain("-----BEGIN PRIVATE KEY-----");
      expect(result.tls.ca).toContain("-----BEGIN CERTIFICATE-----");
    });

    it("has nothing to serve or trust without the flags, and only a CA with --tls-ca-file alone", () => {
      expect(tlsOf([])).toEqual({ ok: true, tls: { server: undefined, ca: undefined } });
      const caOnly = tlsOf(["--tls-ca-file", certs.certFile]);
      expect(caOnly).toEqual({ ok: true, tls: { server: undefined, ca: certs.certPem } });
    });

    it("refuses a file that does not exist, naming the flag, the variable and the path", () => {
      const missing = join(certs.dir, "missing.pem");
      expect(errorsOf(["--tls-cert-file", missing, "--tls-key-file", certs.keyFile])).toEqual([
        expect.stringContaining(`--tls-cert-file (RAFT_TLS_CERT_FILE): ${missing}: cannot read it:`),
      ]);
    });

    it("refuses files that are not PEM, or hold the wrong kind of PEM, each with its own message", () => {
      const text = join(certs.dir, "notes.txt");
      writeFileSync(text, "not a certificate\n");
      expect(
        errorsOf(["--tls-cert-file", certs.keyFile, "--tls-key-file", certs.certFile, "--tls-ca-file", text]),
      ).toEqual([
        `--tls-cert-file (RAFT_TLS_CERT_FILE): ${certs.keyFile} holds no PEM certificate (-----BEGIN CERTIFICATE-----)`,
        `--tls-key-file (RAFT_TLS_KEY_FILE): ${certs.certFile} holds no PEM private key (-----BEGIN PRIVATE KEY-----)`,
        `--tls-ca-file (RAFT_TLS_CA_FILE): ${text} holds no PEM certificate (-----BEGIN CERTIFICATE-----)`,
      ]);
    });

    it("refuses a PEM block whose content is damaged", () => {
      const damaged = join(certs.dir, "damaged.pem");
      writeFileSync(damaged, "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n");
      expect(errorsOf(["--tls-ca-file", damaged])).toEqual([
        expect.stringContaining(`${damaged} holds a certificate that cannot be parsed`),
      ]);
    });

    it("refuses a key that is not the certificate's, and an encrypted key", () => {
      expect(errorsOf(["--tls-cert-file", certs.certFile, "--tls-key-file", certs.otherKeyFile])).toEqual([
        `--tls-key-file (RAFT_TLS_KEY_FILE): ${certs.otherKeyFile} is not the private key of the certificate in --tls-cert-file`,
      ]);
      const encrypted = join(certs.dir, "encrypted.key");
      writeFileSync(encrypted, "-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED PRIVATE KEY-----\n");
      expect(errorsOf(["--tls-cert-file", certs.certFile, "--tls-key-file", encrypted])).toEqual([
        expect.stringContaining("holds an encrypted private key"),
      ]);
    });
  });
}
