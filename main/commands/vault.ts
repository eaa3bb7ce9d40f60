// swoosh vault: create and fill the age-encrypted vault that `swoosh serve --vault FILE`
// unlocks at start. Secrets never come from the command line (they would sit in the shell
// history and the process list): keys are generated inside the vault or imported from a
// key file, credentials come from an environment variable or standard input. Output is
// names, kinds and signer ids only.

import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { HelpRequested, UsageError, wantsHelp } from './args';
import { decodeKeyFile, KeyFileError } from '../keys/keyfile';
import { processPassphraseSource, unlockVault, vaultPassphrase, VAULT_PASSPHRASE_ENV, type PassphraseSource } from '../keys/unlock';
import { SCRYPT_LOG_N_DEFAULT, Vault, VaultError } from '../keys/vault';

export const VAULT_NEW_PASSPHRASE_ENV = 'SWOOSH_VAULT_NEW_PASSPHRASE';

export const VAULT_USAGE = `usage: swoosh vault <action> --vault FILE [options]

  init        --vault FILE [--scrypt-log-n 18]          create an empty vault (passphrase asked twice)
  genkey      --vault FILE NAME                          a new Ed25519 key inside the vault; prints its signer id
  import-key  --vault FILE NAME --key KEYFILE [--passphrase-env VAR]   copy a \`swoosh keygen\` key file in
  set         --vault FILE NAME (--from-env VAR | --from-stdin)        store a provider credential
  list        --vault FILE                               names, kinds and signer ids (never values)
  rm          --vault FILE NAME
  passwd      --vault FILE                               new passphrase from ${VAULT_NEW_PASSPHRASE_ENV} or asked twice

The passphrase comes from ${VAULT_PASSPHRASE_ENV}, else it is asked on the terminal without echo.
`;

export interface VaultIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  passphrase: PassphraseSource;
  stdin: () => string;
}

const processIo = (): VaultIo => ({
  stdout: (t) => void process.stdout.write(t),
  stderr: (t) => void process.stderr.write(t),
  passphrase: processPassphraseSource(),
  stdin: () => readFileSync(0, 'utf8'),
});

const OPTIONS = {
  vault: { type: 'string' },
  'scrypt-log-n': { type: 'string' },
  key: { type: 'string' },
  'passphrase-env': { type: 'string' },
  'from-env': { type: 'string' },
  'from-stdin': { type: 'boolean', default: false },
} as const;

type Values = ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true }>>['values'];

