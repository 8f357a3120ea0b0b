import fs from 'node:fs';
import type { Command } from 'commander';
import { CommandExit, type CliIo } from './cli-io.js';

/** `localrouter router score|eval|calibrate`: the routing classifier from the command line. */
export function registerRouterCommand(program: Command, io: CliIo): void {
  const router = program.command('router').description('the RouteLLM-style routing classifier (models/router-<name>.bin)');

  router.command('score').description('read JSON lines {"prompt": "..."} on stdin, write {"score": s} per line, in order (0..1, higher = more to gain from the strong model)')
    .option('--model <name>', 'classifier name', 'hashlr')
    .action(async (o: { model: string }) => {
      const c = await import('../classifier/index.js');
      exitWith(await c.runScoreCommand({ input: io.stdin, output: io.stdout, modelPath: c.modelPathFor(o.model) }));
    });

  router.command('eval').description("RouteLLM's evaluation (APGR, CPT(50%), CPT(80%)) on a CSV of prompt, weak-correct, strong-correct")
    .requiredOption('--data <file.csv>', 'labelled prompts')
    .option('--contaminated <file.jsonl>', 'prompts to drop (decontamination)')
    .option('--model <name>', 'classifier name', 'hashlr')
    .option('--json', 'print JSON')
    .action(async (o: { data: string; contaminated?: string; model: string; json?: boolean }) => {
      const c = await import('../classifier/index.js');
      exitWith(await c.runEvalCommand({ dataFile: o.data, contaminatedFile: o.contaminated, json: o.json, output: io.stdout, modelPath: c.modelPathFor(o.model) }));
    });

  router.command('calibrate').description('the threshold that sends a given share of prompts to the strong side')
    .requiredOption('--strong-share <x>', 'share for the strong side, 0..1', Number)
    .option('--prompts <file.jsonl>', 'your own prompts as {"prompt": ...} lines (else the model card\'s chat-mix score percentiles)')
    .option('--model <name>', 'classifier name', 'hashlr')
    .action(async (o: { strongShare: number; prompts?: string; model: string }) => {
      const c = await import('../classifier/index.js');
      exitWith(await c.runCalibrateCommand({
        strongShare: o.strongShare, prompts: o.prompts ? fs.createReadStream(o.prompts) : undefined, output: io.stdout, modelPath: c.modelPathFor(o.model),
      }));
    });
}

/** The classifier commands report their own errors and return the exit code. */
function exitWith(code: number): void {
  if (code !== 0) throw new CommandExit(code);
}
