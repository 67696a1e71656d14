export type * from "./api-definition.js";
export type * from "./extended-paths.js";
export type * from "./auth-config.js";
export type * from "./later-features.js";
export { validateApiDefinition, type ValidationResult } from "./validate.js";
export { apiDefinitionSchema } from "./api-schema.js";
export { normalizeListenPath, listenPathSortLength, compileListenPath, type CompiledListenPath } from "./listen-path.js";
export { compileDomain, hostMatches, type CompiledDomain } from "./domain.js";
export { compileIpMatcher, isValidIpOrCidr, parseIpAddress } from "./ip.js";
export { generateApiId } from "./ids.js";
export type * from "./session.js";
export type * from "./policy.js";
export * from "./config-types.js";
export { ConfigError } from "./config-error.js";
export { loadConfig, configWarnings, compileConfigPattern, type LoadConfigOptions } from "./config.js";
export { effectiveServerVersions, isDeprecatedTlsVersion, DEFAULT_SERVER_MIN_VERSION, DEFAULT_SERVER_MAX_VERSION } from "./tls-versions.js";
export { CONFIG_KEYS, type KeySpec, type KeyType } from "./config-keys.js";
export {
  readErrorOverrides, parseBodyTemplate, isEmptyErrorOverrides, type ErrorOverrideRule, type ErrorOverrideSpec, type BodyPart,
} from "./error-overrides.js";
export { readOverrideMessages, OVERRIDE_MESSAGE_IDS, type MessageOverride } from "./override-messages.js";
export { compileEndpointPattern, endpointPatternSource, endpointPatternError, type PatternOptions } from "./endpoint-pattern.js";
export { parseTykExpiry, isNeverExpiry, formatRfc1123Utc } from "./tyk-time.js";
export { discoveredTargets, usesServiceDiscovery, valueAtPath } from "./service-discovery.js";
export { compileEventHandlers, EVENT_NAMES, WEBHOOK_HANDLER, LOG_HANDLER, type EventRoutes, type WebhookSpec } from "./event-handlers.js";
export {
  generateKeyId, hashKeyId, hashString, isKeyHashAlgorithm, keyIdCandidates, keyIdHashAlgorithm, keyIdName, keyIdOrg,
  storageIdForKey, KEY_HASH_ALGORITHMS, type KeyHashAlgorithm, type KeyIdOptions, type KeyLookupOptions,
} from "./key-hash.js";
export { basicAuthHashType, hashBasicAuthPassword, isBcryptHashType, verifyBasicAuthPassword, BCRYPT_COST } from "./basic-auth-password.js";
export {
  applyPolicies, sessionPolicyIds, MIXED_PER_API_ERROR, type ApplyPoliciesOptions, type ApplyPoliciesResult, type PolicyLookup,
} from "./apply-policies.js";
export { fullLimit, isEmptyLimit, type FullLimit } from "./policy-limits.js";
export { parseSessionBody, withSessionDefaults, ZERO_DATE, type SessionCheck } from "./session-validation.js";
export { sessionLifetime, type LifetimeApi, type LifetimeConfig } from "./session-lifetime.js";
export { checkPolicy, isValidPolicyId, INVALID_POLICY_ID, POLICY_WITHOUT_ID, type PolicyCheck } from "./policy-validation.js";
export { endpointRateLimits, keyLimits, limitScopes, quotaScopes, rateAlgorithm, rateSpec, quotaSpec, type KeyLimits, type RateAlgorithm, type RateSpec, type QuotaSpec } from "./session-limits.js";
export { unsupportedAuthModes } from "./auth-modes.js";
