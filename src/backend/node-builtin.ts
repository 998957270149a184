// Loads a Node built-in only when a code path needs it (reading a file path, starting worker
// threads). The specifier is built from a parameter so no bundler (nor esbuild's own constant
// folding in our prebuilt bundles) sees a static `node:` import to resolve: the main entry stays
// loadable in browsers and edge runtimes.
export function importNodeBuiltin(name: string): Promise<any> {
  return import(/* @vite-ignore */ `node:${name}`);
}
