// swoosh command line (CONTRACT §10). Each command returns its exit code.

const USAGE = `usage: swoosh <command> [options]

commands:
  serve     --db PATH --genesis FILE [--host 127.0.0.1] [--port 7420] [--console]
  replay    --db PATH [--to N]
  verify    --db PATH
  keygen    --out FILE
  sign      --key FILE --proposal FILE
  chaos     --seed S --steps N --replicas R [--json]
  bench     [--json]
`;

export async function main(argv: string[]): Promise<number> {
  const [command] = argv;
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
    process.stdout.write(USAGE);
    return command === undefined ? 2 : 0;
  }
  process.stderr.write(`swoosh: unknown command "${command}"\n${USAGE}`);
  return 2;
}
