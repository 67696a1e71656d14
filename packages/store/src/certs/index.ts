export { decodePem, encodePem, type PemBlock } from './pem.js';
export { encryptPrivateKey, decryptPrivateKey } from './key-encryption.js';
export {
  decodeStoredCertificate, orgOfCertificateId, privateKeyFromDer, sha256Hex, spkiDer, FINGERPRINT_HEX_LENGTH, type StoredCertificate,
} from './stored-certificate.js';
export { prepareUpload, UPLOAD_ERRORS, type UploadResult } from './upload.js';
export { certificateInfo, certificateSummary, dnsNames, rfc3339, type CertificateInfo, type CertificateSummary } from './certificate-info.js';
export { type GoName } from './distinguished-name.js';
export { generateCertificate, type GenerateOptions, type GeneratedCertificate } from './generate.js';
export { CertificateStore, certificateSecret, type CertificateStoreOptions, type TykImport } from './certificate-store.js';
