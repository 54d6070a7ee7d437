// The notify function's entrypoint (main.ts is the function). The module hooks go in first: the
// program's static imports would all be resolved before any line of it ran.
import { installModuleHooks } from '../../lib/util/module-hooks.ts';

installModuleHooks();
await import('./main.ts');
