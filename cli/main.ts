// `flatline <command> ...`: each command is a module in cli/commands/ exporting
// `run(args: string[]): Promise<number>` (the exit code) and a one-line `summary`.
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export interface Command {
  summary: string;
  run(args: string[]): Promise<number>;
}

const commandsDir = fileURLToPath(new URL('./commands/', import.meta.url));

function commandNames(): string[] {
  return readdirSync(commandsDir)
    .filter((f) => f.endsWith('.ts'))
    .map((f) => f.slice(0, -3))
    .sort();
}

async function usage(): Promise<string> {
  const lines = ['usage: flatline <command> [options]', '', 'commands:'];
  for (const name of commandNames()) {
    const cmd = (await import(`./commands/${name}.ts`)) as Command;
    lines.push(`  ${name.padEnd(10)} ${cmd.summary}`);
  }
  return lines.join('\n');
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...args] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    console.log(await usage());
    return name ? 0 : 2;
  }
  if (!commandNames().includes(name)) {
    console.error(`flatline: unknown command "${name}"\n\n${await usage()}`);
    return 2;
  }
  const cmd = (await import(`./commands/${name}.ts`)) as Command;
  return cmd.run(args);
}
