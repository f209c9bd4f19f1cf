import { checkModule, type LoadedModule } from './load-modules.js';
import orders from './orders/index.js';

/**
 * The gateway's own entities, modules on the public API like any other,
 * applied before the modules a command loads (whose names, types and tables
 * may not clash with them).
 */
export const BUILTIN_MODULES: readonly LoadedModule[] = [checkModule('shardgate:orders', orders)];
