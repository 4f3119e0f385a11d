import type { CliCommand } from '../command';
import { activations } from './activations';
import { classify } from './classify';
import { embed } from './embed';
import { explain } from './explain';
import { filters } from './filters';
import { gallery } from './gallery';
import { layers } from './layers';
import { neighbours } from './neighbours';
import { topPatches } from './top-patches';

/** Every CLI command, by name (one file each in this folder). */
export const COMMANDS: Record<string, CliCommand> = {
  layers,
  classify,
  activations,
  filters,
  explain,
  gallery,
  neighbours,
  embed,
  'top-patches': topPatches,
};
