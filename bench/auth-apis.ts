// The authenticated bench rows: the same upstream behind an auth-token API and a JWT (HMAC) API, next to
// the keyless one. The key is created through the admin API (POST /tyk/keys/{id}); the JWT API takes its
// sessions from a policy file (policies.policy_path), so the token's first request creates its session
// and every later one reads it from the worker's session cache, as in production.

import { createHmac, randomBytes } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export const TOKEN_PATH = "/bench-token/";
export const JWT_PATH = "/bench-jwt/";
export const TOKEN_API = "bench-token";
const JWT_API = "bench-jwt";
const POLICY = "bench-policy";
export const ORG = "bench";
const KEY_NAME = "bench-key-0001";

export interface AuthFixtures {
  /** Header sent by wrk for each authenticated row. */
  readonly tokenHeader: string;
  readonly jwtHeader: string;
}

/** Writes the two API definitions into app_path and the policy into policy_path; returns the JWT secret. */
export function writeAuthApis(dir: string, upstreamPort: number): { policyPath: string; jwtSecret: Buffer } {
  const apps = join(dir, "apps");
  const policyPath = join(dir, "policies");
  mkdirSync(apps, { recursive: true });
  mkdirSync(policyPath, { recursive: true });
  const jwtSecret = randomBytes(32);
  const common = (apiId: string, listenPath: string) => ({
    api_id: apiId, name: apiId, org_id: ORG, active: true,
    proxy: { listen_path: listenPath, target_url: `http://127.0.0.1:${upstreamPort}/`, strip_listen_path: true },
    version_data: { not_versioned: true, versions: { Default: { name: "Default" } } },
  });
  writeFileSync(join(apps, `${TOKEN_API}.json`), JSON.stringify({ ...common(TOKEN_API, TOKEN_PATH), use_standard_auth: true }, null, 2));
  writeFileSync(join(apps, `${JWT_API}.json`), JSON.stringify({
    ...common(JWT_API, JWT_PATH), enable_jwt: true, jwt_signing_method: "hmac", jwt_source: jwtSecret.toString("base64"),
    jwt_default_policies: [POLICY],
  }, null, 2));
  writeFileSync(join(policyPath, `${POLICY}.json`), JSON.stringify({
    id: POLICY, name: POLICY, org_id: ORG, rate: 0, per: 0, quota_max: -1,
    access_rights: { [JWT_API]: { api_id: JWT_API, api_name: JWT_API, versions: ["Default"] } },
  }, null, 2));
  return { policyPath, jwtSecret };
}

/** Creates the bench key through the admin API and signs the bench JWT; returns the wrk headers. */
export async function createCredentials(controlUrl: string, secret: string, jwtSecret: Buffer): Promise<AuthFixtures> {
  const res = await fetch(`${controlUrl}/tyk/keys/${KEY_NAME}`, {
    method: "POST",
    headers: { "x-tyk-authorization": secret, "content-type": "application/json" },
    body: JSON.stringify({
      org_id: ORG, rate: 0, per: 0, quota_max: -1, expires: 0,
      access_rights: { [TOKEN_API]: { api_id: TOKEN_API, api_name: TOKEN_API, versions: ["Default"] } },
    }),
    signal: AbortSignal.timeout(10_000),
  });
  const text = await res.text();
  if (res.status !== 200) throw new Error(`creating the bench key: admin API answered ${res.status}: ${text}`);
  const key = (JSON.parse(text) as { key?: string }).key || KEY_NAME;
  return { tokenHeader: `Authorization: ${key}`, jwtHeader: `Authorization: Bearer ${signJwt(jwtSecret)}` };
}

/** An HS256 token for user "bench-user", valid for a day. */
function signJwt(secret: Buffer): string {
  const b64 = (value: object) => Buffer.from(JSON.stringify(value)).toString("base64url");
  const now = Math.floor(Date.now() / 1000);
  const head = `${b64({ alg: "HS256", typ: "JWT" })}.${b64({ sub: "bench-user", iat: now, exp: now + 86_400 })}`;
  return `${head}.${createHmac("sha256", secret).update(head).digest("base64url")}`;
}

/** Fails unless `url` answers 200 with this header: a bench row of 401s would measure nothing. */
export async function expectAuthorised(url: string, header: string): Promise<void> {
  const sep = header.indexOf(":");
  const res = await fetch(url, { headers: { [header.slice(0, sep)]: header.slice(sep + 1).trim() }, signal: AbortSignal.timeout(10_000) });
  const text = await res.text();
  if (res.status !== 200) throw new Error(`${url} answered ${res.status} with the bench credential: ${text}`);
}
