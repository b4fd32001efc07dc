// `pnpm bench <name>`: runs one benchmark; each prints a JSON object as its last line.
const benches: Record<string, () => Promise<void>> = {
  pickup: async () => (await import('./pickup.js')).main(process.argv.slice(3)),
  claims: async () => (await import('./claims.js')).main(process.argv.slice(3)),
  'server-claims': async () => (await import('./server-claims.js')).main(process.argv.slice(3)),
  prepare: async () => (await import('./prepare.js')).main(process.argv.slice(3)),
  checkout: async () => (await import('./checkout.js')).main(process.argv.slice(3)),
  events: async () => (await import('./events.js')).main(process.argv.slice(3)),
  redact: async () => (await import('./redact.js')).main(process.argv.slice(3)),
  'agent-start': async () => (await import('./agent-start.js')).main(process.argv.slice(3)),
  ui: async () => (await import('./ui.js')).main(process.argv.slice(3)),
  cli: async () => (await import('./cli.js')).main(process.argv.slice(3)),
  chaos: async () => (await import('./chaos.js')).main(process.argv.slice(3)),
  history: async () => (await import('./history.js')).main(process.argv.slice(3)),
  desktop: async () => (await import('./desktop.js')).main(process.argv.slice(3)),
};

const name = process.argv[2];
const bench = name ? benches[name] : undefined;
if (!bench) {
  process.stderr.write(`usage: pnpm bench <${Object.keys(benches).join('|')}>\n`);
  process.exit(2);
}
await bench();
