// What an app uses of the bus: the client and its types, the proxy (the bus app), the Nest transport, the errors,
// the CURVE keys of each identity. Test harnesses are in `@aico/bus/testing`; everything else is internal.
export { BusError, BusErrorCode, RemoteError } from './bus.error';
export { BusClient } from './client/bus-client';
export type * from './client/bus-client.types';
export { deriveAllowList, deriveClientKeys, deriveServerKeys } from './client/bus-identity-keys';
export { IncomingMessage, type IncomingOf } from './client/envelope-codec';
export { uuidv7 } from './client/uuid-v7';
export { BusProxy, type BusProxyOptions, type BusProxyStats } from './proxy/bus-proxy';
export { BusExceptionFilter } from './nest/bus-exception.filter';
// Nest's ClientProxy over the bus: not provided to apps (they request through BusClient); the bus benchmark measures it.
export { ZmqClient } from './nest/zmq.client';
export { ZmqContext } from './nest/zmq.context';
export { ZmqServer } from './nest/zmq.server';
