// vigil call <command> [json-args]: any daemon command, data printed as JSON (the escape hatch
// for commands without a verb of their own).
import { EXIT, UsageError, type CliVerb } from '../verb';

export const callVerb: CliVerb = {
  name: 'call',
  usage: 'call <command> [json-args]',
  summary: "send any daemon command, e.g. vigil call segments.list '{\"camera\":\"front\"}'",
  async run(argv, ctx) {
    const [command, json, ...extra] = argv;
    if (!command) throw new UsageError('call needs a command name, e.g. vigil call ping');
    if (extra.length > 0) throw new UsageError(`unexpected argument "${extra[0]}" (quote the JSON arguments as one word)`);
    let args: unknown = {};
    if (json !== undefined) {
      try {
        args = JSON.parse(json);
      } catch (err) {
        throw new UsageError(`call arguments must be JSON: ${(err as Error).message}`);
      }
    }
    const res = await ctx.call(command, args);
    ctx.out(`${JSON.stringify(ctx.json ? res : res.data ?? res.error, null, 2)}\n`);
    if (res.status !== 'ok') {
      ctx.err(`${res.error?.code}: ${res.error?.message}\n`);
      return EXIT.commandError;
    }
    return EXIT.ok;
  },
};
