// One registry of commands served by every transport (the local socket now, MQTT next).
// Each command declares its argument schema; a request is validated before its handler runs,
// so a bad request changes nothing and its error names the argument at fault.
import type { z } from 'zod';

export interface CommandRequest {
  id?: string;
  command: string;
  args?: unknown;
}

export interface CommandResponse {
  id: string | null;
  status: 'ok' | 'error';
  data: unknown;
  error?: { code: string; message: string };
}

/** Thrown by handlers for expected failures; the code travels to the caller. */
export class CommandError extends Error {
  constructor(readonly code: string, message: string) {
    super(message);
    this.name = 'CommandError';
  }
}

export interface CommandDef<S extends z.ZodType = z.ZodType> {
  name: string;
  description: string;
  args: S;
  handler: (args: z.output<S>) => unknown;
}

export function defineCommand<S extends z.ZodType>(def: CommandDef<S>): CommandDef<S> {
  return def;
}

function describeZodError(err: z.ZodError): string {
  return err.issues
    .map((i) => `${i.path.length ? i.path.join('.') : 'args'}: ${i.code === 'unrecognized_keys' ? `unknown argument(s) ${i.keys.join(', ')}` : i.message}`)
    .join('; ');
}

export class CommandRegistry {
  private readonly commands = new Map<string, CommandDef>();

  register(def: CommandDef): void {
    if (this.commands.has(def.name)) throw new Error(`command ${def.name} registered twice`);
    this.commands.set(def.name, def);
  }

  names(): string[] {
    return [...this.commands.keys()].sort();
  }

  async dispatch(req: CommandRequest): Promise<CommandResponse> {
    const id = req.id ?? null;
    const def = this.commands.get(req.command);
    if (!def) {
      return { id, status: 'error', data: null, error: { code: 'unknown_command', message: `unknown command "${req.command}"; known: ${this.names().join(', ')}` } };
    }
    const parsed = def.args.safeParse(req.args ?? {});
    if (!parsed.success) {
      return { id, status: 'error', data: null, error: { code: 'bad_args', message: describeZodError(parsed.error) } };
    }
    try {
      const data = await def.handler(parsed.data);
      return { id, status: 'ok', data: data ?? null };
    } catch (err) {
      if (err instanceof CommandError) return { id, status: 'error', data: null, error: { code: err.code, message: err.message } };
      return { id, status: 'error', data: null, error: { code: 'internal', message: String((err as Error).message ?? err) } };
    }
  }
}
