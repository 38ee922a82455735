// The zod of every schema a Lambda carries: zod/mini, whose functions tree-shake to what the schemas use
// (~17 KB minified against ~90 KB for zod's classic API, and a quarter of its load time on a cold start),
// with zod's English messages, which the classic API configures on import and mini leaves to the application.
import { config } from 'zod/mini';
import en from 'zod/v4/locales/en.js';

config(en());

export * from 'zod/mini';
