/**
 * The PEX code peer-extensions.ts loads on first use, as one chunk: the per-connection tracker and the flag
 * bits of its codec (wire/extensions/ut-pex*.ts).
 */
export { PexTracker } from '../../wire/extensions/ut-pex.js';
export { PexFlags } from '../../wire/extensions/ut-pex-codec.js';
