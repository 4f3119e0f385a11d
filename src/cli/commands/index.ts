import type { CliCommand } from '../command';
import { activations } from './activations';
import { classify } from './classify';
import { embed } from './embed';
import { explain } from './explain';
import { facets } from './facets';
import { filters } from './filters';
import { fool } from './fool';
import { gallery } from './gallery';
import { invert } from './invert';
import { layers } from './layers';
import { neighbours } from './neighbours';
import { sanity } from './sanity';
import { topPatches } from './top-patches';
import { uap } from './uap';
import { uapEval } from './uap-eval';
import { visualize } from './visualize';

/** Every CLI command, by name (one file each in this folder). */
export const COMMANDS: Record<string, CliCommand> = {
  layers,
  classify,
  activations,
  filters,
  explain,
  sanity,
  gallery,
  neighbours,
  embed,
  'top-patches': topPatches,
  visualize,
  facets,
  invert,
  fool,
  uap,
  'uap-eval': uapEval,
};
