import forge from 'node-forge';

/** A distinguished name with Go's pkix.Name field names, as Tyk's `/tyk/certs/<id>` returns it (§7). */
export interface GoName {
  Country: string[];
  Organization: string[];
  OrganizationalUnit: string[];
  Locality: string[];
  Province: string[];
  StreetAddress: string[];
  PostalCode: string[];
  SerialNumber: string;
  CommonName: string;
  Names: Array<{ Type: number[]; Value: string }>;
  ExtraNames: Array<{ Type: number[]; Value: string }>;
}

type ListField = 'Country' | 'Organization' | 'OrganizationalUnit' | 'Locality' | 'Province' | 'StreetAddress' | 'PostalCode';
const LIST_FIELDS: Record<string, ListField> = {
  '2.5.4.6': 'Country', '2.5.4.10': 'Organization', '2.5.4.11': 'OrganizationalUnit', '2.5.4.7': 'Locality',
  '2.5.4.8': 'Province', '2.5.4.9': 'StreetAddress', '2.5.4.17': 'PostalCode',
};

export function emptyName(): GoName {
  return {
    Country: [], Organization: [], OrganizationalUnit: [], Locality: [], Province: [], StreetAddress: [], PostalCode: [],
    SerialNumber: '', CommonName: '', Names: [], ExtraNames: [],
  };
}

/** Issuer and subject of a DER certificate, read with node-forge's ASN.1 parser (works for RSA and EC keys alike). */
export function certificateNames(der: Buffer): { issuer: GoName; subject: GoName } {
  const cert = forge.asn1.fromDer(forge.util.createBuffer(der.toString('binary')));
  const tbs = (cert.value as forge.asn1.Asn1[])[0]!;
  const fields = tbs.value as forge.asn1.Asn1[];
  // TBSCertificate: [0] version (optional), serialNumber, signature, issuer, validity, subject, ...
  const offset = fields[0]!.tagClass === forge.asn1.Class.CONTEXT_SPECIFIC ? 1 : 0;
  return { issuer: toGoName(fields[offset + 2]!), subject: toGoName(fields[offset + 4]!) };
}

function toGoName(name: forge.asn1.Asn1): GoName {
  const out = emptyName();
  for (const attr of (forge.pki as unknown as { RDNAttributesAsArray(n: forge.asn1.Asn1): forge.pki.CertificateField[] }).RDNAttributesAsArray(name)) {
    const oid = String(attr.type ?? '');
    const value = String(attr.value ?? '');
    out.Names.push({ Type: oid.split('.').map(Number), Value: value });
    const list = LIST_FIELDS[oid];
    if (list !== undefined) out[list].push(value);
    else if (oid === '2.5.4.3') out.CommonName = value;
    else if (oid === '2.5.4.5') out.SerialNumber = value;
  }
  return out;
}
