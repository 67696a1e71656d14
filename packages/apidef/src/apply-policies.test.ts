import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { applyPolicies, MIXED_PER_API_ERROR } from './apply-policies.js';
import type { Policy } from './policy.js';
import type { SessionState } from './session.js';

const right = (apiId: string, extra: Record<string, unknown> = {}) => ({ api_id: apiId, api_name: apiId, versions: ['Default'], ...extra });

function apply(session: SessionState, policies: Policy[], orgId?: string) {
  const map = new Map(policies.map((p) => [String(p.id), p]));
  return applyPolicies(session, map, orgId === undefined ? {} : { orgId });
}

function ok(result: ReturnType<typeof apply>): SessionState {
  if (!result.ok) assert.fail(`expected success, got: ${result.error}`);
  return result.session;
}

describe('applyPolicies: unpartitioned policy', () => {
  const gold: Policy = {
    id: 'gold', org_id: 'o', rate: 100, per: 60, quota_max: 1000, quota_renewal_rate: 3600, throttle_interval: 2,
    throttle_retry_limit: 3, tags: ['gold'], meta_data: { tier: 'gold' }, is_inactive: false,
    access_rights: { a1: right('a1') },
  };

  it('overrides the key\'s own limits, grants the rights and copies one API\'s limits to the root', () => {
    const input: SessionState = {
      rate: 5, per: 1, quota_max: 10, org_id: 'o', apply_policies: ['gold'], tags: ['own'], meta_data: { own: 1, tier: 'x' },
      is_inactive: true, access_rights: { other: right('other') },
    };
    const s = ok(apply(input, [gold]));
    assert.deepEqual(Object.keys(s.access_rights!), ['a1']);
    const limit = s.access_rights!.a1!.limit!;
    assert.equal(limit.rate, 100);
    assert.equal(limit.per, 60);
    assert.equal(limit.quota_max, 1000);
    assert.equal(limit.quota_renewal_rate, 3600);
    assert.equal(limit.throttle_interval, 2);
    assert.equal(limit.throttle_retry_limit, 3);
    assert.deepEqual([s.rate, s.per, s.quota_max, s.quota_renewal_rate], [100, 60, 1000, 3600]);
    assert.deepEqual(s.tags!.sort(), ['gold', 'own']);
    assert.deepEqual(s.meta_data, { own: 1, tier: 'gold' });
    assert.equal(s.is_inactive, false, 'the key\'s own is_inactive is discarded when it has policies');
    assert.equal(s.access_rights!.a1!.allowance_scope, undefined);
    assert.equal(input.rate, 5, 'the input session is not modified');
    assert.deepEqual(Object.keys(input.access_rights!), ['other']);
  });

  it('is_inactive is the OR of the policies; hmac_enabled is OR-ed; last_updated takes the newest', () => {
    const off: Policy = { ...gold, id: 'off', is_inactive: true, hmac_enabled: true, last_updated: '1700000500' };
    const s = ok(apply({ apply_policies: ['gold', 'off'], last_updated: '1700000000' }, [gold, off]));
    assert.equal(s.is_inactive, true);
    assert.equal(s.hmac_enabled, true);
    assert.equal(s.last_updated, '1700000500');
  });

  it('the deprecated apply_policy_id is used when apply_policies is empty', () => {
    const s = ok(apply({ apply_policy_id: 'gold', apply_policies: [] }, [gold]));
    assert.deepEqual(Object.keys(s.access_rights!), ['a1']);
  });
});

