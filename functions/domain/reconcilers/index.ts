// The step reconcilers: each reads the current state, acts only on the difference and reports what it
// observed and changed. Running one twice is running it once; a rollback is the same calls aimed at a snapshot.
// Handlers import the module they need rather than this index, so a bundle carries only its own clients
// (the KVS module, for one, loads the SigV4A signer).
export * from './errors.js';
export { readKey, writeKey, listKeys, writeKeys } from './kvs.js';
export { setEdgeRoute, setSlate, restoreEdgeValue, parseEdgeValue, type EdgeChannel, type SetEdgeRouteInput, type SetSlateInput, type RestoreEdgeInput } from './edge-route.js';
export { syncEdgeValues, type SyncEdgeInput } from './edge-sync.js';
export { setOriginGroup, readOriginGroup, type OriginOrder, type SetOriginGroupInput } from './origin-group.js';
export { ensureChannelRunning, ensureChannelStopped, describeChannelState, type ChannelRef, type ChannelObserved, type MediaLiveFor } from './channel.js';
export { snapshotRouting, standbyDeadline, type SnapshotStore, type SnapshotRoutingInput } from './snapshot.js';
export { checkManifestFresh, type FreshnessCheck, type FreshnessVerdictLike, type FreshnessObserved } from './check-manifest-fresh.js';
export { notify, snsSubject, type NotifyInput, type NotifySeverity } from './notify.js';
export { finishIncident, summarize, type FinishIncidentInput, type IncidentLedger, type Outcome } from './finish.js';
export { change, type Change, type Mode, type StepReport } from './report.js';
