/**
 * TLS, as Redis's tls.c configures it: the server's certificate and key, the CAs that
 * client certificates (tls-auth-clients) and a master's certificate (tls-replication) are
 * checked against, the protocols and ciphers allowed. The options are read from the
 * tls-* parameters into the form Bun's sockets take, with Redis's log lines for what is
 * missing or unreadable; TLS runs in Bun's sockets (BoringSSL). Clients, replicas
 * (tls-replication) and the cluster bus (tls-cluster) use the same contexts.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import type { TLSOptions } from "bun";
import type { Config } from "../config.ts";

/** OpenSSL's SSL_OP_* bits, as BoringSSL takes them in secureOptions. */
const NO_TLS_1 = 0x04000000;
const NO_TLS_1_2 = 0x08000000;
const NO_TLS_1_1 = 0x10000000;
const NO_TLS_1_3 = 0x20000000;
const CIPHER_SERVER_PREFERENCE = 0x00400000;
const PROTOCOLS: Record<string, number> = { "tlsv1": NO_TLS_1, "tlsv1.1": NO_TLS_1_1, "tlsv1.2": NO_TLS_1_2, "tlsv1.3": NO_TLS_1_3 };

/** Why TLS could not be configured: the lines Redis logs for it. */
export class TlsConfigError extends Error {}

/** Whether anything needs TLS configured (Redis configures it when any of these is on). */
export function tlsWanted(config: Config): boolean {
  return config.int("tls-port") !== 0 || config.get("tls-replication") === "yes" || config.get("tls-cluster") === "yes";
}

export interface TlsContexts {
  /** For the tls-port listeners. */
  server: TLSOptions;
  /** For the links KVIS makes (a replica's to its master, the cluster bus's, MIGRATE's): the client certificate, if any, and the CAs. */
  client: TLSOptions;
  /** tls-auth-clients: whether a client certificate is required, optional or not asked for. */
  authClients: "yes" | "optional" | "no";
}

/** The TLS settings of `config`, read now (files included); throws TlsConfigError with Redis's reason. */
export function tlsContexts(config: Config): TlsContexts {
  const get = (name: string) => config.get(name);
  const certFile = get("tls-cert-file");
  const keyFile = get("tls-key-file");
  const clientCertFile = get("tls-client-cert-file");
  const clientKeyFile = get("tls-client-key-file");
  const caFile = get("tls-ca-cert-file");
  const caDir = get("tls-ca-cert-dir");
  const authClients = get("tls-auth-clients") as TlsContexts["authClients"];
  if (certFile === "") throw new TlsConfigError("No tls-cert-file configured!");
  if (keyFile === "") throw new TlsConfigError("No tls-key-file configured!");
  if (caFile === "" && caDir === "" && (authClients !== "no" || get("tls-replication") === "yes" || get("tls-cluster") === "yes")) {
    throw new TlsConfigError("Either tls-ca-cert-file or tls-ca-cert-dir must be specified when tls-cluster, tls-replication or tls-auth-clients are enabled!");
  }
  const cert = readPem(certFile, "certificate");
  const key = readPem(keyFile, "private key");
  const ca = readCas(caFile, caDir);
  const secureOptions = protocolOptions(get("tls-protocols")) | (get("tls-prefer-server-ciphers") === "yes" ? CIPHER_SERVER_PREFERENCE : 0);
  const dhParams = get("tls-dh-params-file");
  if (dhParams !== "") readPem(dhParams, "DH parameters");
  const common: TLSOptions = { ca, secureOptions, ...(get("tls-ciphers") === "" ? {} : { ciphers: get("tls-ciphers") }) };
  const server: TLSOptions = {
    ...common, cert, key, requestCert: authClients !== "no", rejectUnauthorized: false,
    ...(get("tls-key-file-pass") === "" ? {} : { passphrase: get("tls-key-file-pass") }),
    ...(dhParams === "" ? {} : { dhParamsFile: dhParams }),
  };
  // A replica shows its client certificate and key, or else the server's, as Redis's
  // client context does (Redis 7.0 does not refuse a certificate set without its key).
  const ownClient = clientCertFile !== "" && clientKeyFile !== "";
  const passphrase = ownClient ? get("tls-client-key-file-pass") : get("tls-key-file-pass");
  // The peer's certificate is checked against the CAs, not against its name, as Redis checks it.
  const client: TLSOptions & { checkServerIdentity: () => undefined } = {
    ...common, cert: ownClient ? readPem(clientCertFile, "certificate") : cert, key: ownClient ? readPem(clientKeyFile, "private key") : key,
    rejectUnauthorized: true, checkServerIdentity: () => undefined, ...(passphrase === "" ? {} : { passphrase }),
  };
  return { server, client, authClients };
}

