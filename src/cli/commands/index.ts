import type { CliCommand } from '../command';
import { activations } from './activations';
import { classify } from './classify';
import { explain } from './explain';
import { filters } from './filters';
import { layers } from './layers';

/** Every CLI command, by name (one file each in this folder). */
export const COMMANDS: Record<string, CliCommand> = {
  layers,
  classify,
  activations,
  filters,
  explain,
};