export async function vaultCommand(args: string[], io: VaultIo = processIo()): Promise<number> {
  if (wantsHelp(args)) throw new HelpRequested(VAULT_USAGE, OPTIONS);
  let parsed: ReturnType<typeof parseArgs<{ args: string[]; options: typeof OPTIONS; strict: true; allowPositionals: true }>>;
  try {
    parsed = parseArgs({ args, options: OPTIONS, strict: true, allowPositionals: true });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const [action, ...names] = parsed.positionals;
  const v = parsed.values;
  if (action === undefined) {
    io.stdout(VAULT_USAGE);
    return 2;
  }
  const path = v.vault;
  if (!path) throw new UsageError('--vault FILE is required');
  const run = ACTIONS[action];
  if (!run) throw new UsageError(`unknown action "${action}" (init, genkey, import-key, set, list, rm, passwd)`);
  try {
    return await run(path, names, v, io);
  } catch (err) {
    if (err instanceof VaultError || err instanceof KeyFileError) {
      io.stderr(`swoosh vault ${action}: ${err.message}\n`);
      return 1;
    }
    throw err;
  }
}

type Action = (path: string, names: string[], v: Values, io: VaultIo) => Promise<number>;

function oneName(names: string[], action: string): string {
  if (names.length !== 1) throw new UsageError(`vault ${action} takes exactly one entry NAME, got ${names.length}`);
  return names[0] as string;
}

function noNames(names: string[], action: string): void {
  if (names.length !== 0) throw new UsageError(`vault ${action} takes no NAME, got ${names.join(' ')}`);
}

/** Opens, runs, and zeroes the vault's secrets in memory whatever happens. */
async function withVault<T>(path: string, io: VaultIo, fn: (vault: Vault) => Promise<T>): Promise<T> {
  const vault = await unlockVault(path, io.passphrase);
  try {
    return await fn(vault);
  } finally {
    vault.lock();
  }
}

const ACTIONS: Record<string, Action> = {
  init: async (path, names, v, io) => {
    noNames(names, 'init');
    const logN = v['scrypt-log-n'] === undefined ? SCRYPT_LOG_N_DEFAULT : Number(v['scrypt-log-n']);
    const passphrase = await vaultPassphrase(io.passphrase, `new vault ${path}`, true);
    const vault = await Vault.create(path, passphrase, { scrypt_log_n: logN });
    vault.lock();
    io.stdout(`created vault ${path} (age, scrypt work factor 2^${logN}, mode 0600)\n`);
    return 0;
  },
  genkey: async (path, names, _v, io) => {
    const name = oneName(names, 'genkey');
    const signer = await withVault(path, io, async (vault) => {
      if (vault.has(name))
        throw new VaultError('exists', `vault ${path} already has an entry ${JSON.stringify(name)}; remove it first (swoosh vault rm)`);
      return vault.generateKey(name);
    });
    io.stdout(`${name} ${signer}\n`);
    return 0;
  },
  'import-key': async (path, names, v, io) => {
    const name = oneName(names, 'import-key');
    if (!v.key) throw new UsageError('vault import-key needs --key KEYFILE (a `swoosh keygen` file)');
    const keyPassphrase = v['passphrase-env'] ? (io.passphrase.env[v['passphrase-env']] ?? null) : null;
    let doc: unknown;
    try {
      doc = JSON.parse(readFileSync(v.key, 'utf8')) as unknown;
    } catch (err) {
      throw new UsageError(`cannot read key file ${v.key}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
    const { secret } = decodeKeyFile(doc, keyPassphrase);
    try {
      const signer = await withVault(path, io, (vault) => vault.putKey(name, secret));
      io.stdout(`${name} ${signer}\n`);
    } finally {
      secret.fill(0);
    }
    return 0;
  },
  set: async (path, names, v, io) => {
    const name = oneName(names, 'set');
    const text = credentialText(v, io);
    await withVault(path, io, (vault) => vault.putCredential(name, text));
    io.stdout(`${name} credential stored (${text.length} characters)\n`);
    return 0;
  },
  list: async (path, names, _v, io) => {
    noNames(names, 'list');
    const rows = await withVault(path, io, async (vault) =>
      vault.names().map((n) => {
        const kind = vault.kind(n);
        return kind === 'ed25519-seed' ? `${n}\t${kind}\t${vault.signerId(n)}` : `${n}\t${kind}`;
      }),
    );
    io.stdout(rows.length === 0 ? '(empty)\n' : `${rows.join('\n')}\n`);
    return 0;
  },
  rm: async (path, names, _v, io) => {
    const name = oneName(names, 'rm');
    const gone = await withVault(path, io, (vault) => vault.delete(name));
    if (!gone) throw new VaultError('no_entry', `vault ${path} has no entry ${JSON.stringify(name)}`);
    io.stdout(`${name} removed\n`);
    return 0;
  },
  passwd: async (path, names, _v, io) => {
    noNames(names, 'passwd');
    await withVault(path, io, async (vault) => {
      const next = io.passphrase.env[VAULT_NEW_PASSPHRASE_ENV];
      const passphrase =
        next !== undefined && next !== '' ? next : await vaultPassphrase({ ...io.passphrase, env: {} }, `vault ${path} (new)`, true);
      await vault.changePassphrase(passphrase);
    });
    io.stdout(`vault ${path} re-encrypted under the new passphrase\n`);
    return 0;
  },
};

function credentialText(v: Values, io: VaultIo): string {
  const fromEnv = v['from-env'];
  if ((fromEnv === undefined) === !v['from-stdin'])
    throw new UsageError('vault set takes exactly one of --from-env VAR or --from-stdin (never the value itself)');
  if (fromEnv !== undefined) {
    const text = io.passphrase.env[fromEnv];
    if (text === undefined || text === '') throw new UsageError(`environment variable ${fromEnv} is empty`);
    return text;
  }
  const text = io.stdin().replace(/\r?\n$/, '');
  if (text === '') throw new UsageError('standard input held no credential');
  return text;
}
