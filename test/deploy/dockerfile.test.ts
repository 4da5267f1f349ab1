import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { parseDatabaseUrl } from '../../src/db/database-url.js';
import {
  instructionsOf,
  parseDockerfile,
  readProjectFile,
  readYaml,
  stageEnv,
} from './deploy-files.js';

const text = readProjectFile('Dockerfile');
const stages = parseDockerfile(text);
const runtime = stages.at(-1)!;
const build = stages[0]!;
const args = (keyword: string) => instructionsOf(runtime, keyword).map((i) => i.args);

describe('Dockerfile', () => {
  it('is multi-stage on node:24-bookworm-slim, with a toolchain only where no prebuilt driver fits', () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    expect(build.from).toBe('node:24-bookworm-slim');
    expect(runtime.from).toBe('node:24-bookworm-slim');
    const buildRuns = instructionsOf(build, 'RUN').map((i) => i.args);
    expect(buildRuns).toContainEqual(expect.stringMatching(/^npm ci\b/));
    // The compiler is installed only when better-sqlite3's prebuilt binary does not load.
    const toolchain = buildRuns.find((run) => /apt-get install/.test(run)) ?? '';
    expect(toolchain).toMatch(/^if ! node -e "require\('better-sqlite3'\)/);
    expect(toolchain).toMatch(/apt-get install .*python3 make g\+\+/);
    expect(toolchain).toMatch(/npm run build-release --prefix node_modules\/better-sqlite3/);
    expect(buildRuns).toContainEqual(
      expect.stringMatching(/npm run build && npm prune --omit=dev/),
    );
  });

  it('installs nothing into the runtime stage and copies production files only', () => {
    expect(args('RUN').join('\n')).not.toMatch(/apt-get|npm (ci|install)/);
    const copies = args('COPY');
    for (const part of ['node_modules', 'dist', 'views', 'public', 'migrations', 'scripts']) {
      expect(copies, part).toContainEqual(expect.stringMatching(new RegExp(`\\b${part} `)));
    }
    expect(copies).toContainEqual(expect.stringMatching(/^--from=build \/app\/package\.json /));
    // Source and test code never reach the image.
    expect(copies.join('\n')).not.toMatch(/\b(src|test)\b/);
  });

  it('sets the production environment, with the database inside the /data volume', () => {
    const env = stageEnv(runtime);
    expect(env).toMatchObject({
      NODE_ENV: 'production',
      DATABASE_URL: 'sqlite:/data/db/database.sqlite3',
      PORT: '8080',
    });
    expect(args('VOLUME')).toEqual(['/data']);
    expect(parseDatabaseUrl(env.DATABASE_URL!).startsWith('/data/')).toBe(true);
    expect(args('EXPOSE')).toEqual([env.PORT]);
    expect(args('RUN').join('\n')).toMatch(/chown -R node:node \/data/);
  });

  it('runs the server as node: either USER node, or launch.sh dropping root with setpriv', () => {
    const user = args('USER');
    if (user.length > 0) {
      expect(user.at(-1)).toBe('node');
    } else {
      expect(stageEnv(runtime).SNIP_RUN_AS).toBe('node');
      expect(readProjectFile('scripts/launch.sh')).toMatch(
        /exec setpriv --reuid="\$user" --regid="\$\(id -g "\$user"\)" --init-groups/,
      );
    }
  });

  it('starts through launch.sh, stops with SIGTERM and has a health check that needs no curl', () => {
    expect(args('ENTRYPOINT')).toEqual(['["/app/scripts/launch.sh"]']);
    expect(args('STOPSIGNAL')).toEqual(['SIGTERM']);
    const [healthcheck] = args('HEALTHCHECK');
    expect(healthcheck).toMatch(/CMD node -e /);
    expect(healthcheck).toMatch(/127\.0\.0\.1.*process\.env\.PORT.*\/healthz/);
    expect(healthcheck).not.toMatch(/curl|wget/);
  });

  it('uses no syntax that podman’s buildah rejects (COPY --link, heredocs)', () => {
    expect(text).not.toMatch(/COPY\s+--link/i);
    expect(text).not.toMatch(/<<-?\s*['"]?[A-Za-z_]+/);
  });
});

describe('.dockerignore', () => {
  const entries = readProjectFile('.dockerignore')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));

  it('keeps local builds, data, history and tests out of the build context', () => {
    for (const entry of ['node_modules', 'data', 'dist', '.git', 'test', 'docs', 'bench']) {
      expect(entries, entry).toContain(entry);
    }
  });

  it('keeps everything the image build copies', () => {
    const copied = ['package.json', 'package-lock.json', 'tsconfig.json', 'tsconfig.build.json'];
    for (const name of [...copied, 'src', 'views', 'public', 'migrations', 'scripts']) {
      expect(entries, name).not.toContain(name);
    }
  });
});

describe('compose.yaml', () => {
  const compose = readYaml('compose.yaml') as {
    services: Record<string, { build?: string; ports?: string[]; volumes?: string[] }>;
    volumes: Record<string, unknown>;
  };

  it('builds this Dockerfile and keeps the data in a named volume on /data', () => {
    const snip = compose.services.snip!;
    expect(snip.build).toBe('.');
    expect(snip.ports).toEqual(['8080:8080']);
    const [volume] = snip.volumes ?? [];
    expect(volume).toMatch(/^[a-z_]+:\/data$/);
    expect(Object.keys(compose.volumes)).toContain(volume!.split(':')[0]);
  });

  it('is what the README shows', () => {
    const readme = readProjectFile('README.md');
    const section = readme.slice(readme.indexOf('## Run with Docker'));
    const snippet = /```yaml\n([\s\S]*?)```/.exec(section)?.[1] ?? '';
    expect(parseYaml(snippet)).toEqual(compose);
  });
});
