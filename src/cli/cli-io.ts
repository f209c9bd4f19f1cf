/** Where a command writes. Tests pass collectors; the bin passes stdout/stderr. */
export interface CliIo {
  out(line: string): void;
  err(line: string): void;
}

export const processIo: CliIo = {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
};

/** Thrown for bad flags: the message is printed as is, with exit code 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}
