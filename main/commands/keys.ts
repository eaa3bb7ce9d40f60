// swoosh keygen / sign / propose (docs/protocol.md §10): operator key files and signing a
// proposal offline or sending one through the client SDK. Secrets never reach stdout,
// stderr or a log: only signer ids, proposals and outcomes do.

import { readFileSync } from 'node:fs';
import { SwooshClient, signProposal } from '../../client/client';
import { H } from '../../core/hash';
import type { JsonObject } from '../../core/types';
import { validateProposal } from '../../core/wire';
import { parse, UsageError } from './args';
import { encodeKeyFile, generateSecret, KeyFileError, loadSigner, writeKeyFile } from '../keys/keyfile';

export const DEFAULT_PASSPHRASE_ENV = 'SWOOSH_KEY_PASSPHRASE';

export interface CommandIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  env: Record<string, string | undefined>;
  /** Reads standard input (for `--proposal -`). */
  stdin?: () => string;
}

const processIo: CommandIo = {
  stdout: (t) => void process.stdout.write(t),
  stderr: (t) => void process.stderr.write(t),
  env: process.env,
  stdin: () => readFileSync(0, 'utf8'),
};

function passphraseFrom(io: CommandIo, variable: string): string | null {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(variable))
    throw new UsageError(`--passphrase-env takes an environment variable name, got "${variable}"`);
  const value = io.env[variable];
  return value === undefined || value === '' ? null : value;
}

/** KeyFileError is an expected failure: one line on stderr, exit 1. */
async function guarded(io: CommandIo, name: string, run: () => Promise<number>): Promise<number> {
  try {
    return await run();
  } catch (err) {
    if (err instanceof KeyFileError) {
      io.stderr(`swoosh ${name}: ${err.message}\n`);
      return 1;
    }
    throw err;
  }
}

function parseJsonText(text: string, what: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new UsageError(`${what} is not JSON: ${(err as Error).message}`);
  }
}