function readPem(path: string, what: string): string {
  try {
    return readFileSync(path, "latin1");
  } catch (e) {
    const reason = (e as NodeJS.ErrnoException).code === "ENOENT" ? "No such file or directory" : (e as Error).message;
    throw new TlsConfigError(what === "certificate" ? `Failed to load certificate: ${path}: ${reason}` : what === "private key" ? `Failed to load private key: ${path}: ${reason}` : `Failed to load ${path}: ${reason}`);
  }
}

/** tls-ca-cert-file, and every certificate file in tls-ca-cert-dir. */
function readCas(file: string, dir: string): string[] | undefined {
  const cas: string[] = [];
  try {
    if (file !== "") cas.push(readFileSync(file, "latin1"));
    if (dir !== "") {
      for (const name of readdirSync(dir).sort()) {
        const path = join(dir, name);
        if (!statSync(path).isFile()) continue;
        const text = readFileSync(path, "latin1");
        if (text.includes("-----BEGIN CERTIFICATE-----")) cas.push(text);
      }
    }
  } catch (e) {
    throw new TlsConfigError(`Failed to configure CA certificate(s) file/directory: ${(e as Error).message}`);
  }
  return cas.length > 0 ? cas : undefined;
}

/** tls-protocols ("" is TLSv1.2 and TLSv1.3, as Redis's default) as the bits that turn the others off. */
function protocolOptions(value: string): number {
  const words = value.toLowerCase().split(/\s+/).filter(Boolean);
  const allowed = words.length === 0 ? ["tlsv1.2", "tlsv1.3"] : words;
  if (allowed.some((w) => PROTOCOLS[w] === undefined)) throw new TlsConfigError("Invalid tls-protocols specified. Use a combination of 'TLSv1', 'TLSv1.1', 'TLSv1.2' and 'TLSv1.3'.");
  let bits = 0;
  for (const [name, bit] of Object.entries(PROTOCOLS)) if (!allowed.includes(name)) bits |= bit;
  return bits;
}

/**
 * OpenSSL 3's text for the SSL errors Redis logs when a TLS handshake fails (its
 * ERR_error_string: the packed code, the library, the reason), for the reasons BoringSSL
 * names differently: measured against redis-server 7.0 on Debian's OpenSSL 3.
 */
export const OPENSSL_REASONS: Record<string, string> = {
  WRONG_VERSION_NUMBER: "error:0A00010B:SSL routines::wrong version number",
  HTTP_REQUEST: "error:0A00009C:SSL routines::http request",
  PEER_DID_NOT_RETURN_A_CERTIFICATE: "error:0A0000C7:SSL routines::peer did not return a certificate",
  CERTIFICATE_VERIFY_FAILED: "error:0A000086:SSL routines::certificate verify failed",
};

/**
 * The reason a handshake failed, as Redis logs it: BoringSSL's
 * "error:100000f7:SSL routines:OPENSSL_internal:WRONG_VERSION_NUMBER" in OpenSSL's words
 * when it is one of those above, else as BoringSSL gives it.
 */
export function handshakeFailure(reason: string | undefined): string {
  if (reason === undefined) return "SSL handshake failed";
  const name = /:([A-Z_]+)$/.exec(reason)?.[1];
  return (name !== undefined ? OPENSSL_REASONS[name] : undefined) ?? reason;
}

