import type { Command } from 'commander';
import type { CliIo } from './cli-io.js';
import { registerCompletionCommand } from './completion-command.js';
import { registerDoctorCommand } from './doctor-command.js';
import { registerPricesCommand } from './prices-command.js';
import { registerServiceCommand } from './service-command.js';

/** The commands that help run LocalRouter as software: prices, doctor, service, shell completions. */
export function registerGuideCommands(program: Command, io: CliIo): void {
  registerPricesCommand(program, io);
  registerDoctorCommand(program, io);
  registerServiceCommand(program, io);
  registerCompletionCommand(program, io);
}