function readText(path: string, what: string, io: CommandIo): string {
  if (path === '-') {
    if (!io.stdin) throw new UsageError(`cannot read ${what} from standard input here`);
    return io.stdin();
  }
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    throw new UsageError(`cannot read ${what} ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

// ---------------------------------------------------------------------------

const KEYGEN_USAGE = `usage: swoosh keygen --out FILE [--passphrase-env VAR] [--insecure-plaintext] [--force]
  a new Ed25519 operator key file, encrypted with the passphrase in VAR.
`;
const SIGN_USAGE = `usage: swoosh sign --key FILE --proposal FILE|- [--passphrase-env VAR]
  prints the signed proposal JSON.
`;
const PROPOSE_USAGE = `usage: swoosh propose --url URL --key FILE --transition NAME [--inputs JSON|@file] [--idem-key K] [--evidence URI]…
                      [--passphrase-env VAR]
  signs and sends one proposal; one JSON line; exit 0 on 200/202, 1 otherwise.
`;

const KEYGEN_OPTIONS = {
  out: { type: 'string' },
  'passphrase-env': { type: 'string', default: DEFAULT_PASSPHRASE_ENV },
  'insecure-plaintext': { type: 'boolean', default: false },
  force: { type: 'boolean', default: false },
} as const;

/** swoosh keygen --out FILE [--passphrase-env VAR] [--insecure-plaintext] [--force] */
export async function keygenCommand(args: string[], io: CommandIo = processIo): Promise<number> {
  const v = parse(args, KEYGEN_OPTIONS, KEYGEN_USAGE);
  if (!v.out) throw new UsageError('--out FILE is required');
  const variable = v['passphrase-env'];
  const passphrase = passphraseFrom(io, variable);
  if (passphrase === null && !v['insecure-plaintext']) {
    throw new UsageError(`set ${variable} to the passphrase that encrypts the key (or pass --insecure-plaintext to store it unencrypted)`);
  }
  const secret = generateSecret();
  const doc = encodeKeyFile(secret, passphrase);
  secret.fill(0);
  try {
    writeKeyFile(v.out, doc, v.force);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') throw new UsageError(`${v.out} exists; refusing to overwrite a key (--force to replace it)`);
    throw new UsageError(`cannot write ${v.out}: ${code ?? (err as Error).message}`);
  }
  if (passphrase === null) {
    io.stderr(
      `swoosh keygen: warning: ${v.out} holds the secret key UNENCRYPTED (--insecure-plaintext); anyone who can read the file can sign as this operator\n`,
    );
  }
  io.stdout(`${doc.signer}\n`);
  return 0;
}

// ---------------------------------------------------------------------------

const SIGN_OPTIONS = {
  key: { type: 'string' },
  proposal: { type: 'string' },
  'passphrase-env': { type: 'string', default: DEFAULT_PASSPHRASE_ENV },
} as const;

const DRAFT_FIELDS = new Set([
  'current_state_hash',
  'transition',
  'inputs',
  'inputs_hash',
  'signer',
  'idem_key',
  'hlc',
  'window_id',
  'evidence',
  'signature',
]);

/** swoosh sign --key FILE --proposal FILE|- : prints the signed proposal JSON. */
export async function signCommand(args: string[], io: CommandIo = processIo): Promise<number> {
  const v = parse(args, SIGN_OPTIONS, SIGN_USAGE);
  if (!v.key) throw new UsageError('--key FILE is required');
  if (!v.proposal) throw new UsageError('--proposal FILE is required (- for standard input)');
  const draft = parseJsonText(readText(v.proposal, 'proposal', io), `proposal ${v.proposal}`);
  if (!isObject(draft)) throw new UsageError('the proposal must be a JSON object');
  const unknown = Object.keys(draft).filter((k) => !DRAFT_FIELDS.has(k));
  if (unknown.length > 0) throw new UsageError(`unknown proposal field(s): ${unknown.join(', ')}`);
  for (const f of ['current_state_hash', 'transition', 'idem_key', 'hlc'] as const) {
    if (typeof draft[f] !== 'string') throw new UsageError(`the proposal needs "${f}" (a string)`);
  }
  if (!isObject(draft.inputs)) throw new UsageError('the proposal needs "inputs" (an object)');
  const inputs = draft.inputs as JsonObject;
  return guarded(io, 'sign', async () => {
    const signer = loadSigner(v.key as string, passphraseFrom(io, v['passphrase-env']));
    let inputsHash: string;
    try {
      inputsHash = H(inputs);
    } catch (err) {
      io.stderr(`swoosh sign: inputs are not canonical JSON: ${(err as Error).message}\n`);
      return 1;
    }
    if (draft.inputs_hash !== undefined && draft.inputs_hash !== inputsHash) {
      io.stderr(`swoosh sign: inputs_hash ${String(draft.inputs_hash)} is not H(inputs) ${inputsHash}; remove it or fix the inputs\n`);
      return 1;
    }
    if (draft.signer !== undefined && draft.signer !== signer.signer) {
      io.stderr(`swoosh sign: the proposal names signer ${String(draft.signer)} but the key is ${signer.signer}\n`);
      return 1;
    }
    const signed = signProposal(signer, {
      current_state_hash: draft.current_state_hash as string,
      transition: draft.transition as string,
      inputs,
      idem_key: draft.idem_key as string,
      hlc: draft.hlc as string,
      window_id: (draft.window_id ?? null) as string | null,
      evidence: (draft.evidence ?? []) as string[],
    });
    const checked = validateProposal(signed);
    if (!checked.ok) {
      io.stderr(`swoosh sign: refusing to sign a malformed proposal: ${checked.error.path}: ${checked.error.reason}\n`);
      return 1;
    }
    io.stdout(`${JSON.stringify(signed)}\n`);
    return 0;
  });
}

// ---------------------------------------------------------------------------

const PROPOSE_OPTIONS = {
  url: { type: 'string' },
  key: { type: 'string' },
  transition: { type: 'string' },
  inputs: { type: 'string', default: '{}' },
  'idem-key': { type: 'string' },
  evidence: { type: 'string', multiple: true },
  'passphrase-env': { type: 'string', default: DEFAULT_PASSPHRASE_ENV },
} as const;

/**
 * swoosh propose --url URL --key FILE --transition NAME [--inputs JSON|@file] [--idem-key K]
 * [--evidence URI]… : prints the outcome as one JSON line; exit 0 on 200/202, 1 otherwise.
 */
export async function proposeCommand(args: string[], io: CommandIo = processIo): Promise<number> {
  const v = parse(args, PROPOSE_OPTIONS, PROPOSE_USAGE);
  if (!v.url) throw new UsageError('--url URL is required');
  if (!v.key) throw new UsageError('--key FILE is required');
  if (!v.transition) throw new UsageError('--transition NAME is required');
  let url: URL;
  try {
    url = new URL(v.url);
  } catch {
    throw new UsageError(`--url ${v.url} is not a URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new UsageError('--url must be http:// or https://');
  const raw = v.inputs.startsWith('@') ? readText(v.inputs.slice(1), 'inputs', io) : v.inputs;
  const inputs = parseJsonText(raw, '--inputs');
  if (!isObject(inputs)) throw new UsageError('--inputs must be a JSON object');
  return guarded(io, 'propose', async () => {
    const signer = loadSigner(v.key as string, passphraseFrom(io, v['passphrase-env']));
    const client = new SwooshClient({ url: v.url as string, signer });
    const opts: { idem_key?: string; evidence?: string[] } = {};
    if (v['idem-key'] !== undefined) opts.idem_key = v['idem-key'];
    if (v.evidence !== undefined) opts.evidence = v.evidence;
    const result = await client.propose(v.transition as string, inputs as JsonObject, opts);
    const { proposal, ...outcome } = result;
    const out = { ...outcome, transition: v.transition, idem_key: proposal?.idem_key ?? opts.idem_key ?? null, hlc: proposal?.hlc ?? null };
    io.stdout(`${JSON.stringify(out)}\n`);
    if (!result.ok) io.stderr(`swoosh propose: ${result.code}: ${result.reason}\n`);
    return result.ok ? 0 : 1;
  });
}
