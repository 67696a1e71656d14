export { createControlPlane, VERSION, type ControlPlane, type ControlPlaneOptions } from './server.js';
export { ApiRegistry, findRouteConflict, isSafeApiId, type RegistryResult } from './api-registry.js';
export { createAdminSecretCheck } from './admin-auth.js';
export { PolicyRegistry, type PolicyResult } from './policy-registry.js';
export { redactKeyPath } from './server.js';
export { controlPlaneMetrics, controlPlaneRegistry } from './metrics.js';
export { checkExpiry, startCertificateExpiryJob, type ExpiryReport } from './jobs/cert-expiry.js';
