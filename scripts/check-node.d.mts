// Types of scripts/check-node.mjs, written by hand: the module is plain ESM so that an old Node
// can run it, and tsconfig.json does not check JavaScript (no allowJs). Keep the two in step.
// Importing the module is the check: on a Node older than MINIMUM_NODE it prints one line and
// exits with status 1.

/** The oldest Node.js snip runs on. */
export declare const MINIMUM_NODE: { readonly major: number; readonly minor: number };

/** What every refusal starts with; the running version follows. */
export declare const NODE_REQUIREMENT: string;

/** The one line to print when `version` is too old to run snip, or null when it is new enough. */
export declare function findNodeProblem(version: string): string | null;
