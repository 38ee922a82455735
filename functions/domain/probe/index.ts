// The probe: manifest freshness of every channel on every path (edge, primary origin, standby origin),
// debounced into `Manifest Stale` / `Manifest Fresh` transitions. Used by the probe Lambda, the CLI and the drill.
export * from './channel-probe.js';
export * from './debounce.js';
export * from './diagnosis.js';
export * from './events.js';
export * from './fetcher.js';
export * from './limiter.js';
export * from './loop.js';
export * from './path-probe.js';
export * from './schedule.js';
export * from './shard.js';
