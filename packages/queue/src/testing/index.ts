// Test support for @judgekit/queue: a throwaway redis-server.
export * from './redis-server.js';
