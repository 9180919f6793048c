/**
 * A throw-away certificate authority made at test time with the `openssl` CLI (node:crypto parses X.509 but
 * cannot sign it): a CA, a server certificate for 127.0.0.1/localhost, and client certificates on demand, all in
 * a temporary directory removed by `dispose()`.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface IssuedPair {
  readonly crtFile: string;
  readonly keyFile: string;
  readonly crt: Buffer;
  readonly key: Buffer;
}

function openssl(args: string[], cwd: string): void {
  execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
}

export class TestCa {
  readonly dir = mkdtempSync(join(tmpdir(), 'ts-test-ca-'));
  readonly caFile = join(this.dir, 'ca.crt');
  readonly caKeyFile = join(this.dir, 'ca.key');
  private serial = 1;

  constructor() {
    openssl(
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:P-256',
        '-nodes',
        '-days',
        '2',
        '-subj',
        '/CN=temporal-supervisor test CA',
        '-keyout',
        this.caKeyFile,
        '-out',
        this.caFile,
      ],
      this.dir,
    );
  }

  get ca(): Buffer {
    return readFileSync(this.caFile);
  }

  /** A key and a certificate signed by this CA, for `commonName` (and the given subject alt names). */
  issue(commonName: string, altNames: readonly string[] = []): IssuedPair {
    const base = join(this.dir, `${commonName}-${this.serial++}`);
    const keyFile = `${base}.key`;
    const csrFile = `${base}.csr`;
    const crtFile = `${base}.crt`;
    openssl(
      [
        'req',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:P-256',
        '-nodes',
        '-subj',
        `/CN=${commonName}`,
        '-keyout',
        keyFile,
        '-out',
        csrFile,
      ],
      this.dir,
    );
    const extFile = `${base}.ext`;
    writeFileSync(
      extFile,
      altNames.length > 0
        ? `subjectAltName=${altNames.join(',')}\nextendedKeyUsage=serverAuth,clientAuth\n`
        : 'extendedKeyUsage=clientAuth\n',
    );
    openssl(
      [
        'x509',
        '-req',
        '-in',
        csrFile,
        '-CA',
        this.caFile,
        '-CAkey',
        this.caKeyFile,
        '-set_serial',
        String(1000 + this.serial),
        '-days',
        '2',
        '-extfile',
        extFile,
        '-out',
        crtFile,
      ],
      this.dir,
    );
    return { crtFile, keyFile, crt: readFileSync(crtFile), key: readFileSync(keyFile) };
  }

  dispose(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}
