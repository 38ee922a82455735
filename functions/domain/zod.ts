// The zod of every schema a Lambda carries: zod/mini, whose functions tree-shake to what the schemas use
// (30-37 KB minified in a handler's bundle against ~90 KB of zod's classic API, which also takes about four
// times as long to load), with zod's English messages, which the classic API configures on import and mini
// leaves to the application. Messages and issues are zod's own either way.
import { config } from 'zod/mini';
import en from 'zod/v4/locales/en.js';

config(en());

export * from 'zod/mini';