describe('applyPolicies: two policies on the same API', () => {
  const slow: Policy = {
    id: 'slow', rate: 10, per: 60, quota_max: 100, quota_renewal_rate: 60,
    access_rights: { a1: right('a1', { versions: ['v1'], allowed_urls: [{ url: '/x', methods: ['GET'] }] }) },
  };
  const fast: Policy = {
    id: 'fast', rate: 10, per: 1, quota_max: -1, quota_renewal_rate: 30,
    access_rights: { a1: right('a1', { versions: ['v2'], allowed_urls: [{ url: '/x', methods: ['POST', 'GET'] }, { url: '/y', methods: ['GET'] }] }) },
  };

  it('the more generous rate wins, -1 quota wins, versions and allowed_urls are unioned', () => {
    const s = ok(apply({ apply_policies: ['slow', 'fast'] }, [slow, fast]));
    const a1 = s.access_rights!.a1!;
    assert.deepEqual([a1.limit!.rate, a1.limit!.per], [10, 1]);
    assert.equal(a1.limit!.quota_max, -1);
    assert.equal(a1.limit!.quota_renewal_rate, 60, 'renewal rate = max');
    assert.deepEqual(a1.versions, ['v1', 'v2']);
    assert.deepEqual(a1.allowed_urls, [{ url: '/x', methods: ['GET', 'POST'] }, { url: '/y', methods: ['GET'] }]);
    assert.equal(a1.allowance_scope, undefined, 'one API, so no per-policy counters');
  });

  it('limits from several ACL-granting policies get allowance_scope = the policy that set them', () => {
    const other: Policy = { id: 'other', rate: 1, per: 1, access_rights: { a2: right('a2') } };
    const s = ok(apply({ apply_policies: ['slow', 'other'] }, [slow, other]));
    assert.equal(s.access_rights!.a1!.allowance_scope, 'slow');
    assert.equal(s.access_rights!.a2!.allowance_scope, 'other');
  });

  it('per-endpoint limits merge keeping the higher rate per METHOD:path', () => {
    const e1: Policy = { id: 'e1', rate: 1, per: 1, access_rights: { a1: right('a1', {
      endpoints: [{ path: '/p', methods: [{ name: 'GET', limit: { rate: 5, per: 1 } }, { name: 'POST', limit: { rate: 50, per: 1 } }] }],
    }) } };
    const e2: Policy = { id: 'e2', rate: 1, per: 1, access_rights: { a1: right('a1', {
      endpoints: [{ path: '/p', methods: [{ name: 'GET', limit: { rate: 20, per: 1 } }, { name: 'POST', limit: { rate: 2, per: 1 } }] },
        { path: '/q', methods: [{ name: 'GET', limit: { rate: 1, per: 10 } }] }],
    }) } };
    const s = ok(apply({ apply_policies: ['e1', 'e2'] }, [e1, e2]));
    assert.deepEqual(s.access_rights!.a1!.endpoints, [
      { path: '/p', methods: [{ name: 'GET', limit: { rate: 20, per: 1 } }, { name: 'POST', limit: { rate: 50, per: 1 } }] },
      { path: '/q', methods: [{ name: 'GET', limit: { rate: 1, per: 10 } }] },
    ]);
  });
});

describe('applyPolicies: partitions', () => {
  const acl: Policy = { id: 'acl', partitions: { acl: true }, access_rights: { a1: right('a1'), a2: right('a2') }, rate: 999, per: 1 };
  const quota: Policy = { id: 'quota', partitions: { quota: true }, quota_max: 500, quota_renewal_rate: 86400, access_rights: { a1: right('a1'), a3: right('a3') } };
  const rate: Policy = { id: 'rate', partitions: { rate_limit: true }, rate: 7, per: 2, throttle_interval: 1, access_rights: { a1: right('a1') } };
  const complexity: Policy = { id: 'cx', partitions: { complexity: true }, max_query_depth: 4, access_rights: { a1: right('a1') } };

  it('ACL from one policy, quota, rate and complexity from others; APIs without an ACL part are dropped', () => {
    const s = ok(apply({ apply_policies: ['acl', 'quota', 'rate', 'cx'], rate: 1, per: 100, quota_max: 3 }, [acl, quota, rate, complexity]));
    assert.deepEqual(Object.keys(s.access_rights!).sort(), ['a1', 'a2'], 'a3 had only a quota part');
    const a1 = s.access_rights!.a1!.limit!;
    assert.deepEqual([a1.rate, a1.per, a1.throttle_interval], [7, 2, 1]);
    assert.deepEqual([a1.quota_max, a1.quota_renewal_rate], [500, 86400]);
    assert.equal(a1.max_query_depth, 4);
  });

  it('an API with only an ACL part inherits the session-root rate and quota; endpoint limits cleared', () => {
    const s = ok(apply({ apply_policies: ['acl', 'quota', 'rate'] }, [acl, quota, rate]));
    const a2 = s.access_rights!.a2!;
    assert.deepEqual([a2.limit!.rate, a2.limit!.per], [7, 2], 'root rate set by the rate policy');
    assert.equal(a2.limit!.quota_max, 500, 'root quota set by the quota policy');
    assert.deepEqual(a2.endpoints, []);
  });

  it('an ACL-only policy clears nothing: the key\'s own rate and quota remain and apply to the API', () => {
    const s = ok(apply({ apply_policies: ['acl'], rate: 3, per: 9, quota_max: 42, quota_renewal_rate: 10 }, [acl]));
    assert.deepEqual([s.rate, s.per, s.quota_max], [3, 9, 42]);
    assert.deepEqual([s.access_rights!.a1!.limit!.rate, s.access_rights!.a1!.limit!.per, s.access_rights!.a1!.limit!.quota_max], [3, 9, 42]);
  });

  it('a quota-only policy clears the key\'s own quota but keeps its own rate', () => {
    const s = ok(apply({ apply_policies: ['acl', 'quota'], rate: 3, per: 9, quota_max: 42, quota_remaining: 40 }, [acl, quota]));
    assert.equal(s.quota_max, 500);
    assert.equal(s.quota_remaining, 0);
    assert.deepEqual([s.rate, s.per], [3, 9]);
  });

  it('a master policy (no access rights) copies its limits to the root; an ACL policy then grants the APIs', () => {
    const master: Policy = { id: 'master', partitions: { rate_limit: true, quota: true }, rate: 50, per: 5, quota_max: 77, quota_renewal_rate: 60 };
    const s = ok(apply({ apply_policies: ['master', 'acl'] }, [master, acl]));
    assert.deepEqual([s.rate, s.per, s.quota_max], [50, 5, 77]);
    assert.deepEqual([s.access_rights!.a1!.limit!.rate, s.access_rights!.a1!.limit!.quota_max], [50, 77]);
  });

  it('policies that grant no API at all are an error', () => {
    const master: Policy = { id: 'master', rate: 50, per: 5 };
    const result = apply({ apply_policies: ['master'] }, [master]);
    assert.deepEqual(result, { ok: false, error: 'key has no valid policies to be applied' });
  });
});

