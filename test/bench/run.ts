// `npm run bench`: runs every benchmark in one invocation, each printing its figures and its ratios against the
// reference clients (mktorrent, python3-libtorrent, ...) measured in the same run.
export {};

const benches: Array<{ name: string; load: () => Promise<{ run(): Promise<void> }> }> = [
  { name: 'create-torrent', load: () => import('./create-torrent.bench.js') },
  { name: 'transfer', load: () => import('./transfer.bench.js') },
  { name: 'metainfo', load: () => import('./metainfo.bench.js') },
  { name: 'wire-parser', load: () => import('./wire-parser.bench.js') },
  { name: 'picker', load: () => import('./picker.bench.js') },
  { name: 'seek', load: () => import('./seek.bench.js') },
  { name: 'webrtc', load: () => import('./webrtc.bench.js') },
  { name: 'bundle-size', load: () => import('./bundle-size.bench.js') },
  { name: 'tcp-transport', load: () => import('./tcp-transport.bench.js') },
];

const only = process.argv.slice(2);
for (const b of benches) {
  if (only.length > 0 && !only.includes(b.name)) continue;
  console.log(`\n=== ${b.name} ===`);
  const mod = await b.load();
  await mod.run();
}
