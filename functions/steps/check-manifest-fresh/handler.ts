// Task "Check*Fresh": is the standby origin / primary origin / edge serving a fresh manifest right now?
import * as z from '../../domain/zod.js';
import { checkManifestFreshness } from '../../domain/manifest/index.js';
import { checkManifestFresh } from '../../domain/reconcilers/check-manifest-fresh.js';
import { stepHandler } from '../step.js';

const Input = z.object({
  channelId: z.string().check(z.minLength(1)),
  target: z.enum(['primary', 'standby', 'edge']),
  /** Fresh only with media ending after this instant (the rollback's check: the execution's start). */
  producedSince: z.optional(z.iso.datetime({ offset: true })),
});

/** Per-fetch timeout; the Task's TimeoutSeconds bounds the whole check (every rendition). */
const timeoutMs = Number(process.env.FLATLINE_FETCH_TIMEOUT_MS ?? 4000);

export const handler = stepHandler('checkManifestFresh', Input, (input, channel) =>
  checkManifestFresh({
    target: input.target,
    url: channel[input.target].manifestUrl,
    staleAfterTargetDurations: channel.policy.staleAfterTargetDurations,
    timeoutMs,
    ...(input.producedSince !== undefined ? { producedSince: Date.parse(input.producedSince) } : {}),
    check: checkManifestFreshness,
  }),
);