describe('applyPolicies: per_api', () => {
  const perApi: Policy = {
    id: 'pa', partitions: { per_api: true }, rate: 1, per: 60, quota_max: 10, quota_renewal_rate: 3600,
    access_rights: {
      a1: right('a1', { limit: { rate: 100, per: 1, quota_max: 1000, quota_renewal_rate: 60 } }),
      a2: right('a2'),
    },
  };

  it('uses each entry\'s own limit (scope = API ID), else the policy\'s limits (scope = policy ID)', () => {
    const s = ok(apply({ apply_policies: ['pa'] }, [perApi]));
    const a1 = s.access_rights!.a1!;
    const a2 = s.access_rights!.a2!;
    assert.deepEqual([a1.limit!.rate, a1.limit!.per, a1.limit!.quota_max, a1.allowance_scope], [100, 1, 1000, 'a1']);
    assert.deepEqual([a2.limit!.rate, a2.limit!.per, a2.limit!.quota_max, a2.allowance_scope], [1, 60, 10, 'pa']);
  });

  it('two per_api policies on one API keep the more generous of each value', () => {
    const other: Policy = { id: 'pb', partitions: { per_api: true }, access_rights: {
      a1: right('a1', { limit: { rate: 10, per: 1, quota_max: -1, quota_renewal_rate: 10 } }),
    } };
    const s = ok(apply({ apply_policies: ['pa', 'pb'] }, [perApi, other]));
    const limit = s.access_rights!.a1!.limit!;
    assert.deepEqual([limit.rate, limit.per], [100, 1]);
    assert.equal(limit.quota_max, -1);
    assert.equal(limit.quota_renewal_rate, 0, 'unlimited quota has no renewal');
  });

  it('per_api together with another partition flag is refused', () => {
    const bad: Policy = { ...perApi, id: 'bad', partitions: { per_api: true, quota: true } };
    assert.deepEqual(apply({ apply_policies: ['bad'] }, [bad]), { ok: false, error: 'cannot apply policy bad which has per_api and any of partitions set' });
  });

  it('mixing per_api and partitioned policies is refused, in either order', () => {
    const partitioned: Policy = { id: 'part', partitions: { acl: true }, access_rights: { a3: right('a3') } };
    assert.deepEqual(apply({ apply_policies: ['pa', 'part'] }, [perApi, partitioned]), { ok: false, error: MIXED_PER_API_ERROR });
    assert.deepEqual(apply({ apply_policies: ['part', 'pa'] }, [perApi, partitioned]), { ok: false, error: MIXED_PER_API_ERROR });
  });
});

describe('applyPolicies: lookups, orgs and keys without policies', () => {
  const p: Policy = { id: 'p', org_id: 'org1', access_rights: { a1: right('a1') } };

  it('an unknown policy is an error when it is the only one, skipped otherwise', () => {
    assert.deepEqual(apply({ apply_policies: ['nope'] }, [p]), { ok: false, error: 'policy not found: "nope"' });
    const s = ok(apply({ apply_policies: ['nope', 'p'] }, [p]));
    assert.deepEqual(Object.keys(s.access_rights!), ['a1']);
  });

  it('a policy of another org is refused when the API org is given, accepted without it', () => {
    assert.equal(apply({ apply_policies: ['p'] }, [p], 'org2').ok, false);
    assert.equal(apply({ apply_policies: ['p'] }, [p], 'org1').ok, true);
    assert.equal(apply({ apply_policies: ['p'] }, [p]).ok, true);
  });

  it('keys without policies keep their rights and flags; entries with a limit get allowance_scope = API ID', () => {
    const s = ok(apply({ is_inactive: true, rate: 2, per: 1, access_rights: {
      a1: right('a1', { limit: { rate: 5, per: 1 } }), a2: right('a2'),
    } }, [p]));
    assert.equal(s.is_inactive, true);
    assert.deepEqual([s.rate, s.per], [2, 1]);
    assert.equal(s.access_rights!.a1!.allowance_scope, 'a1');
    assert.equal(s.access_rights!.a2!.allowance_scope, undefined);
  });
});
