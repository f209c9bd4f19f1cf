/**
 * Just enough of a Dockerfile parser to check one statically (there is no
 * Docker engine to build it): instructions with their line, split into stages.
 * Handles comments, parser directives, `\` continuations, JSON (exec) form and
 * `--flag=value` options. Heredocs and a custom escape character are not used
 * in docker/ and are not supported.
 */
export interface DockerInstruction {
  /** Upper case, e.g. `COPY`. */
  readonly keyword: string;
  /** `--from=build` gives `{ from: 'build' }`. */
  readonly flags: Readonly<Record<string, string>>;
  /** The arguments after the flags: JSON form parsed, shell form split on spaces. */
  readonly args: readonly string[];
  /** The arguments as written, after the flags. */
  readonly raw: string;
  /** 1-based line where the instruction starts. */
  readonly line: number;
}

export interface DockerStage {
  readonly image: string;
  readonly name: string | undefined;
  readonly instructions: readonly DockerInstruction[];
}

export function parseDockerfile(text: string): DockerStage[] {
  const instructions: DockerInstruction[] = [];
  let pending = '';
  let startLine = 0;
  text.split(/\r?\n/).forEach((rawLine, index) => {
    const trimmed = rawLine.trim();
    // Comments (and parser directives, which look like comments) may sit
    // inside a continued instruction too; they are dropped either way.
    if (trimmed.startsWith('#')) return;
    if (pending === '') {
      if (trimmed === '') return;
      startLine = index + 1;
    }
    if (trimmed.endsWith('\\')) {
      pending += `${trimmed.slice(0, -1)} `;
      return;
    }
    pending += trimmed;
    instructions.push(parseInstruction(pending.trim(), startLine));
    pending = '';
  });
  if (pending !== '') throw new Error(`line ${startLine}: the last instruction ends with a continuation`);

  const stages: { image: string; name: string | undefined; instructions: DockerInstruction[] }[] = [];
  for (const instruction of instructions) {
    if (instruction.keyword === 'FROM') {
      const [image, as, name] = instruction.args;
      if (image === undefined) throw new Error(`line ${instruction.line}: FROM without an image`);
      stages.push({ image, name: as?.toUpperCase() === 'AS' ? name : undefined, instructions: [] });
    } else if (stages.length === 0) {
      if (instruction.keyword !== 'ARG') throw new Error(`line ${instruction.line}: ${instruction.keyword} before FROM`);
    } else {
      stages.at(-1)?.instructions.push(instruction);
    }
  }
  return stages;
}

function parseInstruction(text: string, line: number): DockerInstruction {
  const match = /^(\S+)\s*(.*)$/s.exec(text);
  if (match === null) throw new Error(`line ${line}: cannot parse "${text}"`);
  const keyword = (match[1] ?? '').toUpperCase();
  let rest = match[2] ?? '';
  const flags: Record<string, string> = {};
  // Only these take --flags before their arguments.
  if (['COPY', 'ADD', 'FROM', 'RUN', 'HEALTHCHECK'].includes(keyword)) {
    for (;;) {
      const flag = /^--([a-z-]+)(?:=(\S*))?\s*/.exec(rest);
      if (flag === null) break;
      flags[flag[1] ?? ''] = flag[2] ?? 'true';
      rest = rest.slice(flag[0].length);
    }
  }
  let args: string[];
  if (keyword === 'HEALTHCHECK') {
    args = rest.split(/\s+/).filter((s) => s !== '');
  } else if (rest.startsWith('[')) {
    const parsed: unknown = JSON.parse(rest);
    if (!Array.isArray(parsed) || !parsed.every((a) => typeof a === 'string')) {
      throw new Error(`line ${line}: ${keyword} in JSON form must be an array of strings`);
    }
    args = parsed;
  } else {
    args = rest.split(/\s+/).filter((s) => s !== '');
  }
  return { keyword, flags, args, raw: rest, line };
}
