// The client folder (src/main/resources/web/js) as an npm package: packed, installed into a fresh front-end
// project, bundled with esbuild and type-checked with tsc, offline (react, esbuild and typescript come from e2e's
// own node_modules).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { build } from 'esbuild';

const run = promisify(execFile);
const here = path.dirname(fileURLToPath(import.meta.url));
const client = path.resolve(here, '..', 'src', 'main', 'resources', 'web', 'js');
const modules = path.join(here, 'node_modules');
const tsc = path.join(modules, '.bin', 'tsc');

let dir;
let packed;

before(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'herald-package-'));
  const { stdout } = await run('npm', ['pack', '--json', '--pack-destination', dir], { cwd: client });
  [packed] = JSON.parse(stdout);
  const app = path.join(dir, 'app');
  mkdirSync(app);
  writeFileSync(path.join(app, 'package.json'), JSON.stringify({ name: 'app', private: true, type: 'module' }));
  await run('npm', ['install', '--offline', '--no-audit', '--no-fund', '--ignore-scripts', path.join(dir, packed.filename)],
            { cwd: app });
  // the project's other dependencies, as its own package.json would bring them
  mkdirSync(path.join(app, 'node_modules', '@types'), { recursive: true });
  for (const name of ['react', 'react-dom', 'scheduler', '@types/react', '@types/react-dom']) {
    symlinkSync(path.join(modules, name), path.join(app, 'node_modules', name), 'dir');
  }
  writeFileSync(path.join(app, 'tsconfig.json'), JSON.stringify({
    compilerOptions: {
      strict: true, noEmit: true, target: 'es2022', module: 'esnext', moduleResolution: 'bundler',
      jsx: 'react-jsx', lib: ['es2022', 'dom'], skipLibCheck: false, types: [],
    },
    include: ['*.tsx'],
  }));
});

after(() => { if (dir) rmSync(dir, { recursive: true, force: true }); });

const app = () => path.join(dir, 'app');

test('the package holds the client modules, their types and the manifest, nothing else', () => {
  const files = packed.files.map((f) => f.path).sort();
  for (const expected of ['herald.js', 'herald.d.ts', 'herald-react.js', 'herald-react.d.ts', 'package.json', 'README.md']) {
    assert.ok(files.includes(expected), `${expected} in ${files}`);
  }
  assert.deepEqual(files.filter((f) => !/^[\w.-]+\.(js|d\.ts)$/.test(f) && f !== 'package.json' && f !== 'README.md'), []);
  const manifest = JSON.parse(readFileSync(path.join(app(), 'node_modules', '@herald', 'client', 'package.json'), 'utf8'));
  assert.equal(manifest.name, '@herald/client');
  assert.equal(manifest.type, 'module');
});

test('a bundle importing @herald/client and @herald/client/react builds, with the hook and the client inside', async () => {
  writeFileSync(path.join(app(), 'main.jsx'), `
    import { createRoot } from 'react-dom/client';
    import { userChannel } from '@herald/client';
    import { useEventChannel } from '@herald/client/react';
    function Feed() {
      const { status } = useEventChannel(userChannel('alice'), { onEvent: (e) => console.log(e.type) });
      return <p>{status}</p>;
    }
    createRoot(document.getElementById('root')).render(<Feed />);
  `);
  const result = await build({
    entryPoints: [path.join(app(), 'main.jsx')], absWorkingDir: app(), bundle: true, write: false, format: 'esm',
    jsx: 'automatic', define: { 'process.env.NODE_ENV': '"production"' }, logLevel: 'silent', metafile: true,
  });
  assert.deepEqual(result.errors, []);
  const code = result.outputFiles[0].text;
  assert.match(code, /function useEventChannel\(/);
  assert.match(code, /\/api\/events\?/, 'herald.js subscribe is bundled');
  const inputs = Object.keys(result.metafile.inputs);
  assert.ok(inputs.some((i) => i.endsWith('@herald/client/herald-react.js')), inputs.join('\n'));
  assert.ok(inputs.some((i) => i.endsWith('@herald/client/herald.js')), inputs.join('\n'));
  // one React: the hook's bare 'react' resolves to the app's copy, not a second one
  assert.equal(inputs.filter((i) => /node_modules\/react\/cjs\/react\.production/.test(i)).length, 1, inputs.join('\n'));
});

test('an import the package does not export fails the bundle', async () => {
  writeFileSync(path.join(app(), 'private.js'), `import '@herald/client/herald-react.js';`);
  await assert.rejects(build({
    entryPoints: [path.join(app(), 'private.js')], absWorkingDir: app(), bundle: true, write: false, logLevel: 'silent',
  }), /not exported|Could not resolve/);
});

const typed = `
  import { useState } from 'react';
  import { createClient, type HeraldEvent, type Status } from '@herald/client';
  import { useEventChannel, useEvents, useJobs, type EventChannelState } from '@herald/client/react';

  const client = createClient({ token: () => 'jwt' });
  export function Room({ channels }: { channels: string[] }) {
    const [last, setLast] = useState<HeraldEvent | null>(null);
    const state: EventChannelState = useEventChannel(channels, { shared: false, onEvent: setLast, token: () => 'jwt' });
    const status: Status = state.status;
    const { events } = useEvents<HeraldEvent & { content?: string }>('channel:general', { limit: 10 });
    const { jobs } = useJobs('user:alice', { token: 'jwt', onJob: (job, { removed }) => void (removed || job.progress) });
    const progress: number | undefined = jobs.get('j1')?.progress;
    void client.chat('channel:general', 'hi');
    return <p title={status}>{last?.type}{state.cursor ?? ''}{events.map((e) => e.content).join()}{progress}</p>;
  }
`;

async function typeCheck(source) {
  writeFileSync(path.join(app(), 'room.tsx'), source);
  try {
    await run(tsc, ['-p', app(), '--noEmit', '--strict'], { cwd: app() });
    return '';
  } catch (error) {
    return `${error.stdout}${error.stderr}` || String(error);
  }
}

test('a strict TypeScript project type-checks against the package\'s declarations', async () => {
  assert.equal(await typeCheck(typed), '');
});

test('the declarations are read: wrong uses of the hook fail the type check', async () => {
  const wrongStatus = await typeCheck(typed.replace("const status: Status = state.status;",
                                                    "const status: number = state.status;"));
  assert.match(wrongStatus, /room\.tsx.*error TS2322/s);
  const wrongChannels = await typeCheck(typed.replace('useEventChannel(channels,', 'useEventChannel(42,'));
  assert.match(wrongChannels, /room\.tsx.*error TS2345/s);
  const wrongHandler = await typeCheck(typed.replace('onEvent: setLast', 'onEvent: (e: number) => e'));
  assert.match(wrongHandler, /room\.tsx.*error TS2322/s);
});
