// A certificate authority made at test time (nothing private is committed): it issues the TLS
// certificates of the Web Push and APNs fakes, and the server under test trusts it through
// config.push.ca, as an operator would add a corporate CA.
import 'reflect-metadata';
import { webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(webcrypto as unknown as Crypto);
const ALG = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };

export interface TestCa {
  /** The CA certificate (PEM): what clients trust. */
  caPem: string;
  /** A server certificate for 127.0.0.1 signed by the CA, with its private key (PEM). */
  issue(): Promise<{ cert: string; key: string }>;
}

let shared: Promise<TestCa> | undefined;

/** One CA per test process (making keys is cheap, but there is no need for more). */
export function testCa(): Promise<TestCa> {
  shared ??= makeCa();
  return shared;
}

async function makeCa(): Promise<TestCa> {
  const keys = await webcrypto.subtle.generateKey(ALG, true, ['sign', 'verify']) as CryptoKeyPair;
  const notBefore = new Date(Date.now() - 60_000);
  const notAfter = new Date(Date.now() + 24 * 3600_000);
  const ca = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: '01', name: 'CN=XPUSH test CA', notBefore, notAfter, keys, signingAlgorithm: ALG,
    extensions: [new x509.BasicConstraintsExtension(true, 0, true), new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true)],
  });
  let serial = 1;
  return {
    caPem: ca.toString('pem'),
    async issue() {
      const leafKeys = await webcrypto.subtle.generateKey(ALG, true, ['sign', 'verify']) as CryptoKeyPair;
      const cert = await x509.X509CertificateGenerator.create({
        serialNumber: (++serial).toString(16).padStart(2, '0'), subject: 'CN=127.0.0.1', issuer: ca.subject, notBefore, notAfter,
        signingAlgorithm: ALG, publicKey: leafKeys.publicKey, signingKey: keys.privateKey,
        extensions: [
          new x509.SubjectAlternativeNameExtension([{ type: 'ip', value: '127.0.0.1' }]),
          new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
          new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
        ],
      });
      const pkcs8 = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', leafKeys.privateKey));
      const key = `-----BEGIN PRIVATE KEY-----\n${pkcs8.toString('base64').match(/.{1,64}/g)!.join('\n')}\n-----END PRIVATE KEY-----\n`;
      return { cert: cert.toString('pem'), key };
    },
  };
}
