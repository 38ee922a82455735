// The one definition of the KeyValueStore keys shared by the control plane (which writes them) and the
// edge router CloudFront Function (which reads them); edge/README.md describes what each value does.
export const ROUTE_PRIMARY = 'primary';
export const ROUTE_STANDBY = 'standby';
export const SLATE_ON = 'on';

export type Route = typeof ROUTE_PRIMARY | typeof ROUTE_STANDBY;

export const routeKey = (channelId: string): string => `route:${channelId}`;
export const slateKey = (channelId: string): string => `slate:${channelId}`;

/** Every edge request for a channel lives under this prefix: /live/<channelId>/... */
export const LIVE_PREFIX = '/live/';
