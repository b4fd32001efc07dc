import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { launchdPlist, serviceName, systemdUnit, type ServiceSpec } from './service-definition.js';

const hasAnalyze = existsSync('/usr/bin/systemd-analyze');

function spec(stateDir: string): ServiceSpec {
  return {
    name: 'coord-runner-test',
    node: process.execPath,
    cliScript: join(stateDir, 'odd "dir" 100%', 'coord-runner.js'),
    stateDir,
    path: '/usr/local/bin:/usr/bin:/bin',
  };
}

describe('service definitions', () => {
  it('names the default state dir coord-runner and any other by a stable hash', () => {
    expect(serviceName('/home/u/.local/share/coord-runner', '/home/u/.local/share/coord-runner')).toBe(
      'coord-runner',
    );
    const other = serviceName('/srv/runner-b', '/home/u/.local/share/coord-runner');
    expect(other).toMatch(/^coord-runner-[0-9a-f]{8}$/);
    expect(serviceName('/srv/runner-b', '/x')).toBe(other);
    expect(serviceName('/srv/runner-c', '/x')).not.toBe(other);
  });

  it('writes a systemd unit that restarts on failure, drains on stop and holds no secret', () => {
    const unit = systemdUnit(spec('/srv/state'));
    expect(unit).toContain('Restart=on-failure');
    expect(unit).toContain('KillSignal=SIGINT');
    expect(unit).toContain(
      'ExecStop="' +
        process.execPath +
        '" "/srv/state/odd \\"dir\\" 100%%/coord-runner.js" "stop" "--state-dir" "/srv/state"',
    );
    expect(unit).toContain('EnvironmentFile=-/srv/state/service.env');
    // Quotes escaped and `%` doubled, so systemd reads the path back as it is.
    expect(unit).toContain(
      '"/srv/state/odd \\"dir\\" 100%%/coord-runner.js" "start" "--json" "--state-dir" "/srv/state"',
    );
    expect(unit).not.toMatch(/TOKEN|API_KEY/);
  });

  it.skipIf(!hasAnalyze)('writes a unit systemd itself accepts (systemd-analyze verify)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'unit-'));
    const script = join(dir, 'odd "dir" 100%', 'coord-runner.js');
    mkdirSync(join(dir, 'odd "dir" 100%'));
    writeFileSync(script, '');
    const file = join(dir, 'coord-runner-test.service');
    writeFileSync(file, systemdUnit({ ...spec(dir), cliScript: script }));
    // verify prints every problem (an unknown key, a bad value, a missing program) on stderr.
    const result = spawnSync('systemd-analyze', ['verify', file], { encoding: 'utf8' });
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
  });

  it('writes a launchd agent with escaped XML that restarts only after a failure', () => {
    const plist = launchdPlist({ ...spec('/Users/u/state'), cliScript: '/Apps/a&b <c>/coord-runner.js' });
    expect(plist).toContain('<string>/Apps/a&amp;b &lt;c&gt;/coord-runner.js</string>');
    expect(plist).toContain('<key>Label</key><string>dev.coord.coord-runner-test</string>');
    expect(plist).toMatch(/<key>KeepAlive<\/key><dict><key>SuccessfulExit<\/key><false\/><\/dict>/);
    expect(plist).toContain('/Users/u/state/logs/service.err.log');
  });
});
