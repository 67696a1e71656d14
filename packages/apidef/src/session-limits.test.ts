import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { applyPolicies } from "./apply-policies.js";
import type { Policy } from "./policy.js";
import { keyLimits, quotaScopes, quotaSpec, rateSpec } from "./session-limits.js";

describe("rateSpec (rate-limits-and-quotas.md §2)", () => {
  it("is off for rate ≤ 0, per ≤ 0 and non-numbers", () => {
    assert.equal(rateSpec(0, 10), null);
    assert.equal(rateSpec(5, 0), null);
    assert.equal(rateSpec(-1, 10), null);
    assert.equal(rateSpec("x", 10), null);
    assert.equal(rateSpec(undefined, undefined), null);
  });

  it("keeps integer limits as they are", () => {
    assert.deepEqual(rateSpec(50, 10), { capacity: 50, windowMs: 10_000, rate: 50 });
  });

  it("makes fractional rate and per exact: capacity ⌊rate⌋ (at least 1), same average rate", () => {
    assert.deepEqual(rateSpec(2.5, 1), { capacity: 2, windowMs: 800, rate: 2.5 });
    assert.deepEqual(rateSpec(0.5, 1), { capacity: 1, windowMs: 2000, rate: 0.5 });
    assert.deepEqual(rateSpec(10, 0.5), { capacity: 10, windowMs: 500, rate: 10 });
  });
});

describe("quotaSpec", () => {
  it("is unlimited for quota_max ≤ 0 (-1 by convention) and never renews for renewal ≤ 0", () => {
    assert.equal(quotaSpec(-1, 3600), null);
    assert.equal(quotaSpec(0, 3600), null);
    assert.deepEqual(quotaSpec(100, 3600), { max: 100, renewalSeconds: 3600 });
    assert.deepEqual(quotaSpec(100, -1), { max: 100, renewalSeconds: 0 });
  });
});

describe("keyLimits", () => {
  const session = {
    rate: 10, per: 60, quota_max: 1000, quota_renewal_rate: 3600,
    access_rights: {
      plain: { api_id: "plain" },
      zero: { api_id: "zero", limit: { rate: 0, per: 0, quota_max: 0, quota_renewal_rate: 0 } },
      own: { api_id: "own", limit: { rate: 5, per: 1, quota_max: -1, quota_renewal_rate: 0 }, allowance_scope: "pol-1" },
      unscoped: { api_id: "unscoped", limit: { rate: 0, per: 0, quota_max: 7, quota_renewal_rate: 60 } },
    },
  };

  it("uses the session root (unscoped) without a per-API limit or with an all-zero one", () => {
    for (const api of ["plain", "zero", "unknown"]) {
      const limits = keyLimits(session, api);
      assert.equal(limits.scope, "");
      assert.deepEqual(limits.rate, { capacity: 10, windowMs: 60_000, rate: 10 });
      assert.deepEqual(limits.quota, { max: 1000, renewalSeconds: 3600 });
    }
  });

  it("uses a non-empty per-API limit, scoped by allowance_scope", () => {
    const limits = keyLimits(session, "own");
    assert.equal(limits.scope, "pol-1");
    assert.deepEqual(limits.rate, { capacity: 5, windowMs: 1000, rate: 5 });
    assert.equal(limits.quota, null);
  });

  it("scopes a per-API limit by the API ID when allowance_scope is empty on a key without policies (§8.3 step 10)", () => {
    const limits = keyLimits(session, "unscoped");
    assert.equal(limits.scope, "unscoped");
    assert.equal(limits.rate, null);
    assert.deepEqual(limits.quota, { max: 7, renewalSeconds: 60 });
  });

  it("keeps an empty allowance_scope empty on a key with policies: every API of one policy shares the key's counters (§1, §5)", () => {
    const limit = { rate: 10, per: 1, quota_max: 1000, quota_renewal_rate: 3600 };
    for (const policies of [{ apply_policies: ["gold"] }, { apply_policy_id: "gold" }]) {
      const withPolicy = {
        ...policies, rate: 10, per: 1, quota_max: 1000, quota_renewal_rate: 3600,
        access_rights: { a1: { api_id: "a1", limit }, a2: { api_id: "a2", limit }, p: { api_id: "p", limit, allowance_scope: "per-api-pol" } },
      };
      assert.equal(keyLimits(withPolicy, "a1").scope, "");
      assert.equal(keyLimits(withPolicy, "a2").scope, "");
      assert.deepEqual(keyLimits(withPolicy, "a1").quota, { max: 1000, renewalSeconds: 3600 });
      assert.equal(keyLimits(withPolicy, "p").scope, "per-api-pol", "a scope set by policy application is kept");
    }
  });

  it("after policy application: one policy's APIs share counters; per_api and several ACL policies scope them (§8.3)", () => {
    const rights = (...ids: string[]) => Object.fromEntries(ids.map((id) => [id, { api_id: id, versions: ["Default"] }]));
    const policies = new Map<string, Policy>([
      ["shared", { id: "shared", rate: 10, per: 1, quota_max: 1000, quota_renewal_rate: 3600, access_rights: rights("a1", "a2") }],
      ["other", { id: "other", rate: 5, per: 1, quota_max: 50, quota_renewal_rate: 3600, access_rights: rights("a3") }],
      ["perapi", { id: "perapi", rate: 1, per: 1, quota_max: 9, quota_renewal_rate: 60, partitions: { per_api: true }, access_rights: rights("a1", "a2") }],
    ]);
    const scopes = (ids: string[], apis: string[]): string[] => {
      const applied = applyPolicies({ apply_policies: ids }, policies);
      assert.ok(applied.ok);
      return apis.map((api) => keyLimits(applied.session, api).scope);
    };
    assert.deepEqual(scopes(["shared"], ["a1", "a2"]), ["", ""], "one policy over two APIs: one quota, one rate");
    assert.deepEqual(scopes(["shared", "other"], ["a1", "a2", "a3"]), ["shared", "shared", "other"], "same scope = same counters across APIs");
    assert.deepEqual(scopes(["perapi"], ["a1", "a2"]), ["perapi", "perapi"], "per_api policy without per-API values: the policy ID");
  });

  it("quotaScopes lists the root and every per-API limit", () => {
    assert.deepEqual(quotaScopes(session).map((s) => [s.apiId, s.scope, s.quota?.max ?? null]), [
      [null, "", 1000], ["own", "pol-1", null], ["unscoped", "unscoped", 7],
    ]);
  });
});
