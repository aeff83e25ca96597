/**
 * A throwaway certificate authority and one server certificate signed by it.
 *
 * Why: the mock Anthropic API speaks HTTPS like the real one, so Claude Code (with NODE_EXTRA_CA_CERTS) and
 * mitmproxy talk TLS to it exactly as they would to api.anthropic.com. The files are written once into a folder
 * and reused, so a client started later can already trust the CA.
 */
import { generateKeyPairSync, randomBytes } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { isIP } from "node:net";
import { join, resolve } from "node:path";
import forge from "node-forge";

export interface TlsMaterial {
  /** Absolute path of the CA certificate (PEM) clients must trust. */
  caPath: string;
  caKeyPath: string;
  certPath: string;
  keyPath: string;
  /** PEM contents, ready for https.createServer. */
  cert: string;
  key: string;
}

/** Names every server certificate covers, whatever was asked for. */
export const ALWAYS_COVERED_NAMES = ["localhost", "127.0.0.1"];

const FILES = { ca: "ca.pem", caKey: "ca-key.pem", cert: "server.pem", key: "server-key.pem" } as const;

/**
 * Reuse the CA and server certificate in `dir`, or create them (keys readable by the owner only). The server
 * certificate is re-issued by the same CA when it does not cover every name asked for. One folder per running mock:
 * two processes creating the same folder at once could pair a CA with another's key.
 */
export function ensureTlsMaterial(dir: string, hostnames: readonly string[]): TlsMaterial {
  const folder = resolve(dir);
  mkdirSync(folder, { recursive: true, mode: 0o700 });
  const paths = {
    caPath: join(folder, FILES.ca),
    caKeyPath: join(folder, FILES.caKey),
    certPath: join(folder, FILES.cert),
    keyPath: join(folder, FILES.key),
  };
  const names = [...new Set([...hostnames, ...ALWAYS_COVERED_NAMES])];

  let newCa = false;
  if (!existsSync(paths.caPath) || !existsSync(paths.caKeyPath)) {
    const ca = createCa();
    writeSecret(paths.caKeyPath, ca.keyPem);
    writeFileSync(paths.caPath, ca.certPem, { mode: 0o644 });
    newCa = true;
  }
  if (
    newCa ||
    !existsSync(paths.certPath) ||
    !existsSync(paths.keyPath) ||
    !coversNames(readFileSync(paths.certPath, "utf8"), names)
  ) {
    const server = createServerCert(readFileSync(paths.caPath, "utf8"), readFileSync(paths.caKeyPath, "utf8"), names);
    writeSecret(paths.keyPath, server.keyPem);
    writeFileSync(paths.certPath, server.certPem, { mode: 0o644 });
  }
  return { ...paths, cert: readFileSync(paths.certPath, "utf8"), key: readFileSync(paths.keyPath, "utf8") };
}

function writeSecret(path: string, pem: string): void {
  writeFileSync(path, pem, { mode: 0o600 });
  chmodSync(path, 0o600);
}

/** RSA keys come from node:crypto (fast, native); node-forge builds and signs the X.509 certificates. */
function newKeyPair(): { privateKey: forge.pki.rsa.PrivateKey; publicKey: forge.pki.rsa.PublicKey; keyPem: string } {
  const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const keyPem = privateKey.export({ type: "pkcs1", format: "pem" }).toString();
  const forgeKey = forge.pki.privateKeyFromPem(keyPem) as forge.pki.rsa.PrivateKey;
  return { privateKey: forgeKey, publicKey: forge.pki.setRsaPublicKey(forgeKey.n, forgeKey.e), keyPem };
}

function baseCertificate(publicKey: forge.pki.PublicKey, validDays: number): forge.pki.Certificate {
  const cert = forge.pki.createCertificate();
  cert.publicKey = publicKey;
  cert.serialNumber = "01" + randomBytes(15).toString("hex");
  cert.validity.notBefore = new Date(Date.now() - 24 * 3600 * 1000);
  cert.validity.notAfter = new Date(Date.now() + validDays * 24 * 3600 * 1000);
  return cert;
}

function createCa(): { certPem: string; keyPem: string } {
  const keys = newKeyPair();
  const cert = baseCertificate(keys.publicKey, 3650);
  const subject = [
    { name: "commonName", value: "Headroom capture mock Anthropic CA (throwaway)" },
    { name: "organizationName", value: "headroom-differential-network-capture" },
  ];
  cert.setSubject(subject);
  cert.setIssuer(subject);
  cert.setExtensions([
    { name: "basicConstraints", cA: true, critical: true },
    { name: "keyUsage", keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true },
    { name: "subjectKeyIdentifier" },
  ]);
  cert.sign(keys.privateKey, forge.md.sha256.create());
  return { certPem: forge.pki.certificateToPem(cert), keyPem: keys.keyPem };
}

function createServerCert(caPem: string, caKeyPem: string, names: readonly string[]): { certPem: string; keyPem: string } {
  const ca = forge.pki.certificateFromPem(caPem);
  const caKey = forge.pki.privateKeyFromPem(caKeyPem);
  const keys = newKeyPair();
  const cert = baseCertificate(keys.publicKey, 825);
  cert.setSubject([{ name: "commonName", value: names[0] ?? "localhost" }]);
  cert.setIssuer(ca.subject.attributes);
  cert.setExtensions([
    { name: "basicConstraints", cA: false },
    { name: "keyUsage", digitalSignature: true, keyEncipherment: true, critical: true },
    { name: "extKeyUsage", serverAuth: true },
    { name: "subjectAltName", altNames: names.map((n) => (isIP(n) ? { type: 7, ip: n } : { type: 2, value: n })) },
    { name: "subjectKeyIdentifier" },
    // Required by strict verifiers (OpenSSL -x509_strict, Python 3.13's default context, as mitmproxy uses).
    { name: "authorityKeyIdentifier", keyIdentifier: ca.generateSubjectKeyIdentifier().getBytes() },
  ]);
  cert.sign(caKey, forge.md.sha256.create());
  return { certPem: forge.pki.certificateToPem(cert), keyPem: keys.keyPem };
}

/** True when the certificate's SANs include every name (so a reused certificate still fits new --hostname values). */
function coversNames(certPem: string, names: readonly string[]): boolean {
  const ext = forge.pki.certificateFromPem(certPem).getExtension("subjectAltName") as
    | { altNames?: Array<{ value?: string; ip?: string }> }
    | null;
  const have = new Set((ext?.altNames ?? []).map((a) => a.ip ?? a.value ?? ""));
  return names.every((n) => have.has(n));
}
