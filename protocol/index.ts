// The console protocol (docs/console-protocol.md): wire types, the method table, error mapping.
// Pure: no node:*, no DOM, no electron; imports only core/ (protocol/tidy.test.ts).

export * from './api';
export * from './errors';
export * from './events';
export * from './http';
export * from './ipc';
export * from './methods';
export * from './outcome';
export * from './schema';
